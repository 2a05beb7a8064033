"""An engineer opens a ticket, sees the macro suggested by its use on a similar past ticket, applies it in
one click and sees the reply and the field changes on the page."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from macros.models import Macro, MacroUse
from testing.factories import category, indexed_history, ticket_in_state


@pytest.mark.browser
def test_it_applies_a_suggested_macro_from_the_ticket_page(
    browser_page, screenshot, site_a, customer_a, engineer_a
):
    past = indexed_history(
        site=site_a,
        requester=customer_a,
        rows={
            "printers": [
                ("Printer queue stuck", "Print jobs stay stuck in the queue.", "Restarted the spooler.")
            ]
        },
    )
    macro = Macro.objects.create(
        site=site_a,
        name="Spooler restarted",
        body="Hi {requester_first_name}, I restarted the print spooler. Does it print now? "
        "{engineer_first_name}",
        set_state="waiting_on_customer",
        set_category=category("printers"),
        set_priority="high",
        add_tags=["spooler"],
    )
    MacroUse.objects.create(macro=macro, ticket=past[0], site=site_a, used_by=engineer_a)
    ticket = ticket_in_state(
        "in_progress",
        site=site_a,
        requester=customer_a,
        assignee=engineer_a,
        title="Print queue stuck again",
        description="Print jobs stay stuck in the queue since this morning.",
    )
    page = browser_page
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("erin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/tickets/{ticket.pk}/")
    suggestions = page.get_by_test_id("macro-suggestions")
    expect(suggestions).to_contain_text("Spooler restarted")
    expect(suggestions).to_contain_text("used on 1 similar ticket")
    screenshot("macro-suggested")
    suggestions.get_by_role("button", name="Apply Spooler restarted").click()
    expect(page.get_by_text("Macro “Spooler restarted” applied.")).to_be_visible()
    expect(
        page.get_by_text("Hi Alice, I restarted the print spooler. Does it print now? Erin").first
    ).to_be_visible()
    expect(page.get_by_test_id("state")).to_have_text("Waiting on customer")
    expect(page.get_by_test_id("timeline")).to_contain_text("Normal → High")
    expect(page.get_by_test_id("timeline")).to_contain_text("In progress → Waiting on customer")
    expect(page.get_by_test_id("timeline")).to_contain_text("Applied the macro “Spooler restarted”")
    screenshot("macro-applied")
    ticket.refresh_from_db()
    assert (ticket.category.slug, ticket.priority, ticket.tags) == ("printers", "high", ["spooler"])
    assert MacroUse.objects.filter(ticket=ticket, used_by=engineer_a).count() == 1
