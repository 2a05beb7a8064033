"""AI triage of new tickets: grounded in the site's resolved cases, audited, idempotent, outage-proof."""

from __future__ import annotations

from django.test import override_settings

from ai.openai_provider import OpenAIProvider
from ai.providers import GuardedProvider
from ai.tests.test_ai_openai import OPENAI_TEST_SETTINGS, openai_vcr
from helpdesk.models import AIInteraction
from testing.factories import category, new_ticket
from tickets.models import TicketEvent, TicketState
from tickets.services import ticket_create, ticket_update
from tickets.tasks import ticket_triage
from tickets.triage import triage_ticket


def test_it_triages_a_ticket_like_past_ones_and_assigns_it(history, site_a, customer_a, engineer_a):
    ticket = triage_ticket(ticket_id=new_ticket(site_a, customer_a).pk)
    ticket.refresh_from_db()
    assert ticket.category.slug == "printers" and ticket.priority == "high"
    assert ticket.state == TicketState.ASSIGNED and ticket.assignee == engineer_a
    assert ticket.triage_confidence > 0.5 and not ticket.needs_human_triage
    event = ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    assert event.by_assistant and event.actor is None
    assert event.data["category"] == "printers" and event.data["confidence"] == ticket.triage_confidence
    resolved_printers = site_a.tickets.filter(category__slug="printers", state=TicketState.RESOLVED)
    printer_keys = {f"ticket:{t.pk}" for t in resolved_printers}
    assert event.data["sources"] and set(event.data["sources"]) <= printer_keys
    assert ticket.events.filter(
        kind=TicketEvent.Kind.FIELD_CHANGED, by_assistant=True, field="category"
    ).exists()
    log = AIInteraction.objects.get()
    assert (log.purpose, log.provider, log.outcome, log.ticket_id) == ("triage", "offline", "ok", ticket.pk)


def test_it_runs_from_the_queued_task(history, site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    ticket_triage(ticket.pk)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ASSIGNED and ticket.category.slug == "printers"


def test_it_leaves_an_unfamiliar_ticket_new_for_a_human(history, site_a, customer_a):
    ticket = new_ticket(
        site_a, customer_a, title="Canteen menu", description="Is there soup today for lunch?"
    )
    triage_ticket(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.NEW and ticket.needs_human_triage
    assert ticket.category is None and ticket.assignee is None
    event = ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    assert event.data["needs_human"] and event.data["category"] is None


def test_it_does_nothing_the_second_time(history, site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    triage_ticket(ticket_id=ticket.pk)
    events = ticket.events.count()
    triage_ticket(ticket_id=ticket.pk)
    assert ticket.events.count() == events
    assert AIInteraction.objects.count() == 1


def test_it_keeps_the_ticket_for_a_human_when_every_provider_fails(
    history, site_a, customer_a, django_capture_on_commit_callbacks
):
    both_down = GuardedProvider(
        primary=OpenAIProvider(sleep=lambda _delay: None), fallback=OpenAIProvider(sleep=lambda _delay: None)
    )
    with override_settings(**OPENAI_TEST_SETTINGS):
        with django_capture_on_commit_callbacks(execute=True):
            ticket = new_ticket(site_a, customer_a)
        with openai_vcr.use_cassette("openai_500.yaml", allow_playback_repeats=True):
            triage_ticket(ticket_id=ticket.pk, provider=both_down)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.NEW and ticket.needs_human_triage
    event = ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    assert event.data == {"needs_human": True, "unavailable": True}
    errors = AIInteraction.objects.filter(ticket_id=ticket.pk, outcome="error")
    assert errors.count() == 2 and all("HTTP 500" in error.error for error in errors)


def test_it_triages_with_openai_when_configured(history, site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    with override_settings(**OPENAI_TEST_SETTINGS), openai_vcr.use_cassette("openai_triage_structured.yaml"):
        triage_ticket(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    event = ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    # The model suggested "printer" and "toner"; the site has only ever tagged with "printer".
    assert event.data["provider"] == "openai" and event.data["tags"] == ["printer"]
    assert ticket.category.slug == "printers" and ticket.state == TicketState.ASSIGNED
    assert ticket.tags == ["printer"]


def test_its_tags_are_the_sites_own_never_words_of_the_ticket(history, site_a, customer_a, engineer_a):
    ticket = new_ticket(
        site_a,
        customer_a,
        title="Asking about the printer queue",
        description="Jobs stuck in the queue, asking why.",
    )
    triage_ticket(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    event = ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    assert ticket.category.slug == "printers"
    assert event.data["tags"] == ["printer"] and ticket.tags == ["printer"]


def test_it_records_an_engineers_change_of_category_as_a_correction(history, site_a, customer_a, engineer_a):
    ticket = triage_ticket(ticket_id=new_ticket(site_a, customer_a).pk)
    ticket_update(ticket=ticket, actor=engineer_a, category=category("network"))
    correction = ticket.events.get(kind=TicketEvent.Kind.AI_CORRECTION)
    assert (correction.old_value, correction.new_value, correction.actor) == (
        "printers",
        "network",
        engineer_a,
    )


IMPACT = "Nothing prints, jobs stuck in queue. Everyone on the floor is waiting for their printouts."
NETWORK = "No internet on the second floor", "Wi-Fi connected but no internet."


def test_it_raises_the_priority_on_impact_cues_with_the_reason(history, site_a, customer_a, engineer_a):
    title, description = NETWORK
    description += " The whole office is offline."
    ticket = new_ticket(site_a, customer_a, title=title, description=description)

    triage_ticket(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    event = ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    quote = "The whole office is offline"
    reason = f"Priority raised to high: the customer wrote '{quote}'"
    assert event.data["impact"] == {"priority": "high", "from": "normal", "quote": quote, "reason": reason}
    assert event.data["priority"] == "high" and event.message.endswith(reason)


def test_it_does_not_raise_without_a_cue(history, site_a, customer_a):
    title, description = NETWORK
    ticket = new_ticket(site_a, customer_a, title=title, description=description)

    triage_ticket(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.priority == "normal"
    assert "impact" not in ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE).data


def test_it_never_overrides_a_priority_a_person_chose(history, site_a, customer_a, engineer_a):
    chosen = ticket_create(
        site=site_a, requester=customer_a, title="Printer queue stuck", description=IMPACT, priority="low"
    )
    edited = new_ticket(site_a, customer_a, description=IMPACT)
    ticket_update(ticket=edited, actor=engineer_a, priority="low")

    for ticket in (chosen, edited):
        triage_ticket(ticket_id=ticket.pk)
        ticket.refresh_from_db()
        assert ticket.priority == "low"
        assert ticket.category.slug == "printers"
        assert "impact" not in ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE).data


def test_it_raises_the_priority_on_impact_even_when_the_ai_is_down(
    history, site_a, customer_a, django_capture_on_commit_callbacks
):
    both_down = GuardedProvider(
        primary=OpenAIProvider(sleep=lambda _delay: None), fallback=OpenAIProvider(sleep=lambda _delay: None)
    )
    with override_settings(**OPENAI_TEST_SETTINGS):
        ticket = new_ticket(site_a, customer_a, description="Nobody can print since this morning.")
        with openai_vcr.use_cassette("openai_500.yaml", allow_playback_repeats=True):
            triage_ticket(ticket_id=ticket.pk, provider=both_down)
    ticket.refresh_from_db()
    assert ticket.needs_human_triage and ticket.priority == "high"
    event = ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    assert event.data["impact"]["reason"] == (
        "Priority raised to high: the customer wrote 'Nobody can print since this morning'"
    )
