"""What each viewer sees of a cited source (retrieval.citations), and one number per source."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from knowledge.models import Article
from knowledge.services import article_create
from retrieval.citations import SIMILAR_CASE, body_with_sources, sources_for_viewer
from retrieval.grounding import context_from_cases
from retrieval.types import Case, SourceType
from testing.factories import resolved_ticket
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

RESOLVED_ON = timezone.make_aware(dt.datetime(2025, 3, 14, 10, 0))
PROBLEM = "Carol's laptop at the Fenwick matter desk cannot reach the S: drive since her password change."
RESOLUTION = (
    "Called Carol back. Her cached credentials were stale after the password change [2]. "
    "Removed them from Credential Manager and mapped S: again."
)


def resolved(*, site, requester, title="S: drive gone for Carol Colleague", description=PROBLEM):
    return resolved_ticket(
        site=site,
        requester=requester,
        title=title,
        description=description,
        resolution=RESOLUTION,
        resolved_at=RESOLVED_ON,
    )


def entry(source_type: str, source_id: int, *, cid: int = 1, title: str = "", url: str = "") -> dict:
    key = f"{source_type}:{source_id}"
    label = "resolved ticket" if source_type == SourceType.TICKET else "KB"
    return {"key": key, "cid": cid, "label": label, "title": title, "url": url, "score": 0.5}


def ticket_entry(ticket: Ticket, *, cid: int = 1) -> dict:
    return entry(SourceType.TICKET, ticket.pk, cid=cid, title=ticket.title, url=f"/tickets/{ticket.pk}/")


def test_it_shows_a_colleagues_ticket_as_a_similar_resolved_case(customer_a, colleague_a, site_a):
    ticket = resolved(site=site_a, requester=colleague_a)
    [shown] = sources_for_viewer(user=customer_a, sources=[ticket_entry(ticket)])
    assert shown["title"] == f"{SIMILAR_CASE}, March 2025"
    assert (shown["url"], shown["key"], shown["label"]) == ("", "", "past case")
    assert shown["excerpt"].startswith("Called the customer back. Her cached credentials were stale")
    leaked = [ticket.title, "Fenwick", "Carol", "Colleague", f"ticket:{ticket.pk}", "/tickets/", "[2]"]
    assert not [text for text in leaked if text in str(shown)]


def test_it_keeps_the_link_of_the_customers_own_ticket_and_engineers_see_every_link(
    customer_a, colleague_a, engineer_a, site_a
):
    own = resolved(site=site_a, requester=customer_a)
    colleagues = resolved(site=site_a, requester=colleague_a)
    sources = [ticket_entry(own, cid=1), ticket_entry(colleagues, cid=2)]
    mine, theirs = sources_for_viewer(user=customer_a, sources=sources)
    assert (mine["title"], mine["url"]) == (own.title, f"/tickets/{own.pk}/")
    assert theirs["url"] == "" and theirs["title"].startswith(SIMILAR_CASE)
    engineers = sources_for_viewer(user=engineer_a, sources=sources)
    assert [(s["title"], s["url"], s["excerpt"]) for s in engineers] == [
        (ticket.title, f"/tickets/{ticket.pk}/", "") for ticket in (own, colleagues)
    ]


def test_it_links_published_articles_only(customer_a, engineer_a, site_a):
    published = article_create(
        site=site_a, author=engineer_a, title="Map the S: drive", body="Open Explorer.", state="published"
    )
    shared = article_create(
        site=None, author=engineer_a, title="Reset MFA", body="Open the portal.", state="published"
    )
    draft = article_create(site=site_a, author=engineer_a, title="Draft notes", body="Not yet.")
    sources = [
        entry(SourceType.ARTICLE, article.pk, cid=cid, title=article.title, url=f"/kb/{article.pk}/")
        for cid, article in enumerate((published, shared, draft), start=1)
    ]
    shown = sources_for_viewer(user=customer_a, sources=sources)
    assert [s["url"] for s in shown] == [f"/kb/{published.pk}/", f"/kb/{shared.pk}/", ""]
    assert [s["title"] for s in shown] == [published.title, shared.title, draft.title]
    assert Article.objects.count() == 3


def test_it_never_shows_another_sites_sources_even_anonymized(
    customer_a, colleague_a, customer_b, engineer_b, engineer_a, site_a
):
    ticket = resolved(site=site_a, requester=colleague_a)
    article = article_create(
        site=site_a, author=engineer_a, title="Map the S: drive", body="Open Explorer.", state="published"
    )
    sources = [ticket_entry(ticket), entry(SourceType.ARTICLE, article.pk, cid=2, title=article.title)]
    assert sources_for_viewer(user=customer_b, sources=sources) == []
    assert sources_for_viewer(user=engineer_b, sources=sources) == []


def test_it_numbers_a_sent_body_by_shown_source_and_appends_the_list(
    customer_a, colleague_a, engineer_a, site_a, settings
):
    settings.HELPDESK_BASE_URL = "https://help.example/"
    article = article_create(
        site=site_a, author=engineer_a, title="Map the S: drive", body="Open Explorer.", state="published"
    )
    ticket = resolved(site=site_a, requester=colleague_a)
    sources = [
        ticket_entry(ticket, cid=2),
        entry(SourceType.ARTICLE, article.pk, cid=5, title=article.title, url=f"/kb/{article.pk}/"),
        ticket_entry(ticket, cid=6),  # the same ticket, cited from another chunk
    ]
    body = "Clear the cached password [2]. Map the drive again [5][6]. Call us [9]."
    sent = body_with_sources(body=body, sources=sources, viewer=customer_a)
    text, _, listed = sent.partition("\n\nSources:\n")
    assert text == "Clear the cached password [1]. Map the drive again [2][1]. Call us."
    assert listed.splitlines() == [
        '[1] A similar resolved case, March 2025: "Called the customer back. Her cached '
        "credentials were stale after the password change. Removed them from Credential Manager and "
        'mapped S: again."',
        f"[2] Map the S: drive: https://help.example/kb/{article.pk}/",
    ]


def test_it_strips_markers_when_there_is_no_list_to_give(customer_a):
    sent = body_with_sources(body="Restart it [1]. Then the router [2, 3].", sources=[], viewer=customer_a)
    assert sent == "Restart it. Then the router."
    assert not re.search(r"\[\d", sent)


def test_it_gives_one_number_to_a_document_found_through_two_chunks(site_a):
    def case(snippet: str) -> Case:
        return Case(
            source_type=SourceType.ARTICLE,
            source_id=7,
            site_id=site_a.pk,
            title="Map the S: drive",
            snippet=snippet,
            url="/kb/7/",
            score=0.9,
            similarity=0.8,
        )

    other = Case(
        source_type=SourceType.TICKET,
        source_id=8,
        site_id=site_a.pk,
        title="Printer offline",
        snippet="Restarted the spooler.",
        url="/tickets/8/",
        score=0.5,
        similarity=0.6,
    )
    context = context_from_cases(site=site_a, cases=[case("Open Explorer."), other, case("Map S: again.")])
    assert [(source.cid, source.key) for source in context.sources] == [(1, "article:7"), (2, "ticket:8")]
