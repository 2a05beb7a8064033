"""From resolved work to the assistant's answer, in headless Chromium: a KB draft proposed from a site's
resolved tickets is edited and published by the site's engineer, then cited by the assistant when a
customer of that site asks the question in chat, and the citation opens the help-centre page (200); a
customer of another site gets 404 there."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from knowledge import services, tasks
from knowledge.models import Article
from knowledge.tests.test_drafting import SPOOLER, _tickets
from testing.browser import page_for

pytestmark = pytest.mark.browser

QUESTION = "All my print jobs are stuck in the printer queue and nothing prints. What can I do?"
EDITED_TITLE = "Print jobs stuck in the queue"
EDITED_STEP = "If the queue is still stuck, restart your computer and print again."


def test_a_published_draft_is_cited_by_the_assistant_and_opens_in_the_help_centre(
    asgi_server, chromium_browser, artifacts_dir, site_a, customer_a, engineer_a, customer_b
):
    # The tickets are not indexed for search here, so the article is the only source the assistant has.
    _tickets(site_a, customer_a, SPOOLER)
    (draft,) = services.article_drafts_propose(site=site_a)
    server = asgi_server()

    engineer = page_for(chromium_browser, server, engineer_a)
    engineer.goto("/kb/drafts/")
    engineer.get_by_role("link", name=draft.title).click()
    engineer.get_by_role("heading", name="Review KB draft").wait_for()
    engineer.fill("#id_title", EDITED_TITLE)
    body = engineer.input_value("#id_body")
    engineer.fill("#id_body", body.replace("\n\nBased on", f"\n{EDITED_STEP}\n\nBased on", 1))
    engineer.screenshot(path=str(artifacts_dir / "00-draft-edited.png"), full_page=True)
    engineer.get_by_role("button", name="Publish").click()
    engineer.get_by_role("heading", name=EDITED_TITLE).wait_for()
    article = Article.objects.get(source_draft=draft)
    assert article.state == Article.State.PUBLISHED and article.site == site_a
    assert EDITED_STEP in article.body
    tasks.index_article(article.pk)  # what the worker runs on commit (no worker in this test)

    customer = page_for(chromium_browser, server, customer_a)
    customer.goto("/chat/")
    customer.fill("#chat-start-body", QUESTION)
    customer.get_by_role("button", name="Ask").click()
    answer = customer.locator(".chat-assistant:not(.chat-streaming)")
    answer.wait_for()
    sources = answer.locator(".chat-sources")
    assert EDITED_TITLE in sources.inner_text()
    links = [a.get_attribute("href") for a in sources.locator("a").all()]
    assert f"/kb/{article.pk}/" in [urlparse(href).path for href in links]
    customer.screenshot(path=str(artifacts_dir / "01-assistant-cites-the-article.png"), full_page=True)

    response = customer.context.request.get(f"/kb/{article.pk}/")
    assert response.status == 200
    sources.get_by_role("link", name=EDITED_TITLE).click()
    customer.get_by_role("heading", name=EDITED_TITLE).wait_for()
    assert EDITED_STEP in customer.locator('[data-testid="article-body"]').inner_text()
    assert customer.locator(".breadcrumb").get_by_role("link", name="Help centre").count() == 1
    customer.screenshot(path=str(artifacts_dir / "02-help-centre-article.png"), full_page=True)

    outsider = page_for(chromium_browser, server, customer_b)
    assert outsider.goto(f"/kb/{article.pk}/").status == 404
