"""Reads of ticket data. Every query starts from helpdesk.tenancy, so other sites' rows never appear.

Customers see the tickets they requested (not every ticket of their site: a colleague's problem may be
private), and never internal notes or internal attachments. Engineers see the sites they cover; admins
see everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db.models import (
    Avg,
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils import timezone

from helpdesk.models import Site, User
from helpdesk.tenancy import get_for_user_or_404, scope_to_site, scope_to_user
from retrieval import types as retrieval_types
from retrieval.citations import CitedRow
from retrieval.embedders import RememberingEmbedder, get_embedder
from retrieval.selectors import similar_cases
from tickets.models import (
    OPEN_STATES,
    Attachment,
    Comment,
    Priority,
    Review,
    SLATarget,
    Ticket,
    TicketEvent,
    TicketState,
    TicketSummary,
)

# Minutes to first response and to resolution when neither the site nor the defaults define a target.
BUILTIN_SLA_MINUTES = {
    Priority.URGENT: (30, 4 * 60),
    Priority.HIGH: (60, 8 * 60),
    Priority.NORMAL: (4 * 60, 24 * 60),
    Priority.LOW: (8 * 60, 72 * 60),
}


def sla_targets_for(*, site: Site, priority: str) -> tuple[int, int]:
    """(first response, resolution) minutes: the site's override, else the default row, else built-in."""
    rows = {
        row.site_id: row
        for row in SLATarget.objects.filter(Q(site=site) | Q(site__isnull=True), priority=priority)
    }
    row = rows.get(site.pk) or rows.get(None)
    if row is not None:
        return row.first_response_minutes, row.resolution_minutes
    return BUILTIN_SLA_MINUTES[Priority(priority)]


def sla_due_times(*, site: Site, priority: str, start: datetime) -> tuple[datetime, datetime]:
    first, resolution = sla_targets_for(site=site, priority=priority)
    return business_deadline(site=site, start=start, minutes=first), business_deadline(
        site=site, start=start, minutes=resolution
    )


def business_deadline(*, site: Site, start: datetime, minutes: int) -> datetime:
    """`minutes` of the site's business hours after `start` (in its time zone, on its business days);
    round the clock when the site has no hours set. Spans are measured in UTC, so a day that changes
    clocks is counted as it really lasts."""
    if site.business_hours_start is None or site.business_hours_end is None:
        return start + timedelta(minutes=minutes)
    zone = ZoneInfo(site.time_zone or settings.TIME_ZONE)
    days = set(site.business_days) or set(range(7))
    remaining, cursor = timedelta(minutes=minutes), start.astimezone(zone)
    for _ in range(7 * 54):  # a year of weeks: enough for any target, and never an endless loop
        opens = datetime.combine(cursor.date(), site.business_hours_start, zone)
        closes = datetime.combine(cursor.date(), site.business_hours_end, zone)
        if cursor.weekday() in days and cursor < closes:
            begin = max(cursor, opens).astimezone(UTC)
            available = closes.astimezone(UTC) - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        cursor = datetime.combine(cursor.date() + timedelta(days=1), time(0), zone)
    return start + timedelta(minutes=minutes)


def overdue_q(now: datetime | None = None, *, prefix: str = "") -> Q:
    """Open and past its resolution due time (the clock stops while waiting on the customer), or past
    its first-response due time without a response. `prefix` reaches tickets through a relation."""
    now = now or timezone.now()

    def q(**lookups) -> Q:
        return Q(**{f"{prefix}{key}": value for key, value in lookups.items()})

    return q(state__in=OPEN_STATES) & (
        (q(resolution_due_at__lt=now) & ~q(state=TicketState.WAITING_ON_CUSTOMER))
        | q(first_responded_at__isnull=True, first_response_due_at__lt=now)
    )


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    tickets = scope_to_user(Ticket.objects.all(), user)
    if not user.is_staff_member:
        tickets = tickets.filter(requester=user)
    return tickets


def cited_tickets(viewer: User, ids: set[int]) -> dict[int, CitedRow]:
    """Tickets as a citation shows them to `viewer` (registered with retrieval.citations)."""
    tickets = Ticket.objects.select_related("requester__profile").in_bulk(ids)
    openable = set(tickets_visible_to(viewer).filter(pk__in=tickets).values_list("pk", flat=True))
    return {
        pk: CitedRow(
            site_id=ticket.site_id,
            openable=pk in openable,
            moment=ticket.resolved_at or ticket.closed_at or ticket.updated_at,
            resolution=ticket.resolution,
            requester=ticket.requester,
        )
        for pk, ticket in tickets.items()
    }


def _with_list_data(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.select_related("site", "category", "assignee__profile", "requester__profile").annotate(
        is_overdue=Case(
            When(overdue_q(), then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def ticket_get_for_user(*, user: User, pk: int) -> Ticket:
    """One ticket the user may see, or 404 (also for other sites' tickets: existence does not leak)."""
    return get_for_user_or_404(_with_list_data(tickets_visible_to(user)), user, pk=pk)


def ticket_list(
    *,
    user: User,
    site: Site | int | None = None,
    state: str | None = None,
    priority: str | None = None,
    overdue: bool = False,
    assigned_to: User | None = None,
    needs_assignment: bool = False,
    open_only: bool = False,
) -> QuerySet[Ticket]:
    tickets = _with_list_data(tickets_visible_to(user))
    if site:
        tickets = scope_to_site(tickets, site)
    if state:
        tickets = tickets.filter(state=state)
    if open_only:
        tickets = tickets.filter(state__in=OPEN_STATES)
    if priority:
        tickets = tickets.filter(priority=priority)
    if overdue:
        tickets = tickets.filter(overdue_q())
    if assigned_to is not None:
        tickets = tickets.filter(assignee=assigned_to)
    if needs_assignment:
        tickets = tickets.filter(state__in=OPEN_STATES, assignee__isnull=True)
    return tickets.order_by("-created_at", "-pk")


def queue_counts(*, user: User) -> dict[str, int]:
    """The engineer dashboard's numbers over the sites the user covers."""
    return tickets_visible_to(user).aggregate(
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=overdue_q()),
        mine=Count("pk", filter=Q(state__in=OPEN_STATES, assignee=user)),
        mine_overdue=Count("pk", filter=overdue_q() & Q(assignee=user)),
        unassigned=Count("pk", filter=Q(state__in=OPEN_STATES, assignee__isnull=True)),
    )


def comments_for(*, ticket: Ticket, user: User) -> QuerySet[Comment]:
    comments = scope_to_user(Comment.objects.filter(ticket=ticket), user).select_related("author__profile")
    if not user.is_staff_member:
        comments = comments.filter(is_internal=False)
    return comments.prefetch_related("attachment_set")


def attachments_for(*, ticket: Ticket, user: User) -> QuerySet[Attachment]:
    attachments = scope_to_user(Attachment.objects.filter(ticket=ticket), user).select_related(
        "uploaded_by__profile"
    )
    if not user.is_staff_member:
        attachments = attachments.filter(is_internal=False)
    return attachments.order_by("created_at", "pk")


def attachment_get_for_user(*, user: User, pk: int) -> Attachment:
    attachments = Attachment.objects.select_related("ticket")
    if not user.is_staff_member:
        attachments = attachments.filter(is_internal=False, ticket__requester=user)
    return get_for_user_or_404(attachments, user, pk=pk)


def events_for(*, ticket: Ticket, user: User) -> QuerySet[TicketEvent]:
    """The audit timeline, for engineers and admins (it carries internal notes and AI details)."""
    if not user.is_staff_member:
        return TicketEvent.objects.none()
    return scope_to_user(TicketEvent.objects.filter(ticket=ticket), user).select_related("actor__profile")


def review_for(*, ticket: Ticket) -> Review | None:
    return Review.objects.filter(ticket=ticket, site_id=ticket.site_id).first()


def engineers_covering(*, site: Site | int) -> QuerySet[User]:
    site_id = site.pk if isinstance(site, Site) else site
    return (
        User.objects.filter(role=User.Role.ENGINEER, is_active=True, profile__covered_sites=site_id)
        .select_related("profile")
        .order_by("first_name", "last_name", "pk")
    )


@dataclass(frozen=True)
class Candidate:
    engineer: User
    load: int
    capacity: int
    last_assigned_at: datetime | None
    expertise_match: bool


def assignment_candidates(*, site: Site, category_slug: str | None) -> list[Candidate]:
    """Engineers covering the site, available and below capacity, best first.

    Ranked by expertise match with the category, then lower open load, then least recently assigned
    (never assigned first), then by id so that ties always resolve the same way.
    """
    open_load = (
        Ticket.objects.filter(assignee=OuterRef("pk"), state__in=OPEN_STATES)
        .order_by()
        .values("assignee")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_assigned = (
        TicketEvent.objects.filter(kind=TicketEvent.Kind.ASSIGNED)
        .annotate(assignee_ref=Cast(KT("data__assignee_id"), BigIntegerField()))
        .filter(assignee_ref=OuterRef("pk"))
        .order_by()
        .values("assignee_ref")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    engineers = (
        engineers_covering(site=site)
        .filter(profile__is_available=True)
        .annotate(
            open_load=Coalesce(Subquery(open_load, output_field=IntegerField()), 0),
            last_assigned_at=Subquery(last_assigned),
        )
    )
    candidates = [
        Candidate(
            engineer=engineer,
            load=engineer.open_load,
            capacity=engineer.profile.capacity,
            last_assigned_at=engineer.last_assigned_at,
            expertise_match=bool(category_slug) and category_slug in engineer.profile.expertise,
        )
        for engineer in engineers
        if engineer.open_load < engineer.profile.capacity
    ]
    never = datetime.min.replace(tzinfo=timezone.get_current_timezone())
    candidates.sort(key=lambda c: (not c.expertise_match, c.load, c.last_assigned_at or never, c.engineer.pk))
    return candidates


def admin_overview(*, user: User) -> dict:
    """Open, overdue and unassigned tickets per site, and CSAT averages per site and per engineer."""
    now = timezone.now()
    sites = (
        scope_to_user(Site.objects.all(), user, site_field="pk")
        .annotate(
            open_count=Count("tickets", filter=Q(tickets__state__in=OPEN_STATES)),
            overdue_count=Count("tickets", filter=overdue_q(now, prefix="tickets__")),
            unassigned_count=Count(
                "tickets", filter=Q(tickets__state__in=OPEN_STATES, tickets__assignee__isnull=True)
            ),
        )
        .order_by("name")
    )
    reviews = scope_to_user(Review.objects.all(), user)
    csat_by_site = {
        row["site"]: row
        for row in reviews.values("site").annotate(average=Avg("rating"), count=Count("pk")).order_by()
    }
    csat_by_engineer = list(
        reviews.filter(engineer__isnull=False)
        .values("engineer", "engineer__first_name", "engineer__last_name", "engineer__username")
        .annotate(average=Avg("rating"), count=Count("pk"))
        .order_by("-average", "engineer")
    )
    site_rows = [
        {
            "site": site,
            "open": site.open_count,
            "overdue": site.overdue_count,
            "unassigned": site.unassigned_count,
            "csat": csat_by_site.get(site.pk),
        }
        for site in sites
    ]
    return {
        "sites": site_rows,
        "csat_by_engineer": csat_by_engineer,
        "needs_assignment": ticket_list(user=user, needs_assignment=True)[:50],
        "overdue": ticket_list(user=user, overdue=True)[:50],
    }


def ticket_text(ticket: Ticket) -> str:
    """What retrieval and the AI read of a ticket: its title and description."""
    return f"{ticket.title}\n\n{ticket.description}"


RequesterWords = Callable[..., list[str]]
_REQUESTER_WORDS: list[RequesterWords] = []


def register_requester_words(words: RequesterWords) -> None:
    """Where else a ticket's requester wrote about it: `words(ticket=)` lists what they said there, in
    order. Chat registers its customers' messages from its AppConfig.ready (tickets may not import chat)."""
    if words not in _REQUESTER_WORDS:
        _REQUESTER_WORDS.append(words)


def ticket_requester_words(ticket: Ticket) -> str:
    """What the requester wrote: the title and description, or for a ticket made from a chat the title
    and the customer's messages (that description also quotes the steps the assistant suggested)."""
    bodies = [body for words in _REQUESTER_WORDS for body in words(ticket=ticket)]
    return "\n\n".join([ticket.title, *bodies] if bodies else [ticket.title, ticket.description])


def ticket_priority_chosen(ticket: Ticket) -> bool:
    """Whether a person chose the priority: when opening the ticket, or by editing it since."""
    return ticket.events.filter(
        Q(kind=TicketEvent.Kind.CREATED, data__has_key="priority")
        | Q(kind=TicketEvent.Kind.FIELD_CHANGED, field="priority", by_assistant=False)
    ).exists()


# Cases fetched per case shown, so that folding repeats of the same fix still fills the panel.
SAME_FIX_POOL = 3


def similar_cases_for_ticket(
    *, ticket: Ticket, k: int = 5, embedder: RememberingEmbedder | None = None
) -> list[retrieval_types.Case]:
    """Past cases of the ticket's own site (plus the global KB) like this one, leaving the ticket out;
    cases recording the same fix are shown once, with how many more said the same. The site's own
    classifier, when it has one, lifts cases of the categories it reads in the ticket."""
    from tickets.classifier import classify  # the classifier reads tickets through these selectors

    text = ticket_text(ticket)
    # The classifier and the search (and the page's other panels, when it passes one) embed the text once.
    embedder = embedder or RememberingEmbedder(get_embedder())
    classification = classify(site=ticket.site_id, text=text, embedder=embedder)
    cases = similar_cases(
        site=ticket.site_id,
        text=text,
        k=SAME_FIX_POOL * k + 1,
        category_prior=classification.distribution if classification else None,
        embedder=embedder,
    )
    itself = (retrieval_types.SourceType.TICKET, ticket.pk)
    others = [case for case in cases if (case.source_type, case.source_id) != itself]
    return retrieval_types.collapse_same_fix(retrieval_types.any_related(others), k)


def pending_draft_for(*, ticket: Ticket) -> TicketEvent | None:
    """The latest AI reply draft of this ticket that nobody has sent or discarded yet."""
    drafts = ticket.events.filter(kind=TicketEvent.Kind.AI_DRAFT)
    latest = drafts.filter(data__stage="drafted").order_by("-created_at", "-pk").first()
    if latest is None or drafts.filter(data__stage="outcome", data__draft_event_id=latest.pk).exists():
        return None
    return latest


def tickets_awaiting_triage(*, older_than: timedelta) -> QuerySet[int]:
    """Ids of tickets still `new`, not handed to a human, with no AI triage, created before the cut-off."""
    return (
        Ticket.objects.filter(
            state=TicketState.NEW,
            needs_human_triage=False,
            created_at__lt=timezone.now() - older_than,
        )
        .exclude(events__kind=TicketEvent.Kind.AI_TRIAGE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def tags_the_site_uses(
    *, site_id: int, suggested: list[str], sources: list[str], limit: int = 3
) -> list[str]:
    """Triage's tags, in the site's own vocabulary: the tags carried by the past tickets that supported
    the category (`sources`, citation keys), most shared first, then any suggested tag the site already
    uses. A word of the ticket that no ticket of the site was ever tagged with ("asking") is dropped."""
    ids = [
        int(key.split(":", 1)[1])
        for key in sources
        if key.startswith(f"{retrieval_types.SourceType.TICKET}:")
    ]
    counts: dict[str, int] = {}
    for tags in Ticket.objects.filter(site_id=site_id, pk__in=ids).values_list("tags", flat=True):
        for tag in set(tags):
            counts[tag] = counts.get(tag, 0) + 1
    chosen = sorted(counts, key=lambda tag: (-counts[tag], tag))
    known = (
        {
            tag
            for tags in Ticket.objects.filter(site_id=site_id, tags__overlap=suggested).values_list(
                "tags", flat=True
            )
            for tag in tags
        }
        if suggested
        else set()
    )
    chosen += [tag for tag in suggested if tag in known and tag not in chosen]
    return chosen[:limit]


@dataclass(frozen=True)
class HistoryItem:
    """One earlier case of a ticket's requester as the ticket page lists it: a ticket, or a chat
    (registered by the chat app). `text` is what similarity is judged on."""

    kind: str
    title: str
    url: str
    created_at: datetime
    state: str
    text: str
    similar: bool = False


RequesterHistory = Callable[..., list[HistoryItem]]
_REQUESTER_HISTORY: list[RequesterHistory] = []
REQUESTER_HISTORY_ITEMS = 8
# An earlier case is judged on its title and opening: the page embeds up to 8 of them on each view.
HISTORY_TEXT_CHARS = 300


def register_requester_history(source: RequesterHistory) -> None:
    """Where else a requester has cases: `source(ticket=, limit=)` lists their recent ones, newest first,
    leaving out what belongs to `ticket` itself. Chat registers its conversations (tickets may not
    import chat)."""
    if source not in _REQUESTER_HISTORY:
        _REQUESTER_HISTORY.append(source)


def requester_history(
    *, ticket: Ticket, limit: int = REQUESTER_HISTORY_ITEMS, embedder: RememberingEmbedder | None = None
) -> list[HistoryItem]:
    """The requester's other recent tickets and chats on the ticket's site, newest first, those about
    the same problem marked `similar`: their text is at least as close to this ticket's as the
    embedder's calibrated cut-off between related and unrelated text (retrieval.grounding). For the
    engineers working the ticket only; a customer never sees a colleague's."""
    from retrieval.grounding import similarity_cutoff

    earlier = (
        Ticket.objects.filter(site_id=ticket.site_id, requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .order_by("-created_at")[:limit]
    )
    items = [
        HistoryItem(
            kind="ticket",
            title=f"#{other.pk} {other.title}",
            url=reverse("tickets:detail", args=[other.pk]),
            created_at=other.created_at,
            state=other.get_state_display(),
            text=f"{other.title}\n{other.description}",
        )
        for other in earlier
    ]
    for source in _REQUESTER_HISTORY:
        items += source(ticket=ticket, limit=limit)
    items = sorted(items, key=lambda item: item.created_at, reverse=True)[:limit]
    if not items:
        return []
    embedder = embedder or RememberingEmbedder(get_embedder())
    vectors = np.asarray(
        embedder.embed([ticket_text(ticket), *(item.text[:HISTORY_TEXT_CHARS] for item in items)])
    )
    closeness = vectors[1:] @ vectors[0]
    cutoff = similarity_cutoff()
    return [
        replace(item, similar=bool(score >= cutoff)) for item, score in zip(items, closeness, strict=True)
    ]


def ticket_summary_for(*, ticket: Ticket) -> TicketSummary | None:
    """The ticket's stored summary (tickets.summaries), for its engineers' page; None for a short ticket."""
    return TicketSummary.objects.filter(ticket=ticket).first()
