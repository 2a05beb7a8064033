"""AI triage and reply drafts for tickets: retrieval grounds them, the provider interface answers.

Nothing here talks to OpenAI or pgvector directly: `retrieval.grounding` finds the site's similar cases
and `helpdesk.ai.get_provider()` answers (with its own fallback and logging).
"""

from __future__ import annotations


def triage_ticket(*, ticket_id: int, provider=None):
    """Categorize a new ticket from its site's similar resolved cases, then auto-assign it."""
    from tickets.triage_impl import run_triage  # placeholder until the AI layer lands

    return run_triage(ticket_id=ticket_id, provider=provider)
