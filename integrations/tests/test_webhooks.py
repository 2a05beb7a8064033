"""Webhooks against a real HTTP receiver on localhost: signed bodies, logged attempts, bounded retries."""

import hashlib
import hmac
import json
import time

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from integrations.models import WebhookDelivery
from integrations.services import (
    WEBHOOK_MAX_ATTEMPTS,
    webhook_backoff,
    webhook_create,
    webhooks_emit,
    webhooks_emit_ticket,
)
from integrations.tasks import webhook_deliver
from testing.webhooks import Receiver
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings):
    """The receivers here listen on loopback, which webhooks may reach only when the operator says so."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def receiver():
    made = []

    def _make(*statuses):
        made.append(Receiver(statuses or (200,)))
        return made[-1]

    yield _make
    for server in made:
        server.close()


def test_it_delivers_a_signed_event_that_the_receiver_can_verify(receiver, site_a, admin_user):
    server = receiver(200)
    webhook = webhook_create(site=site_a, url=server.url, events=["ticket.created"], created_by=admin_user)
    [delivery] = webhooks_emit(site=site_a, event="ticket.created", payload={"id": 7, "title": "Printer"})

    before = time.time()
    assert webhook_deliver(delivery.pk) == "succeeded"
    after = time.time()

    [(headers, body)] = server.requests
    signed = headers["X-Helpdesk-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(webhook.secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Helpdesk-Signature"], expected)
    assert int(before) <= int(headers["X-Helpdesk-Timestamp"]) <= after  # the time of sending
    event = json.loads(body)
    assert (event["event"], event["id"], event["data"]) == (
        "ticket.created",
        str(delivery.uuid),
        {"id": 7, "title": "Printer"},
    )
    assert headers["X-Helpdesk-Event"] == "ticket.created"
    delivery.refresh_from_db()
    [attempt] = delivery.attempt_log.all()
    assert (delivery.status, delivery.attempts, attempt.status_code) == ("succeeded", 1, 200)
    assert attempt.response_excerpt == "200 OK"


def test_it_retries_with_backoff_and_logs_every_attempt(receiver, site_a, admin_user):
    server = receiver(500, 503, 200)
    webhook_create(site=site_a, url=server.url, events=["ticket.updated"], created_by=admin_user)
    [delivery] = webhooks_emit(site=site_a, event="ticket.updated", payload={"id": 1})

    before = timezone.now()
    assert webhook_deliver(delivery.pk) == "retrying"
    after = timezone.now()
    delivery.refresh_from_db()
    [retry] = Schedule.objects.filter(func="integrations.tasks.webhook_deliver")
    assert retry.args == repr((delivery.pk,))
    assert retry.schedule_type == Schedule.ONCE
    assert retry.next_run == delivery.next_attempt_at
    # One backoff after the failed attempt, which happened between `before` and `after`.
    assert before + webhook_backoff(1) <= delivery.next_attempt_at <= after + webhook_backoff(1)

    assert webhook_deliver(delivery.pk) == "retrying"
    assert webhook_deliver(delivery.pk) == "succeeded"

    delivery.refresh_from_db()
    log = [(a.number, a.status_code, a.response_excerpt) for a in delivery.attempt_log.all()]
    assert log == [
        (1, 500, "500 Internal Server Error"),
        (2, 503, "503 Service Unavailable"),
        (3, 200, "200 OK"),
    ]
    assert len(server.requests) == 3
    assert len({body for _, body in server.requests}) == 1  # every retry sends the same bytes


def test_it_gives_up_after_the_last_attempt(receiver, site_a, admin_user):
    server = receiver(500)
    webhook_create(site=site_a, url=server.url, events=["ticket.resolved"], created_by=admin_user)
    [delivery] = webhooks_emit(site=site_a, event="ticket.resolved", payload={"id": 1})

    outcomes = [webhook_deliver(delivery.pk) for _ in range(WEBHOOK_MAX_ATTEMPTS + 2)]

    assert outcomes == ["retrying"] * (WEBHOOK_MAX_ATTEMPTS - 1) + ["failed", None, None]
    assert len(server.requests) == WEBHOOK_MAX_ATTEMPTS
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        "failed",
        WEBHOOK_MAX_ATTEMPTS,
        None,
    )


def test_it_logs_an_unreachable_receiver_as_an_error(site_a, admin_user):
    closed = Receiver((200,))
    closed.close()
    webhook_create(site=site_a, url=closed.url, events=["ticket.created"], created_by=admin_user)
    [delivery] = webhooks_emit(site=site_a, event="ticket.created", payload={})

    assert webhook_deliver(delivery.pk) == "retrying"

    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code is None
    assert attempt.error


def test_it_does_not_follow_redirects_with_a_signed_body(receiver, site_a, admin_user):
    server = receiver(302)
    webhook_create(site=site_a, url=server.url, events=["ticket.created"], created_by=admin_user)
    [delivery] = webhooks_emit(site=site_a, event="ticket.created", payload={})

    assert webhook_deliver(delivery.pk) == "retrying"
    assert delivery.attempt_log.get().status_code == 302


def test_it_sends_an_already_delivered_event_only_once(receiver, site_a, admin_user):
    server = receiver(200)
    webhook_create(site=site_a, url=server.url, events=["ticket.created"], created_by=admin_user)
    [delivery] = webhooks_emit(site=site_a, event="ticket.created", payload={})

    webhook_deliver(delivery.pk)
    webhook_deliver(delivery.pk)

    assert len(server.requests) == 1


def test_it_queues_deliveries_only_for_the_sites_subscribed_webhooks_after_commit(
    receiver, site_a, site_b, admin_user, django_capture_on_commit_callbacks
):
    server = receiver(200)
    subscribed = webhook_create(site=site_a, url=server.url, events=["ticket.created"], created_by=admin_user)
    webhook_create(site=site_a, url=server.url, events=["ticket.resolved"], created_by=admin_user)
    webhook_create(site=site_b, url=server.url, events=["ticket.created"], created_by=admin_user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deliveries = webhooks_emit(site=site_a, event="ticket.created", payload={})
    assert OrmQ.objects.count() == 0
    for callback in callbacks:
        callback()

    assert [d.webhook for d in deliveries] == [subscribed]
    assert OrmQ.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1


def test_it_sends_the_ticket_as_the_api_shows_it(receiver, site_a, customer_a, admin_user, client):
    server = receiver(200)
    webhook_create(site=site_a, url=server.url, events=["ticket.created"], created_by=admin_user)
    ticket = ticket_create(site=site_a, requester=customer_a, title="VPN down", description="Since 9am")

    [delivery] = webhooks_emit_ticket(ticket=ticket, event="ticket.created")
    webhook_deliver(delivery.pk)

    [(_, body)] = server.requests
    client.force_login(customer_a)
    api_view = client.get(f"/api/v1/tickets/{ticket.pk}").json()
    sent = json.loads(body)["data"]
    assert sent == {key: value for key, value in api_view.items() if key not in ("triage", "review")}
