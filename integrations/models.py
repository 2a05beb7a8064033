"""API tokens (personal and site-scoped service tokens) and outgoing webhooks."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from helpdesk.models import Site


class ApiToken(models.Model):
    """A bearer token; only its sha256 is stored, the secret is shown once at creation.

    A personal token acts as its owner. A service token belongs to a site: it acts as a dedicated,
    password-less integration user whose only visible site is that one, so helpdesk.tenancy keeps
    deciding what it may see exactly as for people.
    """

    class Kind(models.TextChoices):
        PERSONAL = "personal", "Personal"
        SERVICE = "service", "Site service"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="service_tokens"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="service") | models.Q(site__isnull=False),
                name="service_token_has_site",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class WebhookEvent(models.TextChoices):
    TICKET_CREATED = "ticket.created", "Ticket created"
    TICKET_UPDATED = "ticket.updated", "Ticket updated"
    TICKET_RESOLVED = "ticket.resolved", "Ticket resolved"


class Webhook(models.Model):
    """A URL of a site's own systems that receives signed ticket events."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Kept in clear: signing every delivery needs it. Shown to admins only.
    secret = models.CharField(max_length=80)
    events = ArrayField(models.CharField(max_length=30, choices=WebhookEvent.choices), default=list)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site__name", "url"]

    def __str__(self) -> str:
        return f"{self.site} → {self.url}"


class WebhookDelivery(models.Model):
    """One event for one webhook; the body is frozen at creation so every retry sends the same bytes."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=30, choices=WebhookEvent.choices)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook.url} ({self.status})"


class WebhookAttempt(models.Model):
    """The log of one HTTP attempt of a delivery: what the receiver answered, or why it could not."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # Only the status line ("503 Service Unavailable"): a body could hold anything of the receiver's network.
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_unique")
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number}: {self.status_code or self.error}"


class IdempotencyKey(models.Model):
    """The answer to a creating API request sent with an `Idempotency-Key`, replayed to its retries.

    A key belongs to the token that sent it (or to the user, for a browser session), so it is never a way
    to read another caller's answer. Only successful answers are kept, for a day.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey(
        ApiToken, null=True, blank=True, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.TextField()
    # sha256 of the method, full path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    # Empty only inside the transaction of the first request, which fills it before it commits.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["token", "key"],
                condition=models.Q(token__isnull=False),
                name="idempotency_key_once_per_token",
            ),
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=models.Q(token__isnull=True),
                name="idempotency_key_once_per_session_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"


class SupportAddress(models.Model):
    """An address customers of a site write to; inbound mail is filed to the site it was sent to."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="support_addresses")
    address = models.EmailField(unique=True, help_text="e.g. support@alder.example")

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "support addresses"

    def __str__(self) -> str:
        return f"{self.address} → {self.site}"


class InboundMail(models.Model):
    """One message read from the support mailbox, kept whatever became of it.

    `message_key` (the Message-ID, or a hash of the bytes for a message without one) is unique: that is
    what makes every message processed exactly once, however often the mailbox is read.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        TICKET = "ticket", "Opened a ticket"
        COMMENT = "comment", "Added to a ticket"
        HELD = "held", "Held for an engineer"
        MALFORMED = "malformed", "Malformed"
        IGNORED = "ignored", "Ignored (automatic mail)"
        DISCARDED = "discarded", "Discarded by an engineer"

    message_key = models.CharField(max_length=998, unique=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    raw = models.BinaryField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    reason = models.TextField(blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        "tickets.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["site", "status"])]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject} ({self.status})"
