"""KB drafts from resolved work: clustering per site, the review queue, dismissal and publishing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from knowledge import drafting, selectors, services, tasks
from knowledge.models import Article, ArticleDraft
from knowledge.services import document_index_article
from retrieval.models import Document
from testing.factories import article, closed_conversation, resolved_ticket

SPOOLER = [
    (
        "Printer queue stuck, nothing prints",
        "Print jobs stay stuck in the printer queue and nothing prints.",
        "Restarted the print spooler service on the print server. Cleared the stuck jobs from the queue.",
    ),
    (
        "Nothing prints, jobs stuck in the print queue",
        "Every print job sits in the queue and the printer does nothing.",
        "Restarted the print spooler service. Cleared the print queue and printed a test page.",
    ),
    (
        "URGENT!! print queue jammed with jobs",
        "Jobs pile up in the print queue, nothing comes out of the printer.",
        "Cleared the stuck jobs from the queue. Restarted the print spooler service on the server.",
    ),
]
VPN = [
    (
        "VPN keeps disconnecting at home",
        "The VPN connection drops every few minutes when working from home.",
        "Updated the VPN client to the latest version. Reconnected and the VPN stayed up.",
    ),
    (
        "VPN drops every few minutes",
        "My VPN disconnects again and again while working remotely.",
        "Updated the VPN client to the latest version and reinstalled the VPN profile.",
    ),
    (
        "Remote VPN connection unstable",
        "VPN connection from home keeps dropping out.",
        "Updated the VPN client. Reinstalled the VPN profile and the connection is stable.",
    ),
]


def _tickets(site, requester, rows, **extra):
    return [
        resolved_ticket(site=site, requester=requester, title=t, description=d, resolution=r, **extra)
        for t, d, r in rows
    ]


@pytest.fixture
def history_a(site_a, customer_a):
    return {"spooler": _tickets(site_a, customer_a, SPOOLER), "vpn": _tickets(site_a, customer_a, VPN)}


def _draft_of(drafts, tickets):
    ids = {t.pk for t in tickets}
    return next(d for d in drafts if {t.pk for t in d.tickets.all()} == ids)


def test_it_drafts_one_article_per_cluster_citing_its_tickets(site_a, history_a):
    drafts = services.article_drafts_propose(site=site_a)

    assert len(drafts) == 2
    spooler = _draft_of(drafts, history_a["spooler"])
    assert spooler.state == ArticleDraft.State.PROPOSED
    assert spooler.near_duplicate_of is None
    assert "URGENT" not in spooler.title
    assert "## Symptoms" in spooler.body and "## Steps" in spooler.body
    assert "spooler" in spooler.body.split("## Steps")[1].lower()
    for ticket in history_a["spooler"]:
        assert f"ticket #{ticket.pk}" in spooler.body
    _draft_of(drafts, history_a["vpn"])


def test_the_published_body_drops_the_links_customers_cannot_open():
    body = (
        "## Steps\n\n1. Restart the spooler ([ticket #4](/tickets/4/), [chat #9](/chat/9/))\n"
        "2. Print a test page\n\nBased on [ticket #4](/tickets/4/), [chat #9](/chat/9/)."
    )
    assert drafting.published_body(body) == "## Steps\n\n1. Restart the spooler\n2. Print a test page"
    assert drafting.published_body("Based on this, restart it.") == "Based on this, restart it."


def test_it_leaves_clusters_smaller_than_three_and_old_tickets_out(site_a, customer_a):
    _tickets(site_a, customer_a, SPOOLER[:2])
    _tickets(site_a, customer_a, VPN, resolved_at=timezone.now() - timedelta(days=200))

    assert services.article_drafts_propose(site=site_a) == []


def test_a_sites_drafts_only_ever_contain_its_own_tickets(site_a, site_b, customer_a, customer_b):
    own = _tickets(site_a, customer_a, SPOOLER[:2])
    _tickets(site_b, customer_b, SPOOLER)

    assert services.article_drafts_propose(site=site_a) == []  # two of A's and three of B's: no cluster
    drafts_b = services.article_drafts_propose(site=site_b)
    assert len(drafts_b) == 1
    assert {t.site_id for t in drafts_b[0].tickets.all()} == {site_b.pk}
    assert not set(drafts_b[0].tickets.all()) & set(own)


def test_it_does_not_propose_a_dismissed_cluster_again(site_a, customer_a, engineer_a, history_a):
    drafts = services.article_drafts_propose(site=site_a)
    spooler = _draft_of(drafts, history_a["spooler"])
    services.article_draft_dismiss(draft=spooler, reviewer=engineer_a)
    # One more case of the same problem: the cluster grows but mostly overlaps the dismissed one.
    _tickets(site_a, customer_a, SPOOLER[:1])

    assert services.article_drafts_propose(site=site_a) == []
    assert tasks.article_drafts_propose() == 0  # the scheduled job is safe to run again
    spooler.refresh_from_db()
    assert spooler.state == ArticleDraft.State.DISMISSED
    assert spooler.reviewed_by == engineer_a


def test_it_flags_a_near_duplicate_of_a_published_article_instead_of_drafting(site_a, history_a):
    existing = article(
        site=site_a,
        title="Print queue stuck: restart the print spooler",
        body="Print jobs stuck in the printer queue and nothing prints. "
        "Restart the print spooler service on the print server and clear the stuck jobs from the queue.",
    )
    document_index_article(article=existing)

    drafts = services.article_drafts_propose(site=site_a)

    spooler = _draft_of(drafts, history_a["spooler"])
    assert spooler.near_duplicate_of == existing
    assert spooler.body == ""
    assert _draft_of(drafts, history_a["vpn"]).near_duplicate_of is None


def test_another_sites_article_does_not_cover_a_cluster(site_a, site_b, history_a):
    other = article(site=site_b, title="Restart the print spooler", body=SPOOLER[0][2])
    document_index_article(article=other)

    drafts = services.article_drafts_propose(site=site_a)

    assert _draft_of(drafts, history_a["spooler"]).near_duplicate_of is None


def test_publishing_creates_an_indexed_article_the_tickets_link_to(
    login, site_a, engineer_a, history_a, queued_tasks
):
    draft = _draft_of(services.article_drafts_propose(site=site_a), history_a["spooler"])

    published = services.article_draft_publish(
        draft=draft, reviewer=engineer_a, title="Print queue stuck", body=draft.body, category=None
    )
    tasks.index_article(published.pk)  # what the on-commit job runs

    assert published.state == Article.State.PUBLISHED and published.site == site_a
    assert "/tickets/" not in published.body and "Based on" not in published.body
    assert "## Steps" in published.body and "spooler" in published.body.split("## Steps")[1].lower()
    assert Document.objects.filter(article=published).exists()
    draft.refresh_from_db()
    assert draft.state == ArticleDraft.State.PUBLISHED and draft.article == published
    assert list(selectors.articles_for_ticket(history_a["spooler"][0].pk)) == [published]
    page = login(engineer_a).get(f"/tickets/{history_a['spooler'][0].pk}/").content.decode()
    assert f'href="/kb/{published.pk}/"' in page.split('data-testid="ticket-articles"')[1].split("</div>")[0]
    with pytest.raises(services.DraftAlreadyReviewed):
        services.article_draft_dismiss(draft=draft, reviewer=engineer_a)


def test_a_closed_chat_with_the_same_problem_and_fix_joins_the_cluster(site_a, customer_a):
    tickets = _tickets(site_a, customer_a, SPOOLER[:2])
    chat = closed_conversation(
        site=site_a,
        customer=customer_a,
        subject="Print jobs stuck in the queue",
        turns=[
            ("customer", "Print jobs stay stuck in the printer queue and nothing prints."),
            ("engineer", "Restarted the print spooler service on the print server. Cleared the stuck jobs."),
        ],
    )

    (draft,) = services.article_drafts_propose(site=site_a)

    assert set(draft.tickets.all()) == set(tickets)
    assert list(draft.conversations.all()) == [chat]
    assert f"chat #{chat.pk}" in draft.body


# --- The review queue pages


@pytest.fixture
def draft_a(site_a, history_a):
    return _draft_of(services.article_drafts_propose(site=site_a), history_a["spooler"])


def test_an_engineer_reviews_and_publishes_a_draft_of_their_site(login, engineer_a, draft_a):
    client = login(engineer_a)
    assert draft_a.title in client.get(reverse("knowledge:draft_list")).content.decode()
    assert client.get(reverse("knowledge:draft_review", args=[draft_a.pk])).status_code == 200

    response = client.post(
        reverse("knowledge:draft_review", args=[draft_a.pk]), {"title": "Stuck print queue", "body": "Steps"}
    )

    article_ = Article.objects.get(title="Stuck print queue")
    assert response.status_code == 302 and response.url == reverse(
        "knowledge:article_detail", args=[article_.pk]
    )
    assert article_.source_draft == draft_a


def test_an_engineer_dismisses_a_draft(login, engineer_a, draft_a):
    response = login(engineer_a).post(reverse("knowledge:draft_dismiss", args=[draft_a.pk]))

    assert response.status_code == 302
    draft_a.refresh_from_db()
    assert draft_a.state == ArticleDraft.State.DISMISSED


def test_another_sites_engineer_gets_404_on_a_draft(login, engineer_b, draft_a):
    client = login(engineer_b)

    assert draft_a.title not in client.get(reverse("knowledge:draft_list")).content.decode()
    assert client.get(reverse("knowledge:draft_review", args=[draft_a.pk])).status_code == 404
    assert client.post(reverse("knowledge:draft_dismiss", args=[draft_a.pk])).status_code == 404
    draft_a.refresh_from_db()
    assert draft_a.state == ArticleDraft.State.PROPOSED


def test_customers_never_see_drafts(login, customer_a, draft_a):
    client = login(customer_a)

    assert client.get(reverse("knowledge:draft_list")).status_code == 403
    assert client.get(reverse("knowledge:draft_review", args=[draft_a.pk])).status_code == 403
    assert client.post(reverse("knowledge:draft_dismiss", args=[draft_a.pk])).status_code == 403
    assert selectors.article_drafts_for_user(customer_a).count() == 0


def test_steps_keep_the_shared_fix_and_drop_lines_every_ticket_has(db):
    from knowledge.drafting import shared_sentences
    from retrieval.embedders import get_embedder

    members = [
        "Restarted the print spooler service on the server. Called Jo back.",
        "Restarted the print spooler service. Confirmed working with Sam.",
        "Restarted the spooler service on the print server. Called Ann back.",
    ]
    background = ["Reset the password. Called Jo back.", "Replaced the toner. Called Sam back."] * 2

    steps = shared_sentences(members, embedder=get_embedder(), limit=5, background=background)

    assert len(steps) == 1 and "spooler" in steps[0]
