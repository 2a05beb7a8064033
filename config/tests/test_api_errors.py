"""Every error leaves the API in one shape: {"detail": str, "errors": [{"loc", "msg", "type"}]}."""

import pytest
from django.test import Client

from integrations.services import api_token_create
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def _api(user) -> Client:
        secret = api_token_create(user=user, name="tests").secret
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return _api


def test_it_reports_each_invalid_field_with_its_location(api, customer_a):
    response = api(customer_a).post(
        "/api/v1/tickets", {"title": 12, "tags": "not-a-list"}, content_type="application/json"
    )

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Validation failed."
    assert {tuple(error["loc"]) for error in body["errors"]} == {
        ("body", "title"),
        ("body", "description"),
        ("body", "tags"),
    }
    assert all(error["msg"] and error["type"] for error in body["errors"])


def test_it_refuses_nul_characters_before_they_reach_the_database(api, customer_a):
    client = api(customer_a)

    in_body = client.post(
        "/api/v1/tickets", {"title": "a\x00b", "description": "ok"}, content_type="application/json"
    )
    in_query = client.get("/api/v1/tickets", {"category": "x\x00"})

    assert in_body.status_code == 422
    assert in_body.json()["errors"] == [
        {"loc": ["body", "title"], "msg": "Text may not contain NUL characters.", "type": "string_nul"}
    ]
    assert in_query.status_code == 422
    assert in_query.json()["errors"][0]["loc"] == ["query", "category"]


def test_it_answers_the_same_404_for_missing_and_foreign_objects(api, site_a, customer_a, customer_b):
    foreign = ticket_create(site=site_a, requester=customer_a, title="VPN", description="down")
    client = api(customer_b)

    assert (
        client.get(f"/api/v1/tickets/{foreign.pk}").json() == client.get("/api/v1/tickets/999999999").json()
    )
    assert client.get(f"/api/v1/tickets/{foreign.pk}").status_code == 404


def test_it_turns_an_id_beyond_the_database_range_into_a_client_error(api, customer_a):
    response = api(customer_a).get(f"/api/v1/tickets/{2**70}")

    assert response.status_code in (404, 422)
    assert set(response.json()) == {"detail", "errors"}


def test_it_answers_429_with_retry_after_when_rate_limited(api, settings, site_a, customer_a, engineer_a):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "ai": (1, 86400),
    }  # one window for the whole test, whatever the clock says
    ticket = ticket_create(site=site_a, requester=customer_a, title="Printer", description="jams")
    client = api(engineer_a)

    first = client.post(f"/api/v1/tickets/{ticket.pk}/ai/draft")
    second = client.post(f"/api/v1/tickets/{ticket.pk}/ai/draft")

    assert first.status_code == 200
    assert second.status_code == 429
    assert 1 <= int(second["Retry-After"]) <= 86400
    assert second.json()["errors"] == []
    assert second.json()["detail"].startswith("Too many requests")


def test_it_documents_the_error_shape_on_every_operation(client):
    schema = client.get("/api/v1/openapi.json").json()

    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status in ("401", "404", "422"):
                assert operation["responses"][status]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (method, path, status)


def test_it_serves_the_interactive_docs(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content
