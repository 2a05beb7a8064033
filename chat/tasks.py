"""django-q2 entry points of the chat; safe to run twice."""

from helpdesk.ratelimit import rate_limit_prune


def ratelimit_windows_prune() -> int:
    """Drop rate-limit counters older than a day (schedule: hourly)."""
    return rate_limit_prune()
