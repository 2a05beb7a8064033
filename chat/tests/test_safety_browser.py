"""Safety routing in headless Chromium: a phishing report gets the vetted steps and an urgent ticket that
the site's engineers see and the other site's engineer cannot."""

import pytest

from chat.models import Conversation, Message
from testing.browser import page_for
from tickets.models import Priority

pytestmark = pytest.mark.browser

REPORT = "help, I clicked a link in an email about my pension and typed my password on the page"


def test_it_answers_a_phishing_report_with_steps_and_an_urgent_ticket(
    asgi_server, chromium_browser, artifacts_dir, customer_a, engineer_a, engineer_b, indexed_ticket
):
    server = asgi_server()
    customer = page_for(chromium_browser, server, customer_a)

    customer.goto("/chat/")
    customer.fill("#chat-start-body", REPORT)
    customer.get_by_role("button", name="Ask").click()
    answer = customer.locator(".chat-assistant:not(.chat-streaming)")
    answer.wait_for()
    text = answer.locator(".chat-body").inner_text()
    customer.screenshot(path=str(artifacts_dir / "01-phishing-steps.png"), full_page=True)

    ticket = Conversation.objects.get(customer=customer_a).ticket
    assert ticket is not None and ticket.priority == Priority.URGENT
    assert "Change your password now, from another device you trust" in text
    assert f"urgent ticket #{ticket.pk}" in text
    assert Message.objects.get(author_kind="assistant").route == Message.Route.INCIDENT

    engineer = page_for(chromium_browser, server, engineer_a)
    engineer.goto("/tickets/queue/")
    engineer.get_by_text(ticket.title).first.wait_for()
    engineer.goto(f"/tickets/{ticket.pk}/")
    engineer.get_by_text(REPORT).first.wait_for()
    assert "Urgent" in engineer.content()
    engineer.screenshot(path=str(artifacts_dir / "02-engineer-sees-urgent-ticket.png"), full_page=True)

    outsider = page_for(chromium_browser, server, engineer_b)
    assert outsider.goto(f"/tickets/{ticket.pk}/").status == 404
    outsider.goto("/tickets/queue/")
    assert ticket.title not in outsider.content()
    outsider.screenshot(path=str(artifacts_dir / "03-other-site-engineer-404.png"), full_page=True)
