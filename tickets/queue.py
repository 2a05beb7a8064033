"""The engineer's queue at scale: full-text search, the sorts, keyset pages, saved views, bulk actions.

Search and sort narrow a queryset that already went through `selectors.tickets_visible_to`, so the site
scope (and a customer's "only my own tickets") is part of the same SQL as the search. Pages are keyset
pages (`WHERE (key, id) < (last key, last id)`): page 400 costs what page 1 costs, and a ticket created
while an engineer pages does not shift the rest by one. A bulk action is the single action run once per
ticket through tickets.services, so its permission checks and audit events are the single action's.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import IntegrityError, transaction
from django.db.models import Case, DateTimeField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from helpdesk.models import User
from helpdesk.tenancy import visible_sites
from tickets import services
from tickets.errors import TicketError
from tickets.merging import ticket_merge
from tickets.models import OPEN_STATES, Category, Comment, Priority, SavedView, Ticket
from tickets.selectors import tickets_visible_to

SEARCH_CONFIG = "english"  # the GIN indexes on tickets and comments are built with this configuration
SEARCH_MAX_LENGTH = 200
BULK_MAX_TICKETS = 100
TICKET_NUMBER = re.compile(r"^#?(\d{1,12})$")
# Tickets without an SLA due time sort after every real one under "due".
NEVER_DUE = datetime(9999, 1, 1, tzinfo=UTC)


class QueueQueryError(ValueError):
    """A sort or a page cursor the queue does not know; `str(error)` is safe to show to the user."""


@dataclass(frozen=True)
class Sort:
    label: str
    key: str  # a column, or an annotation that `ticket_sorted` adds
    descending: bool


SORTS = {
    "created": Sort("Newest first", "created_at", descending=True),
    "updated": Sort("Recently updated", "updated_at", descending=True),
    "priority": Sort("Most urgent first", "priority_rank", descending=False),
    "due": Sort("SLA due soonest", "due_key", descending=False),
}
DEFAULT_SORT = "created"
SORT_NAMES = tuple(SORTS)

PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


def ticket_search(tickets: QuerySet[Ticket], *, user: User, q: str) -> QuerySet[Ticket]:
    """Tickets whose title, description or a comment the user may read matches `q` (web-search syntax:
    words, "a phrase", -not, or); "#42" or "42" also finds ticket 42. Customers' searches never look
    into internal notes, so a note's words cannot reveal which ticket it is on."""
    q = q.strip()[:SEARCH_MAX_LENGTH]
    if not q:
        return tickets
    query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
    # Each id list is read through its GIN index; they only narrow `tickets`, which carries the scope.
    text_hits = (
        Ticket.objects.annotate(search=SearchVector("title", "description", config=SEARCH_CONFIG))
        .filter(search=query)
        .values("pk")
    )
    comments = Comment.objects.all()
    if not user.is_staff_member:
        comments = comments.filter(is_internal=False)
    comment_hits = (
        comments.annotate(search=SearchVector("body", config=SEARCH_CONFIG))
        .filter(search=query)
        .values("ticket_id")
    )
    matches = Q(pk__in=text_hits) | Q(pk__in=comment_hits)
    number = TICKET_NUMBER.match(q)
    if number:
        matches |= Q(pk=int(number.group(1)))
    return tickets.filter(matches)


def due_by_end_of_today(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Open tickets whose resolution is due before midnight (local time), the overdue ones included."""
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return tickets.filter(state__in=OPEN_STATES, resolution_due_at__lt=midnight)


def ticket_sorted(tickets: QuerySet[Ticket], sort: str) -> QuerySet[Ticket]:
    """Order by one of SORTS, the ticket id breaking ties in the same direction (what keyset pages need)."""
    if sort not in SORTS:
        raise QueueQueryError(f"Unknown sort {sort!r}: choose one of {', '.join(SORT_NAMES)}.")
    spec = SORTS[sort]
    if spec.key == "priority_rank":
        tickets = tickets.annotate(
            priority_rank=Case(
                *(When(priority=name, then=Value(rank)) for name, rank in PRIORITY_RANK.items()),
                default=Value(len(PRIORITY_RANK)),
                output_field=IntegerField(),
            )
        )
    elif spec.key == "due_key":
        tickets = tickets.annotate(
            due_key=Coalesce("resolution_due_at", Value(NEVER_DUE), output_field=DateTimeField())
        )
    sign = "-" if spec.descending else ""
    return tickets.order_by(f"{sign}{spec.key}", f"{sign}pk")


def _cursor_encode(sort: str, value, pk: int) -> str:
    raw = value.isoformat() if isinstance(value, datetime) else value
    payload = json.dumps([sort, raw, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _cursor_decode(cursor: str, sort: str) -> tuple[object, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        cursor_sort, raw, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if cursor_sort != sort or not isinstance(pk, int):
            raise ValueError
        value = raw if SORTS[sort].key == "priority_rank" else datetime.fromisoformat(raw)
        if not isinstance(value, int | datetime):
            raise ValueError
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as error:
        raise QueueQueryError(
            "That page link is not valid for this sort any more; here is the first page."
        ) from error
    return value, pk


@dataclass
class QueuePage:
    object_list: list[Ticket]
    sort: str
    next_cursor: str | None = None
    is_first: bool = True
    errors: list[str] = field(default_factory=list)


def keyset_page(tickets: QuerySet[Ticket], *, sort: str, after: str | None, size: int) -> QueuePage:
    """One page of `ticket_sorted(tickets, sort)` after the cursor of the previous page's last row."""
    ordered = ticket_sorted(tickets, sort)
    spec = SORTS[sort]
    if after:
        value, pk = _cursor_decode(after, sort)
        beyond = "lt" if spec.descending else "gt"
        ordered = ordered.filter(
            Q(**{f"{spec.key}__{beyond}": value}) | Q(**{spec.key: value, f"pk__{beyond}": pk})
        )
    rows = list(ordered[: size + 1])
    shown = rows[:size]
    next_cursor = None
    if len(rows) > size:
        last = shown[-1]
        next_cursor = _cursor_encode(sort, getattr(last, spec.key), last.pk)
    return QueuePage(object_list=shown, sort=sort, next_cursor=next_cursor, is_first=not after)


# --- Saved views


def saved_views_for(*, user: User) -> QuerySet[SavedView]:
    return SavedView.objects.filter(owner=user)


@transaction.atomic
def saved_view_save(*, owner: User, name: str, query: str) -> SavedView:
    """Save the queue's current query under a name; saving a name again replaces its query."""
    name = name.strip()
    if not name:
        raise TicketError("Give the view a name.")
    try:
        with transaction.atomic():
            view, _ = SavedView.objects.update_or_create(owner=owner, name=name, defaults={"query": query})
    except IntegrityError:  # two saves of the same name at once: the other one won, keep its row
        view = SavedView.objects.get(owner=owner, name=name)
    return view


def saved_view_delete(*, owner: User, pk: int) -> bool:
    """Delete one of the owner's views; False for another user's view id or a missing one, alike (so
    it reveals nothing)."""
    deleted, _ = SavedView.objects.filter(owner=owner, pk=pk).delete()
    return bool(deleted)


# --- Bulk actions


class BulkAction:
    ASSIGN = "assign"
    STATE = "state"
    PRIORITY = "priority"
    CATEGORY = "category"
    MERGE = "merge"  # every other ticked ticket into the oldest one


@dataclass
class BulkResult:
    changed: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    not_found: int = 0


def assignable_engineers(*, user: User) -> QuerySet[User]:
    """Engineers covering at least one of the sites the user sees: whom a bulk assign may name (each
    ticket still checks that its assignee covers that ticket's site)."""
    return (
        User.objects.filter(
            role=User.Role.ENGINEER, is_active=True, profile__covered_sites__in=visible_sites(user)
        )
        .select_related("profile")
        .distinct()
        .order_by("first_name", "last_name", "pk")
    )


def tickets_bulk_apply(
    *,
    actor: User,
    ticket_ids: list[int],
    action: str,
    assignee: User | None = None,
    to_state: str | None = None,
    priority: str | None = None,
    category: Category | None = None,
) -> BulkResult:
    """Apply one action to each ticket the actor can see, each in its own transaction through the single
    action's service: a refused ticket (not allowed, wrong state) is reported and the others go ahead.
    A merge keeps the oldest ticked ticket and merges each other one into it (tickets.merging).
    Ids the actor cannot see are only counted, never named, so they reveal nothing."""
    wanted = set(ticket_ids)
    if len(wanted) > BULK_MAX_TICKETS:
        raise TicketError(f"Choose at most {BULK_MAX_TICKETS} tickets at once.")
    tickets = list(tickets_visible_to(actor).filter(pk__in=wanted).select_related("site").order_by("pk"))
    result = BulkResult(not_found=len(wanted) - len(tickets))
    if action == BulkAction.MERGE:
        if len(tickets) < 2:
            raise TicketError("Tick at least two tickets to merge.")
        survivor, tickets = tickets[0], tickets[1:]
    for ticket in tickets:
        try:
            if action == BulkAction.ASSIGN:
                services.ticket_assign(ticket=ticket, assignee=assignee, actor=actor)
            elif action == BulkAction.STATE:
                services.ticket_transition(ticket=ticket, to_state=to_state, actor=actor)
            elif action == BulkAction.PRIORITY:
                services.ticket_update(ticket=ticket, actor=actor, priority=priority)
            elif action == BulkAction.CATEGORY:
                services.ticket_update(ticket=ticket, actor=actor, category=category)
            elif action == BulkAction.MERGE:
                ticket_merge(source=ticket, target=survivor, actor=actor)
            else:
                raise ValueError(f"Unknown bulk action {action!r}")
        except TicketError as error:
            result.refused.append((ticket.pk, str(error)))
        else:
            result.changed.append(ticket.pk)
    return result
