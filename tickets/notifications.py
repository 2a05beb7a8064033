"""Email notifications, sent after the transaction that caused them commits.

Services register these with transaction.on_commit; they re-read the rows by id. A mail failure is
logged and never undoes or breaks the ticket change that triggered it.
"""

from __future__ import annotations

import logging
import re
import secrets
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from tickets.models import Comment, Ticket

logger = logging.getLogger(__name__)


def _link(ticket: Ticket) -> str:
    base = settings.HELPDESK_BASE_URL.rstrip("/")
    return f"{base}{reverse('tickets:detail', args=[ticket.pk])}"


def _mail_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2].lower() or "localhost"


def thread_root_id(ticket_id: int) -> str:
    """The Message-ID of a ticket's first mail. Every later mail about the ticket points at it, so mail
    clients thread them and a reply names its ticket (read back by integrations.mail_in)."""
    return f"<ticket-{ticket_id}@{_mail_domain()}>"


def ticket_id_from_message_id(message_id: str) -> int | None:
    """The ticket a Message-ID of ours was about (`thread_root_id` or a later mail's), else None."""
    pattern = rf"<ticket-(\d+)(?:\.[0-9a-f]+)?@{re.escape(_mail_domain())}>"
    match = re.fullmatch(pattern, message_id.strip(), flags=re.IGNORECASE)
    return int(match.group(1)) if match else None


def _thread_headers(ticket_id: int, *, first: bool) -> dict[str, str]:
    root = thread_root_id(ticket_id)
    # RFC 3834: marks our mail as machine-sent, so out-of-office responders do not answer it.
    headers = {"Auto-Submitted": "auto-generated"}
    if first:
        return {**headers, "Message-ID": root}
    own = f"<ticket-{ticket_id}.{secrets.token_hex(6)}@{_mail_domain()}>"
    return {**headers, "Message-ID": own, "In-Reply-To": root, "References": root}


def _send(subject: str, body: str, recipient: str | None, *, ticket_id: int, first: bool = False) -> bool:
    if not recipient:
        return False
    try:
        headers = _thread_headers(ticket_id, first=first)
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient], headers=headers).send()
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
    return _send(
        f"[#{ticket.pk}] We received your request",
        body,
        ticket.requester.email,
        ticket_id=ticket.pk,
        first=True,
    )


def notify_ticket_assigned(ticket_id: int) -> bool:
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.assignee is None:
        return False
    body = (
        f"Ticket #{ticket.pk} of {ticket.site.name} is now yours: {ticket.title}\n"
        f"Priority: {ticket.get_priority_display()}\n\n{_link(ticket)}\n"
    )
    return _send(
        f"[#{ticket.pk}] Assigned to you: {ticket.title}", body, ticket.assignee.email, ticket_id=ticket.pk
    )


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
    return _send(f"[#{ticket.pk}] New reply: {ticket.title}", body, recipient, ticket_id=ticket.pk)


def notify_ticket_resolved(ticket_id: int) -> bool:
    ticket = _ticket(ticket_id)
    if ticket is None:
        return False
    body = (
        f'Hello {ticket.requester.display_name},\n\nYour request "{ticket.title}" was resolved:\n\n'
        f"{ticket.resolution}\n\nIf it is not fixed, reopen it here; if it is, we would love a rating:\n"
        f"{_link(ticket)}\n"
    )
    return _send(
        f"[#{ticket.pk}] Resolved: {ticket.title}", body, ticket.requester.email, ticket_id=ticket.pk
    )


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
    return sum(
        _send(subject, body, engineer.email, ticket_id=ticket.pk)
        for engineer in engineers_covering(site=ticket.site_id)
    )


def notify_ticket_merged(ticket_id: int) -> bool:
    """Tell the requester of a ticket merged into another one, once: the merge sends nothing else."""
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.merged_into_id is None:
        return False
    survivor = ticket.merged_into
    if survivor.requester_id == ticket.requester_id:
        follow = f'We continue on #{survivor.pk} "{survivor.title}": {_link(survivor)}'
    else:
        follow = f"An engineer continues on #{survivor.pk}, which a colleague reported."
    body = (
        f'Hello {ticket.requester.display_name},\n\nYour request "{ticket.title}" is the same problem as '
        f"ticket #{survivor.pk}, so we merged the two and closed #{ticket.pk}; your messages and files "
        f"moved there.\n\n{follow}\n"
    )
    return _send(
        f"[#{ticket.pk}] Merged into #{survivor.pk}: {ticket.title}",
        body,
        ticket.requester.email,
        ticket_id=ticket.pk,
    )
