"""Admins issue site service tokens and register webhooks in the Django admin."""

import re

import pytest

from integrations.models import ApiToken, Webhook

pytestmark = pytest.mark.django_db


def test_it_issues_a_service_token_and_shows_the_secret_once(login, admin_user, site_a):
    client = login(admin_user)

    response = client.post(
        "/admin/integrations/apitoken/add/",
        {"site": site_a.pk, "name": "Zabbix", "access": "engineer", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )

    assert response.status_code == 200
    [secret] = re.findall(r"(hdk_[0-9a-f]+_[\w-]+)", response.content.decode())
    token = ApiToken.objects.get()
    assert (token.kind, token.site, token.user.role, token.created_by) == (
        "service",
        site_a,
        "engineer",
        admin_user,
    )
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()["site_ids"] == [
        site_a.pk
    ]


def test_it_revokes_tokens_with_the_admin_action(login, admin_user, site_a):
    client = login(admin_user)
    client.post("/admin/integrations/apitoken/add/", {"site": site_a.pk, "name": "RMM", "access": "reporter"})
    token = ApiToken.objects.get()

    client.post(
        "/admin/integrations/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )

    token.refresh_from_db()
    token.user.refresh_from_db()
    assert token.revoked_at is not None
    assert token.user.is_active is False


def test_it_registers_a_webhook_with_a_generated_secret(login, admin_user, site_a):
    response = login(admin_user).post(
        "/admin/integrations/webhook/add/",
        {
            "site": site_a.pk,
            "url": "https://hooks.example/in",
            "events": ["ticket.created"],
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    webhook = Webhook.objects.get()
    assert (webhook.events, webhook.created_by, len(webhook.secret) >= 40) == (
        ["ticket.created"],
        admin_user,
        True,
    )


def test_it_keeps_the_token_admin_from_other_roles(login, engineer_a):
    assert login(engineer_a).get("/admin/integrations/apitoken/").status_code == 302
