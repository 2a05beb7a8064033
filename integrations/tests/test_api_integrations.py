"""Sites, personal tokens, service tokens and webhooks over the API: admins manage, others are scoped."""

import pytest
from django.test import Client

from helpdesk.models import Site
from integrations.models import ApiToken, Webhook
from integrations.services import api_token_create, webhook_create, webhooks_emit

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def _api(user) -> Client:
        secret = api_token_create(user=user, name="tests").secret
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return _api


def not_found(response) -> bool:
    return response.status_code == 404 and response.json() == {"detail": "Not found.", "errors": []}


# sites


def test_it_lists_only_the_sites_a_user_can_see(api, site_a, site_b, customer_a, engineer_b, admin_user):
    def slugs(user):
        return [site["slug"] for site in api(user).get("/api/v1/sites").json()]

    assert slugs(customer_a) == ["alder-finch"]
    assert slugs(engineer_b) == ["birchwood"]
    assert slugs(admin_user) == ["alder-finch", "birchwood"]


def test_it_hides_another_sites_details(api, site_a, site_b, customer_a):
    client = api(customer_a)

    assert client.get(f"/api/v1/sites/{site_a.pk}").json()["name"] == "Alder & Finch LLP"
    assert not_found(client.get(f"/api/v1/sites/{site_b.pk}"))


def test_it_lets_only_admins_register_sites(api, admin_user, engineer_a):
    payload = {"name": "Cedar School", "slug": "cedar", "kind": "school", "contact_email": "it@cedar.example"}

    refused = api(engineer_a).post("/api/v1/sites", payload, content_type="application/json")
    created = api(admin_user).post("/api/v1/sites", payload, content_type="application/json")

    assert refused.status_code == 403
    assert created.status_code == 201
    assert Site.objects.get(slug="cedar").kind == "school"


def test_it_answers_422_for_a_duplicate_or_malformed_site(api, admin_user, site_a):
    client = api(admin_user)

    duplicate = client.post(
        "/api/v1/sites", {"name": "Other", "slug": "alder-finch"}, content_type="application/json"
    )
    malformed = client.post(
        "/api/v1/sites",
        {"name": "X", "slug": "Not A Slug", "contact_email": "nope"},
        content_type="application/json",
    )

    assert duplicate.status_code == 422
    assert duplicate.json()["errors"][0]["loc"] == ["body", "slug"]
    assert malformed.status_code == 422
    assert {error["loc"][-1] for error in malformed.json()["errors"]} == {"slug"}


# personal tokens


def test_it_creates_lists_and_revokes_ones_own_tokens(api, customer_a):
    client = api(customer_a)

    created = client.post(
        "/api/v1/tokens",
        {"name": "ci", "expires_at": "2099-01-01T00:00:00Z"},
        content_type="application/json",
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    listed = client.get("/api/v1/tokens").json()
    assert {token["name"] for token in listed} == {"tests", "ci"}
    assert all("token" not in token for token in listed)

    assert client.delete(f"/api/v1/tokens/{created.json()['id']}").status_code == 204
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_it_refuses_a_token_that_expires_in_the_past(api, customer_a):
    response = api(customer_a).post(
        "/api/v1/tokens",
        {"name": "old", "expires_at": "2001-01-01T00:00:00Z"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "expires_at"]


def test_it_cannot_revoke_someone_elses_token(api, customer_a, customer_b):
    theirs = api_token_create(user=customer_a, name="alice").token

    assert not_found(api(customer_b).delete(f"/api/v1/tokens/{theirs.pk}"))
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


# service tokens


def test_it_lets_admins_issue_service_tokens_scoped_to_one_site(api, admin_user, site_a, site_b, engineer_a):
    response = api(admin_user).post(
        "/api/v1/integrations/service-tokens",
        {"site_id": site_a.pk, "name": "Zabbix", "access": "reporter"},
        content_type="application/json",
    )

    assert response.status_code == 201
    service = Client(headers={"Authorization": f"Bearer {response.json()['token']}"})
    me = service.get("/api/v1/me").json()
    assert (me["site_ids"], me["token_kind"]) == ([site_a.pk], "service")
    created = service.post(
        "/api/v1/tickets",
        {"title": "Disk 95% full", "description": "srv-01 /var"},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert created.json()["site_id"] == site_a.pk
    assert service.post("/api/v1/tokens", {"name": "x"}, content_type="application/json").status_code == 403
    assert (
        api(engineer_a)
        .post(
            "/api/v1/integrations/service-tokens",
            {"site_id": site_a.pk, "name": "x"},
            content_type="application/json",
        )
        .status_code
        == 403
    )


def test_it_lists_and_revokes_service_tokens_for_admins_only(api, admin_user, site_a, customer_a):
    client = api(admin_user)
    made = client.post(
        "/api/v1/integrations/service-tokens",
        {"site_id": site_a.pk, "name": "RMM"},
        content_type="application/json",
    ).json()

    assert [token["name"] for token in client.get("/api/v1/integrations/service-tokens").json()] == ["RMM"]
    assert api(customer_a).get("/api/v1/integrations/service-tokens").status_code == 403
    assert client.delete(f"/api/v1/integrations/service-tokens/{made['id']}").status_code == 204
    assert ApiToken.objects.get(pk=made["id"]).revoked_at is not None


# webhooks


def test_it_lets_admins_register_and_remove_webhooks(api, admin_user, site_a):
    client = api(admin_user)

    created = client.post(
        "/api/v1/integrations/webhooks",
        {"site_id": site_a.pk, "url": "https://hooks.example/helpdesk", "events": ["ticket.created"]},
        content_type="application/json",
    )

    assert created.status_code == 201
    body = created.json()
    assert len(body["secret"]) >= 40
    assert "secret" not in client.get(f"/api/v1/integrations/webhooks/{body['id']}").json()
    assert client.delete(f"/api/v1/integrations/webhooks/{body['id']}").status_code == 204
    assert not Webhook.objects.exists()


def test_it_refuses_webhooks_to_non_admins_and_bad_events(api, admin_user, engineer_a, site_a):
    payload = {"site_id": site_a.pk, "url": "https://hooks.example/x", "events": ["ticket.exploded"]}

    assert api(engineer_a).get("/api/v1/integrations/webhooks").status_code == 403
    bad = api(admin_user).post("/api/v1/integrations/webhooks", payload, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"][:2] == ["body", "events"]


def test_it_shows_deliveries_with_their_attempts(api, admin_user, site_a):
    webhook = webhook_create(
        site=site_a, url="https://hooks.example/in", events=["ticket.created"], created_by=admin_user
    )
    webhooks_emit(site=site_a, event="ticket.created", payload={"id": 1})

    [delivery] = api(admin_user).get(f"/api/v1/integrations/webhooks/{webhook.pk}/deliveries").json()

    assert (delivery["event"], delivery["status"], delivery["attempt_log"]) == (
        "ticket.created",
        "pending",
        [],
    )
    assert not_found(api(admin_user).get(f"/api/v1/integrations/webhooks/{webhook.pk + 99}/deliveries"))
