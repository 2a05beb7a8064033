"""Writes of the tickets app: creation, the lifecycle, edits, assignment, comments, attachments, CSAT.

Every write is atomic, leaves a TicketEvent, and queues its jobs and emails with transaction.on_commit
so nothing is sent or indexed for a change that rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from helpdesk.jobs import enqueue_on_commit
from helpdesk.models import Profile, Site, User
from helpdesk.tenancy import covers_site
from tickets import notifications
from tickets.errors import ActionNotAllowed, InvalidTransition, ReviewNotAllowed, TicketError
from tickets.lifecycle import STAFF_ROLES, Role, actor_roles, reopen_window, transition_check
from tickets.models import (
    OPEN_STATES,
    Attachment,
    Category,
    Comment,
    Priority,
    Review,
    Ticket,
    TicketEvent,
    TicketSource,
    TicketState,
)
from tickets.selectors import assignment_candidates, sla_due_times
from tickets.signals import ticket_category_changed, ticket_changed
from tickets.uploads import CleanFile, validate_upload

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = ("title", "description", "category", "priority", "tags")
# Changes a human makes to what the AI suggested are recorded as corrections (the evals read them).
AI_SUGGESTED_FIELDS = ("category", "priority")
INDEXED_STATES = (TicketState.RESOLVED, TicketState.CLOSED)

Kind = TicketEvent.Kind


def _event(
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None = None,
    by_assistant: bool = False,
    field: str = "",
    old: str = "",
    new: str = "",
    message: str = "",
    data: dict | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        site_id=ticket.site_id,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        by_assistant=by_assistant,
        field=field,
        old_value=old,
        new_value=new,
        message=message,
        data=data or {},
    )


def _enqueue_triage(ticket_id: int) -> None:
    """Triage after commit; a ticket whose job could not be queued is left to a human, never lost."""
    enqueue_on_commit(
        "tickets.tasks.ticket_triage",
        ticket_id,
        on_failure=lambda: Ticket.objects.filter(pk=ticket_id).update(needs_human_triage=True),
    )


def _queue_indexing(ticket: Ticket) -> None:
    enqueue_on_commit("knowledge.tasks.index_ticket", ticket.pk)


def _queue_summary(ticket: Ticket) -> None:
    """A reply, note or state change: the worker regenerates the engineers' summary (tickets.summaries)."""
    enqueue_on_commit("tickets.tasks.ticket_summary_refresh", ticket.pk)


def _locked(ticket: Ticket) -> Ticket:
    ticket.refresh_from_db(from_queryset=Ticket.objects.select_for_update())
    return ticket


def _require(
    ticket: Ticket, actor: User | None, allowed: Iterable[Role], message: str, *, by_assistant=False
):
    roles = actor_roles(ticket, actor, by_assistant=by_assistant)
    if not roles & frozenset(allowed):
        raise ActionNotAllowed(message)
    return roles


def _display(field: str, value) -> str:
    if value is None:
        return ""
    if field == "category":
        return value.slug
    if field == "tags":
        return ", ".join(value)
    return str(value)


@transaction.atomic
def ticket_create(
    *,
    site: Site,
    requester: User,
    title: str,
    description: str,
    source: str = TicketSource.PORTAL,
    category: Category | None = None,
    priority: str | None = None,
    tags: Iterable[str] = (),
    actor: User | None = None,
    uploads: Iterable = (),
    client_key: str = "",
) -> Ticket:
    """Open a ticket in state new with its SLA due times; triage is queued once the ticket is committed.

    A `client_key` (the portal form's one-time key) makes it idempotent: the same key is the same ticket.
    """
    actor = actor or requester
    if requester.is_customer and requester.site_id != site.pk:
        raise ActionNotAllowed("A customer can only open tickets for their own site.")
    if actor.pk != requester.pk and not (actor.is_helpdesk_admin or covers_site(actor, site.pk)):
        raise ActionNotAllowed("You may not open tickets for this site.")
    title, description = title.strip(), description.strip()
    if not title or not description:
        raise TicketError("A ticket needs a title and a description.")
    if client_key and (existing := Ticket.objects.filter(requester=requester, client_key=client_key).first()):
        return existing
    files = [validate_upload(upload) for upload in uploads]
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                site=site,
                requester=requester,
                title=title,
                description=description,
                source=source,
                category=category,
                priority=priority or Priority.NORMAL,
                tags=list(tags),
                client_key=client_key,
            )
    except IntegrityError:
        # The same form submitted twice at once: the unique key made this insert wait for the other one.
        return Ticket.objects.get(requester=requester, client_key=client_key)
    ticket.first_response_due_at, ticket.resolution_due_at = sla_due_times(
        site=site, priority=ticket.priority, start=ticket.created_at
    )
    ticket.save(update_fields=["first_response_due_at", "resolution_due_at"])
    # A priority given here was chosen by a person: triage reads this and leaves it alone.
    _event(
        ticket,
        Kind.CREATED,
        actor=actor,
        message=f"Opened via {ticket.get_source_display()}",
        data={"priority": priority} if priority else None,
    )
    _store_attachments(ticket, files, uploaded_by=actor, is_internal=False, comment=None)
    _enqueue_triage(ticket.pk)
    transaction.on_commit(partial(notifications.notify_ticket_created, ticket.pk))
    ticket_changed.send(sender=Ticket, ticket=ticket, event="ticket.created")
    return ticket


def _apply_transition(
    ticket: Ticket, to_state: str, *, actor: User | None, roles, note: str = "", by_assistant: bool = False
) -> Ticket:
    transition = transition_check(ticket, to_state, roles)
    note = note.strip()
    if transition.needs_note and not note:
        raise InvalidTransition("A resolution note is required to resolve a ticket.")
    now = timezone.now()
    old_state = ticket.state
    ticket.state = to_state
    fields = ["state", "updated_at"]
    if old_state == TicketState.WAITING_ON_CUSTOMER and ticket.resolution_due_at is not None:
        # The resolution clock stops while we wait on the customer: push the due time by the wait.
        waiting_since = (
            ticket.events.filter(kind=Kind.TRANSITION, new_value=TicketState.WAITING_ON_CUSTOMER)
            .order_by("-created_at", "-pk")
            .values_list("created_at", flat=True)
            .first()
        )
        if waiting_since is not None:
            ticket.resolution_due_at += now - waiting_since
            fields.append("resolution_due_at")
    if to_state == TicketState.RESOLVED:
        ticket.resolution, ticket.resolved_at = note, now
        fields += ["resolution", "resolved_at"]
    elif to_state == TicketState.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif transition.name == "reopen":
        ticket.resolved_at = ticket.closed_at = None
        ticket.needs_assignment = ticket.assignee_id is None
        fields += ["resolved_at", "closed_at", "needs_assignment"]
    ticket.save(update_fields=fields)
    _event(
        ticket,
        Kind.TRANSITION,
        actor=actor,
        by_assistant=by_assistant,
        field="state",
        old=old_state,
        new=to_state,
        message=note,
        data={"transition": transition.name},
    )
    if to_state == TicketState.RESOLVED:
        transaction.on_commit(partial(notifications.notify_ticket_resolved, ticket.pk))
    ticket_changed.send(
        sender=Ticket,
        ticket=ticket,
        event="ticket.resolved" if to_state == TicketState.RESOLVED else "ticket.updated",
    )
    if to_state in INDEXED_STATES or transition.name == "reopen":
        _queue_indexing(ticket)
    _queue_summary(ticket)
    return ticket


@transaction.atomic
def ticket_transition(
    *, ticket: Ticket, to_state: str, actor: User | None, note: str = "", by_assistant: bool = False
) -> Ticket:
    """Move a ticket along tickets.lifecycle's table, or raise InvalidTransition / ActionNotAllowed."""
    ticket = _locked(ticket)
    roles = actor_roles(ticket, actor, by_assistant=by_assistant)
    return _apply_transition(ticket, to_state, actor=actor, roles=roles, note=note, by_assistant=by_assistant)


def _last_ai_value(ticket: Ticket, field: str) -> str | None:
    """What the AI last set or suggested for a field: from an ai_triage event or its own field change.

    An ai_triage event carries its suggestion in `data` ({"category": "printers", ...}); a field the
    assistant changed itself is a field_changed event with by_assistant set.
    """
    event = (
        ticket.events.filter(by_assistant=True)
        .filter(Q(kind=Kind.AI_TRIAGE, data__has_key=field) | Q(kind=Kind.FIELD_CHANGED, field=field))
        .order_by("-created_at", "-pk")
        .first()
    )
    if event is None:
        return None
    if event.kind == Kind.AI_TRIAGE:
        value = event.data.get(field)
        return None if value is None else str(value)
    return event.new_value


@transaction.atomic
def ticket_update(*, ticket: Ticket, actor: User | None, by_assistant: bool = False, **fields) -> Ticket:
    """Change editable fields, recording old → new for each; a priority change moves the SLA due times."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"ticket_update cannot change {', '.join(sorted(unknown))}")
    ticket = _locked(ticket)
    _require(
        ticket,
        actor,
        {*STAFF_ROLES, Role.ASSISTANT},
        "Only engineers covering this site can edit the ticket.",
        by_assistant=by_assistant,
    )
    changed = []
    for field, value in fields.items():
        if field == "tags":
            value = sorted({tag.strip().lower() for tag in value if tag.strip()})
        elif field in ("title", "description"):
            value = value.strip()
            if not value:
                raise TicketError(f"The {field} cannot be empty.")
        elif field == "priority":
            value = Priority(value).value
        old = _display(field, getattr(ticket, field))
        new = _display(field, value)
        if old == new:
            continue
        ai_value = None if by_assistant or field not in AI_SUGGESTED_FIELDS else _last_ai_value(ticket, field)
        setattr(ticket, field, value)
        changed.append(field)
        _event(
            ticket, Kind.FIELD_CHANGED, actor=actor, by_assistant=by_assistant, field=field, old=old, new=new
        )
        if ai_value is not None and ai_value != new:
            _event(
                ticket,
                Kind.AI_CORRECTION,
                actor=actor,
                field=field,
                old=ai_value,
                new=new,
                message=f"AI suggested {ai_value or 'nothing'}; changed to {new or 'nothing'}",
                data={"ai_value": ai_value, "human_value": new},
            )
    if not changed:
        return ticket
    if "priority" in changed:
        ticket.first_response_due_at, ticket.resolution_due_at = sla_due_times(
            site=ticket.site, priority=ticket.priority, start=ticket.created_at
        )
        changed += ["first_response_due_at", "resolution_due_at"]
    ticket.save(update_fields=[*changed, "updated_at"])
    if "category" in changed:
        ticket_category_changed.send(sender=Ticket, ticket=ticket)
    ticket_changed.send(sender=Ticket, ticket=ticket, event="ticket.updated")
    if ticket.state in INDEXED_STATES:
        _queue_indexing(ticket)
    return ticket


def _assign(
    ticket: Ticket,
    engineer: User,
    *,
    actor: User | None,
    reason: str,
    by_assistant: bool = False,
    auto: bool = False,
) -> Ticket:
    by_assistant = by_assistant or actor is None  # no person behind it: the automated layer did it
    previous = ticket.assignee
    ticket.assignee = engineer
    ticket.assigned_at = timezone.now()
    ticket.needs_assignment = False
    ticket.save(update_fields=["assignee", "assigned_at", "needs_assignment", "updated_at"])
    _event(
        ticket,
        Kind.ASSIGNED,
        actor=actor,
        by_assistant=by_assistant,
        field="assignee",
        old=previous.display_name if previous else "",
        new=engineer.display_name,
        message=reason,
        data={
            "assignee_id": engineer.pk,
            "previous_assignee_id": previous.pk if previous else None,
            "auto": auto,
        },
    )
    if ticket.state in (TicketState.NEW, TicketState.TRIAGED):
        roles = actor_roles(ticket, actor, by_assistant=by_assistant)
        _apply_transition(ticket, TicketState.ASSIGNED, actor=actor, roles=roles, by_assistant=by_assistant)
    else:  # the transition above already sent ticket_changed
        ticket_changed.send(sender=Ticket, ticket=ticket, event="ticket.updated")
    if actor is None or actor.pk != engineer.pk:  # taking a ticket yourself needs no email to yourself
        transaction.on_commit(partial(notifications.notify_ticket_assigned, ticket.pk))
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee: User, actor: User, reason: str = "") -> Ticket:
    """Assign or reassign by hand (engineers covering the site, admins) to an engineer covering the site."""
    ticket = _locked(ticket)
    _require(ticket, actor, STAFF_ROLES, "Only engineers covering this site can assign its tickets.")
    if ticket.state not in OPEN_STATES:
        raise InvalidTransition("Only open tickets can be assigned; reopen it first.")
    if not covers_site(assignee, ticket.site_id):
        raise ActionNotAllowed(f"{assignee.display_name} does not cover {ticket.site.name}.")
    if ticket.assignee_id == assignee.pk:
        return ticket
    verb = "reassigned" if ticket.assignee_id else "assigned"
    reason = reason.strip() or f"{verb} by {actor.display_name}"
    return _assign(ticket, assignee, actor=actor, reason=reason)


@transaction.atomic
def ticket_auto_assign(*, ticket: Ticket, actor: User | None = None) -> Ticket:
    """Give an unassigned open ticket to the best candidate (see selectors.assignment_candidates).

    Without a candidate the ticket stays unassigned, flagged needs_assignment for admins. Already
    assigned or closed tickets are left alone, so running it twice is harmless.
    """
    ticket = _locked(ticket)
    if actor is not None:
        _require(ticket, actor, STAFF_ROLES, "Only engineers covering this site can assign its tickets.")
    if ticket.assignee_id is not None or ticket.state not in OPEN_STATES:
        return ticket
    # Two tickets of one site auto-assigned at once could both see an engineer's last free slot: lock
    # the site's engineer profiles so their loads are counted one assignment at a time.
    list(
        Profile.objects.select_for_update(of=("self",))
        .filter(covered_sites=ticket.site_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    slug = ticket.category.slug if ticket.category_id else None
    candidates = assignment_candidates(site=ticket.site, category_slug=slug)
    if not candidates:
        ticket.needs_assignment = True
        ticket.save(update_fields=["needs_assignment", "updated_at"])
        _event(
            ticket,
            Kind.ASSIGNMENT_FAILED,
            actor=actor,
            message=f"No available engineer covering {ticket.site.name} has capacity left",
        )
        return ticket
    best = candidates[0]
    expertise = f"expertise: {slug}" if best.expertise_match else "no expertise match"
    reason = f"covers {ticket.site.name}; {expertise}; load {best.load}/{best.capacity}"
    return _assign(ticket, best.engineer, actor=actor, reason=reason, auto=True)


@transaction.atomic
def comment_create(
    *, ticket: Ticket, author: User, body: str, is_internal: bool = False, uploads: Iterable = ()
) -> Comment | Ticket:
    """A public reply or an internal note (staff only), with optional attachments, all or nothing.

    The requester's reply moves a ticket waiting on them back to in progress, and reopens a resolved one.
    After the reopen window (TICKET_REOPEN_WINDOW_DAYS since it was resolved or closed) the requester's
    reply opens a follow-up ticket instead, and that Ticket is returned.
    """
    ticket = _locked(ticket)
    roles = _require(ticket, author, {*STAFF_ROLES, Role.REQUESTER}, "You may not reply on this ticket.")
    is_staff = bool(roles & STAFF_ROLES)
    uploads = list(uploads)
    if is_internal and not is_staff:
        raise ActionNotAllowed("Only engineers can write internal notes.")
    if Role.REQUESTER in roles and not is_staff and _past_reopen_window(ticket):
        return _follow_up_create(ticket=ticket, author=author, body=body.strip(), uploads=uploads)
    if not is_staff and ticket.state in (TicketState.CLOSED, TicketState.CANCELLED):
        raise ActionNotAllowed("This ticket is closed; reopen it or open a new one.")
    body = body.strip()
    if not body and not uploads:
        raise TicketError("Write a reply or attach a file.")
    files = [validate_upload(upload) for upload in uploads]
    comment = Comment.objects.create(
        ticket=ticket, site_id=ticket.site_id, author=author, body=body, is_internal=is_internal
    )
    _event(
        ticket,
        Kind.COMMENTED,
        actor=author,
        message=body[:500],
        data={"comment_id": comment.pk, "internal": is_internal},
    )
    _store_attachments(ticket, files, uploaded_by=author, is_internal=is_internal, comment=comment)
    if not is_internal:
        if is_staff and ticket.first_responded_at is None:
            ticket.first_responded_at = comment.created_at
            ticket.save(update_fields=["first_responded_at", "updated_at"])
        if Role.REQUESTER in roles and ticket.state == TicketState.WAITING_ON_CUSTOMER:
            _apply_transition(
                ticket, TicketState.IN_PROGRESS, actor=author, roles=roles, note="Customer replied"
            )
        elif Role.REQUESTER in roles and ticket.state == TicketState.RESOLVED:
            # A customer answering the resolution ("still happening") is saying it is not fixed: the
            # ticket comes back to the open queue, with its assignee, and the timeline says why.
            _apply_transition(
                ticket,
                TicketState.IN_PROGRESS,
                actor=author,
                roles=roles,
                note="Reopened: the customer replied to the resolution",
            )
        transaction.on_commit(partial(notifications.notify_public_reply, comment.pk))
    _queue_summary(ticket)
    return comment


def _past_reopen_window(ticket: Ticket) -> bool:
    since = {TicketState.RESOLVED: ticket.resolved_at, TicketState.CLOSED: ticket.closed_at}
    if ticket.state not in since or ticket.merged_into_id:  # a merged ticket continues on its survivor
        return False
    return timezone.now() - (since[ticket.state] or ticket.updated_at) > reopen_window()


def _follow_up_create(*, ticket: Ticket, author: User, body: str, uploads: list) -> Ticket:
    """The requester wrote on a ticket resolved long ago: a new ticket linked to it carries the reply
    (an old resolution is not reopened for what may be a new problem); both timelines say so."""
    follow_up = ticket_create(
        site=ticket.site,
        requester=author,
        title=f"Follow-up to #{ticket.pk}: {ticket.title}"[:200],
        description=body or f"Follow-up to #{ticket.pk} (see the attached files).",
        category=ticket.category,
        uploads=uploads,
    )
    follow_up.follow_up_of = ticket
    follow_up.save(update_fields=["follow_up_of", "updated_at"])
    days = reopen_window().days
    _event(
        follow_up,
        Kind.FOLLOW_UP,
        actor=author,
        message=f"Follow-up to #{ticket.pk} {ticket.title}: the customer replied more than {days} days "
        "after it was resolved",
        data={"follow_up_of": ticket.pk},
    )
    _event(
        ticket,
        Kind.FOLLOW_UP,
        actor=author,
        message=f"The customer's reply opened follow-up #{follow_up.pk}",
        data={"follow_up": follow_up.pk},
    )
    return follow_up


def _store_attachments(
    ticket: Ticket, files: list[CleanFile], *, uploaded_by: User, is_internal: bool, comment: Comment | None
) -> list[Attachment]:
    """Store already validated files; if anything fails, the files written so far are removed again."""
    stored: list[Attachment] = []
    try:
        for clean in files:
            attachment = Attachment(
                ticket=ticket,
                site_id=ticket.site_id,
                comment=comment,
                uploaded_by=uploaded_by,
                original_name=clean.name,
                content_type=clean.content_type,
                size=len(clean.content),
                is_internal=is_internal,
            )
            attachment.file.save(clean.name, ContentFile(clean.content), save=False)
            stored.append(attachment)
            attachment.save()
            _event(
                ticket,
                Kind.ATTACHMENT_ADDED,
                actor=uploaded_by,
                message=clean.name,
                data={"attachment_id": attachment.pk, "internal": is_internal},
            )
    except Exception:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return stored


@transaction.atomic
def attachment_add(*, ticket: Ticket, uploaded_by: User, upload, is_internal: bool = False) -> Attachment:
    """Validate (tickets.uploads) and store one file; a refused file raises AttachmentRejected."""
    ticket = _locked(ticket)
    roles = _require(
        ticket, uploaded_by, {*STAFF_ROLES, Role.REQUESTER}, "You may not add files to this ticket."
    )
    if is_internal and not roles & STAFF_ROLES:
        raise ActionNotAllowed("Only engineers can add internal files.")
    clean = validate_upload(upload)
    return _store_attachments(
        ticket, [clean], uploaded_by=uploaded_by, is_internal=is_internal, comment=None
    )[0]


@transaction.atomic
def review_create(*, ticket: Ticket, author: User, rating: int, comment: str = "") -> Review:
    """The requester's CSAT rating, once, after resolution; it also credits the assigned engineer."""
    ticket = _locked(ticket)
    if author.pk != ticket.requester_id:
        raise ReviewNotAllowed("Only the person who opened the ticket can rate it.")
    if ticket.state not in INDEXED_STATES:
        raise ReviewNotAllowed("You can rate a ticket once it is resolved.")
    if not 1 <= int(rating) <= 5:
        raise ReviewNotAllowed("A rating is from 1 to 5.")
    if Review.objects.filter(ticket=ticket).exists():
        raise ReviewNotAllowed("This ticket has already been rated.")
    try:
        with transaction.atomic():
            review = Review.objects.create(
                ticket=ticket,
                site_id=ticket.site_id,
                author=author,
                engineer=ticket.assignee,
                rating=int(rating),
                comment=comment.strip(),
            )
    except IntegrityError as error:
        raise ReviewNotAllowed("This ticket has already been rated.") from error
    _event(ticket, Kind.CSAT, actor=author, new=str(review.rating), message=review.comment[:500])
    return review
