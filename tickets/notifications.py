"""Email notifications, sent after the transaction that caused them commits.

Services register these with transaction.on_commit; they re-read the rows by id. A mail failure is
logged and never undoes or breaks the ticket change that triggered it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from tickets.models import Comment, Ticket

logger = logging.getLogger(__name__)


def _link(ticket: Ticket) -> str:
    base = settings.HELPDESK_BASE_URL.rstrip("/")
    return f"{base}{reverse('tickets:detail', args=[ticket.pk])}"


def _send(subject: str, body: str, recipient: str | None) -> bool:
    if not recipient:
        return False
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    except Exception:
        logger.exception("Could not send notification %r", subject)
        return False
    return True


def _ticket(ticket_id: int) -> Ticket | None:
    return Ticket.objects.select_related("site", "requester", "assignee").filter(pk=ticket_id).first()


def notify_ticket_created(ticket_id: int) -> bool:
    ticket = _ticket(ticket_id)
    if ticket is None:
        return False
    body = (
        f'Hello {ticket.requester.display_name},\n\nWe received your request "{ticket.title}" '
        f"and will get back to you.\n\nFollow it here: {_link(ticket)}\n"
    )
    return _send(f"[#{ticket.pk}] We received your request", body, ticket.requester.email)


def notify_ticket_assigned(ticket_id: int) -> bool:
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.assignee is None:
        return False
    body = (
        f"Ticket #{ticket.pk} of {ticket.site.name} is now yours: {ticket.title}\n"
        f"Priority: {ticket.get_priority_display()}\n\n{_link(ticket)}\n"
    )
    return _send(f"[#{ticket.pk}] Assigned to you: {ticket.title}", body, ticket.assignee.email)


def notify_public_reply(comment_id: int) -> bool:
    comment = Comment.objects.select_related("ticket__requester", "ticket__assignee", "author").filter(
        pk=comment_id, is_internal=False
    )
    comment = comment.first()
    if comment is None:
        return False
    ticket = comment.ticket
    # The other side hears about it: a staff reply goes to the requester, the requester's to the assignee.
    if comment.author_id == ticket.requester_id:
        recipient = ticket.assignee.email if ticket.assignee else None
    else:
        recipient = ticket.requester.email
    author = comment.author.display_name if comment.author else "Someone"
    body = f'{author} wrote on #{ticket.pk} "{ticket.title}":\n\n{comment.body}\n\n{_link(ticket)}\n'
    return _send(f"[#{ticket.pk}] New reply: {ticket.title}", body, recipient)


def notify_ticket_resolved(ticket_id: int) -> bool:
    ticket = _ticket(ticket_id)
    if ticket is None:
        return False
    body = (
        f'Hello {ticket.requester.display_name},\n\nYour request "{ticket.title}" was resolved:\n\n'
        f"{ticket.resolution}\n\nIf it is not fixed, reopen it here; if it is, we would love a rating:\n"
        f"{_link(ticket)}\n"
    )
    return _send(f"[#{ticket.pk}] Resolved: {ticket.title}", body, ticket.requester.email)


def notify_urgent_ticket(ticket_id: int) -> int:
    """Email every engineer covering the ticket's site (and nobody else) about an urgent ticket, such as a
    security incident reported in chat; returns how many were sent."""
    from tickets.selectors import engineers_covering

    ticket = _ticket(ticket_id)
    if ticket is None:
        return 0
    body = (
        f"Urgent ticket #{ticket.pk} of {ticket.site.name} from {ticket.requester.display_name}: "
        f"{ticket.title}\n\n{ticket.description}\n\n{_link(ticket)}\n"
    )
    subject = f"[#{ticket.pk}] URGENT: {ticket.title}"
    return sum(_send(subject, body, engineer.email) for engineer in engineers_covering(site=ticket.site_id))
