"""The ticket state machine: one table of transitions, each saying from where, to where and who may.

Services consult it before every state change and the pages use it to show only the buttons the user
may press, so the rules live here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from helpdesk.tenancy import covers_site
from tickets.errors import ActionNotAllowed, InvalidTransition
from tickets.models import OPEN_STATES, Ticket, TicketState


class Role(StrEnum):
    REQUESTER = "requester"  # the user who opened the ticket
    ENGINEER = "engineer"  # an engineer covering the ticket's site
    ADMIN = "admin"
    ASSISTANT = "assistant"  # the AI layer acting on its own


STAFF_ROLES = frozenset({Role.ENGINEER, Role.ADMIN})


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[Role]
    needs_note: bool = False
    button: str = "outline-secondary"


def _t(name, label, sources, target, roles, **options) -> Transition:
    return Transition(name, label, frozenset(sources), target, frozenset(roles), **options)


S = TicketState
R = Role
TRANSITIONS: tuple[Transition, ...] = (
    _t("triage", "Mark triaged", [S.NEW], S.TRIAGED, [R.ENGINEER, R.ADMIN, R.ASSISTANT]),
    # Needs an assignee: ticket_assign sets one and makes this move in the same step.
    _t("assign", "Mark assigned", [S.NEW, S.TRIAGED], S.ASSIGNED, [R.ENGINEER, R.ADMIN, R.ASSISTANT]),
    _t("start", "Start work", [S.ASSIGNED], S.IN_PROGRESS, [R.ENGINEER, R.ADMIN], button="primary"),
    _t("wait", "Wait on customer", [S.IN_PROGRESS], S.WAITING_ON_CUSTOMER, [R.ENGINEER, R.ADMIN]),
    # A requester's public reply while we wait makes this move on its own.
    _t(
        "resume",
        "Back in progress",
        [S.WAITING_ON_CUSTOMER],
        S.IN_PROGRESS,
        [R.REQUESTER, R.ENGINEER, R.ADMIN],
    ),
    _t(
        "resolve",
        "Resolve",
        [S.ASSIGNED, S.IN_PROGRESS, S.WAITING_ON_CUSTOMER],
        S.RESOLVED,
        [R.ENGINEER, R.ADMIN],
        needs_note=True,
        button="success",
    ),
    _t("close", "Close", [S.RESOLVED], S.CLOSED, [R.REQUESTER, R.ENGINEER, R.ADMIN]),
    # From closed only within TICKET_REOPEN_WINDOW_DAYS of closing.
    _t("reopen", "Reopen", [S.RESOLVED, S.CLOSED], S.IN_PROGRESS, [R.REQUESTER, R.ENGINEER, R.ADMIN]),
    _t(
        "cancel",
        "Cancel ticket",
        OPEN_STATES,
        S.CANCELLED,
        [R.REQUESTER, R.ENGINEER, R.ADMIN],
        button="outline-danger",
    ),
)
_BY_MOVE = {(source, t.target): t for t in TRANSITIONS for source in t.sources}


def reopen_window() -> timedelta:
    return timedelta(days=settings.TICKET_REOPEN_WINDOW_DAYS)


def actor_roles(ticket: Ticket, actor, *, by_assistant: bool = False) -> frozenset[Role]:
    """The roles an actor holds on this ticket; an engineer counts only on the sites they cover."""
    roles = {Role.ASSISTANT} if by_assistant else set()
    if actor is not None and actor.is_authenticated and actor.is_active:
        if actor.is_helpdesk_admin:
            roles.add(Role.ADMIN)
        if covers_site(actor, ticket.site_id):
            roles.add(Role.ENGINEER)
        if actor.pk == ticket.requester_id:
            roles.add(Role.REQUESTER)
    return frozenset(roles)


def _window_open(ticket: Ticket, now=None) -> bool:
    closed_at = ticket.closed_at or ticket.updated_at
    return (now or timezone.now()) - closed_at <= reopen_window()


def transition_check(ticket: Ticket, to_state: str, roles: frozenset[Role]) -> Transition:
    """The transition for this move, or a domain error saying why it is refused."""
    transition = _BY_MOVE.get((ticket.state, to_state))
    if transition is None:
        raise InvalidTransition(
            f"A ticket cannot go from {TicketState(ticket.state).label} to {TicketState(to_state).label}."
        )
    if not roles & transition.roles:
        raise ActionNotAllowed(f"You may not {transition.label.lower()} this ticket.")
    if transition.name == "reopen" and ticket.state == TicketState.CLOSED and not _window_open(ticket):
        days = reopen_window().days
        raise InvalidTransition(
            f"This ticket was closed more than {days} days ago; open a new ticket instead."
        )
    if to_state == TicketState.ASSIGNED and ticket.assignee_id is None:
        raise InvalidTransition("Assign an engineer before marking the ticket assigned.")
    return transition


def transitions_allowed(ticket: Ticket, actor) -> list[Transition]:
    """The moves this user may make now, for the page's buttons."""
    roles = actor_roles(ticket, actor)
    allowed = []
    for transition in TRANSITIONS:
        if ticket.state not in transition.sources or not roles & transition.roles:
            continue
        if transition.name == "reopen" and ticket.state == TicketState.CLOSED and not _window_open(ticket):
            continue
        if transition.name == "assign":
            continue  # made through the assign form, which picks the engineer
        allowed.append(transition)
    return allowed
