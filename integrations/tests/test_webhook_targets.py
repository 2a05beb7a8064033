"""Webhooks never reach the helpdesk's own network: internal addresses are refused when a webhook is saved
and again at every delivery (a name may be re-pointed after it was checked), and the connection goes to
the address that was checked."""

import socket

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from integrations.models import Webhook
from integrations.services import api_token_create, webhook_create, webhooks_emit
from integrations.tasks import webhook_deliver
from testing.webhooks import Receiver

pytestmark = pytest.mark.django_db

INTERNAL_URLS = [
    "http://127.0.0.1:8200/",
    "http://10.1.2.3/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://localhost:8200/",  # a name that resolves to loopback
    "http://[::1]:8200/",
    "http://[::ffff:127.0.0.1]/",
]


@pytest.fixture
def dns(monkeypatch):
    """Names of our own making, answered with a scripted series of addresses (the last one repeats)."""
    answers: dict[str, list[str]] = {}
    lookups: list[str] = []
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 80))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return answers, lookups


@pytest.fixture
def receiver():
    server = Receiver((200,))
    yield server
    server.close()


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_it_refuses_to_save_a_webhook_to_an_internal_address(site_a, admin_user, url):
    with pytest.raises(ValidationError) as refused:
        webhook_create(site=site_a, url=url, events=["ticket.created"], created_by=admin_user)

    [message] = refused.value.message_dict["url"]
    assert message.startswith("Webhooks cannot reach ") and message.endswith(".")
    assert not Webhook.objects.exists()


def test_it_answers_422_with_a_field_error_in_the_api(site_a, admin_user):
    client = Client(headers={"Authorization": f"Bearer {api_token_create(user=admin_user, name='t').secret}"})

    response = client.post(
        "/api/v1/integrations/webhooks",
        {"site_id": site_a.pk, "url": "http://169.254.169.254/latest/", "events": ["ticket.created"]},
        content_type="application/json",
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "url"]
    assert "169.254.169.254" in error["msg"]


def test_it_shows_the_refusal_on_the_admin_form(login, site_a, admin_user):
    response = login(admin_user).post(
        "/admin/integrations/webhook/add/",
        {"site": site_a.pk, "url": "http://10.0.0.7/hook", "events": ["ticket.created"], "is_active": "on"},
    )

    assert response.status_code == 200
    assert "Webhooks cannot reach 10.0.0.7" in response.content.decode()
    assert not Webhook.objects.exists()


def test_it_allows_a_host_named_in_the_setting(settings, site_a, admin_user):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]

    webhook = webhook_create(
        site=site_a, url="http://127.0.0.1:8200/", events=["ticket.created"], created_by=admin_user
    )

    assert webhook.pk


def test_it_refuses_a_delivery_to_a_name_re_pointed_at_loopback(dns, receiver, site_a, admin_user):
    answers, _ = dns
    answers["hooks.rebind.test"] = ["93.184.216.34", "127.0.0.1"]  # public when saved, loopback after
    url = f"http://hooks.rebind.test:{receiver.server.server_port}/in"
    webhook_create(site=site_a, url=url, events=["ticket.created"], created_by=admin_user)
    [delivery] = webhooks_emit(site=site_a, event="ticket.created", payload={})

    assert webhook_deliver(delivery.pk) == "retrying"

    assert receiver.requests == []
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code is None
    assert attempt.error.startswith("Webhooks cannot reach hooks.rebind.test (127.0.0.1): it is a loopback")


def test_it_connects_to_the_address_it_checked(dns, settings, receiver, site_a, admin_user):
    # If the connection resolved the name again it would reach the second answer (nothing listens there).
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.pinned.test"]
    answers, lookups = dns
    answers["hooks.pinned.test"] = ["127.0.0.1", "10.255.255.1"]
    url = f"http://hooks.pinned.test:{receiver.server.server_port}/in"
    webhook = webhook_create(site=site_a, url=url, events=["ticket.created"], created_by=admin_user)
    [delivery] = webhooks_emit(site=site_a, event="ticket.created", payload={})

    assert webhook_deliver(delivery.pk) == "succeeded"

    [(headers, _)] = receiver.requests
    assert headers["Host"] == f"hooks.pinned.test:{receiver.server.server_port}"
    assert lookups == ["hooks.pinned.test"]
    assert delivery.attempt_log.get().response_excerpt == "200 OK"
    assert webhook.url == url


def test_it_keeps_no_more_of_the_answer_than_its_status_line(settings, receiver, site_a, admin_user):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    webhook_create(site=site_a, url=receiver.url, events=["ticket.created"], created_by=admin_user)
    [delivery] = webhooks_emit(site=site_a, event="ticket.created", payload={})

    webhook_deliver(delivery.pk)

    assert delivery.attempt_log.get().response_excerpt == "200 OK"
