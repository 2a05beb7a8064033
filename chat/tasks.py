"""django-q2 entry points of the chat; safe to run twice."""

from chat import services
from helpdesk.ratelimit import rate_limit_prune


def ratelimit_windows_prune() -> int:
    """Drop rate-limit counters older than a day (schedule: hourly)."""
    return rate_limit_prune()


def orphaned_questions_answer() -> int:
    """Answer the questions a crash left waiting, each exactly once (schedule: every minute)."""
    return services.orphaned_questions_answer()


def conversation_categorize(conversation_id: int) -> str:
    """Queued when a conversation closes: its category, from its ticket or triaged like a ticket."""
    conversation = services.conversation_triage(conversation_id=conversation_id)
    return conversation.category_source if conversation else ""


def incident_engineers_notify(ticket_id: int) -> int:
    """Tell the engineers covering the site about a security incident's urgent ticket (a second run sends
    the alert again, which is harmless)."""
    from tickets.notifications import notify_urgent_ticket

    return notify_urgent_ticket(ticket_id)


def conversation_summary_refresh(conversation_id: int) -> bool:
    """Regenerate a conversation's summary for engineers (chat.summaries); True when it is long enough."""
    from chat.summaries import conversation_summarize  # the AI layer loads when the job runs

    return conversation_summarize(conversation_id=conversation_id) is not None
