import pytest
from django.test import Client

from helpdesk.integrations.services import api_token_create
from knowledge import tasks
from knowledge.tests.factories import article, resolved_ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/retrieval/similar"


@pytest.fixture
def api():
    def _api(user) -> Client:
        return Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='tests').secret}"})

    return _api


@pytest.fixture
def indexed(site_a, site_b, customer_a, customer_b):
    mine = resolved_ticket(
        site=site_a,
        requester=customer_a,
        title="Outlook keeps asking for my password",
        description="A credentials prompt every few minutes.",
        resolution="Cleared cached credentials in Credential Manager.",
        category_slug="email",
    )
    theirs = resolved_ticket(
        site=site_b,
        requester=customer_b,
        title="Outlook keeps asking for my password",
        description="Password prompt loops.",
        resolution="Re-created the Outlook profile.",
    )
    shared = article(
        site=None, title="Outlook password prompts", body="Clear Credential Manager, then sign in."
    )
    for ticket in (mine, theirs):
        tasks.index_ticket(ticket.id)
    tasks.index_article(shared.id)
    return {"mine": mine, "theirs": theirs, "global": shared}


def test_it_returns_the_customers_site_cases_and_the_global_kb(api, customer_a, indexed):
    response = api(customer_a).get(URL, {"text": "outlook prompts for my password again and again"})

    assert response.status_code == 200
    body = response.json()
    assert {(c["source_type"], c["source_id"]) for c in body} == {
        ("ticket", indexed["mine"].id),
        ("article", indexed["global"].id),
    }
    ticket = next(c for c in body if c["source_type"] == "ticket")
    assert ticket["key"] == f"ticket:{indexed['mine'].id}"
    assert ticket["url"] == f"/tickets/{indexed['mine'].id}/"
    assert ticket["category"] == "email" and "Credential Manager" in ticket["resolution"]
    assert 0 < ticket["similarity"] <= 1 and ticket["score"] > 0


def test_it_answers_404_for_another_sites_id(api, customer_a, engineer_a, site_b, indexed):
    for user in (customer_a, engineer_a):
        response = api(user).get(URL, {"text": "outlook password", "site": site_b.id})

        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "errors": []}


def test_it_lets_staff_search_a_site_they_cover_and_requires_the_site(
    api, engineer_b, admin_user, site_b, indexed
):
    covered = api(engineer_b).get(URL, {"text": "outlook password prompt", "site": site_b.id, "k": 1})
    missing = api(engineer_b).get(URL, {"text": "outlook password prompt"})
    admin = api(admin_user).get(
        URL, {"text": "outlook password prompt", "site": site_b.id, "sources": "ticket"}
    )

    assert covered.status_code == 200
    assert len(covered.json()) == 1 and covered.json()[0]["site_id"] in (site_b.id, None)
    assert missing.status_code == 422
    assert [(c["source_type"], c["source_id"]) for c in admin.json()] == [("ticket", indexed["theirs"].id)]


def test_it_validates_the_query(api, customer_a, indexed):
    client = api(customer_a)

    assert client.get(URL, {"text": ""}).status_code == 422
    assert client.get(URL, {"text": "vpn", "k": 500}).status_code == 422
    assert client.get(URL, {"text": "vpn", "sources": "emails"}).status_code == 422
    assert Client().get(URL, {"text": "vpn"}).status_code == 401
