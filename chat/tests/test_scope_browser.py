"""The scope sentence in headless Chromium: the lasagne question, then the insights page that counts it."""

import pytest

from testing.browser import page_for

pytestmark = pytest.mark.browser


def test_it_answers_the_lasagne_question_with_the_scope_sentence_and_counts_it(
    asgi_server, chromium_browser, artifacts_dir, customer_a, admin_user, site_a, indexed_ticket
):
    server = asgi_server()
    page = page_for(chromium_browser, server, customer_a)

    page.goto("/chat/")
    page.fill("#chat-start-body", "What's a good recipe for lasagne?")
    page.get_by_role("button", name="Ask").click()
    answer = page.locator(".chat-assistant:not(.chat-streaming)")
    answer.wait_for()
    text = answer.locator(".chat-body").inner_text()
    page.screenshot(path=str(artifacts_dir / "01-lasagne-scope-sentence.png"), full_page=True)

    assert text.strip() == f"I can only help with IT problems at {site_a.name}."
    assert "still need help" not in text.lower() and "ticket" not in text.lower()

    admin = page_for(chromium_browser, server, admin_user)
    admin.goto("/chat/insights/")
    row = admin.get_by_role("row", name=site_a.name)
    assert row.locator("[data-off-topic]").inner_text() == "1"
    assert row.locator("[data-languages]").inner_text() == "en (1)"
    admin.screenshot(path=str(artifacts_dir / "02-insights-off-topic.png"), full_page=True)
