"""Summaries of long tickets for engineers: queued on change, stored by the worker, read by the page."""

from __future__ import annotations

from django.test import override_settings

from ai.tests.test_ai_openai import OPENAI_TEST_SETTINGS, openai_vcr
from helpdesk.models import AIInteraction
from testing.factories import new_ticket
from tickets.models import TicketSummary
from tickets.services import comment_create, ticket_assign, ticket_transition
from tickets.summaries import ticket_summarize
from tickets.tasks import ticket_summary_refresh


def _long_ticket(site, customer, engineer):
    ticket = new_ticket(
        site,
        customer,
        title="Outlook keeps asking for my password",
        description="It pops up every few minutes.",
    )
    comment_create(
        ticket=ticket,
        author=engineer,
        body="Hi Alice,\nPlease remove the Office entries from Credential Manager and restart Outlook.",
    )
    comment_create(
        ticket=ticket, author=customer, body="Thanks. I did that but it still asks every few minutes."
    )
    comment_create(
        ticket=ticket, author=engineer, body="Sign-in logs show a stale MFA registration.", is_internal=True
    )
    ticket_assign(ticket=ticket, assignee=engineer, actor=engineer)
    ticket_transition(ticket=ticket, to_state="in_progress", actor=engineer)
    return ticket


def test_every_reply_note_and_state_change_queues_a_refresh(
    site_a, customer_a, engineer_a, queued_tasks, django_capture_on_commit_callbacks
):
    ticket = new_ticket(site_a, customer_a)
    queued_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=ticket, author=engineer_a, body="Looking into it.")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, assignee=engineer_a, actor=engineer_a)  # new -> assigned
    refreshes = [args for name, args in queued_tasks() if name == "tickets.tasks.ticket_summary_refresh"]
    assert refreshes == [(ticket.pk,), (ticket.pk,)]


def test_offline_it_quotes_the_problem_the_steps_the_state_and_says_whose_move_it_is(
    site_a, customer_a, engineer_a
):
    ticket = _long_ticket(site_a, customer_a, engineer_a)

    assert ticket_summary_refresh(ticket.pk) is True
    summary = TicketSummary.objects.get(ticket=ticket)

    assert summary.extractive and summary.provider == "offline"
    assert summary.problem == "Outlook keeps asking for my password. It pops up every few minutes."
    assert summary.tried == [
        "Engineer: Please remove the Office entries from Credential Manager and restart Outlook.",
        "Customer: I did that but it still asks every few minutes.",
        "Internal note: Sign-in logs show a stale MFA registration.",
    ]
    assert summary.state.startswith("In progress since") and summary.state.endswith(
        f"by {engineer_a.display_name}."
    )
    assert summary.next_step == "Answer the customer: their last message has no reply yet."
    assert AIInteraction.objects.filter(ticket_id=ticket.pk, purpose="summary", outcome="ok").count() == 1


def test_a_short_ticket_has_none_and_a_shortened_one_loses_it(site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    comment_create(ticket=ticket, author=engineer_a, body="Looking into it now.")
    assert ticket_summarize(ticket_id=ticket.pk) is None
    assert not TicketSummary.objects.exists()

    long_ticket = _long_ticket(site_a, customer_a, engineer_a)
    ticket_summarize(ticket_id=long_ticket.pk)
    long_ticket.comments.first().delete()
    long_ticket.comments.first().delete()
    assert ticket_summarize(ticket_id=long_ticket.pk) is None
    assert not TicketSummary.objects.filter(ticket=long_ticket).exists()


def test_with_openai_it_is_one_grounded_call(site_a, customer_a, engineer_a):
    ticket = _long_ticket(site_a, customer_a, engineer_a)
    with (
        override_settings(**OPENAI_TEST_SETTINGS),
        openai_vcr.use_cassette("openai_summary_handwritten.yaml"),
    ):
        summary = ticket_summarize(ticket_id=ticket.pk)
    assert (summary.extractive, summary.provider) == (False, "openai")
    assert summary.problem == "Outlook keeps asking Alice for her password every few minutes."
    assert summary.tried[-1] == "Found a stale MFA registration in the sign-in logs"
    assert summary.next_step.startswith("Reset the MFA registration")
    call = AIInteraction.objects.get(ticket_id=ticket.pk, purpose="summary")
    assert (call.provider, call.outcome) == ("openai", "ok")


def test_when_openai_fails_the_summary_is_extractive_and_says_so(site_a, customer_a, engineer_a):
    ticket = _long_ticket(site_a, customer_a, engineer_a)
    with (
        override_settings(**OPENAI_TEST_SETTINGS),
        openai_vcr.use_cassette("openai_500.yaml", allow_playback_repeats=True),
    ):
        summary = ticket_summarize(ticket_id=ticket.pk)
    assert summary.extractive and summary.provider == "offline"


def test_the_engineer_reads_it_on_the_ticket_page_and_the_customer_never(
    login, site_a, customer_a, engineer_a, engineer_b
):
    ticket = _long_ticket(site_a, customer_a, engineer_a)
    ticket_summarize(ticket_id=ticket.pk)

    page = login(engineer_a).get(f"/tickets/{ticket.pk}/").content.decode()
    card = page.split('data-testid="ticket-summary"')[1].split("</div>\n</div>")[0]
    assert "quoted from the history, not rewritten" in card and "stale MFA registration" in card
    assert (
        'data-testid="ticket-summary"' not in login(customer_a).get(f"/tickets/{ticket.pk}/").content.decode()
    )
    assert login(engineer_b).get(f"/tickets/{ticket.pk}/").status_code == 404
