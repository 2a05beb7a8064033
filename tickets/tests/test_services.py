"""Creation (SLA, triage queued, broker failure), edits with their audit trail and AI corrections, CSAT."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tickets.errors import ActionNotAllowed, ReviewNotAllowed, TicketError
from tickets.models import Category, Review, SLATarget, TicketEvent
from tickets.selectors import BUILTIN_SLA_MINUTES, ticket_list
from tickets.services import review_create, ticket_create, ticket_transition, ticket_update


def _create(site, requester, **kwargs):
    return ticket_create(
        site=site, requester=requester, title="VPN drops", description="Every hour.", **kwargs
    )


def test_it_creates_a_new_ticket_with_an_event_and_queues_triage_after_commit(
    site_a, customer_a, django_capture_on_commit_callbacks, queued_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _create(site_a, customer_a)
        assert queued_tasks() == []
    assert (ticket.state, ticket.source, ticket.priority) == ("new", "portal", "normal")
    event = ticket.events.get()
    assert (event.kind, event.actor, event.site_id) == ("created", customer_a, site_a.pk)
    assert queued_tasks() == [("tickets.tasks.ticket_triage", (ticket.pk,))]


def test_it_keeps_the_ticket_and_flags_it_when_the_broker_fails(
    site_a, customer_a, django_capture_on_commit_callbacks, monkeypatch
):
    def broken_broker(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("helpdesk.jobs.async_task", broken_broker)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _create(site_a, customer_a)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.needs_human_triage) == ("new", True)


def test_it_refuses_a_customer_opening_a_ticket_for_another_site(site_b, customer_a):
    with pytest.raises(ActionNotAllowed):
        _create(site_b, customer_a)


def test_it_refuses_an_empty_ticket(site_a, customer_a):
    with pytest.raises(TicketError):
        ticket_create(site=site_a, requester=customer_a, title="  ", description="x")


@pytest.mark.parametrize("priority", list(BUILTIN_SLA_MINUTES))
def test_it_computes_sla_due_times_from_built_in_defaults(site_a, customer_a, priority):
    ticket = _create(site_a, customer_a, priority=priority)
    first, resolution = BUILTIN_SLA_MINUTES[priority]
    assert ticket.first_response_due_at - ticket.created_at == timedelta(minutes=first)
    assert ticket.resolution_due_at - ticket.created_at == timedelta(minutes=resolution)


def test_it_prefers_a_site_override_to_the_default_target(site_a, site_b, customer_a, customer_b):
    SLATarget.objects.create(priority="high", first_response_minutes=90, resolution_minutes=600)
    SLATarget.objects.create(site=site_a, priority="high", first_response_minutes=15, resolution_minutes=120)
    overridden = _create(site_a, customer_a, priority="high")
    default = _create(site_b, customer_b, priority="high")
    assert overridden.first_response_due_at - overridden.created_at == timedelta(minutes=15)
    assert overridden.resolution_due_at - overridden.created_at == timedelta(minutes=120)
    assert default.first_response_due_at - default.created_at == timedelta(minutes=90)
    assert default.resolution_due_at - default.created_at == timedelta(minutes=600)


def test_it_records_every_field_change_old_to_new_and_moves_sla_with_priority(
    make_ticket, engineer_a, printers
):
    ticket = make_ticket()
    updated = ticket_update(
        ticket=ticket, actor=engineer_a, category=printers, priority="urgent", tags=["Floor2", "jam"]
    )
    changes = {
        e.field: (e.old_value, e.new_value)
        for e in updated.events.filter(kind=TicketEvent.Kind.FIELD_CHANGED)
    }
    assert changes == {
        "category": ("", "printers"),
        "priority": ("normal", "urgent"),
        "tags": ("", "floor2, jam"),
    }
    assert updated.resolution_due_at - updated.created_at == timedelta(
        minutes=BUILTIN_SLA_MINUTES["urgent"][1]
    )
    again = ticket_update(ticket=updated, actor=engineer_a, priority="urgent")
    assert again.events.filter(kind=TicketEvent.Kind.FIELD_CHANGED).count() == 3


def test_it_records_a_human_correction_of_the_ai_category(make_ticket, engineer_a, printers):
    ticket = make_ticket()
    ticket_update(ticket=ticket, actor=None, by_assistant=True, category=printers)
    network = Category.objects.get_or_create(slug="network", defaults={"name": "Network"})[0]
    ticket_update(ticket=ticket, actor=engineer_a, category=network)
    correction = ticket.events.get(kind=TicketEvent.Kind.AI_CORRECTION)
    assert (correction.field, correction.old_value, correction.new_value) == (
        "category",
        "printers",
        "network",
    )
    assert correction.data == {"ai_value": "printers", "human_value": "network"}
    assert correction.actor == engineer_a


def test_it_reads_the_ai_value_from_an_ai_triage_event(make_ticket, engineer_a, printers):
    ticket = make_ticket()
    TicketEvent.objects.create(
        ticket=ticket, site=ticket.site, kind="ai_triage", by_assistant=True, data={"category": "network"}
    )
    ticket_update(ticket=ticket, actor=engineer_a, category=printers)
    correction = ticket.events.get(kind=TicketEvent.Kind.AI_CORRECTION)
    assert (correction.old_value, correction.new_value) == ("network", "printers")


def test_it_does_not_call_agreeing_with_the_ai_a_correction(make_ticket, engineer_a, printers):
    ticket = make_ticket()
    ticket_update(ticket=ticket, actor=None, by_assistant=True, priority="high")
    ticket_update(ticket=ticket, actor=engineer_a, category=printers)
    assert not ticket.events.filter(kind=TicketEvent.Kind.AI_CORRECTION).exists()


def test_it_refuses_edits_by_customers_and_outside_engineers(make_ticket, customer_a, engineer_b):
    ticket = make_ticket()
    for actor in (customer_a, engineer_b):
        with pytest.raises(ActionNotAllowed):
            ticket_update(ticket=ticket, actor=actor, title="Mine now")


def test_it_queues_reindexing_when_resolved_reopened_or_edited_while_resolved(
    make_ticket, engineer_a, django_capture_on_commit_callbacks, queued_tasks
):
    ticket = make_ticket("in_progress", assignee=engineer_a)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_transition(ticket=ticket, to_state="resolved", actor=engineer_a, note="Rebooted the router")
        ticket_update(ticket=ticket, actor=engineer_a, title="VPN drops hourly")
        ticket_transition(ticket=ticket, to_state="in_progress", actor=engineer_a)
    index_jobs = [args for func, args in queued_tasks() if func == "knowledge.tasks.index_ticket"]
    assert index_jobs == [(ticket.pk,)] * 3


def test_it_takes_one_csat_rating_from_the_requester_after_resolution(
    make_ticket, customer_a, colleague_a, engineer_a
):
    open_ticket = make_ticket("in_progress", assignee=engineer_a)
    with pytest.raises(ReviewNotAllowed, match="once it is resolved"):
        review_create(ticket=open_ticket, author=customer_a, rating=5)
    ticket = make_ticket("resolved", assignee=engineer_a)
    with pytest.raises(ReviewNotAllowed, match="Only the person"):
        review_create(ticket=ticket, author=colleague_a, rating=5)
    with pytest.raises(ReviewNotAllowed, match="1 to 5"):
        review_create(ticket=ticket, author=customer_a, rating=6)
    review = review_create(ticket=ticket, author=customer_a, rating=4, comment="Quick fix")
    assert (review.engineer, review.site_id, review.rating) == (engineer_a, ticket.site_id, 4)
    assert ticket.events.filter(kind=TicketEvent.Kind.CSAT, new_value="4").exists()
    with pytest.raises(ReviewNotAllowed, match="already"):
        review_create(ticket=ticket, author=customer_a, rating=1)
    assert Review.objects.count() == 1


def test_waiting_on_the_customer_stops_the_resolution_clock(make_ticket, customer_a, engineer_a):
    past_due = timezone.now() - timedelta(minutes=5)
    ticket = make_ticket("in_progress", assignee=engineer_a, resolution_due_at=past_due)
    assert ticket_list(user=engineer_a, overdue=True).count() == 1
    ticket_transition(ticket=ticket, to_state="waiting_on_customer", actor=engineer_a)
    assert ticket_list(user=engineer_a, overdue=True).count() == 0
    waiting_since = ticket.events.get(new_value="waiting_on_customer").created_at
    TicketEvent.objects.filter(new_value="waiting_on_customer").update(
        created_at=waiting_since - timedelta(hours=2)
    )
    resumed = ticket_transition(ticket=ticket, to_state="in_progress", actor=customer_a)
    assert resumed.resolution_due_at - past_due >= timedelta(hours=2)
    assert ticket_list(user=engineer_a, overdue=True).count() == 0
