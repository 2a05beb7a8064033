"""A follow-up in the chat page, in headless Chromium against uvicorn: a different answer, then a ticket."""

import pytest

from testing.browser import page_for
from testing.factories import PRINTER_FOLLOW_UP, PRINTER_QUESTION, two_printer_fixes

pytestmark = pytest.mark.browser


def test_a_follow_up_after_a_failed_fix_gets_a_different_answer_then_a_ticket_offer(
    asgi_server, chromium_browser, artifacts_dir, site_a, customer_a
):
    two_printer_fixes(site_a, customer_a)
    server = asgi_server()
    page = page_for(chromium_browser, server, customer_a)

    page.goto("/chat/")
    page.fill("#chat-start-body", PRINTER_QUESTION)
    page.get_by_role("button", name="Ask").click()
    answers = page.locator(".chat-assistant:not(.chat-streaming) .chat-body")
    answers.first.wait_for()
    first = answers.nth(0).inner_text()
    assert "print spooler" in first

    page.fill("#chat-body", PRINTER_FOLLOW_UP)
    page.get_by_role("button", name="Send").click()
    answers.nth(1).wait_for()
    second = answers.nth(1).inner_text()
    assert "print spooler" not in second and "DHCP reservation" in second
    assert "I still need help" in second
    page.screenshot(path=str(artifacts_dir / "follow-up-different-answer.png"), full_page=True)

    page.fill("#chat-body", "still broken")
    page.get_by_role("button", name="Send").click()
    answers.nth(2).wait_for()
    third = answers.nth(2).inner_text()
    assert "no other fix on record" in third and "I still need help" in third
    page.get_by_role("button", name="I still need help").click()
    page.get_by_text("was created from this conversation").wait_for()
    page.screenshot(path=str(artifacts_dir / "follow-up-handed-over.png"), full_page=True)
