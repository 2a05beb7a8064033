"""API authentication: personal tokens (hashed, expiring, revocable), service tokens, the session."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from integrations.models import ApiToken
from integrations.services import (
    ServiceAccess,
    api_token_create,
    api_token_revoke,
    service_token_create,
    token_hash,
)

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_it_answers_401_in_the_error_shape_without_credentials(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication required: a valid API token or session.",
        "errors": [],
    }
    assert response["WWW-Authenticate"] == "Bearer"


def test_it_authenticates_a_personal_token_and_stores_only_its_hash(client, customer_a, site_a):
    issued = api_token_create(user=customer_a, name="laptop script")
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.secret not in {stored.token_hash, stored.prefix}
    assert stored.token_hash == token_hash(issued.secret)

    response = client.get("/api/v1/me", **bearer(issued.secret))

    assert response.status_code == 200
    assert response.json() == {
        "id": customer_a.pk,
        "username": "alice",
        "display_name": "Alice Archer",
        "role": "customer",
        "site_ids": [site_a.pk],
        "token_kind": "personal",
    }


def test_it_records_the_last_use_of_a_token(client, customer_a):
    issued = api_token_create(user=customer_a, name="cron")
    assert issued.token.last_used_at is None

    before = timezone.now()
    client.get("/api/v1/me", **bearer(issued.secret))
    after = timezone.now()

    issued.token.refresh_from_db()
    assert before <= issued.token.last_used_at <= after  # set by this request, whatever it took


def test_it_refuses_a_wrong_secret_with_a_known_prefix(client, customer_a):
    issued = api_token_create(user=customer_a, name="cron")
    forged = issued.secret[:-4] + ("AAAA" if not issued.secret.endswith("AAAA") else "BBBB")

    assert client.get("/api/v1/me", **bearer(forged)).status_code == 401
    assert client.get("/api/v1/me", **bearer("not-a-token")).status_code == 401


def test_it_refuses_an_expired_token(client, customer_a):
    issued = api_token_create(user=customer_a, name="old", expires_at=timezone.now() + timedelta(hours=1))
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get("/api/v1/me", **bearer(issued.secret)).status_code == 401


def test_it_refuses_a_revoked_token(client, customer_a):
    issued = api_token_create(user=customer_a, name="leaked")
    assert client.get("/api/v1/me", **bearer(issued.secret)).status_code == 200

    api_token_revoke(token=issued.token)

    assert client.get("/api/v1/me", **bearer(issued.secret)).status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(client, customer_a):
    issued = api_token_create(user=customer_a, name="cron")
    customer_a.is_active = False
    customer_a.save()

    assert client.get("/api/v1/me", **bearer(issued.secret)).status_code == 401


def test_it_scopes_a_service_token_to_its_one_site(client, site_a, site_b, admin_user):
    issued = service_token_create(
        site=site_a, name="RMM", created_by=admin_user, access=ServiceAccess.ENGINEER
    )

    body = client.get("/api/v1/me", **bearer(issued.secret)).json()

    assert body["site_ids"] == [site_a.pk]
    assert body["role"] == "engineer"
    assert body["token_kind"] == "service"
    assert client.get(f"/api/v1/sites/{site_b.pk}", **bearer(issued.secret)).status_code == 404
    assert client.get(f"/api/v1/sites/{site_a.pk}", **bearer(issued.secret)).status_code == 200


def test_it_keeps_engineer_service_users_out_of_auto_assignment(site_a, admin_user):
    issued = service_token_create(
        site=site_a, name="RMM", created_by=admin_user, access=ServiceAccess.ENGINEER
    )
    profile = issued.token.user.profile
    assert (profile.is_available, profile.capacity, issued.token.user.has_usable_password()) == (
        False,
        0,
        False,
    )


def test_it_deactivates_the_integration_user_when_a_service_token_is_revoked(client, site_a, admin_user):
    issued = service_token_create(site=site_a, name="Monitoring", created_by=admin_user)
    assert client.get("/api/v1/me", **bearer(issued.secret)).json()["role"] == "customer"

    api_token_revoke(token=issued.token)

    issued.token.user.refresh_from_db()
    assert issued.token.user.is_active is False
    assert client.get("/api/v1/me", **bearer(issued.secret)).status_code == 401


def test_it_accepts_the_session_and_requires_csrf_for_writes(customer_a):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer_a)

    assert browser.get("/api/v1/me").status_code == 200
    refused = browser.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["errors"] == []

    browser.get("/accounts/login/")  # a page with a form hands out the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/v1/tokens", {"name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert accepted.status_code == 201


def test_it_does_not_demand_csrf_from_token_clients(customer_a):
    issued = api_token_create(user=customer_a, name="script")
    script = Client(enforce_csrf_checks=True)

    response = script.post(
        "/api/v1/tokens", {"name": "child"}, content_type="application/json", **bearer(issued.secret)
    )

    assert response.status_code == 201


def test_it_lets_no_operation_of_any_router_answer_without_credentials(client):
    schema = client.get("/api/v1/openapi.json").json()
    answers = {}

    for path, item in schema["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in item:
            answers[f"{method.upper()} {path}"] = getattr(client, method)(url).status_code

    assert len(answers) > 30
    assert set(answers.values()) == {401}, answers
