"""Request and response shapes of the tickets API; the ticket webhook payload is TicketOut too."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from tickets.models import Priority, Ticket, TicketEvent, TicketSource, TicketState
from tickets.queue import SEARCH_MAX_LENGTH, SORT_NAMES
from tickets.selectors import overdue_q, review_for

StateName = Literal[tuple(TicketState.values)]
PriorityName = Literal[tuple(Priority.values)]
SourceName = Literal[tuple(TicketSource.values)]
QueueSort = Literal[SORT_NAMES]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Slug = Annotated[str, StringConstraints(pattern=r"^[-a-z0-9_]+$", max_length=40)]
Ordering = Literal[
    "created_at", "-created_at", "updated_at", "-updated_at", "resolution_due_at", "-resolution_due_at"
]


class PersonOut(Schema):
    id: int
    display_name: str


class TicketOut(Schema):
    id: int
    site_id: int
    title: str
    description: str
    state: StateName
    priority: PriorityName
    category: str | None = Field(description="Category slug")
    tags: list[str]
    source: SourceName
    requester: PersonOut
    assignee: PersonOut | None
    resolution: str
    needs_human_triage: bool
    needs_assignment: bool
    triage_confidence: float | None
    is_overdue: bool
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_responded_at: datetime | None
    assigned_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    merged_into_id: int | None = Field(
        description="The ticket this one was merged into (closed as its duplicate)"
    )
    follow_up_of_id: int | None = Field(description="The resolved ticket this one follows up")

    @staticmethod
    def resolve_category(obj: Ticket) -> str | None:
        return obj.category.slug if obj.category_id else None

    @staticmethod
    def resolve_is_overdue(obj: Ticket) -> bool:
        # Selectors annotate it; a ticket straight from a service (webhooks) asks overdue_q once.
        if hasattr(obj, "is_overdue"):
            return obj.is_overdue
        return Ticket.objects.filter(pk=obj.pk).filter(overdue_q()).exists()


class TriageOut(Schema):
    """The latest AI triage of the ticket: what it suggested, how sure it was, and what it relied on."""

    category: str | None
    priority: str | None
    tags: list[str]
    confidence: float | None
    needs_human: bool
    unavailable: bool = Field(description="True when no AI provider answered and a human triages")
    sources: list[str] = Field(description="Citation keys of the similar cases used (staff only)")
    provider: str | None
    message: str
    created_at: datetime


class ReviewOut(Schema):
    rating: int
    comment: str
    created_at: datetime


class TicketDetailOut(TicketOut):
    triage: TriageOut | None
    review: ReviewOut | None

    @staticmethod
    def resolve_triage(obj: Ticket, context) -> dict | None:
        user = context["request"].auth
        return triage_out(triage_event_for(ticket=obj), staff=user.is_staff_member)

    @staticmethod
    def resolve_review(obj: Ticket):
        return review_for(ticket=obj)


def triage_event_for(*, ticket: Ticket) -> TicketEvent | None:
    """The latest AI triage of a ticket the caller already holds (fetched through the tenancy helpers)."""
    return ticket.events.filter(kind=TicketEvent.Kind.AI_TRIAGE).order_by("-created_at", "-pk").first()


def triage_out(event: TicketEvent | None, *, staff: bool) -> dict | None:
    if event is None:
        return None
    data = event.data
    return {
        "category": data.get("category"),
        "priority": data.get("priority"),
        "tags": data.get("tags") or [],
        "confidence": data.get("confidence"),
        "needs_human": bool(data.get("needs_human")),
        "unavailable": bool(data.get("unavailable")),
        "sources": (data.get("sources") or []) if staff else [],
        "provider": data.get("provider"),
        "message": event.message,
        "created_at": event.created_at,
    }


class TicketIn(Schema):
    title: Title
    description: Text
    site_id: int | None = Field(None, description="Required for engineers and admins; customers' own site")
    priority: PriorityName | None = None
    category: Slug | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class TicketPatchIn(Schema):
    title: Title | None = None
    description: Text | None = None
    priority: PriorityName | None = None
    category: Slug | None = Field(None, description="A category slug; null leaves it unchanged")
    tags: list[Tag] | None = Field(None, max_length=20)


class TicketFilters(Schema):
    state: StateName | None = None
    priority: PriorityName | None = None
    category: Slug | None = None
    site: int | None = Field(None, description="Only tickets of this site")
    assigned_to_me: bool = False
    overdue: bool = False
    ordering: Ordering = "-created_at"
    q: str | None = Field(
        None,
        max_length=SEARCH_MAX_LENGTH,
        description='Full-text search of title, description and the comments you may read: words, "a phrase",'
        ' -word, or; "#42" finds ticket 42',
    )
    sort: QueueSort | None = Field(
        None,
        description="created (newest first), updated (recently updated first), priority (most urgent first)"
        " or due (SLA resolution due soonest first, none last); overrides `ordering`",
    )


class TransitionIn(Schema):
    to_state: StateName
    note: str = Field("", max_length=20000)


class AssignIn(Schema):
    assignee_id: int | None = Field(None, description="An engineer covering the site; omit for auto")


class CommentIn(Schema):
    body: Text
    is_internal: bool = False


class CommentOut(Schema):
    id: int
    author: PersonOut | None
    body: str
    is_internal: bool
    created_at: datetime
    attachment_ids: list[int]

    @staticmethod
    def resolve_attachment_ids(obj) -> list[int]:
        return [attachment.pk for attachment in obj.attachment_set.all()]


class AttachmentOut(Schema):
    id: int
    name: str = Field(alias="original_name")
    content_type: str
    size: int
    is_internal: bool
    comment_id: int | None
    uploaded_by: PersonOut | None
    created_at: datetime
    download_url: str

    @staticmethod
    def resolve_download_url(obj) -> str:
        return f"/api/v1/tickets/attachments/{obj.pk}/download"


class EventOut(Schema):
    id: int
    kind: str
    actor: PersonOut | None
    by_assistant: bool
    field: str
    old_value: str
    new_value: str
    message: str
    data: dict
    created_at: datetime


class CaseOut(Schema):
    key: str = Field(description="Citation key, e.g. ticket:42")
    source_type: str
    source_id: int
    site_id: int | None
    title: str
    snippet: str
    url: str
    score: float
    similarity: float
    category: str | None
    priority: str | None
    resolution: str
    same_fix: list[str] = Field(description="Citation keys of further cases that recorded the same fix")

    @staticmethod
    def resolve_key(obj) -> str:
        return obj.citation_key


class DraftSourceOut(Schema):
    cid: int
    key: str
    label: str
    title: str
    url: str

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.case.title

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.case.url


class DraftOut(Schema):
    body: str
    refused: bool = Field(description="True when no similar case grounded a reply")
    event_id: int
    sources: list[DraftSourceOut]


class ReviewIn(Schema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=5000)


class MergeIn(Schema):
    target_id: int = Field(description="The ticket that survives; this one is closed as its duplicate")


class FollowUpOut(Schema):
    """A customer's reply after the reopen window: it opened this follow-up ticket instead."""

    follow_up: TicketOut
    detail: str


class CategoryOut(Schema):
    slug: str
    name: str
    description: str


def ticket_webhook_payload(ticket: Ticket) -> dict:
    """The ticket as a webhook receiver sees it: the shape (and JSON encoding) of GET /api/v1/tickets/{id}."""
    return TicketOut.from_orm(ticket).model_dump()
