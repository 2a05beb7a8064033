"""Every move of the state machine: the legal ones with their audit event, the illegal ones refused,
and for each move exactly the roles the product's rules name.

The expected answers are this file's own: MOVES below is written from the product's rules (issue #3's
lifecycle and the comments in tickets/lifecycle.py), never read from tickets.lifecycle.TRANSITIONS, so a
wrong entry in that table (a customer allowed to resolve, the assistant allowed to close) fails here.

The rules, in words:
- The work is staff's: only an engineer covering the site or an admin starts it, puts it on hold for the
  customer, or resolves it (with a note). A customer never resolves a ticket, their own included.
- The assistant acting on its own only triages and assigns; it never starts, resolves, closes, reopens or
  cancels anything.
- The requester may answer while we wait (back in progress), confirm a resolved ticket (close), reopen a
  resolved or recently closed one, and cancel their own open ticket. Another customer of the same site
  and an engineer of another site may do nothing.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tickets.errors import ActionNotAllowed, InvalidTransition
from tickets.lifecycle import transitions_allowed
from tickets.models import TicketEvent, TicketState
from tickets.services import ticket_transition

REQUESTER, ENGINEER, ADMIN, ASSISTANT = "requester", "engineer", "admin", "assistant"
STAFF = frozenset({ENGINEER, ADMIN})
OPEN = ["new", "triaged", "assigned", "in_progress", "waiting_on_customer"]

# (from, to) -> (the transition's name, who may make it). Written out by hand from the rules above.
MOVES: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    ("new", "triaged"): ("triage", STAFF | {ASSISTANT}),
    ("new", "assigned"): ("assign", STAFF | {ASSISTANT}),
    ("triaged", "assigned"): ("assign", STAFF | {ASSISTANT}),
    ("assigned", "in_progress"): ("start", STAFF),
    ("in_progress", "waiting_on_customer"): ("wait", STAFF),
    ("waiting_on_customer", "in_progress"): ("resume", STAFF | {REQUESTER}),
    ("assigned", "resolved"): ("resolve", STAFF),
    ("in_progress", "resolved"): ("resolve", STAFF),
    ("waiting_on_customer", "resolved"): ("resolve", STAFF),
    ("resolved", "closed"): ("close", STAFF | {REQUESTER}),
    ("resolved", "in_progress"): ("reopen", STAFF | {REQUESTER}),
    ("closed", "in_progress"): ("reopen", STAFF | {REQUESTER}),
    **{(state, "cancelled"): ("cancel", STAFF | {REQUESTER}) for state in OPEN},
}
ALL_STATES = [state.value for state in TicketState]
ILLEGAL = [(a, b) for a in ALL_STATES for b in ALL_STATES if (a, b) not in MOVES]


def test_the_spec_names_every_state():
    assert {state for move in MOVES for state in move} == set(ALL_STATES)


def _transition_events(ticket):
    return ticket.events.filter(kind=TicketEvent.Kind.TRANSITION)


@pytest.mark.parametrize(("source", "target"), sorted(MOVES))
def test_it_makes_every_legal_move_and_records_it(make_ticket, engineer_a, admin_user, source, target):
    ticket = make_ticket(source, assignee=engineer_a)
    moved = ticket_transition(ticket=ticket, to_state=target, actor=admin_user, note="Replaced the roller")
    moved.refresh_from_db()
    assert moved.state == target
    event = _transition_events(moved).get()
    assert (event.old_value, event.new_value, event.actor) == (source, target, admin_user)
    assert event.data["transition"] == MOVES[(source, target)][0]
    assert event.site_id == ticket.site_id


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_it_refuses_every_illegal_move_without_a_trace(make_ticket, engineer_a, admin_user, source, target):
    ticket = make_ticket(source, assignee=engineer_a)
    with pytest.raises(InvalidTransition):
        ticket_transition(ticket=ticket, to_state=target, actor=admin_user, note="note")
    ticket.refresh_from_db()
    assert ticket.state == source
    assert not _transition_events(ticket).exists()


# Who tries each move, and the role each holds on the ticket (the colleague and the engineer of another
# site hold none).
ACTOR_ROLE = {
    "requester": REQUESTER,
    "colleague": None,
    "engineer": ENGINEER,
    "outside_engineer": None,
    "admin": ADMIN,
    "assistant": ASSISTANT,
}


@pytest.mark.parametrize(("source", "target"), sorted(MOVES))
@pytest.mark.parametrize("who", ACTOR_ROLE)
def test_it_lets_only_the_roles_the_rules_name(
    make_ticket, customer_a, colleague_a, engineer_a, engineer_b, admin_user, source, target, who
):
    ticket = make_ticket(source, assignee=engineer_a)
    actor = {
        "requester": customer_a,
        "colleague": colleague_a,
        "engineer": engineer_a,
        "outside_engineer": engineer_b,
        "admin": admin_user,
        "assistant": None,
    }[who]
    call = {"ticket": ticket, "to_state": target, "actor": actor, "note": "Fixed"}
    if who == "assistant":
        call["by_assistant"] = True
    if ACTOR_ROLE[who] in MOVES[(source, target)][1]:
        ticket_transition(**call)
        ticket.refresh_from_db()
        assert ticket.state == target
        assert _transition_events(ticket).get().by_assistant == (who == "assistant")
    else:
        with pytest.raises(ActionNotAllowed):
            ticket_transition(**call)
        ticket.refresh_from_db()
        assert ticket.state == source
        assert not _transition_events(ticket).exists()


def test_it_requires_a_resolution_note_to_resolve(make_ticket, engineer_a):
    ticket = make_ticket("in_progress", assignee=engineer_a)
    with pytest.raises(InvalidTransition, match="resolution note"):
        ticket_transition(ticket=ticket, to_state="resolved", actor=engineer_a, note="   ")
    resolved = ticket_transition(
        ticket=ticket, to_state="resolved", actor=engineer_a, note="Reseated the cable"
    )
    assert (resolved.resolution, resolved.resolved_at is not None) == ("Reseated the cable", True)


def test_it_refuses_marking_assigned_without_an_assignee(make_ticket, admin_user):
    ticket = make_ticket("triaged")
    with pytest.raises(InvalidTransition, match="Assign an engineer"):
        ticket_transition(ticket=ticket, to_state="assigned", actor=admin_user)


def test_it_reopens_a_closed_ticket_only_within_the_window(make_ticket, customer_a, engineer_a, settings):
    settings.TICKET_REOPEN_WINDOW_DAYS = 7
    recent = make_ticket("closed", assignee=engineer_a, closed_at=timezone.now() - timedelta(days=6))
    old = make_ticket("closed", assignee=engineer_a, closed_at=timezone.now() - timedelta(days=8))
    reopened = ticket_transition(ticket=recent, to_state="in_progress", actor=customer_a)
    assert (reopened.state, reopened.closed_at, reopened.resolved_at) == ("in_progress", None, None)
    with pytest.raises(InvalidTransition, match="more than 7 days"):
        ticket_transition(ticket=old, to_state="in_progress", actor=customer_a)
    assert "reopen" not in [t.name for t in transitions_allowed(old, customer_a)]


def test_it_flags_a_reopened_ticket_without_engineer_for_assignment(make_ticket, customer_a):
    ticket = make_ticket("resolved")
    reopened = ticket_transition(ticket=ticket, to_state="in_progress", actor=customer_a)
    assert reopened.needs_assignment is True


def test_it_offers_each_user_only_the_buttons_they_may_press(make_ticket, customer_a, engineer_a, engineer_b):
    ticket = make_ticket("in_progress", assignee=engineer_a)
    assert [t.name for t in transitions_allowed(ticket, customer_a)] == ["cancel"]
    assert [t.name for t in transitions_allowed(ticket, engineer_a)] == ["wait", "resolve", "cancel"]
    assert transitions_allowed(ticket, engineer_b) == []


def test_it_keeps_events_append_only(make_ticket):
    event = make_ticket().events.get()
    event.message = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=st.lists(st.sampled_from(ALL_STATES), min_size=1, max_size=12))
def test_any_sequence_of_moves_keeps_state_and_audit_trail_in_step(
    make_ticket, engineer_a, admin_user, moves
):
    ticket = make_ticket("new", assignee=engineer_a)
    expected_state, expected_events = "new", 0
    for target in moves:
        try:
            ticket_transition(ticket=ticket, to_state=target, actor=admin_user, note="Done")
        except InvalidTransition:
            assert (expected_state, target) not in MOVES
        else:
            assert (expected_state, target) in MOVES
            expected_state, expected_events = target, expected_events + 1
        ticket.refresh_from_db()
        assert ticket.state == expected_state
        assert _transition_events(ticket).count() == expected_events
        assert list(_transition_events(ticket).values_list("new_value", flat=True))[-1:] == (
            [expected_state] if expected_events else []
        )
