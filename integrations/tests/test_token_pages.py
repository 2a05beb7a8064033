"""The profile page for personal API tokens: create (shown once), list, revoke; only one's own tokens."""

import re

import pytest

from integrations.models import ApiToken
from integrations.services import api_token_create

pytestmark = pytest.mark.django_db

PAGE = "/integrations/tokens/"


def test_it_creates_a_token_and_shows_its_secret_only_once(login, customer_a):
    client = login(customer_a)

    created = client.post(PAGE, {"name": "monitoring", "expires_on": "2099-01-31"})

    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    [secret] = re.findall(r'value="(hdk_[^"]+)"', created.content.decode())
    token = ApiToken.objects.get(user=customer_a)
    assert (token.name, token.expires_at.date().isoformat()) == ("monitoring", "2099-01-31")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    again = client.get(PAGE).content.decode()
    assert secret not in again
    assert f"hdk_{token.prefix}_…" in again


def test_it_refuses_an_expiry_in_the_past(login, customer_a):
    response = login(customer_a).post(PAGE, {"name": "old", "expires_on": "2001-01-01"})

    assert "Pick a day after today." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_it_revokes_ones_own_token(login, customer_a):
    issued = api_token_create(user=customer_a, name="laptop")

    response = login(customer_a).post(f"{PAGE}{issued.token.pk}/revoke/")

    assert response.status_code == 302
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None


def test_it_neither_lists_nor_revokes_another_users_token(login, customer_a, customer_b):
    issued = api_token_create(user=customer_a, name="alice-script")
    client = login(customer_b)

    assert "alice-script" not in client.get(PAGE).content.decode()
    assert client.post(f"{PAGE}{issued.token.pk}/revoke/").status_code == 404
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
