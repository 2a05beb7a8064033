"""Per-user rate limits for the chat and AI endpoints, counted in the database.

A fixed-window counter per (scope, user, window) is bumped with one atomic INSERT ... ON CONFLICT DO
UPDATE ... RETURNING, so every server process shares the same count and there is no per-process state.
Limits are `RATE_LIMITS = {scope: (requests, seconds)}` in settings; the defaults are below.
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from helpdesk.models import RateLimitWindow


class RateLimited(Exception):
    def __init__(self, *, scope: str, limit: int, seconds: int, retry_after: int):
        self.scope, self.limit, self.seconds, self.retry_after = scope, limit, seconds, retry_after
        super().__init__(
            f"Too many requests: at most {limit} {scope} requests per {seconds} seconds. "
            f"Try again in {retry_after} seconds."
        )


@dataclass(frozen=True)
class Usage:
    count: int
    limit: int
    retry_after: int


def limit_for(scope: str) -> tuple[int, int]:
    return settings.RATE_LIMITS[scope]


def rate_limit_hit(*, user=None, scope: str, key: str | None = None, now: datetime | None = None) -> Usage:
    """Count one request of `user` in `scope`; raise RateLimited past the limit of the current window.

    Callers without a user (password reset) count under their own `key` instead.
    """
    limit, seconds = limit_for(scope)
    now = now or timezone.now()
    epoch = int(now.timestamp())
    window_start = datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo or timezone.UTC)
    table = RateLimitWindow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1) "  # noqa: S608 - table name is ours
            f"ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [f"{scope}:{user.pk if key is None else key}", window_start],
        )
        (count,) = cursor.fetchone()
    retry_after = max(1, math.ceil((window_start + timedelta(seconds=seconds) - now).total_seconds()))
    if count > limit:
        raise RateLimited(scope=scope, limit=limit, seconds=seconds, retry_after=retry_after)
    return Usage(count=count, limit=limit, retry_after=retry_after)


def rate_limit_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    deleted, _ = RateLimitWindow.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted


def too_many_requests(request: HttpRequest, error: RateLimited) -> HttpResponse:
    """The 429 answer: JSON for API and script clients, a sentence for pages; Retry-After in both."""
    wants_json = request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
    if wants_json:
        body = {"detail": str(error), "errors": [], "retry_after": error.retry_after}
        response = JsonResponse(body, status=429)
    else:
        wait = f"{error.retry_after} second{'' if error.retry_after == 1 else 's'}"
        sentence = f"You are sending requests quickly. Please wait {wait}, then go back and try again."
        response = HttpResponse(sentence, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(error.retry_after)
    return response


def rate_limited(*scopes: str):
    """Decorate a view or a ninja endpoint (sync or async): each call counts in every scope given."""

    def decorator(view):
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(request, *args, **kwargs):
                user = await request.auser() if hasattr(request, "auser") else request.user
                if user.is_authenticated:
                    try:
                        for scope in scopes:
                            await sync_to_async(rate_limit_hit)(user=user, scope=scope)
                    except RateLimited as error:
                        return too_many_requests(request, error)
                return await view(request, *args, **kwargs)

            return async_wrapper

        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            user = getattr(request, "auth", None) or request.user
            if user is not None and user.is_authenticated:
                try:
                    for scope in scopes:
                        rate_limit_hit(user=user, scope=scope)
                except RateLimited as error:
                    return too_many_requests(request, error)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
