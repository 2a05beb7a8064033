"""Summaries of long conversations for engineers: refreshed by the worker, shown to staff only."""

from __future__ import annotations

from chat.models import ConversationSummary, Message
from chat.services import conversation_close, conversation_start, message_post
from chat.summaries import conversation_summarize
from chat.tasks import conversation_summary_refresh


def _long_chat(site, customer):
    conversation, _ = conversation_start(
        site=site, customer=customer, body="The reception printer shows offline and jobs are stuck."
    )
    for kind, body in [
        (Message.Author.ASSISTANT, "Hello,\nRestart the print spooler service on the print server."),
        (Message.Author.CUSTOMER, "I restarted it and it is still offline for everyone on floor 2."),
        (Message.Author.ASSISTANT, "Power-cycle the printer and check its network cable."),
    ]:
        Message.objects.create(conversation=conversation, site=site, author_kind=kind, body=body)
    return conversation


def test_an_engineer_joining_and_closing_queue_a_refresh(
    site_a, customer_a, engineer_a, queued_tasks, django_capture_on_commit_callbacks
):
    conversation = _long_chat(site_a, customer_a)
    queued_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        message_post(site=site_a, conversation=conversation, author=engineer_a, body="I'll take this one.")
    with django_capture_on_commit_callbacks(execute=True):
        conversation_close(site=site_a, conversation=conversation, user=engineer_a)
    refreshes = [args for name, args in queued_tasks() if name == "chat.tasks.conversation_summary_refresh"]
    assert refreshes == [(conversation.pk,), (conversation.pk,)]


def test_offline_it_quotes_what_was_tried_and_what_the_customer_said(site_a, customer_a):
    conversation = _long_chat(site_a, customer_a)

    assert conversation_summary_refresh(conversation.pk) is True
    summary = ConversationSummary.objects.get(conversation=conversation)

    assert summary.extractive
    assert "The reception printer shows offline" in summary.problem
    assert summary.tried == [
        "Assistant: Restart the print spooler service on the print server.",
        "Customer: I restarted it and it is still offline for everyone on floor 2.",
        "Assistant: Power-cycle the printer and check its network cable.",
    ]
    assert summary.state == "Open."
    assert summary.next_step == "Wait for the customer to say whether the last reply helped."


def test_a_short_chat_has_none(site_a, customer_a):
    conversation, _ = conversation_start(site=site_a, customer=customer_a, body="Printer offline")
    assert conversation_summarize(conversation_id=conversation.pk) is None


def test_staff_see_it_on_the_conversation_page_and_the_customer_does_not(
    login, site_a, customer_a, engineer_a, engineer_b
):
    conversation = _long_chat(site_a, customer_a)
    conversation_summarize(conversation_id=conversation.pk)

    page = login(engineer_a).get(f"/chat/{conversation.pk}/").content.decode()
    assert 'data-testid="ticket-summary"' in page and "quoted from the history" in page
    customer_page = login(customer_a).get(f"/chat/{conversation.pk}/").content.decode()
    assert 'data-testid="ticket-summary"' not in customer_page
    assert login(engineer_b).get(f"/chat/{conversation.pk}/").status_code == 404
