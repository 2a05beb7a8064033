"""Merging a duplicate into its survivor: one transaction that moves the conversation and closes the copy.

An engineer covering the site (or an admin) merges `source` into `target`: the source's replies, notes
and attachments move to the target, the source is closed with a link to it, both timelines record the
merge, and the source's requester gets one email once the merge commits. Both tickets must be open and of
the same site; anything refused raises before a row changes, and a failure later rolls everything back.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone

from helpdesk.models import User
from tickets import notifications
from tickets.errors import ActionNotAllowed, InvalidTransition, TicketError
from tickets.lifecycle import STAFF_ROLES
from tickets.models import OPEN_STATES, Attachment, Comment, Ticket, TicketEvent, TicketState
from tickets.services import _event, _require
from tickets.signals import ticket_changed

Kind = TicketEvent.Kind


def _moved(comments: int, attachments: int) -> str:
    replies = "1 reply or note" if comments == 1 else f"{comments} replies and notes"
    files = "1 attachment" if attachments == 1 else f"{attachments} attachments"
    return f"{replies} and {files}"


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: User) -> Ticket:
    """Merge `source` into `target` (the survivor) and return the target; raises a TicketError saying why
    when the merge is refused."""
    if source.pk == target.pk:
        raise TicketError("A ticket cannot be merged into itself.")
    if source.site_id != target.site_id:
        raise ActionNotAllowed("Tickets of two different sites cannot be merged.")
    # Lock both rows in id order, so two engineers merging the same pair both ways cannot deadlock, and
    # re-read them: a ticket merged or closed a moment ago is refused below.
    locked = Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
    rows = {ticket.pk: ticket for ticket in locked}
    source, target = rows[source.pk], rows[target.pk]
    for ticket in (source, target):
        _require(ticket, actor, STAFF_ROLES, "Only engineers covering this site can merge its tickets.")
        if ticket.state not in OPEN_STATES:
            raise InvalidTransition(f"Ticket #{ticket.pk} is not open; only open tickets can be merged.")

    comments = Comment.objects.filter(ticket=source).update(ticket=target)
    attachments = Attachment.objects.filter(ticket=source).update(ticket=target)
    moved = _moved(comments, attachments)

    old_state = source.state
    source.state = TicketState.CLOSED
    source.closed_at = timezone.now()
    source.merged_into = target
    source.resolution = f"Merged into #{target.pk} {target.title}"
    source.needs_assignment = False
    source.save(
        update_fields=["state", "closed_at", "merged_into", "resolution", "needs_assignment", "updated_at"]
    )
    # The merge closes the copy directly: the lifecycle table's "close" is for resolved tickets, while a
    # duplicate is closed because its work continues on the survivor.
    _event(
        source,
        Kind.TRANSITION,
        actor=actor,
        field="state",
        old=old_state,
        new=TicketState.CLOSED,
        message=f"Closed as a duplicate of #{target.pk}",
        data={"transition": "merge"},
    )
    _event(
        source,
        Kind.MERGED,
        actor=actor,
        message=f"Merged into #{target.pk} {target.title}; moved {moved} there",
        data={"merged_into": target.pk, "comments": comments, "attachments": attachments},
    )
    _event(
        target,
        Kind.MERGED,
        actor=actor,
        message=f"#{source.pk} {source.title} was merged into this ticket; {moved} moved here",
        data={"merged_from": source.pk, "comments": comments, "attachments": attachments},
    )
    Ticket.objects.filter(pk=target.pk).update(updated_at=timezone.now())
    transaction.on_commit(partial(notifications.notify_ticket_merged, source.pk))
    ticket_changed.send(sender=Ticket, ticket=source, event="ticket.updated")
    ticket_changed.send(sender=Ticket, ticket=target, event="ticket.updated")
    return target
