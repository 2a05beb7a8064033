"""Follow-ups: the assistant reads the conversation, never repeats an answer, then hands over."""

from chat.models import Message
from chat.services import assistant_reply_ensure, conversation_start, message_post
from testing.factories import PRINTER_FOLLOW_UP, PRINTER_QUESTION, two_printer_fixes


def test_a_follow_up_gets_the_next_distinct_fix_then_a_handover(site_a, customer_a):
    two_printer_fixes(site_a, customer_a)
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=PRINTER_QUESTION)
    first = assistant_reply_ensure(question=question)
    assert first.route == Message.Route.ANSWERED and first.sources

    follow_up = message_post(
        site=site_a, conversation=conversation, author=customer_a, body=PRINTER_FOLLOW_UP
    )
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
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=PRINTER_QUESTION)
    assert question.awaits_reply
    message_post(site=site_a, conversation=conversation, author=engineer_a, body="Hi Alice, looking now.")
    later = message_post(site=site_a, conversation=conversation, author=customer_a, body="Thanks!")
    assert not later.awaits_reply
    assert assistant_reply_ensure(question=later) is None
