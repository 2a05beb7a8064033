"""Follow-ups: the assistant reads the conversation, never repeats an answer, then hands over."""

from django.utils import timezone

from chat.models import Message
from chat.services import assistant_reply_ensure, conversation_start, message_post
from knowledge.services import document_index_ticket
from tickets.models import Category, Ticket, TicketState

QUESTION = "The reception printer shows offline and my print jobs are stuck in the queue"
FOLLOW_UP = "I restarted it and it is still offline. Other people on floor 2 also can't print."


def resolved(site, requester, *, title, description, resolution):
    category, _ = Category.objects.get_or_create(slug="printers", defaults={"name": "Printers"})
    ticket = Ticket.objects.create(
        site=site,
        requester=requester,
        title=title,
        description=description,
        resolution=resolution,
        category=category,
        state=TicketState.RESOLVED,
        resolved_at=timezone.now(),
    )
    document_index_ticket(ticket=ticket)
    return ticket


def two_printer_fixes(site, requester) -> None:
    """Two resolved printer tickets with different fixes: a follow-up has one more thing to offer."""
    resolved(
        site,
        requester,
        title="Reception printer shows offline",
        description="The reception printer shows offline and print jobs stay in the queue.",
        resolution="Restarted the print spooler service on the print server.",
    )
    resolved(
        site,
        requester,
        title="Printer offline for the whole floor",
        description="The printer shows offline for everyone and jobs are stuck in the print queue.",
        resolution="The printer had a new IP address after a power cut. Created a DHCP reservation for it.",
    )


def test_a_follow_up_gets_the_next_distinct_fix_then_a_handover(site_a, customer_a):
    two_printer_fixes(site_a, customer_a)
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    first = assistant_reply_ensure(question=question)
    assert first.route == Message.Route.ANSWERED and first.sources

    follow_up = message_post(site=site_a, conversation=conversation, author=customer_a, body=FOLLOW_UP)
    second = assistant_reply_ensure(question=follow_up)
    assert second.route == Message.Route.ANSWERED
    assert {s["key"] for s in second.sources}.isdisjoint({s["key"] for s in first.sources})
    assert "Restarted the print spooler" in first.body
    assert "Restarted the print spooler" not in second.body  # nothing said twice
    assert "DHCP reservation" in second.body
    assert "I still need help" in second.body  # after a failed round, the ticket is offered

    again = message_post(site=site_a, conversation=conversation, author=customer_a, body="still broken")
    third = assistant_reply_ensure(question=again)
    assert third.route == Message.Route.NO_MATCH and third.sources == []
    assert "no other fix on record" in third.body and "I still need help" in third.body


def test_the_assistant_stops_answering_once_an_engineer_joins(site_a, customer_a, engineer_a):
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    assert question.awaits_reply
    message_post(site=site_a, conversation=conversation, author=engineer_a, body="Hi Alice, looking now.")
    later = message_post(site=site_a, conversation=conversation, author=customer_a, body="Thanks!")
    assert not later.awaits_reply
    assert assistant_reply_ensure(question=later) is None
