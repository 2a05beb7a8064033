"""The chat → ticket handoff: a title in the customer's words, what was tried, the priority it deserves."""

import pytest

from chat.handoff import TITLE_MAX_LENGTH, handoff_title, suggested_steps
from chat.models import Message
from chat.selectors import conversation_handoff_summary
from chat.services import assistant_reply_save, conversation_escalate, conversation_start, message_post
from tickets.models import Priority, TicketEvent
from tickets.tasks import ticket_triage

FIRST = "hi, the printer on floor 2 says offline and my jobs are stuck in the queue"
FOLLOW_UP = "I restarted and it is still offline. Other people on floor 2 also can't print."
ANSWER = """Hello,

Thanks for reaching out. We have solved similar issues before.

What fixed it:
1. Restart the printer and wait for the ready light. [1]
2. Restart the print spooler service on the print server. [1][2]

If this does not solve it, tell me and I can open a ticket for an engineer."""
SECOND_ANSWER = """Hello,

What fixed it:
1. Restart the print spooler service on the print server. [2]
2. Remove and re-add the printer using its IP address. [2]"""
SOURCES = [{"key": "ticket:1", "cid": 1, "title": "Printer offline", "url": "", "score": 0.8}]


@pytest.mark.parametrize(
    ("first_message", "title"),
    [
        (
            "the reception printer shows offline and my print jobs are stuck in the queue",
            "The reception printer shows offline and my print jobs are stuck in the queue",
        ),
        ("Hi, I think the printer on floor 2 is offline.", "The printer on floor 2 is offline"),
        ("hello\nmy laptop won't turn on\ni tried charging it overnight", "My laptop won't turn on"),
        (
            "Hello! My vpn keeps dropping every few minutes when I work from home, which is really annoying "
            "because I have calls all day.",
            "My VPN keeps dropping every few minutes when I work from home\u2026",
        ),
        ("how do i connect to the vpn from home?", "How do I connect to the VPN from home?"),
        ("Hi there, can you please help me reset my password?? I forgot it", "Reset my password"),
        (
            "Good morning team,\noutlook crashes when I open attachments!!!",
            "Outlook crashes when I open attachments",
        ),
        ("Hey. Quick question: is the wifi down on floor 3?", "Is the Wi-Fi down on floor 3?"),
    ],
)
def test_it_titles_the_ticket_with_the_problem_in_the_customers_words(first_message, title):
    assert handoff_title([first_message]) == title
    assert len(title) <= TITLE_MAX_LENGTH


def test_it_takes_the_title_from_the_first_message_that_says_something():
    assert handoff_title(["hello?", "are you there?", "scanner on floor 1 jams"]) == "Scanner on floor 1 jams"
    assert (
        handoff_title(["Hi!! Is anyone there?", "hello, scanner on floor 1 jams"])
        == "Scanner on floor 1 jams"
    )
    assert handoff_title(["hi", "printer"]) == "Printer"
    assert handoff_title(["hi"]) == ""


def test_it_cuts_a_long_statement_at_a_word_boundary():
    title = handoff_title(["my " + "very " * 30 + "slow laptop"])

    assert len(title) <= TITLE_MAX_LENGTH
    assert title.endswith("very\u2026")


def test_it_reads_the_suggested_steps_from_the_numbered_lines():
    assert suggested_steps(ANSWER) == [
        "Restart the printer and wait for the ready light.",
        "Restart the print spooler service on the print server.",
    ]
    passages = (
        "Hello,\n\nHere is what has worked before.\n\n"
        "In a similar resolved case, this fixed it: [1]\n"
        "Restart the print spooler service on the print server.\n"
        "Then remove and re-add the reception printer using its IP address 10.0.0.42.\n\n"
        "From the knowledge base article \u201cPrinting\u201d: [2]\nPrint a test page.\n\n"
        "If this does not solve it, tell me what happened and I can open a ticket for an engineer."
    )
    assert suggested_steps(passages) == [
        "Restart the print spooler service on the print server.",
        "Then remove and re-add the reception printer using its IP address 10.0.0.42.",
        "Print a test page.",
    ]
    assert suggested_steps("I could not find a similar case, so I would rather not guess.") == []


def _conversation(site, customer):
    conversation, question = conversation_start(site=site, customer=customer, body=FIRST)
    assistant_reply_save(
        question=question, body=ANSWER, sources=SOURCES, latency_ms=5, first_token_ms=1, route="answered"
    )
    follow_up = message_post(site=site, conversation=conversation, author=customer, body=FOLLOW_UP)
    assistant_reply_save(
        question=follow_up,
        body=SECOND_ANSWER,
        sources=SOURCES,
        latency_ms=5,
        first_token_ms=1,
        route="answered",
    )
    return conversation


def test_it_describes_the_customers_words_then_what_was_tried_then_links_the_conversation(site_a, customer_a):
    conversation = _conversation(site_a, customer_a)
    summary = conversation_handoff_summary(conversation=conversation)

    assert summary.title == "The printer on floor 2 says offline and my jobs are stuck in the queue"
    assert summary.description == "\n\n".join(
        [
            FIRST,
            FOLLOW_UP,
            "Tried so far:\n"
            "1. Restart the printer and wait for the ready light.\n"
            "2. Restart the print spooler service on the print server.\n"
            f'   \u2192 Customer: "{FOLLOW_UP}"\n'
            "3. Remove and re-add the printer using its IP address.\n"
            "   \u2192 Customer: no reply before asking for an engineer.",
            f"Full conversation: http://localhost:8000/chat/{conversation.pk}/",
        ]
    )
    # No assistant answer is pasted: each suggested step appears once, greetings and markers left out.
    assert "Hello," not in summary.description and "[1]" not in summary.description
    assert summary.description.count("print spooler") == 1


def test_it_says_so_when_the_assistant_had_nothing_to_suggest(site_a, customer_a):
    conversation, question = conversation_start(
        site=site_a, customer=customer_a, body="the scanner is broken"
    )
    assistant_reply_save(
        question=question,
        body="I could not find anything similar enough to answer from.",
        sources=[],
        latency_ms=5,
        first_token_ms=1,
    )
    summary = conversation_handoff_summary(conversation=conversation)

    assert summary.title == "The scanner is broken"
    assert "Tried so far:\nNothing: the assistant suggested no steps." in summary.description
    assert "could not find" not in summary.description


def test_it_escalates_with_the_summary_and_triage_raises_the_priority_on_impact(
    site_a, customer_a, engineer_a, indexed_ticket, django_capture_on_commit_callbacks
):
    conversation = _conversation(site_a, customer_a)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = conversation_escalate(site=site_a, conversation=conversation, user=customer_a)
    assert (ticket.title, ticket.priority) == (
        "The printer on floor 2 says offline and my jobs are stuck in the queue",
        Priority.NORMAL,
    )

    ticket_triage(ticket.pk)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH
    triage = ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    reason = "Priority raised to high: the customer wrote 'Other people on floor 2 also can't print'"
    assert triage.data["impact"]["reason"] == reason
    assert reason in triage.message
    assert ticket.events.filter(
        kind=TicketEvent.Kind.FIELD_CHANGED, field="priority", new_value="high", by_assistant=True
    ).exists()


def test_it_reads_impact_in_the_customers_words_only(site_a, customer_a, indexed_ticket):
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=FIRST)
    assistant_reply_save(
        question=question,
        body="What fixed it:\n1. If everyone on the floor cannot print, restart the print server. [1]",
        sources=SOURCES,
        latency_ms=5,
        first_token_ms=1,
        route=Message.Route.ANSWERED,
    )
    ticket = conversation_escalate(site=site_a, conversation=conversation, user=customer_a)

    ticket_triage(ticket.pk)
    ticket.refresh_from_db()
    assert "everyone on the floor" in ticket.description
    assert ticket.priority != Priority.HIGH
    assert "impact" not in ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE).data
