"""The AI column of the engineer's ticket page: similar past cases, and a draft to send or discard."""

from __future__ import annotations

import re

import pytest

from testing.factories import new_ticket
from tickets.models import Comment, TicketEvent

DRAFT_EVENTS = TicketEvent.objects.filter(kind=TicketEvent.Kind.AI_DRAFT)


@pytest.mark.usefixtures("history")
def test_it_shows_similar_past_tickets_of_the_site_beside_the_ticket(login, site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    page = login(engineer_a).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="similar-cases"' in page
    assert "Nothing similar in this site&#x27;s history" not in page
    assert (
        f'href="/tickets/{ticket.pk}/"' not in page.split('data-testid="similar-cases"')[1].split("</div>")[0]
    )
    shown = [int(n) for n in re.findall(r'data-testid="relevance"[^>]*>(\d+)%<', page)]
    assert len(shown) >= 2 and shown == sorted(shown, reverse=True), "listed best first, as numbered"


@pytest.mark.usefixtures("history")
def test_a_ticket_nothing_grounds_gets_a_note_for_the_engineer_not_a_reply(
    login, site_a, customer_a, engineer_a
):
    ticket = new_ticket(site_a, customer_a, title="Canteen menu", description="Is there soup today at lunch?")
    client = login(engineer_a)
    client.post(f"/tickets/{ticket.pk}/draft/")
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="no-draft"' in page and "write this one yourself" in page
    assert "Send reply" not in page and "engineer will" not in page


@pytest.mark.usefixtures("history")
def test_it_drafts_then_sends_an_edited_reply_and_records_it(login, site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    client = login(engineer_a)
    response = client.post(f"/tickets/{ticket.pk}/draft/")
    assert response.status_code == 302 and response["Location"].endswith("#ai-draft")
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    drafted = DRAFT_EVENTS.get(ticket=ticket, data__stage="drafted")
    assert drafted.data["source_details"], "the draft lists the sources it cites"
    assert drafted.data["source_details"][0]["title"] in page
    assert "Send reply" in page

    body = drafted.data["body"] + "\nI have also checked the cabling."
    client.post(f"/tickets/{ticket.pk}/draft/decide/", {"action": "send", "body": body})
    reply = Comment.objects.get(ticket=ticket)
    sent, _, listed = reply.body.partition("\n\nSources:\n")
    assert (sent, reply.is_internal, reply.author) == (body.strip(), False, engineer_a)
    assert listed.startswith("[1] "), "the sent reply lists the source its marker points to"
    outcome = DRAFT_EVENTS.get(ticket=ticket, data__stage="outcome")
    assert outcome.data["outcome"] == "edited"
    assert "Send reply" not in client.get(f"/tickets/{ticket.pk}/").content.decode()


@pytest.mark.usefixtures("history")
def test_it_records_a_discarded_draft_and_sends_nothing(login, site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    client = login(engineer_a)
    client.post(f"/tickets/{ticket.pk}/draft/")
    client.post(f"/tickets/{ticket.pk}/draft/decide/", {"action": "discard"})
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert DRAFT_EVENTS.get(ticket=ticket, data__stage="outcome").data["outcome"] == "discarded"


@pytest.mark.usefixtures("history")
def test_it_refuses_to_send_an_empty_reply(login, site_a, customer_a, engineer_a):
    ticket = new_ticket(site_a, customer_a)
    client = login(engineer_a)
    client.post(f"/tickets/{ticket.pk}/draft/")
    response = client.post(
        f"/tickets/{ticket.pk}/draft/decide/", {"action": "send", "body": "  "}, follow=True
    )
    assert "Write the reply before sending it." in response.content.decode()
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_it_hides_drafting_from_other_sites_and_from_customers(login, site_a, customer_a, engineer_b):
    ticket = new_ticket(site_a, customer_a)
    assert login(engineer_b).post(f"/tickets/{ticket.pk}/draft/").status_code == 404
    assert (
        login(engineer_b).post(f"/tickets/{ticket.pk}/draft/decide/", {"action": "discard"}).status_code
        == 404
    )
    assert login(customer_a).post(f"/tickets/{ticket.pk}/draft/").status_code == 403
    assert not DRAFT_EVENTS.filter(ticket=ticket).exists()
