"""django-q2 entry points of the chat; safe to run twice."""

from helpdesk.ratelimit import rate_limit_prune


def ratelimit_windows_prune() -> int:
    """Drop rate-limit counters older than a day (schedule: hourly)."""
    return rate_limit_prune()


def incident_engineers_notify(ticket_id: int) -> int:
    """Tell the engineers covering the site about a security incident's urgent ticket (a second run sends
    the alert again, which is harmless)."""
    from tickets.notifications import notify_urgent_ticket

    return notify_urgent_ticket(ticket_id)
