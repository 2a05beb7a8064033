from datetime import UTC, datetime, timedelta

import pytest

from chat.tasks import ratelimit_windows_prune
from helpdesk.models import RateLimitWindow
from helpdesk.ratelimit import RateLimited, rate_limit_hit

NOW = datetime(2026, 11, 29, 12, 0, 50, tzinfo=UTC)


def test_it_counts_per_user_and_scope_in_fixed_windows(settings, customer_a, customer_b):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "chat": (2, 60)}
    rate_limit_hit(user=customer_a, scope="chat", now=NOW)
    usage = rate_limit_hit(user=customer_a, scope="chat", now=NOW)
    with pytest.raises(RateLimited) as limited:
        rate_limit_hit(user=customer_a, scope="chat", now=NOW)

    assert usage.count == 2
    assert limited.value.retry_after == 10
    assert "at most 2 chat requests per 60 seconds" in str(limited.value)
    # Another user, another scope and the next window each count on their own.
    assert rate_limit_hit(user=customer_b, scope="chat", now=NOW).count == 1
    assert rate_limit_hit(user=customer_a, scope="ai", now=NOW).count == 1
    assert rate_limit_hit(user=customer_a, scope="chat", now=NOW + timedelta(seconds=10)).count == 1


def test_it_prunes_old_windows(customer_a):
    rate_limit_hit(user=customer_a, scope="chat", now=NOW - timedelta(days=2))
    rate_limit_hit(user=customer_a, scope="chat")

    assert ratelimit_windows_prune() == 1
    assert RateLimitWindow.objects.count() == 1
