"""A customer opens a ticket in the portal; an engineer resolves it; the customer sees it resolved."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from tickets.models import Ticket


def _log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _log_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


@pytest.mark.browser
def test_it_walks_a_ticket_from_the_portal_to_resolved(browser_page, screenshot, customer_a, engineer_a):
    page = browser_page
    _log_in(page, "alice")
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill("Printer on floor 2 jams")
    page.get_by_label("What happened?").fill("Every print job jams after the first page since this morning.")
    screenshot("customer-fills-the-form")
    page.get_by_role("button", name="Create ticket").click()
    expect(page.get_by_text("created. We will get back to you.")).to_be_visible()
    expect(page.get_by_test_id("state")).to_have_text("New")
    ticket = Ticket.objects.get()
    screenshot("customer-sees-the-new-ticket")
    _log_out(page)

    _log_in(page, "erin")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    page.get_by_role("link", name="Printer on floor 2 jams").click()
    screenshot("engineer-opens-the-ticket")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_test_id("state")).to_have_text("Assigned")
    page.get_by_role("button", name="Start work").click()
    expect(page.get_by_test_id("state")).to_have_text("In progress")
    page.get_by_label("Resolution note").fill("Replaced the worn pickup roller; test pages print cleanly.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_test_id("state")).to_have_text("Resolved")
    expect(page.get_by_test_id("timeline")).to_contain_text("In progress → Resolved")
    screenshot("engineer-resolved-it")
    _log_out(page)

    _log_in(page, "alice")
    page.goto(f"/tickets/{ticket.pk}/")
    expect(page.get_by_test_id("state")).to_have_text("Resolved")
    expect(page.get_by_test_id("resolution")).to_contain_text("Replaced the worn pickup roller")
    screenshot("customer-sees-it-resolved")
    page.get_by_label("5", exact=True).check()
    page.get_by_label("Comment").fill("Fixed the same morning, thanks!")
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_text("Thank you for your rating.")).to_be_visible()
    expect(page.get_by_text("5 / 5 — Fixed the same morning, thanks!")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    for url in (f"/tickets/{ticket.pk}/", "/tickets/", "/tickets/new/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url
    screenshot("phone-new-ticket-form")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee, ticket.review.rating) == ("resolved", engineer_a, 5)
