import pytest
from django.test import Client

from chat.models import Message
from integrations.services import api_token_create
from knowledge import tasks
from retrieval.citations import SIMILAR_CASE
from retrieval.selectors import source_url
from testing.factories import article, closed_conversation, resolved_ticket

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
        own_site = api(user).get(URL, {"text": "outlook password", "site": indexed["mine"].site_id})
        assert own_site.status_code == 200  # the same search of their own site finds its case
        assert f"ticket:{indexed['mine'].id}" in [case["key"] for case in own_site.json()]


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


@pytest.fixture
def printers(site_a, customer_a, colleague_a):
    """Site A's printer cases: one of Alice's own, a colleague's ticket and chat, and a KB article."""
    mine = resolved_ticket(
        site=site_a,
        requester=customer_a,
        title="Printer not working on the second floor",
        description="The printer is not working, it shows a paper jam.",
        resolution="Cleaned the paper sensor of the printer.",
    )
    ticket = resolved_ticket(
        site=site_a,
        requester=colleague_a,
        title="Carol's printer not working before the Fenwick filing",
        description="Printer not working; the Fenwick merger papers are stuck in the queue.",
        resolution="Called Carol back. Cleared the stuck print queue and restarted the spooler.",
        comments=[("Thanks, the Fenwick papers printed.", False)],
    )
    transcript = closed_conversation(
        site=site_a,
        customer=colleague_a,
        subject="Printer not working for the Fenwick contract",
        turns=[
            (Message.Author.CUSTOMER, "My printer is not working and the Fenwick contract must go out."),
            (Message.Author.ASSISTANT, "Restart the print spooler service, then print the page again."),
        ],
    )
    kb = article(site=site_a, title="Printer not working", body="Switch the printer off and on again.")
    for case in (mine, ticket):
        tasks.index_ticket(case.id)
    tasks.index_conversation(transcript.id)
    tasks.index_article(kb.id)
    return {"mine": mine, "ticket": ticket, "transcript": transcript, "kb": kb}


def search(client: Client, sources: str, **params) -> dict[tuple[str, int | None], dict]:
    response = client.get(URL, {"text": "printer not working", "k": 10, "sources": sources, **params})
    assert response.status_code == 200
    return {(case["source_type"], case["source_id"]): case for case in response.json()}


def test_it_shows_a_customer_a_colleagues_case_only_as_an_anonymized_resolution(api, customer_a, printers):
    client = api(customer_a)
    tickets, transcripts = search(client, "ticket"), search(client, "transcript")
    articles = search(client, "article")

    links = [source_url("ticket", printers["ticket"].id), source_url("transcript", printers["transcript"].id)]
    shown = str([tickets, transcripts])
    leaked = ["Fenwick", "Carol", "Colleague", "stuck in the queue", *links]
    assert [text for text in leaked if text in shown] == []
    mine = tickets[("ticket", printers["mine"].id)]
    assert (mine["key"], mine["url"], mine["anonymized"]) == (
        f"ticket:{printers['mine'].id}",
        f"/tickets/{printers['mine'].id}/",
        False,
    )
    assert "paper jam" in mine["text"] and mine["title"] == printers["mine"].title
    kb = articles[("article", printers["kb"].id)]
    assert kb["url"] == f"/kb/{printers['kb'].id}/" and "off and on" in kb["text"] and not kb["anonymized"]
    for found, fix in ((tickets, "restarted the spooler"), (transcripts, "Restart the print spooler")):
        [theirs] = [case for case in found.values() if case["anonymized"]]
        assert theirs["source_id"] is None and theirs["key"] == theirs["url"] == theirs["text"] == ""
        assert theirs["title"].startswith(SIMILAR_CASE) and fix in theirs["resolution"]


def test_it_shows_an_engineer_every_case_of_the_site_in_full(api, engineer_a, site_a, printers):
    client = api(engineer_a)
    found = {**search(client, "ticket", site=site_a.id), **search(client, "transcript", site=site_a.id)}

    ticket = found[("ticket", printers["ticket"].id)]
    transcript = found[("transcript", printers["transcript"].id)]
    assert not ticket["anonymized"] and not transcript["anonymized"]
    assert ticket["url"] == f"/tickets/{printers['ticket'].id}/" and "Fenwick merger" in ticket["text"]
    assert "Fenwick contract" in transcript["text"]
