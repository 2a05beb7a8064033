"""Writes for API tokens and webhooks."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from django_q.models import Schedule
from django_q.tasks import schedule

from helpdesk.jobs import enqueue_on_commit
from helpdesk.models import Site, User
from helpdesk.services import site_create, user_create
from helpdesk.tenancy import covers_site, scope_to_site
from integrations.mail_in import ParsedMail, mail_parse, mailbox_messages
from integrations.models import (
    ApiToken,
    IdempotencyKey,
    InboundMail,
    SupportAddress,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)
from tickets.errors import AttachmentRejected, TicketError
from tickets.models import Ticket, TicketSource
from tickets.notifications import ticket_id_from_message_id
from tickets.schemas import ticket_webhook_payload
from tickets.services import comment_create, ticket_create
from tickets.uploads import validate_upload

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "hdk"  # noqa: S105 - a public marker, not a secret
# last_used_at is a hint for the owner, not an audit log: one write a minute per token is plenty.
LAST_USED_RESOLUTION = timedelta(minutes=1)
WEBHOOK_MAX_ATTEMPTS = 5
WEBHOOK_BACKOFF_SECONDS = 30
WEBHOOK_TIMEOUT_SECONDS = 10
# Only the status line of an answer is kept: a body could be anything the receiver's network holds.
STATUS_LINE_CHARS = 100
SENDABLE = [WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING]
# Messages waiting for an engineer: held ones, and malformed ones (still worth a look: nothing is lost).
HELD_MAIL_STATUSES = [InboundMail.Status.HELD, InboundMail.Status.MALFORMED]


class ServiceAccess:
    """What a site service token may do: report like the site's people, or work tickets like its engineer."""

    REPORTER = "reporter"
    ENGINEER = "engineer"
    choices = [(REPORTER, "Reporter (acts as a customer of the site)"), (ENGINEER, "Engineer of the site")]


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the full bearer value: shown once, never stored


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _issue(
    *,
    kind: str,
    user: User,
    name: str,
    created_by: User | None,
    site: Site | None,
    expires_at: datetime | None,
) -> IssuedToken:
    prefix = secrets.token_hex(6)
    value = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        kind=kind,
        user=user,
        site=site,
        created_by=created_by,
        name=name,
        prefix=prefix,
        token_hash=token_hash(value),
        expires_at=expires_at,
    )
    return IssuedToken(token=token, secret=value)


@transaction.atomic
def site_register(
    *, name: str, slug: str, kind: str = "", contact_name: str = "", contact_email: str = ""
) -> Site:
    """site_create for input from outside: duplicates and bad emails become field errors, not a crash."""
    Site(name=name, slug=slug, kind=kind, contact_name=contact_name, contact_email=contact_email).full_clean(
        exclude=["created_at"]
    )
    return site_create(
        name=name, slug=slug, kind=kind, contact_name=contact_name, contact_email=contact_email
    )


@transaction.atomic
def api_token_create(*, user: User, name: str, expires_at: datetime | None = None) -> IssuedToken:
    """A personal token: acts as `user`, sees what `user` sees."""
    return _issue(
        kind=ApiToken.Kind.PERSONAL, user=user, name=name, created_by=user, site=None, expires_at=expires_at
    )


@transaction.atomic
def service_token_create(
    *,
    site: Site,
    name: str,
    created_by: User | None,
    access: str = ServiceAccess.REPORTER,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """A site-scoped token acting as a dedicated integration user of that site only.

    A reporter is a customer of the site; an engineer covers only that site and is never available
    for auto-assignment (capacity 0), so integrations never receive work meant for people.
    """
    if access not in {ServiceAccess.REPORTER, ServiceAccess.ENGINEER}:
        raise ValueError(f"Unknown service access {access!r}.")
    username = f"svc-{slugify(site.slug)[:40]}-{secrets.token_hex(4)}"
    if access == ServiceAccess.ENGINEER:
        service_user = user_create(
            username=username,
            password=None,
            role=User.Role.ENGINEER,
            first_name="Integration:",
            last_name=name[:100],
            covered_sites=[site],
            is_available=False,
            capacity=0,
        )
    else:
        service_user = user_create(
            username=username,
            password=None,
            role=User.Role.CUSTOMER,
            site=site,
            first_name="Integration:",
            last_name=name[:100],
        )
    return _issue(
        kind=ApiToken.Kind.SERVICE,
        user=service_user,
        name=name,
        created_by=created_by,
        site=site,
        expires_at=expires_at,
    )


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; a service token's integration user is deactivated with it."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        if token.kind == ApiToken.Kind.SERVICE:
            User.objects.filter(pk=token.user_id).update(is_active=False)
    return token


def api_tokens_revoke_personal(*, user: User) -> int:
    """Revoke every live personal token of `user` (their password changed); the number revoked."""
    live = ApiToken.objects.filter(user=user, kind=ApiToken.Kind.PERSONAL, revoked_at__isnull=True)
    return live.update(revoked_at=timezone.now())


def api_token_touch(*, token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


class WebhookTargetRefused(Exception):
    """A webhook URL whose host is, or resolves to, an address of our own network."""


def _address_kind(address: str) -> str | None:
    """What makes an address internal, in words; None for a public address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if ip.is_private or ip.is_unspecified:
        return "a private address"
    if not ip.is_global or ip.is_multicast:
        return "a reserved address"
    return None


def _webhook_host_allowed(host: str) -> bool:
    return host.lower() in {name.lower() for name in settings.WEBHOOK_ALLOWED_HOSTS}


def webhook_target_resolve(*, url: str) -> str:
    """The one address a delivery to `url` connects to, after refusing internal ones.

    Every address the name resolves to is checked, not just the first: a name with one public and one
    private record could otherwise be steered inward. Raises WebhookTargetRefused, or OSError when
    the name does not resolve. Hosts in WEBHOOK_ALLOWED_HOSTS are resolved but not checked.
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    if not _webhook_host_allowed(host):
        for address in addresses:
            if kind := _address_kind(address):
                shown = address if address == host else f"{host} ({address})"
                raise WebhookTargetRefused(
                    f"Webhooks cannot reach {shown}: it is {kind}. Use a public address, or ask the "
                    "operator to allow this host in WEBHOOK_ALLOWED_HOSTS."
                )
    return addresses[0]


def webhook_url_check(*, url: str) -> None:
    """Refuse, as a field error, a URL that leads into our own network (checked again at each delivery).

    A name that does not resolve yet is accepted: its deliveries fail until it does, and are checked
    then.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise ValidationError({"url": "Enter a valid http:// or https:// address."}) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Enter an http:// or https:// address with a host name."})
    if _webhook_host_allowed(parts.hostname):
        return
    try:
        webhook_target_resolve(url=url)
    except WebhookTargetRefused as refused:
        raise ValidationError({"url": str(refused)}) from refused
    except (OSError, UnicodeError, ValueError):
        return


@transaction.atomic
def webhook_create(
    *, site: Site, url: str, events: list[str], created_by: User | None, description: str = ""
) -> Webhook:
    unknown = set(events) - set(WebhookEvent.values)
    if unknown or not events:
        raise ValueError(f"Events must be among {', '.join(WebhookEvent.values)}.")
    webhook_url_check(url=url)
    return Webhook.objects.create(
        site=site,
        url=url,
        events=sorted(set(events)),
        description=description,
        secret=secrets.token_urlsafe(32),
        created_by=created_by,
    )


@transaction.atomic
def webhook_delete(*, webhook: Webhook) -> None:
    webhook.delete()


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + HMAC-SHA256 over `"<timestamp>." + body`: the timestamp is signed so a captured
    delivery cannot be replayed later under a fresh timestamp."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@transaction.atomic
def webhooks_emit(*, site: Site, event: str, payload: dict) -> list[WebhookDelivery]:
    """Queue one delivery per active webhook of `site` subscribed to `event`, sent after commit.

    Called inside the caller's transaction: if the ticket write rolls back, so do its deliveries.
    """
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}.")
    deliveries = []
    for webhook in Webhook.objects.filter(site=site, is_active=True, events__contains=[event]):
        delivery = WebhookDelivery(webhook=webhook, site=site, event=event)
        delivery.body = json.dumps(
            {
                "id": str(delivery.uuid),
                "event": event,
                "site": {"id": site.pk, "slug": site.slug},
                "created_at": timezone.now().isoformat(),
                "data": payload,
            },
            cls=DjangoJSONEncoder,
            sort_keys=True,
        )
        delivery.save()
        deliveries.append(delivery)
    for delivery in deliveries:
        enqueue_on_commit("integrations.tasks.webhook_deliver", delivery.pk)
    return deliveries


def webhooks_emit_ticket(*, ticket: Ticket, event: str) -> list[WebhookDelivery]:
    """The ticket events: the payload is the ticket exactly as the API shows it (tickets.schemas)."""
    return webhooks_emit(site=ticket.site, event=event, payload=ticket_webhook_payload(ticket))


def _pinned_connection(parts: urllib.parse.SplitResult, address: str) -> http.client.HTTPConnection:
    """A connection to the address that was checked, whatever the name resolves to by now; for https
    the certificate is still verified against the host name (and SNI sent)."""
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=WEBHOOK_TIMEOUT_SECONDS)
    connection._create_connection = lambda _target, *args: socket.create_connection(
        (address, connection.port), *args
    )
    return connection


def _post(*, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """POST once; (status code or None, status line, error) — never raises for network trouble.

    Redirects are not followed (http.client never does): a receiver answers for itself, and following
    one would send a signed body somewhere else.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        connection = _pinned_connection(parts, webhook_target_resolve(url=url))
        try:
            path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, f"{response.status} {response.reason}"[:STATUS_LINE_CHARS], ""
        finally:
            connection.close()
    except WebhookTargetRefused as refused:
        return None, "", str(refused)[:300]
    except (http.client.HTTPException, OSError, UnicodeError, ValueError) as error:
        return None, "", (str(error) or type(error).__name__)[:300]


def webhook_backoff(attempt: int) -> timedelta:
    """Wait before attempt `attempt + 1`: 30 s, 2 min, 8 min, 32 min."""
    return timedelta(seconds=WEBHOOK_BACKOFF_SECONDS * 4 ** (attempt - 1))


def webhook_delivery_send(*, delivery_id: int) -> WebhookDelivery | None:
    """Make the next attempt of a pending delivery, log it, and schedule a retry with backoff.

    The row is locked for the attempt (skip_locked): two workers given the same delivery never both
    send it, and a delivery already succeeded or given up is left alone, so running this twice is safe.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("webhook")
            .filter(
                pk=delivery_id, status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING]
            )
            .first()
        )
        if delivery is None:
            return None
        body = delivery.body.encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GroundedHelpdesk-Webhooks/1",
            "X-Helpdesk-Event": delivery.event,
            "X-Helpdesk-Delivery": str(delivery.uuid),
            "X-Helpdesk-Timestamp": str(timestamp),
            "X-Helpdesk-Signature": webhook_signature(
                secret=delivery.webhook.secret, timestamp=timestamp, body=body
            ),
        }
        started = time.monotonic()
        status_code, excerpt, error = _post(url=delivery.webhook.url, body=body, headers=headers)
        delivery.attempts += 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            status_code=status_code,
            response_excerpt=excerpt,
            error=error,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        delivery.last_status_code = status_code
        if status_code is not None and 200 <= status_code < 300:
            delivery.status = WebhookDelivery.Status.SUCCEEDED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
        elif delivery.attempts >= WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.status = WebhookDelivery.Status.RETRYING
            delivery.next_attempt_at = timezone.now() + webhook_backoff(delivery.attempts)
            schedule(
                "integrations.tasks.webhook_deliver",
                delivery.pk,
                schedule_type=Schedule.ONCE,
                next_run=delivery.next_attempt_at,
            )
        delivery.save(
            update_fields=["attempts", "status", "last_status_code", "delivered_at", "next_attempt_at"]
        )
        return delivery


IDEMPOTENCY_KEY_TTL = timedelta(hours=24)


class IdempotencyKeyReused(Exception):
    """The key already stands for another request: its retry must send the same one."""


def idempotency_key_claim(
    *, user: User, token: ApiToken | None, key: str, method: str, path: str, fingerprint: str
) -> IdempotencyKey:
    """The caller's record for `key`: with a stored answer to replay, or freshly claimed (no status yet).

    Call it inside the transaction that does the request's work and then completes the record. The claim
    is an insert that ignores conflicts: a concurrent request with the same key waits on the unique index
    until the first one commits (and then finds its answer) or rolls back (and then claims the key itself).
    """
    owner = {"token": token} if token is not None else {"user": user, "token": None}
    IdempotencyKey.objects.filter(
        **owner, key=key, created_at__lt=timezone.now() - IDEMPOTENCY_KEY_TTL
    ).delete()
    claim = IdempotencyKey(user=user, token=token, key=key, method=method, path=path, fingerprint=fingerprint)
    IdempotencyKey.objects.bulk_create([claim], ignore_conflicts=True)
    record = IdempotencyKey.objects.select_for_update().get(**owner, key=key)
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different request; use a new key for a new request."
        )
    return record


def idempotency_key_complete(
    *, record: IdempotencyKey, status_code: int, content_type: str, body: str | None
) -> None:
    """Keep a successful answer for the key's retries; a refused or failed request leaves the key unused."""
    if body is None or not 200 <= status_code < 300:
        record.delete()
        return
    record.status_code, record.content_type, record.response_body = status_code, content_type, body
    record.save(update_fields=["status_code", "content_type", "response_body"])


def idempotency_keys_purge() -> int:
    """Forget keys older than a day; returns how many."""
    cutoff = timezone.now() - IDEMPOTENCY_KEY_TTL
    return IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]


def _mail_sender_account(*, site: Site, address: str) -> tuple[User | None, str]:
    """The one active account of `site` that `address` belongs to (a customer, or an engineer covering
    the site), or the reason the message is held. Another site's customer is "not a customer of this
    site", exactly like a stranger: the reason never tells whose address it is."""
    accounts = [
        user
        for user in User.objects.filter(email__iexact=address, is_active=True).select_related("site")
        if (user.is_customer and user.site_id == site.pk) or covers_site(user, site.pk)
    ]
    if not accounts:
        return (
            None,
            f"{address} is not a customer of {site.name}: file it for the right customer, or discard it.",
        )
    if len(accounts) > 1:
        return None, f"Several accounts of {site.name} use {address}: file it for the right one."
    return accounts[0], ""


def _mail_thread_ticket(*, site: Site, parsed: ParsedMail) -> tuple[Ticket | None, str]:
    """The ticket a reply belongs to, from its In-Reply-To/References (our notifications' Message-IDs, or
    the Message-ID of the mail that opened or answered the ticket) or a `[#id]` in its subject.

    A reply that names a ticket of another site, or one that does not exist, is held, never filed."""
    named = {ticket_id_from_message_id(message_id) for message_id in parsed.references} - {None}
    named |= set(
        InboundMail.objects.filter(message_key__in=parsed.references, ticket__isnull=False).values_list(
            "ticket_id", flat=True
        )
    )
    if parsed.ticket_token is not None:
        named.add(parsed.ticket_token)
    if not named:
        return None, ""
    ticket = scope_to_site(Ticket.objects.all(), site).filter(pk__in=named).order_by("-pk").first()
    if ticket is None:
        listed = ", ".join(f"#{pk}" for pk in sorted(named))
        return None, f"It replies to ticket {listed}, which is not a ticket of {site.name}."
    return ticket, ""


def _mail_uploads(parsed: ParsedMail) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(a.name, a.content, a.content_type) for a in parsed.attachments]


def _mail_file(*, record: InboundMail, parsed: ParsedMail) -> None:
    """Decide what one claimed message becomes and write it; a refusal leaves it held with the reason."""
    if parsed.malformed:
        record.status, record.reason = InboundMail.Status.MALFORMED, parsed.malformed
        return
    if parsed.automatic:
        record.status, record.reason = InboundMail.Status.IGNORED, parsed.automatic
        return
    record.status = InboundMail.Status.HELD
    if record.site is None:
        record.reason = "It was not sent to any site's support address."
        return
    if not record.site.is_active:
        record.reason = f"{record.site.name} is not an active site."
        return
    sender, record.reason = _mail_sender_account(site=record.site, address=parsed.sender)
    if sender is None:
        return
    ticket, record.reason = _mail_thread_ticket(site=record.site, parsed=parsed)
    if record.reason:
        return
    if ticket is None and not sender.is_customer:
        # An engineer's mail can answer a ticket; a new request is always a customer's.
        record.reason = f"{parsed.sender} is an engineer: file it for the customer it is about."
        return
    try:
        with transaction.atomic():
            if ticket is not None:
                record.comment = comment_create(
                    ticket=ticket, author=sender, body=parsed.body, uploads=_mail_uploads(parsed)
                )
                # The comment's own ticket: a reply to a long-closed ticket may be filed as a follow-up.
                record.ticket, record.status = record.comment.ticket, InboundMail.Status.COMMENT
            else:
                record.ticket = ticket_create(
                    site=record.site,
                    requester=sender,
                    title=parsed.title,
                    description=parsed.body,
                    source=TicketSource.EMAIL,
                    uploads=_mail_uploads(parsed),
                )
                record.status = InboundMail.Status.TICKET
    except TicketError as refused:
        record.reason = str(refused)


def _mail_site(recipients: list[str]) -> Site | None:
    """The site of the first support address among the recipients, in header order."""
    supports = SupportAddress.objects.annotate(lower=Lower("address")).filter(lower__in=recipients)
    by_address = {support.lower: support.site for support in supports.select_related("site")}
    return next((by_address[address] for address in recipients if address in by_address), None)


def mail_receive(*, raw: bytes) -> tuple[InboundMail, bool]:
    """File one message from the support mailbox, exactly once; (its record, whether this call filed it).

    The record is claimed by its Message-ID (an insert that ignores conflicts, then a row lock), so a
    message read twice, or by two workers at once, is filed once. Whatever happens, the message is
    kept: filed, held for an engineer, ignored as automatic mail, or kept as malformed, with the reason.
    """
    parsed = mail_parse(raw)
    with transaction.atomic():
        claim = InboundMail(
            message_key=parsed.message_key,
            site=_mail_site(parsed.recipients),
            sender=parsed.sender[:320],
            subject=parsed.subject,
            raw=raw,
        )
        InboundMail.objects.bulk_create([claim], ignore_conflicts=True)
        record = (
            InboundMail.objects.select_for_update(of=("self",))
            .select_related("site")
            .get(message_key=claim.message_key)
        )
        if record.status != InboundMail.Status.RECEIVED:
            return record, False
        try:
            with transaction.atomic():
                _mail_file(record=record, parsed=parsed)
        except Exception as error:  # a bug must not lose the message: it is held with the reason
            logger.exception("Could not file inbound mail %s", record.message_key)
            record.status = InboundMail.Status.HELD
            record.reason = f"It could not be filed because of an internal error ({type(error).__name__})."
        record.processed_at = timezone.now()
        record.save(update_fields=["status", "reason", "ticket", "comment", "processed_at"])
    return record, True


def mailbox_fetch(*, source: str) -> Counter:
    """Read every message of the mailbox `source` (see integrations.mail_in); how many ended how."""
    outcome: Counter = Counter()
    for raw in mailbox_messages(source):
        record, filed = mail_receive(raw=raw)
        outcome[record.status if filed else "duplicate"] += 1
    return outcome


def _held_mail_locked(mail: InboundMail) -> InboundMail:
    locked = (
        InboundMail.objects.select_for_update(of=("self",))
        .select_related("site")
        .filter(pk=mail.pk, status__in=HELD_MAIL_STATUSES)
        .first()
    )
    if locked is None:
        raise TicketError("This email was already handled.")
    return locked


@transaction.atomic
def held_mail_file(*, mail: InboundMail, requester: User, actor: User) -> Ticket:
    """An engineer files a held message as a new ticket of the mail's site for `requester`.

    Attachments the upload validation refuses are left out (the mail keeps them, and its reason says
    which); everything else is as if the customer had sent it."""
    mail = _held_mail_locked(mail)
    if mail.site is None:
        raise TicketError("This email was sent to no site's address: it can only be discarded.")
    parsed = mail_parse(bytes(mail.raw))
    accepted, refused = [], []
    for upload in _mail_uploads(parsed):
        try:
            validate_upload(upload)
            accepted.append(upload)
        except AttachmentRejected as rejected:
            refused.append(str(rejected))
    ticket = ticket_create(
        site=mail.site,
        requester=requester,
        actor=actor,
        title=parsed.title,
        description=parsed.body or f"(The email from {parsed.sender or 'an unknown sender'} had no text.)",
        source=TicketSource.EMAIL,
        uploads=accepted,
    )
    mail.status, mail.ticket, mail.handled_by = InboundMail.Status.TICKET, ticket, actor
    mail.reason = " ".join([f"Filed by {actor.display_name}.", *(f"Not kept: {r}" for r in refused)])
    mail.processed_at = timezone.now()
    mail.save(update_fields=["status", "ticket", "handled_by", "reason", "processed_at"])
    return ticket


@transaction.atomic
def held_mail_discard(*, mail: InboundMail, actor: User) -> InboundMail:
    """An engineer decides a held message is not a request; it stays on record as discarded."""
    mail = _held_mail_locked(mail)
    mail.status, mail.handled_by, mail.processed_at = InboundMail.Status.DISCARDED, actor, timezone.now()
    mail.reason = f"{mail.reason} Discarded by {actor.display_name}.".strip()
    mail.save(update_fields=["status", "handled_by", "reason", "processed_at"])
    return mail
