"""Reads for API tokens and webhooks."""

from __future__ import annotations

import hmac

from django.db.models import Q, QuerySet
from django.utils import timezone

from helpdesk.models import User
from helpdesk.tenancy import scope_to_user
from integrations.models import ApiToken, InboundMail, Webhook, WebhookDelivery
from integrations.services import HELD_MAIL_STATUSES, TOKEN_PREFIX, token_hash


def api_token_for_bearer(value: str) -> ApiToken | None:
    """The live token a bearer value names, or None (unknown, wrong secret, revoked, expired, inactive user).

    The lookup is by the public prefix; the secret is compared as a hash in constant time.
    """
    parts = value.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = (
        ApiToken.objects.select_related("user", "site")
        .filter(prefix=parts[1], revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, token_hash(value)):
        return None
    if token.kind == ApiToken.Kind.SERVICE and (token.site is None or not token.site.is_active):
        return None
    return token


def api_tokens_of_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, kind=ApiToken.Kind.PERSONAL)


def webhooks_for_user(*, user: User) -> QuerySet[Webhook]:
    return scope_to_user(Webhook.objects.select_related("site"), user)


def webhook_deliveries(*, webhook: Webhook) -> QuerySet[WebhookDelivery]:
    return webhook.deliveries.prefetch_related("attempt_log")


def service_tokens() -> QuerySet[ApiToken]:
    """Every site service token; only admins reach this."""
    return ApiToken.objects.filter(kind=ApiToken.Kind.SERVICE).select_related("site")


def held_mails_for_user(*, user: User) -> QuerySet[InboundMail]:
    """Held and malformed inbound mail of the sites an engineer covers (admins also see mail sent to no
    site's address); nothing for customers."""
    if not user.is_staff_member:
        return InboundMail.objects.none()
    held = InboundMail.objects.filter(status__in=HELD_MAIL_STATUSES).select_related("site").defer("raw")
    return scope_to_user(held, user, shared=user.is_helpdesk_admin)


def held_mail_customers(*, mail: InboundMail) -> QuerySet[User]:
    """Whom a held message can be filed for: the active customers of its site."""
    if mail.site_id is None:
        return User.objects.none()
    return User.objects.filter(site_id=mail.site_id, role=User.Role.CUSTOMER, is_active=True).order_by(
        "first_name", "last_name", "username"
    )
