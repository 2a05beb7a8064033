"""Auto-assignment: covering, available, below capacity; expertise, then load, then least recently
assigned."""

import threading

import pytest
from django.db import connection

from helpdesk.models import User
from helpdesk.services import user_create
from tickets.errors import ActionNotAllowed
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_assign, ticket_auto_assign, ticket_transition
from tickets.tasks import ticket_auto_assign_task


@pytest.fixture
def engineer(site_a):
    def _engineer(username, *, expertise=(), capacity=8, is_available=True, sites=None):
        return user_create(
            username=username,
            password=None,
            role=User.Role.ENGINEER,
            covered_sites=sites if sites is not None else [site_a],
            expertise=expertise,
            capacity=capacity,
            is_available=is_available,
            first_name=username.title(),
        )

    return _engineer


def _assigned_event(ticket):
    return ticket.events.get(kind=TicketEvent.Kind.ASSIGNED)


def test_it_prefers_expertise_and_records_the_reason(make_ticket, engineer, printers, site_a):
    engineer("generalist")
    specialist = engineer("specialist", expertise=["printers"])
    make_ticket("in_progress", assignee=specialist)
    ticket = make_ticket(category=printers)
    assigned = ticket_auto_assign(ticket=ticket)
    assert (assigned.assignee, assigned.state, assigned.needs_assignment) == (specialist, "assigned", False)
    event = _assigned_event(assigned)
    assert event.message == f"covers {site_a.name}; expertise: printers; load 1/8"
    assert event.data == {"assignee_id": specialist.pk, "previous_assignee_id": None, "auto": True}
    assert event.by_assistant is True


def test_it_prefers_the_lower_load_among_equals(make_ticket, engineer):
    busy = engineer("busy")
    idle = engineer("idle")
    make_ticket("in_progress", assignee=busy)
    make_ticket("resolved", assignee=idle)  # resolved tickets are no load
    assigned = ticket_auto_assign(ticket=make_ticket())
    assert assigned.assignee == idle
    assert "no expertise match; load 0/8" in _assigned_event(assigned).message


def test_it_breaks_ties_by_least_recently_assigned_then_by_id(make_ticket, engineer):
    first = engineer("first")
    second = engineer("second")
    one = ticket_auto_assign(ticket=make_ticket())
    assert one.assignee == first  # nobody assigned yet: lowest id
    ticket_assign(ticket=one, assignee=first, actor=first)
    ticket_transition(ticket=one, to_state="cancelled", actor=first)
    two = ticket_auto_assign(ticket=make_ticket())
    assert two.assignee == second  # equal load 0: second was never assigned
    ticket_transition(ticket=two, to_state="cancelled", actor=second)
    three = ticket_auto_assign(ticket=make_ticket())
    assert three.assignee == first  # first was assigned longer ago than second


def test_it_skips_full_and_unavailable_engineers(make_ticket, engineer, printers):
    full = engineer("full", expertise=["printers"], capacity=1)
    engineer("away", expertise=["printers"], is_available=False)
    fallback = engineer("fallback")
    make_ticket("assigned", assignee=full)
    assigned = ticket_auto_assign(ticket=make_ticket(category=printers))
    assert assigned.assignee == fallback


def test_it_ignores_engineers_of_other_sites(make_ticket, engineer, site_b):
    engineer("elsewhere", sites=[site_b])
    ticket = ticket_auto_assign(ticket=make_ticket())
    assert ticket.assignee is None
    assert ticket.needs_assignment is True
    failed = ticket.events.get(kind=TicketEvent.Kind.ASSIGNMENT_FAILED)
    assert "No available engineer" in failed.message
    assert ticket.state == "new"


def test_it_leaves_assigned_and_closed_tickets_alone(make_ticket, engineer):
    owner = engineer("owner")
    engineer("other")
    assigned = make_ticket("assigned", assignee=owner)
    closed = make_ticket("closed")
    assert ticket_auto_assign(ticket=assigned).assignee == owner
    assert ticket_auto_assign(ticket=closed).assignee is None
    assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.ASSIGNED).exists()


def test_the_task_is_idempotent(make_ticket, engineer):
    only = engineer("only")
    ticket = make_ticket()
    assert ticket_auto_assign_task(ticket.pk) == only.pk
    assert ticket_auto_assign_task(ticket.pk) == only.pk
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).count() == 1
    assert ticket_auto_assign_task(987654) is None


def test_it_lets_engineers_reassign_by_hand_within_the_site(make_ticket, engineer_a, engineer, engineer_b):
    colleague = engineer("colleague")
    ticket = make_ticket("in_progress", assignee=engineer_a)
    moved = ticket_assign(ticket=ticket, assignee=colleague, actor=engineer_a)
    assert (moved.assignee, moved.state) == (colleague, "in_progress")
    event = _assigned_event(moved)
    assert (event.old_value, event.new_value, event.actor) == ("Erin Engel", "Colleague", engineer_a)
    with pytest.raises(ActionNotAllowed, match="does not cover"):
        ticket_assign(ticket=moved, assignee=engineer_b, actor=engineer_a)
    with pytest.raises(ActionNotAllowed):
        ticket_assign(ticket=moved, assignee=engineer_b, actor=engineer_b)


def test_it_refuses_assignment_by_customers(make_ticket, customer_a, engineer_a):
    with pytest.raises(ActionNotAllowed):
        ticket_assign(ticket=make_ticket(), assignee=engineer_a, actor=customer_a)
    with pytest.raises(ActionNotAllowed):
        ticket_auto_assign(ticket=make_ticket(), actor=customer_a)


def test_concurrent_auto_assignments_never_exceed_capacity(
    django_db_serialized_rollback, transactional_db, make_ticket, engineer
):
    """Two workers assign two tickets at once while the only engineer has one free slot left."""
    engineer("solo", capacity=2)
    solo = User.objects.get(username="solo")
    make_ticket("in_progress", assignee=solo)
    tickets = [make_ticket(title=f"Concurrent {n}") for n in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def work(ticket):
        try:
            barrier.wait(timeout=10)
            ticket_auto_assign(ticket=Ticket.objects.get(pk=ticket.pk))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(ticket,)) for ticket in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assigned = Ticket.objects.filter(pk__in=[t.pk for t in tickets], assignee=solo).count()
    flagged = Ticket.objects.filter(pk__in=[t.pk for t in tickets], needs_assignment=True).count()
    assert (assigned, flagged) == (1, 1)
