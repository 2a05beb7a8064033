"""The queue in headless Chromium: search, sort and a saved view; a bulk assign; the queue on a 390 px
phone with titles that stay readable. Screenshots land in test-artifacts/<test name>/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from tickets.models import SavedView, Ticket

pytestmark = pytest.mark.browser


def _log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()


def _titles(page) -> list[str]:
    return page.get_by_test_id("queue-title").all_inner_texts()


def test_it_searches_sorts_and_saves_a_view(browser_page, screenshot, make_ticket, engineer_a):
    now = timezone.now()
    make_ticket(title="VPN drops at the front desk", resolution_due_at=now + timedelta(hours=6))
    make_ticket(title="Printer out of toner", resolution_due_at=now + timedelta(hours=1))
    make_ticket(title="VPN slow from home", resolution_due_at=now + timedelta(hours=2))
    page = browser_page
    _log_in(page, "erin")
    page.get_by_label("Search").fill("vpn")
    page.get_by_label("Sort").select_option(label="SLA due soonest")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("queue-title")).to_have_count(2)
    assert _titles(page) == ["VPN slow from home", "VPN drops at the front desk"]
    screenshot("searched-and-sorted")

    page.get_by_text("Save this view").click()
    page.get_by_label("Name this view").fill("VPN by due time")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_text("Saved the view “VPN by due time”.")).to_be_visible()
    page.get_by_role("link", name="Reset").click()
    expect(page.get_by_test_id("queue-title")).to_have_count(3)
    page.get_by_test_id("saved-views").get_by_role("link", name="VPN by due time").click()
    expect(page.get_by_test_id("queue-title")).to_have_count(2)
    assert _titles(page) == ["VPN slow from home", "VPN drops at the front desk"]
    assert SavedView.objects.get(owner=engineer_a).query == "q=vpn&sort=due"
    screenshot("saved-view-opened")


def test_it_assigns_ticked_tickets_in_bulk(browser_page, screenshot, make_ticket, engineer_a):
    first = make_ticket(title="Laptop will not boot")
    second = make_ticket(title="Shared drive missing")
    untouched = make_ticket(title="Teams camera black")
    page = browser_page
    _log_in(page, "erin")
    page.get_by_label(f"Select ticket #{first.pk}").check()
    page.get_by_label(f"Select ticket #{second.pk}").check()
    page.get_by_label("Change the ticked tickets").select_option(label="Erin Engel")
    screenshot("two-ticked")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text(f"Updated 2 tickets: #{first.pk}, #{second.pk}.")).to_be_visible()
    screenshot("assigned")
    assignees = dict(Ticket.objects.values_list("pk", "assignee"))
    assert assignees == {first.pk: engineer_a.pk, second.pk: engineer_a.pk, untouched.pk: None}


def test_the_queue_is_readable_on_a_390_px_phone(browser_page, screenshot, make_ticket, engineer_a):
    titles = [
        "Outlook keeps asking for the password after the Windows update this morning",
        "The reception printer prints every page twice and then jams",
        "VPN drops every few minutes when working from home",
    ]
    for title in titles:
        make_ticket(title=title, priority="high", resolution_due_at=timezone.now() + timedelta(hours=3))
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, "erin")
    expect(page.get_by_test_id("queue-title")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for link in page.get_by_test_id("queue-title").all():
        box = link.bounding_box()
        # Readable: the title has most of the phone's width, so a line holds words, not a few letters.
        assert box["width"] >= 250, box
    expect(
        page.get_by_test_id("queue-row").first.locator(".queue-title").get_by_test_id("state")
    ).to_be_visible()
    screenshot("phone-queue")
