import pytest
from django.core.management import call_command

from chat.models import Message
from helpdesk.models import Site
from knowledge import services, tasks
from knowledge.models import Article
from retrieval import tokens
from retrieval.chunking import CHUNK_TOKENS, chunk_text
from retrieval.embedders import get_embedder
from retrieval.models import Chunk, Document
from retrieval.selectors import similar_cases
from testing.factories import article, closed_conversation, resolved_ticket
from tickets.models import Ticket, TicketState

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer_ticket(site_a, customer_a):
    return resolved_ticket(
        site=site_a,
        requester=customer_a,
        title="Printer on floor 2 says paper jam but nothing is stuck",
        description="The HP LaserJet near reception shows 'paper jam' although the tray is empty.",
        resolution="Cleaned the paper sensor in tray 2 and updated the printer firmware.",
        category_slug="printers",
        comments=[
            ("The sensor was dusty, a clean fixed the false jam reading.", False),
            ("INTERNAL: customer's lease contract ends in May", True),
        ],
    )


def test_it_makes_a_resolved_ticket_searchable(site_a, printer_ticket):
    tasks.index_ticket(printer_ticket.id)

    cases = similar_cases(site=site_a, text="printer reports a jam even though no paper is stuck", k=3)

    assert [(c.source_type, c.source_id) for c in cases] == [("ticket", printer_ticket.id)]
    assert cases[0].category == "printers"
    assert "paper sensor" in cases[0].resolution
    assert cases[0].site_id == site_a.id


def test_it_keeps_internal_notes_out_of_the_document(printer_ticket):
    tasks.index_ticket(printer_ticket.id)

    document = Document.objects.get(ticket=printer_ticket)
    assert "sensor was dusty" in document.text
    assert "lease contract" not in document.text
    assert not Chunk.objects.filter(text__contains="lease contract").exists()


def test_it_does_not_index_an_open_ticket_and_forgets_a_reopened_one(site_a, printer_ticket):
    tasks.index_ticket(printer_ticket.id)
    Ticket.objects.filter(pk=printer_ticket.pk).update(state=TicketState.IN_PROGRESS)

    result = tasks.index_ticket(printer_ticket.id)

    assert result["removed"] == 1
    assert not Document.objects.filter(source_type="ticket", source_id=printer_ticket.id).exists()
    assert similar_cases(site=site_a, text="printer paper jam", k=3) == []


def test_it_changes_nothing_when_indexing_twice(printer_ticket):
    tasks.index_ticket(printer_ticket.id)
    before = list(Chunk.objects.values_list("id", "content_hash", "embedding_model", "created_at"))
    document_before = Document.objects.values("id", "updated_at").get()

    result = tasks.index_ticket(printer_ticket.id)

    assert result == {"indexed": 0, "unchanged": 1, "removed": 0}
    assert list(Chunk.objects.values_list("id", "content_hash", "embedding_model", "created_at")) == before
    assert Document.objects.values("id", "updated_at").get() == document_before


def test_it_updates_the_document_when_the_ticket_is_edited(site_a, printer_ticket):
    tasks.index_ticket(printer_ticket.id)
    Ticket.objects.filter(pk=printer_ticket.pk).update(resolution="Replaced the fuser unit under warranty.")

    tasks.index_ticket(printer_ticket.id)

    document = Document.objects.get(ticket=printer_ticket)
    assert "fuser unit" in document.text
    assert Chunk.objects.filter(document=document).count() == 1
    assert "fuser" in Chunk.objects.get(document=document).text


def test_it_indexes_a_closed_chat_transcript(site_a, customer_a):
    conversation = closed_conversation(
        site=site_a,
        customer=customer_a,
        subject="",
        turns=[
            (Message.Author.CUSTOMER, "How do I connect to the guest wifi in the meeting room?"),
            (Message.Author.SYSTEM, "Assistant joined"),
            (
                Message.Author.ASSISTANT,
                "Join the network AF-Guest; the password is on the meeting room screen.",
            ),
            (Message.Author.CUSTOMER, "That worked, thanks"),
        ],
    )

    tasks.index_conversation(conversation.id)
    cases = similar_cases(site=site_a, text="what is the visitor wireless network password?", k=3)

    assert [(c.source_type, c.source_id) for c in cases] == [("transcript", conversation.id)]
    assert "Assistant joined" not in cases[0].text
    assert cases[0].title.startswith("How do I connect")
    assert "That worked" in cases[0].resolution or "AF-Guest" in cases[0].resolution


def test_it_indexes_a_published_article_and_forgets_it_when_unpublished(site_a):
    kb = article(
        site=site_a,
        title="Setting up the VPN on a new laptop",
        body="Install FortiClient, then import the **alder.conf** profile from the S: drive.",
    )
    tasks.index_article(kb.id)
    assert [c.source_id for c in similar_cases(site=site_a, text="how to install vpn client", k=3)] == [kb.id]

    Article.objects.filter(pk=kb.pk).update(state=Article.State.DRAFT)
    tasks.index_article(kb.id)

    assert similar_cases(site=site_a, text="how to install vpn client", k=3) == []


def test_it_removes_vectors_when_the_ticket_is_deleted(printer_ticket):
    tasks.index_ticket(printer_ticket.id)

    Ticket.objects.filter(pk=printer_ticket.pk).delete()

    assert not Document.objects.exists()
    assert not Chunk.objects.exists()


def test_it_removes_vectors_when_the_site_is_deleted(site_a, site_b, customer_b, printer_ticket):
    tasks.index_ticket(printer_ticket.id)
    kb = article(site=site_b, title="Clinic printers", body="Use the Ricoh on level 1 for prescriptions.")
    chat = closed_conversation(
        site=site_b,
        customer=customer_b,
        subject="Ricoh offline",
        turns=[
            (Message.Author.CUSTOMER, "The Ricoh is offline"),
            (Message.Author.ENGINEER, "Power cycled it."),
        ],
    )
    tasks.index_article(kb.id)
    tasks.index_conversation(chat.id)
    assert Chunk.objects.filter(site=site_b).count() == 2

    Site.objects.filter(pk=site_b.pk).delete()

    assert list(Chunk.objects.values_list("source_type", "source_id")) == [("ticket", printer_ticket.id)]
    assert list(Document.objects.values_list("site_id", flat=True)) == [site_a.id]


def test_it_chunks_long_documents_by_tokens_with_overlap():
    body = " ".join(f"Step {n}: restart the spooler service on print server {n}." for n in range(120))

    chunks = chunk_text("Spooler runbook", body)

    assert len(chunks) > 3
    assert all(c.token_count <= CHUNK_TOKENS + tokens.count_tokens("Spooler runbook\n") for c in chunks)
    assert all(c.text.startswith("Spooler runbook\n") for c in chunks[1:])
    # Consecutive windows share their overlap, so no sentence is lost at a border.
    assert chunks[0].text[-60:].split(":")[-1] in chunks[1].text


def test_it_reindexes_idempotently_and_resumes(site_a, customer_a, printer_ticket):
    for n in range(5):
        resolved_ticket(
            site=site_a,
            requester=customer_a,
            title=f"Shared drive S: missing on PC {n}",
            description="The S: drive does not appear in Explorer after login.",
            resolution="Re-ran the drive mapping GPO with gpupdate /force.",
        )
    first = services.index_site(site=site_a, batch_size=2)
    assert first.indexed == 6
    # An interrupted run leaves some documents without chunks of the model; the next run finishes them.
    Chunk.objects.filter(source_id__in=Ticket.objects.order_by("-pk").values("pk")[:2]).delete()

    resumed = services.index_site(site=site_a, batch_size=2)
    again = services.index_site(site=site_a, batch_size=2)

    assert (resumed.indexed, resumed.unchanged) == (2, 4)
    assert (again.indexed, again.unchanged, again.chunks_embedded) == (0, 6, 0)
    assert Chunk.objects.count() == 6


def test_it_runs_the_reindex_command(
    site_a, printer_ticket, capsys, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the test's transaction never commits
        call_command("reindex", "--site", site_a.slug)

    assert Chunk.objects.filter(source_id=printer_ticket.id).exists()
    assert "indexed 1" in capsys.readouterr().out
    queued = [name for name, _args in queued_tasks()]
    assert (
        "knowledge.tasks.search_profiles_tune" in queued and "tickets.tasks.triage_models_retrain" in queued
    )


def test_it_excludes_vectors_of_another_model(site_a, printer_ticket):
    tasks.index_ticket(printer_ticket.id)
    Chunk.objects.update(embedding_model="local:some-older-model")

    assert similar_cases(site=site_a, text="printer paper jam", k=3) == []

    services.index_site(site=site_a, model="local", prune=True)

    assert Chunk.objects.get().embedding_model == get_embedder("local").model_name
    assert [c.source_id for c in similar_cases(site=site_a, text="printer paper jam", k=3)] == [
        printer_ticket.id
    ]


def test_it_queues_indexing_when_an_article_is_published(
    site_a, engineer_a, django_capture_on_commit_callbacks, queued_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        kb = services.article_create(
            site=site_a, author=engineer_a, title="Reset MFA", body="Ask IT.", state=Article.State.PUBLISHED
        )

    assert queued_tasks() == [("knowledge.tasks.index_article", (kb.id,))]
    assert kb.slug == "reset-mfa"


def test_the_sweep_indexes_what_a_lost_task_left_undone_and_nothing_twice(printer_ticket):
    assert not Document.objects.filter(ticket=printer_ticket).exists()  # its indexing task never ran

    assert tasks.index_sweep() == {"indexed": 1, "unchanged": 0, "removed": 0}
    assert tasks.index_sweep() == {"indexed": 0, "unchanged": 1, "removed": 0}
    assert Document.objects.filter(ticket=printer_ticket).count() == 1
