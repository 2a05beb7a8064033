import pytest
from django.test import Client

from integrations.services import api_token_create
from knowledge.models import Article
from testing.factories import article

pytestmark = pytest.mark.django_db
URL = "/api/v1/knowledge/articles"


@pytest.fixture
def api():
    def _api(user) -> Client:
        return Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='tests').secret}"})

    return _api


@pytest.fixture
def articles(site_a, site_b):
    return {
        "a": article(site=site_a, title="Alder VPN setup", body="Use FortiClient."),
        "a_draft": article(site=site_a, title="Alder draft", body="Not yet.", state=Article.State.DRAFT),
        "b": article(site=site_b, title="Birchwood printers", body="Ricoh on level 1."),
        "global": article(site=None, title="Report phishing", body="Use the Report button."),
    }


def titles(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {a["title"] for a in response.json()}


def test_it_lists_what_each_user_may_read(api, customer_a, engineer_a, admin_user, articles):
    assert titles(api(customer_a).get(URL)) == {"Alder VPN setup", "Report phishing"}
    assert titles(api(engineer_a).get(URL)) == {"Alder VPN setup", "Alder draft", "Report phishing"}
    assert len(titles(api(admin_user).get(URL))) == 4


def test_it_hides_drafts_and_other_sites_from_customers(
    api, customer_a, customer_b, engineer_a, site_a, site_b, articles
):
    client = api(customer_a)

    assert client.get(f"{URL}/{articles['a_draft'].id}").status_code == 404
    assert client.get(f"{URL}/{articles['b'].id}").status_code == 404
    assert client.get(URL, {"site": site_b.id}).status_code == 404
    assert client.get(f"{URL}/{articles['global'].id}").json()["site_id"] is None
    # Each of those is there for the user who may read it.
    assert api(engineer_a).get(f"{URL}/{articles['a_draft'].id}").json()["id"] == articles["a_draft"].id
    assert api(customer_b).get(f"{URL}/{articles['b'].id}").json()["id"] == articles["b"].id
    assert "Birchwood printers" in titles(api(customer_b).get(URL, {"site": site_b.id}))
    assert "Alder VPN setup" in titles(client.get(URL, {"site": site_a.id}))


def test_it_lets_staff_write_articles_of_their_sites_only(api, engineer_a, customer_a, site_a, site_b):
    client = api(engineer_a)
    created = client.post(
        URL,
        {"title": "Wi-Fi in room 3", "body": "Reseat the AP.", "site": site_a.id},
        content_type="application/json",
    )
    elsewhere = client.post(
        URL, {"title": "x", "body": "y", "site": site_b.id}, content_type="application/json"
    )
    global_one = client.post(URL, {"title": "x", "body": "y"}, content_type="application/json")
    by_customer = api(customer_a).post(
        URL, {"title": "x", "body": "y", "site": site_a.id}, content_type="application/json"
    )

    assert created.status_code == 201 and created.json()["state"] == "draft"
    assert elsewhere.status_code == 404
    assert global_one.status_code == 403
    assert by_customer.status_code == 403


def test_it_publishes_through_patch_and_refuses_other_sites(
    api, engineer_a, engineer_b, admin_user, articles
):
    published = api(engineer_a).patch(
        f"{URL}/{articles['a_draft'].id}", {"state": "published"}, content_type="application/json"
    )
    cross_site = api(engineer_b).patch(
        f"{URL}/{articles['a'].id}", {"title": "Hijacked"}, content_type="application/json"
    )
    global_by_engineer = api(engineer_a).patch(
        f"{URL}/{articles['global'].id}", {"title": "Changed"}, content_type="application/json"
    )
    global_by_admin = api(admin_user).patch(
        f"{URL}/{articles['global'].id}", {"category": "nope"}, content_type="application/json"
    )

    assert published.status_code == 200 and published.json()["published_at"]
    assert cross_site.status_code == 404
    assert global_by_engineer.status_code == 403
    assert global_by_admin.status_code == 422
    assert Article.objects.get(pk=articles["a"].pk).title == "Alder VPN setup"
