"""Login and password-reset throttling, counted in the database (no per-process state).

After LOGIN_THROTTLE_USER_LIMIT failures for one username, or LOGIN_THROTTLE_ADDRESS_LIMIT from one
address, within LOGIN_THROTTLE_WINDOW_SECONDS, further attempts are refused before the password is even
checked (so a locked account is no password oracle) until the oldest failure leaves the window.
A successful login clears that username's failures; an address's failures only age out.

Password reset requests are counted per typed email address and per client address in the fixed
windows of helpdesk.ratelimit (RATE_LIMITS "password_reset_account" and "password_reset_address").
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.forms import UsernameField
from django.db import transaction
from django.utils import timezone

from helpdesk.guard.models import LoginFailure
from helpdesk.ratelimit import RateLimited, rate_limit_hit

RESET_ACCOUNT = "password_reset_account"
RESET_ADDRESS = "password_reset_address"


@dataclass(frozen=True)
class Throttled:
    scope: str  # LoginFailure.Scope, RESET_ACCOUNT or RESET_ADDRESS
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after / 60))
        wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
        if self.scope == LoginFailure.Scope.USERNAME:
            return f"Too many failed logins for this account. Try again in {wait}, or reset your password."
        if self.scope == RESET_ACCOUNT:
            return (
                f"Too many password reset requests for this email address. Try again in {wait}; "
                "if it belongs to an account, the emails already sent are on their way."
            )
        if self.scope == RESET_ADDRESS:
            return f"Too many password reset requests from your network address. Try again in {wait}."
        return f"Too many failed logins from your network address. Try again in {wait}."


def _window() -> timedelta:
    return timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def _key(scope: str, value: str) -> str:
    return hashlib.sha256(f"{scope}:{value}".encode()).hexdigest()


def _username_key(username: str) -> str:
    """The username as the login form hands it to the backend (stripped, NFKC), then case-folded.

    Every spelling that can reach one account ("\uff56ictim" with a fullwidth v is "victim" after NFKC)
    must count against one key, or a locked account is reopened by a look-alike spelling.
    """
    return UsernameField().to_python(username).casefold()


def _keys(*, username: str, address: str | None) -> list[tuple[str, str, int]]:
    keys = []
    if username:
        limit = settings.LOGIN_THROTTLE_USER_LIMIT
        keys.append((LoginFailure.Scope.USERNAME, _key("username", _username_key(username)), limit))
    if address:
        limit = settings.LOGIN_THROTTLE_ADDRESS_LIMIT
        keys.append((LoginFailure.Scope.ADDRESS, _key("address", address), limit))
    return keys


def login_throttle_check(*, username: str, address: str | None) -> Throttled | None:
    """The reason this attempt must be refused, or None when it may go ahead."""
    now = timezone.now()
    since = now - _window()
    for scope, key, limit in _keys(username=username, address=address):
        recent = LoginFailure.objects.filter(scope=scope, key=key, created_at__gt=since)
        times = list(recent.order_by("-created_at").values_list("created_at", flat=True)[:limit])
        if len(times) >= limit:
            # Blocked until the limit-th most recent failure leaves the window.
            retry_after = (times[limit - 1] + _window() - now).total_seconds()
            return Throttled(scope=scope, retry_after=max(1, math.ceil(retry_after)))
    return None


@transaction.atomic
def login_failure_record(*, username: str, address: str | None) -> None:
    now = timezone.now()
    LoginFailure.objects.filter(created_at__lte=now - _window()).delete()
    LoginFailure.objects.bulk_create(
        LoginFailure(scope=scope, key=key, created_at=now)
        for scope, key, _ in _keys(username=username, address=address)
    )


def login_success_record(*, username: str) -> None:
    scope, key, _ = _keys(username=username, address=None)[0]
    LoginFailure.objects.filter(scope=scope, key=key).delete()


def password_reset_throttle_hit(*, email: str, address: str | None) -> Throttled | None:
    """Count one reset request per email address and per client address; the refusal past a limit.

    The email is counted as typed (NFKC, case-folded, as Django's reset form matches it), whether or not
    an account has it, so a refusal reveals nothing about which addresses exist.
    """
    hits = [(RESET_ACCOUNT, _key("email", unicodedata.normalize("NFKC", email.strip()).casefold()))]
    if address:
        hits.insert(0, (RESET_ADDRESS, _key("address", address)))
    for scope, key in hits:
        try:
            rate_limit_hit(scope=scope, key=key)
        except RateLimited as error:
            return Throttled(scope=scope, retry_after=error.retry_after)
    return None
