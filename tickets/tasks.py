"""django-q2 entry points: they take ids, call a service, and are safe to run twice."""

from __future__ import annotations

import logging

from tickets.models import Ticket
from tickets.services import ticket_auto_assign

logger = logging.getLogger(__name__)


def ticket_triage(ticket_id: int) -> None:
    """AI triage of a new ticket (tickets.triage decides, then assigns); if it fails the ticket stays new."""
    from tickets.triage import triage_ticket  # written alongside by the AI layer; imported when the job runs

    triage_ticket(ticket_id=ticket_id)


def ticket_auto_assign_task(ticket_id: int) -> int | None:
    """Auto-assign an open unassigned ticket; returns the assignee's id (None when nobody could take it)."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        logger.warning("ticket_auto_assign_task: ticket %s is gone", ticket_id)
        return None
    return ticket_auto_assign(ticket=ticket).assignee_id
