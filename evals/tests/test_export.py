import json

import pytest
from django.core.management import CommandError, call_command

from chat.models import Conversation, Message, MessageFeedback
from evals.datasets.loader import load_dataset
from tickets.models import Category, Ticket, TicketEvent, TicketState


def ticket(site, requester, title, state=TicketState.RESOLVED, category=None):
    return Ticket.objects.create(
        site=site,
        requester=requester,
        title=title,
        description=f"{title} since this morning",
        resolution="Restarted the print spooler." if state == TicketState.RESOLVED else "",
        category=category,
        state=state,
    )


@pytest.fixture
def history(site_a, site_b, customer_a, customer_b, engineer_a):
    printers = Category.objects.get_or_create(slug="printers", defaults={"name": "Printers"})[0]
    network = Category.objects.get_or_create(slug="network", defaults={"name": "Network"})[0]
    solved = ticket(site_a, customer_a, "Print queue stuck", category=printers)
    corrected = ticket(site_a, customer_a, "Cannot reach the file server", TicketState.IN_PROGRESS, network)
    TicketEvent.objects.create(
        ticket=corrected,
        site=site_a,
        kind=TicketEvent.Kind.AI_CORRECTION,
        actor=engineer_a,
        field="category",
        old_value="printers",
        new_value="network",
    )
    drafted = ticket(site_a, customer_a, "Printer jobs never print", TicketState.IN_PROGRESS, printers)
    TicketEvent.objects.create(
        ticket=drafted,
        site=site_a,
        kind=TicketEvent.Kind.AI_DRAFT,
        actor=engineer_a,
        data={"stage": "outcome", "outcome": "sent", "sources": [f"ticket:{solved.pk}"], "edit_ratio": 1.0},
    )
    conversation = Conversation.objects.create(site=site_a, customer=customer_a, subject="Printing")
    Message.objects.create(
        conversation=conversation, site=site_a, author_kind="customer", body="my prints are stuck"
    )
    answer = Message.objects.create(
        conversation=conversation,
        site=site_a,
        author_kind="assistant",
        body="Restart the spooler [1]",
        sources=[{"key": f"ticket:{solved.pk}"}],
    )
    MessageFeedback.objects.create(message=answer, site=site_a, helpful=True)
    ticket(site_b, customer_b, "Other company's resolved ticket", category=printers)
    return {"solved": solved, "corrected": corrected, "drafted": drafted, "answer": answer}


def test_it_exports_a_sites_history_as_a_loadable_dataset(tmp_path, site_a, history):
    call_command("evals", "export", "--site", site_a.slug, "--out", str(tmp_path / "export"))
    dataset = load_dataset(tmp_path / "export")

    assert [d.id for d in dataset.documents] == [f"ticket-{history['solved'].pk}"]
    queries = {q.id: q for q in dataset.queries}
    corrected = queries[f"ticket-{history['corrected'].pk}"]
    assert corrected.category == "network" and corrected.relevant is None
    drafted = queries[f"ticket-{history['drafted'].pk}"]
    assert drafted.relevant == (f"ticket-{history['solved'].pk}",) and drafted.answerable is True
    chat = queries[f"chat-{history['answer'].pk}"]
    assert chat.text == "my prints are stuck" and chat.relevant == (f"ticket-{history['solved'].pk}",)
    assert dataset.sites == [site_a.slug]
    assert "Other company" not in (tmp_path / "export" / "documents.jsonl").read_text()
    meta = json.loads((tmp_path / "export" / "meta.json").read_text())
    assert {"slug": "network", "name": "Network"} in meta["categories"]


def test_it_refuses_an_unknown_site(tmp_path, db):
    with pytest.raises(CommandError, match="No site"):
        call_command("evals", "export", "--site", "nope", "--out", str(tmp_path))
