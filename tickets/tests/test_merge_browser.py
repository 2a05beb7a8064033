"""An engineer sees a flagged duplicate on the ticket page and merges it into the survivor (Chromium)."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from tickets.duplicates import ticket_duplicates_detect
from tickets.models import Ticket
from tickets.services import comment_create, ticket_create


def _log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.browser
def test_it_merges_a_flagged_duplicate_from_the_ticket_page(
    browser_page, screenshot, site_a, customer_a, colleague_a, engineer_a
):
    survivor = ticket_create(
        site=site_a,
        requester=colleague_a,
        title="Printer on floor 2 keeps jamming",
        description="Paper jams in the floor 2 printer on every job since this morning.",
    )
    copy = ticket_create(
        site=site_a,
        requester=customer_a,
        title="Floor 2 printer paper jam",
        description="The second floor printer jams again, every print gets stuck.",
    )
    comment_create(ticket=copy, author=customer_a, body="It is the one next to the kitchen.")
    assert ticket_duplicates_detect(ticket_id=copy.pk)

    page = browser_page
    _log_in(page, "erin")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    page.goto(f"/tickets/{copy.pk}/")
    flags = page.get_by_test_id("duplicates")
    expect(flags.get_by_test_id("duplicate-flag")).to_contain_text(f"#{survivor.pk} Printer on floor 2")
    screenshot("engineer-sees-the-flagged-duplicate")
    flags.get_by_role("button", name=f"Merge into #{survivor.pk}").click()

    expect(page).to_have_url(f"/tickets/{survivor.pk}/")
    expect(page.get_by_text(f"Ticket #{copy.pk} was merged into this ticket.")).to_be_visible()
    expect(page.get_by_test_id("merged-from")).to_contain_text(f"#{copy.pk} Floor 2 printer paper jam")
    expect(page.get_by_text("It is the one next to the kitchen.").first).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("was merged into this ticket")
    screenshot("the-survivor-carries-the-conversation")

    page.get_by_test_id("merged-from").get_by_role("link").click()
    expect(page.get_by_test_id("state")).to_have_text("Closed")
    expect(page.get_by_test_id("merged-into")).to_contain_text(f"Merged into #{survivor.pk}")
    expect(page.get_by_test_id("timeline")).to_contain_text(f"Merged into #{survivor.pk}")
    screenshot("the-copy-is-closed-with-a-link")
    copy.refresh_from_db()
    assert (copy.state, copy.merged_into_id) == ("closed", survivor.pk)
    assert Ticket.objects.get(pk=survivor.pk).comments.count() == 1
