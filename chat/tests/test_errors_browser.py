"""What a customer reads when the chat refuses a message, in headless Chromium against uvicorn: sentences."""

import re

import pytest

from chat.services import conversation_start
from testing.browser import page_for
from testing.factories import PRINTER_QUESTION

pytestmark = pytest.mark.browser

SEND = "#chat-form button[type=submit]:not([form])"
COUNTDOWN = re.compile(r"You are sending messages quickly\. You can send again in (\d+) seconds?\.")


def _open(chromium_browser, server, customer, site):
    conversation, _ = conversation_start(site=site, customer=customer, body=PRINTER_QUESTION)
    page = page_for(chromium_browser, server, customer)
    page.clock.install()
    page.goto(f"/chat/{conversation.pk}/")
    page.locator(".chat-assistant:not(.chat-streaming)").wait_for()
    return conversation, page


def _seconds_left(page) -> int:
    match = COUNTDOWN.fullmatch(page.locator("#chat-error").inner_text().strip())
    assert match, page.locator("#chat-error").inner_text()
    return int(match.group(1))


def test_it_counts_down_to_when_a_customer_sending_too_quickly_can_send_again(
    asgi_server, chromium_browser, artifacts_dir, customer_a, site_a, monkeypatch
):
    monkeypatch.setenv("RATE_LIMIT_CHAT_PER_MINUTE", "1")
    server = asgi_server()
    _conversation, page = _open(chromium_browser, server, customer_a, site_a)
    error = page.locator("#chat-error")

    # A minute's window may end between two sends: send until the limit refuses one, reading each answer
    # before the next send as a customer would.
    for attempt in range(3):
        page.fill("#chat-body", f"Still offline after restart {attempt}")
        page.locator(SEND).click()
        page.wait_for_function(
            "([send]) => !document.querySelector(send).disabled"
            " || !document.getElementById('chat-error').classList.contains('d-none')",
            arg=[SEND],
            timeout=60_000,
        )
        if error.is_visible():
            break
        page.wait_for_function("() => !document.querySelector('.chat-streaming')", timeout=60_000)
    page.screenshot(path=str(artifacts_dir / "01-rate-limit-countdown.png"), full_page=True)

    text = error.inner_text()
    assert "{" not in text and "retry_after" not in text and "Too many requests" not in text
    left = _seconds_left(page)
    assert 1 <= left <= 60
    assert page.locator(SEND).is_disabled()
    assert page.get_by_role("button", name="I still need help").is_disabled()

    if left > 3:  # the window may be about to end: the live count is seen only when time is left
        page.clock.fast_forward(2_000)
        assert _seconds_left(page) == left - 2
        assert page.locator(SEND).is_disabled()

    page.clock.fast_forward(left * 1_000)
    error.wait_for(state="hidden")
    assert page.locator(SEND).is_enabled()
    assert page.get_by_role("button", name="I still need help").is_enabled()


def test_it_tells_a_customer_how_long_a_too_long_message_is(
    asgi_server, chromium_browser, artifacts_dir, customer_a, site_a, monkeypatch
):
    monkeypatch.setenv("CHAT_MESSAGE_MAX_LENGTH", "40")
    server = asgi_server()
    conversation, page = _open(chromium_browser, server, customer_a, site_a)
    messages = conversation.messages.count()

    page.fill("#chat-body", "x" * 45)
    page.locator(SEND).click()
    field_error = page.locator("#chat-body-error")
    field_error.get_by_text("Shorten it").wait_for()
    page.screenshot(path=str(artifacts_dir / "01-message-too-long.png"), full_page=True)

    assert field_error.inner_text().strip() == (
        "Your message is 45 characters long; a message can be at most 40 characters. "
        "Shorten it or send it in two parts."
    )
    # Nothing was cut: the customer's text is still there to shorten, and nothing was sent.
    assert page.input_value("#chat-body") == "x" * 45
    assert conversation.messages.count() == messages
