"""The chat in headless Chromium against uvicorn (ASGI: real streaming), screenshots in test-artifacts/."""

import pytest

from chat.models import Conversation
from testing.browser import page_for
from testing.factories import PRINTER_QUESTION
from tickets.models import TicketSource

pytestmark = pytest.mark.browser


def test_it_deflects_escalates_and_delivers_the_engineers_reply_live(
    asgi_server, chromium_browser, artifacts_dir, customer_a, engineer_a, customer_b, indexed_ticket
):
    server = asgi_server()
    customer = page_for(chromium_browser, server, customer_a)

    customer.goto("/chat/")
    customer.fill("#chat-start-body", PRINTER_QUESTION)
    customer.get_by_role("button", name="Ask").click()
    answer = customer.locator(".chat-assistant:not(.chat-streaming)")
    answer.wait_for()
    assert int(answer.get_attribute("data-streamed-tokens")) > 1
    assert "spooler" in answer.locator(".chat-body").inner_text().lower()
    assert indexed_ticket.title in answer.locator(".chat-sources").inner_text()
    customer.screenshot(path=str(artifacts_dir / "01-streamed-answer-with-sources.png"), full_page=True)

    customer.get_by_role("button", name="I still need help").click()
    customer.get_by_text("was created from this conversation").wait_for()
    conversation = Conversation.objects.get(customer=customer_a)
    ticket = conversation.ticket
    assert ticket.source == TicketSource.CHAT
    customer.screenshot(path=str(artifacts_dir / "02-ticket-created.png"), full_page=True)

    customer.get_by_role("link", name=f"Ticket #{ticket.pk}").click()
    customer.get_by_text(PRINTER_QUESTION).first.wait_for()
    # The description summarises (what was tried, a link); the conversation itself is shown once, below.
    assert "Tried so far:" in customer.content()
    assert customer.locator("#ticket-conversation .border-info").count() == 1
    customer.screenshot(path=str(artifacts_dir / "03-ticket-with-transcript.png"), full_page=True)

    customer.goto(f"/chat/{conversation.pk}/")
    customer.evaluate("window.notReloaded = true")
    engineer = page_for(chromium_browser, server, engineer_a)
    engineer.goto(f"/chat/{conversation.pk}/")
    engineer.fill("#chat-body", "Hi Alice, I restarted the spooler remotely. Please try printing again.")
    engineer.get_by_role("button", name="Send").click()
    reply = customer.locator(".chat-engineer", has_text="restarted the spooler remotely")
    reply.wait_for()
    assert customer.evaluate("window.notReloaded") is True
    assert "Engineer" in reply.inner_text()
    customer.screenshot(path=str(artifacts_dir / "04-engineer-reply-live.png"), full_page=True)

    outsider = page_for(chromium_browser, server, customer_b)
    response = outsider.goto(f"/chat/{conversation.pk}/")
    assert response.status == 404
    outsider.screenshot(path=str(artifacts_dir / "05-other-site-404.png"), full_page=True)


def test_it_closes_the_conversation_when_the_answer_solved_it(
    asgi_server, chromium_browser, artifacts_dir, customer_a, admin_user, site_a, indexed_ticket
):
    server = asgi_server()
    page = page_for(chromium_browser, server, customer_a)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto("/chat/")
    page.screenshot(path=str(artifacts_dir / "00-help-page-on-a-phone.png"), full_page=True)
    page.fill("#chat-start-body", PRINTER_QUESTION)
    page.get_by_role("button", name="Ask").click()
    answer = page.locator(".chat-assistant:not(.chat-streaming)")
    answer.wait_for()
    answer.get_by_role("button", name="Helpful", exact=True).click()
    answer.get_by_text("Thanks! You said: helpful").wait_for()
    page.get_by_role("button", name="This solved it").click()
    page.get_by_text("This conversation is closed.").wait_for()
    page.screenshot(path=str(artifacts_dir / "01-solved-on-a-phone.png"), full_page=True)

    conversation = Conversation.objects.get(customer=customer_a)
    assert conversation.outcome == Conversation.Outcome.DEFLECTED
    assert conversation.messages.get(author_kind="assistant").feedback.helpful is True

    admin = page_for(chromium_browser, server, admin_user)
    admin.goto("/chat/insights/")
    row = admin.get_by_role("row", name=site_a.name)
    assert row.get_by_role("cell").nth(4).inner_text() == "100%"  # deflection rate
    assert row.get_by_role("cell").nth(6).inner_text() == "100%"  # helpfulness
    admin.screenshot(path=str(artifacts_dir / "02-admin-chat-insights.png"), full_page=True)
