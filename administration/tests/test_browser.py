"""An admin sets a new site up from the product's pages (SLA targets, AI settings), and raises a site's
auto-triage bar: the next ticket a customer opens waits for a human."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from helpdesk.models import AuditEntry, Site
from integrations.models import SupportAddress
from tickets.models import SLATarget, Ticket, TicketState
from tickets.tasks import ticket_triage


def _log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _log_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


@pytest.mark.browser
def test_an_admin_creates_a_site_with_sla_targets_and_ai_settings(browser_page, screenshot, admin_user):
    page = browser_page
    _log_in(page, "ada")
    page.get_by_role("link", name="Manage").click()
    page.get_by_role("link", name="New site").click()
    page.get_by_label("Name", exact=True).fill("Cedar Dental")
    page.get_by_label("Short name", exact=True).fill("cedar-dental")
    page.get_by_label("Contact email").fill("cora@cedar.example")
    page.get_by_label("Addresses for email-in").fill("support@cedar.example")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Business hours start").fill("08:30")
    page.get_by_label("Business hours end").fill("17:30")
    sla = page.locator("#sla-targets")
    expect(sla).to_contain_text("Default: 30 min (30 min, built-in)")  # urgent first response
    sla.get_by_label("Urgent: first response (minutes)").fill("15")
    sla.get_by_label("Urgent: resolution (minutes)").fill("120")
    page.get_by_label("The assistant answers chats", exact=False).uncheck()
    page.get_by_label("Confidence needed to auto-triage").fill("0.8")
    screenshot("admin-fills-the-new-site")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved Cedar Dental.")).to_be_visible()
    expect(page.get_by_label("Urgent: first response (minutes)")).to_have_value("15")
    screenshot("site-saved")
    page.get_by_role("link", name="Sites").click()
    row = page.locator("tr[data-site='cedar-dental']")
    expect(row).to_contain_text("support@cedar.example")
    expect(row).to_contain_text("(≥ 0.8)")
    expect(row.get_by_text("Off")).to_be_visible()  # the assistant
    site = Site.objects.get(slug="cedar-dental")
    assert (site.assistant_enabled, site.auto_triage_confidence, site.time_zone) == (
        False,
        0.8,
        "Europe/London",
    )
    assert SupportAddress.objects.get(site=site).address == "support@cedar.example"
    assert SLATarget.objects.get(site=site).resolution_minutes == 120
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("#audit")).to_contain_text("created helpdesk.site Cedar Dental")
    screenshot("audit-log")
    assert AuditEntry.objects.filter(site=site, actor=admin_user).count() == 3


@pytest.mark.browser
def test_the_next_ticket_follows_a_raised_auto_triage_threshold(
    browser_page, screenshot, history, site_a, customer_a, engineer_a, admin_user
):
    page = browser_page
    _log_in(page, "ada")
    page.goto("/manage/")
    page.get_by_role("link", name=site_a.name).click()
    page.get_by_label("Confidence needed to auto-triage").fill("1.0")
    screenshot("admin-raises-the-threshold")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Saved {site_a.name}.")).to_be_visible()
    _log_out(page)

    _log_in(page, "alice")
    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill("Printer queue stuck again")
    page.get_by_label("What happened?").fill("Nothing prints, jobs stuck in queue.")
    page.get_by_role("button", name="Create ticket").click()
    expect(page.get_by_text("created. We will get back to you.")).to_be_visible()
    ticket = Ticket.objects.get(title="Printer queue stuck again", state=TicketState.NEW)
    ticket_triage(ticket.pk)  # what the worker runs for the job the portal queued (no worker here)
    _log_out(page)

    _log_in(page, "erin")
    page.goto(f"/tickets/{ticket.pk}/")
    expect(page.get_by_test_id("state")).to_have_text("New")
    expect(page.get_by_test_id("timeline")).to_contain_text("left for a human to triage")
    screenshot("engineer-sees-it-waiting-for-a-human")
    ticket.refresh_from_db()
    assert ticket.needs_human_triage and ticket.assignee is None
    assert 0.5 < ticket.triage_confidence < 1.0  # the default rule would have assigned it
