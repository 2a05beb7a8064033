"""The requester's history beside a ticket: their other tickets and chats, the same problem marked."""

from __future__ import annotations

from chat.models import Message
from testing.factories import closed_conversation, new_ticket, resolved_ticket
from tickets.selectors import requester_history

OUTLOOK = "Outlook keeps asking for my password"


def _history(site, customer):
    resolved_ticket(
        site=site,
        requester=customer,
        title="Outlook asks for my password again",
        description="Outlook pops up the password prompt every few minutes.",
        resolution="Cleared the cached credentials.",
    )
    resolved_ticket(
        site=site,
        requester=customer,
        title="Printer out of toner",
        description="The reception printer says the toner is empty.",
        resolution="Replaced the toner cartridge.",
    )
    closed_conversation(
        site=site,
        customer=customer,
        subject="",
        turns=[(Message.Author.CUSTOMER, "Outlook keeps prompting me for my password all day")],
    )


def test_it_lists_the_requesters_own_cases_newest_first_and_marks_the_same_problem(
    site_a, site_b, customer_a, colleague_a, customer_b
):
    _history(site_a, customer_a)
    resolved_ticket(
        site=site_a, requester=colleague_a, title=OUTLOOK, description="Carol's Outlook", resolution="Fixed."
    )
    resolved_ticket(
        site=site_b, requester=customer_b, title=OUTLOOK, description="Site B's Outlook", resolution="Fixed."
    )
    ticket = new_ticket(site_a, customer_a, title=OUTLOOK, description="The password prompt is back.")

    history = requester_history(ticket=ticket)

    assert [(item.kind, item.similar) for item in history] == [
        ("conversation", True),
        ("ticket", False),
        ("ticket", True),
    ]
    assert "Printer out of toner" in history[1].title
    assert all("Carol" not in item.text and "Site B" not in item.text for item in history)


def test_the_engineer_sees_it_and_the_customer_does_not(login, site_a, customer_a, engineer_a):
    _history(site_a, customer_a)
    ticket = new_ticket(site_a, customer_a, title=OUTLOOK, description="The password prompt is back.")

    page = login(engineer_a).get(f"/tickets/{ticket.pk}/").content.decode()
    panel = page.split('data-testid="requester-history"')[1]
    assert panel.count('data-similar="1"') == 2 and "2 like this one" in panel
    assert f'href="/tickets/{ticket.pk}/"' not in panel.split("</div>\n</div>")[0]
    assert (
        'data-testid="requester-history"'
        not in login(customer_a).get(f"/tickets/{ticket.pk}/").content.decode()
    )


def test_a_first_time_requester_has_an_empty_history(login, site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    page = login(engineer_a).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "No other tickets or chats from Alice" in page
