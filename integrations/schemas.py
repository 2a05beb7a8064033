"""Request and response shapes of the integrations, sites and token endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from integrations.models import WebhookEvent
from integrations.services import ServiceAccess

EventName = Literal[tuple(WebhookEvent.values)]


class SiteOut(Schema):
    id: int
    name: str
    slug: str
    kind: str
    contact_name: str
    contact_email: str
    contact_phone: str
    is_active: bool
    created_at: datetime


class SiteIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=1, max_length=60, pattern=r"^[-a-z0-9_]+$")
    kind: str = Field("", max_length=60)
    contact_name: str = Field("", max_length=200)
    contact_email: str = Field("", max_length=254)


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    site_ids: list[int]
    token_kind: str | None = Field(None, description="personal or service when called with a token")


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    expires_at: datetime | None = None


class TokenOut(Schema):
    id: int
    kind: str
    name: str
    prefix: str
    site_id: int | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    is_active: bool


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The bearer value. Shown once: only its hash is stored.")


class ServiceTokenIn(TokenIn):
    site_id: int
    access: Literal["reporter", "engineer"] = ServiceAccess.REPORTER


class WebhookIn(Schema):
    site_id: int
    url: str = Field(max_length=500, pattern=r"^https?://\S+$")
    events: list[EventName] = Field(min_length=1)
    description: str = Field("", max_length=200)


class WebhookOut(Schema):
    id: int
    site_id: int
    url: str
    description: str
    events: list[str]
    is_active: bool
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="Verify X-Helpdesk-Signature with it. Shown at creation only.")


class WebhookAttemptOut(Schema):
    number: int
    status_code: int | None
    response_excerpt: str
    error: str
    duration_ms: int
    created_at: datetime


class WebhookDeliveryOut(Schema):
    id: int
    uuid: str
    event: str
    status: str
    attempts: int
    last_status_code: int | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[WebhookAttemptOut]

    @staticmethod
    def resolve_uuid(obj) -> str:
        return str(obj.uuid)

    @staticmethod
    def resolve_attempt_log(obj) -> list:
        return list(obj.attempt_log.all())
