from django.core.management import call_command

from chat.models import Conversation, Message
from evals.datasets.loader import load_dataset
from evals.sandbox import Sandbox, leftover_sites, transcript_turns
from evals.tests.tiny import write_tiny_dataset
from helpdesk.models import Site, User
from knowledge.models import Article
from tickets.models import Ticket, TicketState


def test_it_reads_speaker_prefixed_transcripts_and_appends_a_missing_resolution():
    body = "Customer: my printer is stuck\nit has been all day\nEngineer: Restarted the spooler."
    assert transcript_turns(body, "Cleared the queue.") == [
        (Message.Author.CUSTOMER, "my printer is stuck\nit has been all day"),
        (Message.Author.ENGINEER, "Restarted the spooler."),
        (Message.Author.ENGINEER, "Cleared the queue."),
    ]
    assert transcript_turns("printer is stuck") == [(Message.Author.CUSTOMER, "printer is stuck")]


def test_it_writes_documents_as_real_rows_of_throwaway_sites(tmp_path, site_a):
    dataset = load_dataset(write_tiny_dataset(tmp_path / "tiny"))
    sandbox = Sandbox(run_id="t1")
    sandbox.create(dataset)
    sandbox.load(dataset.documents)

    assert all(site.slug.startswith("eval-t1-") for site in sandbox.sites.values())
    tickets = Ticket.objects.filter(site__in=sandbox.sites.values())
    assert tickets.count() == 18 and set(tickets.values_list("state", flat=True)) == {TicketState.RESOLVED}
    conversation = Conversation.objects.get(site=sandbox.site_for("tiny-one"))
    assert conversation.state == Conversation.State.CLOSED
    assert list(conversation.messages.values_list("seq", flat=True)) == [1, 2]
    assert len(sandbox.documents) == 20
    assert not Article.objects.exists()
    assert User.objects.filter(site=site_a).count() == 0


def test_it_cleans_up_sites_a_killed_run_left_behind(tmp_path, site_a):
    dataset = load_dataset(write_tiny_dataset(tmp_path / "tiny"))
    sandbox = Sandbox(run_id="killed")
    sandbox.create(dataset)
    sandbox.load(dataset.documents)
    assert leftover_sites().count() == 2

    call_command("evals", "cleanup")

    assert not leftover_sites().exists()
    assert not Ticket.objects.exists()
    assert Site.objects.filter(pk=site_a.pk).exists()


def test_it_counts_cases_of_another_site_and_maps_cases_back_to_dataset_ids(db):
    from evals.runner import Pipeline
    from retrieval.types import Case

    def case(source_id, site_id):
        return Case("ticket", source_id, site_id, "t", "s", "/", 1.0, 0.9)

    sandbox = Sandbox(run_id="map", documents={("ticket", 7): "doc-7"})
    pipeline = Pipeline(sandbox, "offline", ["network"])
    cases = [case(7, 1), case(8, 2), case(9, None)]
    assert pipeline.foreign_count(cases, site_id=1) == 1
    assert pipeline.dataset_ids(cases) == (["doc-7"], 2)
