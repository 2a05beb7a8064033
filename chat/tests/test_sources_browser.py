"""Sources a customer can open, in headless Chromium: every link a customer is shown answers 200, and a
colleague's past ticket is "a similar resolved case, <Month YYYY>" with its fix, never its problem."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from chat.models import Conversation
from knowledge.models import Article
from knowledge.services import article_create, document_index_article, document_index_ticket
from testing.browser import page_for
from testing.factories import PRINTER_QUESTION, resolved_printer_ticket

pytestmark = pytest.mark.browser

SIMILAR_CASE = re.compile(r"[Aa] similar resolved case, [A-Z][a-z]+ \d{4}")


@pytest.fixture
def colleagues_ticket(site_a, colleague_a):
    """Site A's resolved printer ticket, asked by Carol: for Alice it is a colleague's case."""
    ticket = resolved_printer_ticket(site=site_a, requester=colleague_a)
    document_index_ticket(ticket=ticket)
    return ticket


@pytest.fixture
def drive_article(site_a, engineer_a):
    article = article_create(
        site=site_a,
        author=engineer_a,
        title="Map the shared S: drive",
        body="If the shared S: drive is missing from File Explorer, open File Explorer, choose This PC, "
        "then Map network drive, pick the letter S: and enter \\\\files\\shared. Tick Reconnect at sign-in.",
        state=Article.State.PUBLISHED,
    )
    document_index_article(article=article)
    return article


def ask(page, question: str):
    page.goto("/chat/")
    page.fill("#chat-start-body", question)
    page.get_by_role("button", name="Ask").click()
    answer = page.locator(".chat-assistant:not(.chat-streaming)")
    answer.wait_for()
    return answer


def links_open(page, links) -> list[tuple[str, int]]:
    """Follow each link as the page's user; (path, status) of those that do not answer 200."""
    failed = []
    for href in links:
        path = urlparse(href).path  # e-mailed links name HELPDESK_BASE_URL, not this test server
        response = page.context.request.get(path)
        if response.status != 200:
            failed.append((path, response.status))
    return failed


def assert_shown_as_similar_case(text: str, ticket, requester) -> None:
    assert SIMILAR_CASE.search(text), text
    assert "Restart the print spooler service" in text, "the colleague's fix is quoted"
    leaked = [ticket.title, ticket.description, requester.first_name, requester.last_name]
    assert not [value for value in leaked if value in text], text


def test_it_shows_a_customer_only_sources_they_can_open(
    asgi_server,
    chromium_browser,
    artifacts_dir,
    customer_a,
    colleague_a,
    engineer_a,
    customer_b,
    colleagues_ticket,
    drive_article,
):
    server = asgi_server()
    customer = page_for(chromium_browser, server, customer_a)
    answer = ask(customer, "The S: drive is missing from File Explorer, how do I map it again?")
    article_sources = answer.locator(".chat-sources")
    article_links = [a.get_attribute("href") for a in article_sources.locator("a").all()]
    assert article_links == [reverse("knowledge:article_detail", args=[drive_article.pk])]
    assert drive_article.title in article_sources.inner_text()
    assert not links_open(customer, article_links), "a KB article is linked, and opens"
    customer.screenshot(path=str(artifacts_dir / "00-kb-article-linked.png"), full_page=True)

    answer = ask(customer, PRINTER_QUESTION)
    sources = answer.locator(".chat-sources")
    shown = sources.inner_text()
    assert_shown_as_similar_case(shown, colleagues_ticket, colleague_a)
    links = [a.get_attribute("href") for a in sources.locator("a").all()]
    assert f"/tickets/{colleagues_ticket.pk}/" not in links
    assert not links_open(customer, links)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.locator(".chat-body").inner_text())}
    listed = {int(n) for n in re.findall(r"^\[(\d+)\]", shown.split("Sources:")[1].strip(), re.M)}
    assert markers <= listed, "every marker in the answer has its line in the list"
    customer.screenshot(path=str(artifacts_dir / "01-colleagues-case-anonymized.png"), full_page=True)

    customer.reload()  # the server-rendered page says the same as the live one
    reloaded = customer.locator(".chat-assistant .chat-sources").inner_text()
    assert_shown_as_similar_case(reloaded, colleagues_ticket, colleague_a)

    conversation = Conversation.objects.filter(customer=customer_a).latest("created_at")
    engineer = page_for(chromium_browser, server, engineer_a)
    engineer.goto(f"/chat/{conversation.pk}/")
    engineer_sources = engineer.locator(".chat-assistant .chat-sources")
    assert colleagues_ticket.title in engineer_sources.inner_text(), "engineers keep the full source"
    engineer_links = [a.get_attribute("href") for a in engineer_sources.locator("a").all()]
    assert f"/tickets/{colleagues_ticket.pk}/" in engineer_links
    assert not links_open(engineer, engineer_links)
    engineer.screenshot(path=str(artifacts_dir / "02-engineer-full-sources.png"), full_page=True)

    customer.get_by_role("button", name="I still need help").click()
    customer.get_by_text("was created from this conversation").wait_for()
    conversation.refresh_from_db()
    ticket = conversation.ticket
    customer.goto(f"/tickets/{ticket.pk}/")
    chat_sources = customer.locator(".ticket-chat-sources")
    assert_shown_as_similar_case(chat_sources.inner_text(), colleagues_ticket, colleague_a)
    assert not links_open(customer, [a.get_attribute("href") for a in customer.locator("main a").all()])
    customer.screenshot(path=str(artifacts_dir / "03-ticket-page-sources.png"), full_page=True)

    engineer.goto(f"/tickets/{ticket.pk}/")
    engineer.get_by_role("button", name="Draft reply").click()
    engineer.get_by_role("button", name="Send reply").click()
    engineer.get_by_role("button", name="Send reply").wait_for(state="detached")

    customer.goto(f"/tickets/{ticket.pk}/")
    reply = customer.locator(".msg-engineer").last
    reply_text = reply.inner_text()
    body, _, listed_text = reply_text.partition("Sources:")
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", body)}
    listed = [int(n) for n in re.findall(r"^\[(\d+)\]", listed_text.strip(), re.M)]
    assert markers and markers == set(listed) == set(range(1, len(listed) + 1)), reply_text
    assert_shown_as_similar_case(listed_text, colleagues_ticket, colleague_a)
    assert not links_open(customer, [a.get_attribute("href") for a in reply.locator("a").all()])
    customer.screenshot(path=str(artifacts_dir / "04-sent-draft-with-sources.png"), full_page=True)

    outsider = page_for(chromium_browser, server, customer_b)
    assert outsider.goto(f"/tickets/{ticket.pk}/").status == 404
