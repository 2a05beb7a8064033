"""Summaries of long tickets for the engineers working them: the problem, what was tried, where it
stands, the next step.

The worker regenerates a ticket's summary after each reply, note or state change (`ticket_summarize`,
queued on commit by tickets.services); the page only reads the stored one. With OpenAI it is one
grounded call (ai.openai_provider.summarize); offline, and whenever the model fails, it is extractive:
quoted from the history, and the page says so.
"""

from __future__ import annotations

from django.utils import timezone

from ai.base import Turn
from ai.providers import get_provider
from helpdesk.models import StoredSummary
from tickets.models import Comment, Ticket, TicketEvent, TicketState, TicketSummary

# A ticket with fewer replies and notes than this reads faster than its summary would.
SUMMARY_MIN_COMMENTS = 3


def ticket_turns(ticket: Ticket) -> list[Turn]:
    """The ticket's history, oldest first: the request, every reply and internal note (engineers read
    the summary, so notes count), and each state change."""
    turns = [Turn("customer", ticket.description or ticket.title)]
    entries: list[tuple] = []
    for comment in (
        Comment.objects.filter(ticket=ticket).select_related("author").order_by("created_at", "pk")
    ):
        if comment.is_internal:
            role = "internal"
        elif comment.author_id == ticket.requester_id:
            role = "customer"
        else:
            role = "engineer"
        entries.append((comment.created_at, comment.pk, Turn(role, comment.body)))
    for event in TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.TRANSITION).select_related(
        "actor"
    ):
        who = event.actor.display_name if event.actor else "the assistant"
        state = (
            TicketState(event.new_value).label if event.new_value in TicketState.values else event.new_value
        )
        when = timezone.localtime(event.created_at).strftime("%b %d, %H:%M")
        entries.append((event.created_at, event.pk, Turn("event", f"{state} since {when}, by {who}.")))
    return turns + [turn for *_order, turn in sorted(entries, key=lambda entry: entry[:2])]


def ticket_summarize(*, ticket_id: int, provider=None) -> TicketSummary | None:
    """Store a fresh summary of the ticket, or remove it when the ticket is short again (a deleted
    comment); None then. The guard's fallback makes an outage an extractive summary, never none."""
    ticket = Ticket.objects.select_related("site").filter(pk=ticket_id).first()
    if ticket is None:
        return None
    if Comment.objects.filter(ticket=ticket).count() < SUMMARY_MIN_COMMENTS:
        TicketSummary.objects.filter(ticket=ticket).delete()
        return None
    turns = ticket_turns(ticket)
    result = (provider or get_provider()).summarize(
        site=ticket.site, title=ticket.title, turns=turns, ticket_id=ticket.pk
    )
    summary, _ = TicketSummary.objects.update_or_create(
        ticket=ticket,
        defaults=StoredSummary.fields_from(result, turns=len(turns)),
    )
    return summary
