"""Reply drafts on the engineer's ticket page: grounded, cited, and what became of them recorded."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings

from ai.tests.test_ai_openai import OPENAI_TEST_SETTINGS, openai_vcr
from helpdesk.models import AIInteraction
from testing.factories import new_ticket
from tickets.errors import ActionNotAllowed, TicketError
from tickets.models import Comment, Ticket, TicketEvent
from tickets.triage import ticket_draft_outcome, ticket_draft_reply, ticket_draft_send


def test_it_drafts_a_reply_citing_the_sites_cases(history, site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    draft = ticket_draft_reply(ticket=ticket, actor=engineer_a)
    assert not draft.refused and draft.sources
    assert all(source.case.site_id == site_a.id for source in draft.sources)
    cited = {int(number) for number in re.findall(r"\[(\d+)\]", draft.body)}
    assert cited == {source.cid for source in draft.sources}
    assert "print spooler" in draft.body.lower()
    event = TicketEvent.objects.get(pk=draft.event_id)
    assert (event.kind, event.actor, event.by_assistant) == (TicketEvent.Kind.AI_DRAFT, engineer_a, True)
    assert event.data["sources"] == [source.key for source in draft.sources]
    log = AIInteraction.objects.get()
    assert (log.purpose, log.ticket_id, log.outcome) == ("draft", ticket.pk, "ok")


def test_it_says_so_when_no_similar_case_exists(site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    draft = ticket_draft_reply(ticket=ticket, actor=engineer_a)
    assert draft.refused and draft.sources == []
    assert "write this one yourself" in draft.body  # a note to the engineer, not a reply to send
    assert AIInteraction.objects.get().outcome == "refused"


def test_it_records_what_the_engineer_did_with_the_draft(history, site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    draft = ticket_draft_reply(ticket=ticket, actor=engineer_a)
    sent = ticket_draft_outcome(ticket=ticket, actor=engineer_a, outcome="sent", final_body=draft.body)
    edited = ticket_draft_outcome(
        ticket=ticket,
        actor=engineer_a,
        outcome="edited",
        final_body=draft.body + "\nI have also updated the driver.",
    )
    discarded = ticket_draft_outcome(ticket=ticket, actor=engineer_a, outcome="discarded")
    assert sent.data["edit_ratio"] == 1.0
    assert 0.5 < edited.data["edit_ratio"] < 1.0
    assert discarded.data["edit_ratio"] == 0.0 and discarded.data["final_body"] == ""
    assert {event.data["draft_event_id"] for event in (sent, edited, discarded)} == {draft.event_id}


def test_it_refuses_an_unknown_outcome_or_a_missing_draft(site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    with pytest.raises(TicketError):
        ticket_draft_outcome(ticket=ticket, actor=engineer_a, outcome="sent", final_body="Hi")
    with pytest.raises(TicketError):
        ticket_draft_outcome(ticket=ticket, actor=engineer_a, outcome="archived", final_body="Hi")


def test_it_drafts_only_for_engineers_covering_the_site(history, site_a, customer_a, engineer_b):
    ticket = new_ticket(site_a, customer_a)
    for outsider in (customer_a, engineer_b):
        with pytest.raises(ActionNotAllowed):
            ticket_draft_reply(ticket=ticket, actor=outsider)
    assert not AIInteraction.objects.exists()


def test_it_streams_a_gpt4o_draft_through_the_same_service(history, site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    with override_settings(**OPENAI_TEST_SETTINGS), openai_vcr.use_cassette("openai_reply_stream.yaml"):
        draft = ticket_draft_reply(ticket=ticket, actor=engineer_a)
    assert "Restart the print spooler service on your PC [1]." in draft.body
    assert "[7]" not in draft.body
    assert [source.cid for source in draft.sources] == [1, 2]
    assert AIInteraction.objects.get().provider == "openai"


def test_concurrent_sends_of_one_draft_reply_once(
    django_db_serialized_rollback, transactional_db, site_a, customer_a, engineer_a
):
    """Twenty clicks on "Send" at once: one reply, one email, one outcome; the others are told why."""
    ticket = new_ticket(site_a, customer_a)
    draft = ticket_draft_reply(ticket=ticket, actor=engineer_a)
    mail.outbox.clear()
    barrier = threading.Barrier(20)
    refusals, errors = [], []

    def send():
        try:
            barrier.wait(timeout=10)
            ticket_draft_send(ticket=Ticket.objects.get(pk=ticket.pk), actor=engineer_a, body=draft.body)
        except TicketError as refusal:
            refusals.append(str(refusal))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        for _ in range(20):
            pool.submit(send)
    assert errors == []
    assert Comment.objects.filter(ticket=ticket, is_internal=False).count() == 1
    assert len([message for message in mail.outbox if message.to == [customer_a.email]]) == 1
    assert ticket.events.filter(kind=TicketEvent.Kind.AI_DRAFT, data__stage="outcome").count() == 1
    assert refusals == ["There is no draft to send; draft a reply first."] * 19
