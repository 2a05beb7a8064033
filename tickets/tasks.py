"""django-q2 entry points: they take ids, call a service, and are safe to run twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from helpdesk.jobs import enqueue_on_commit
from tickets.models import Ticket
from tickets.selectors import tickets_awaiting_triage
from tickets.services import ticket_auto_assign

logger = logging.getLogger(__name__)
TRIAGE_SWEEP_AFTER = timedelta(minutes=10)


def ticket_triage(ticket_id: int) -> None:
    """AI triage of a new ticket (tickets.triage decides, then assigns); if it fails the ticket stays new."""
    from tickets.triage import triage_ticket  # imported when the job runs: triage pulls in the AI layer

    # The duplicate search is its own job, queued by the ticket's first worker job (one job per new
    # ticket from the request; the triage sweep re-queues both), so a failing triage never stops it.
    enqueue_on_commit("tickets.tasks.ticket_duplicates_detect", ticket_id)
    triage_ticket(ticket_id=ticket_id)


def ticket_duplicates_detect(ticket_id: int) -> int:
    """Flag the open near-duplicates of a ticket on both tickets (tickets.duplicates); returns how many."""
    from tickets.duplicates import ticket_duplicates_detect as detect  # loads the embedder when it runs

    return len(detect(ticket_id=ticket_id))


def tickets_triage_sweep() -> int:
    """Re-queue triage of tickets left in `new` without a triage (a worker died, a Redis queue was lost).

    Triage is idempotent, so a ticket whose first job is merely slow is triaged once all the same.
    """
    ticket_ids = list(tickets_awaiting_triage(older_than=TRIAGE_SWEEP_AFTER))
    for ticket_id in ticket_ids:
        enqueue_on_commit("tickets.tasks.ticket_triage", ticket_id)
    if ticket_ids:
        logger.warning("re-queued triage of %d ticket(s) left untriaged", len(ticket_ids))
    return len(ticket_ids)


def ticket_auto_assign_task(ticket_id: int) -> int | None:
    """Auto-assign an open unassigned ticket; returns the assignee's id (None when nobody could take it)."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        logger.warning("ticket_auto_assign_task: ticket %s is gone", ticket_id)
        return None
    return ticket_auto_assign(ticket=ticket).assignee_id


def triage_models_retrain() -> int:
    """Retrain the triage classifier of every active site whose resolved tickets changed enough since its
    last training (tickets.classifier.needs_retraining); returns how many were trained."""
    from helpdesk.models import Site
    from retrieval.embedders import model_name_for
    from tickets.classifier import needs_retraining, train_site_classifier

    trained = 0
    for site in Site.objects.filter(is_active=True).order_by("pk"):
        if needs_retraining(site, model_name_for()):
            trained += train_site_classifier(site=site) is not None
    return trained


def ticket_summary_refresh(ticket_id: int) -> bool:
    """Regenerate a ticket's summary after a reply, note or state change (tickets.summaries); True when
    the ticket is long enough to have one."""
    from tickets.summaries import ticket_summarize  # the AI layer loads when the job runs

    return ticket_summarize(ticket_id=ticket_id) is not None
