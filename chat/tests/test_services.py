import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from chat.models import Conversation, Message
from chat.services import (
    ConversationClosed,
    assistant_reply_claim,
    assistant_reply_ensure,
    conversation_close,
    conversation_escalate,
    conversation_resolve,
    conversation_start,
    feedback_set,
    message_post,
)
from tickets.models import Ticket, TicketEvent, TicketSource
from tickets.tasks import ticket_triage

QUESTION = "The printer at reception says offline and nothing prints"


def test_it_starts_one_conversation_per_client_key(site_a, customer_a):
    first, message = conversation_start(site=site_a, customer=customer_a, body=QUESTION, client_key="k1")
    again, same = conversation_start(site=site_a, customer=customer_a, body=QUESTION, client_key="k1")

    assert (again.pk, same.pk) == (first.pk, message.pk)
    assert Conversation.objects.count() == 1
    assert message.seq == 1
    assert message.awaits_reply
    assert first.subject == QUESTION


def test_it_refuses_a_customer_of_another_site(site_a, customer_b):
    with pytest.raises(PermissionDenied):
        conversation_start(site=site_a, customer=customer_b, body=QUESTION)


def test_it_keeps_one_message_per_client_key_and_numbers_messages_in_order(site_a, customer_a, engineer_a):
    conversation, _ = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    retry = [
        message_post(
            site=site_a, conversation=conversation, author=customer_a, body="More detail", client_key="x"
        )
        for _ in range(3)
    ]
    reply = message_post(site=site_a, conversation=conversation, author=engineer_a, body="On it")

    assert len({message.pk for message in retry}) == 1
    assert [m.seq for m in conversation.messages.all()] == [1, 2, 3]
    assert reply.author_kind == Message.Author.ENGINEER
    assert not reply.awaits_reply


def test_it_rejects_empty_and_too_long_messages(site_a, customer_a, settings):
    settings.CHAT_MESSAGE_MAX_LENGTH = 50
    with pytest.raises(ValidationError, match="at most 50 characters"):
        conversation_start(site=site_a, customer=customer_a, body="x" * 51)
    with pytest.raises(ValidationError, match="Write a message"):
        conversation_start(site=site_a, customer=customer_a, body="   ")


def test_it_answers_from_the_indexed_ticket_once_even_when_asked_twice(site_a, customer_a, indexed_ticket):
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)

    reply = assistant_reply_ensure(question=question)
    again = assistant_reply_ensure(question=question)

    assert again.pk == reply.pk
    assert conversation.messages.filter(author_kind=Message.Author.ASSISTANT).count() == 1
    assert reply.reply_to_id == question.pk
    assert [source["key"] for source in reply.sources] == [f"ticket:{indexed_ticket.pk}"]
    assert "spooler" in reply.body.lower()
    assert reply.latency_ms is not None and reply.first_token_ms is not None


def test_it_gives_the_right_to_answer_to_one_claimant(site_a, customer_a):
    _, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)

    assert assistant_reply_claim(question=question)
    assert not assistant_reply_claim(question=question)


def test_it_takes_over_a_stale_claim(site_a, customer_a):
    from datetime import timedelta

    from django.utils import timezone

    _, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    Message.objects.filter(pk=question.pk).update(reply_claimed_at=timezone.now() - timedelta(hours=1))

    assert assistant_reply_claim(question=question)


def test_it_closes_a_deflected_conversation_and_queues_its_transcript(
    site_a, customer_a, django_capture_on_commit_callbacks, queued_tasks
):
    conversation, _question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    with django_capture_on_commit_callbacks(execute=True):
        conversation_resolve(site=site_a, conversation=conversation, user=customer_a)

    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.CLOSED
    assert conversation.outcome == Conversation.Outcome.DEFLECTED
    assert conversation.closed_at is not None
    assert "knowledge.tasks.index_conversation" in [func for func, _ in queued_tasks()]
    with pytest.raises(ConversationClosed):
        message_post(site=site_a, conversation=conversation, author=customer_a, body="one more thing")


def test_it_turns_the_conversation_into_a_triage_queued_ticket_with_its_summary(
    site_a, customer_a, indexed_ticket, django_capture_on_commit_callbacks, queued_tasks
):
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    assistant_reply_ensure(question=question)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = conversation_escalate(site=site_a, conversation=conversation, user=customer_a)
    again = conversation_escalate(site=site_a, conversation=conversation, user=customer_a)

    conversation.refresh_from_db()
    assert again.pk == ticket.pk
    assert Ticket.objects.filter(source=TicketSource.CHAT).count() == 1
    assert conversation.ticket_id == ticket.pk
    assert conversation.outcome == Conversation.Outcome.ESCALATED
    assert ticket.requester == customer_a
    assert ticket.title == QUESTION
    assert ticket.description.startswith(QUESTION)
    assert "Tried so far:\n1. " in ticket.description
    assert ticket.description.endswith(conversation.get_absolute_url())
    assert "Assistant (AI):" not in ticket.description
    assert "tickets.tasks.ticket_triage" in [func for func, _ in queued_tasks()]
    # The queued job triages the ticket from its summary, grounded in the site's resolved ticket.
    ticket_triage(ticket.pk)
    triage = ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    assert f"ticket:{indexed_ticket.pk}" in triage.data["sources"]
    # Escalated: the customer's next message waits for an engineer, not for the assistant.
    follow_up = message_post(site=site_a, conversation=conversation, author=customer_a, body="Still broken")
    assert not follow_up.awaits_reply


def test_it_lets_only_the_customer_decide_and_only_staff_close(site_a, customer_a, engineer_a):
    conversation, _ = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    with pytest.raises(PermissionDenied):
        conversation_resolve(site=site_a, conversation=conversation, user=engineer_a)
    with pytest.raises(PermissionDenied):
        conversation_escalate(site=site_a, conversation=conversation, user=engineer_a)
    with pytest.raises(PermissionDenied):
        conversation_close(site=site_a, conversation=conversation, user=customer_a)

    conversation_close(site=site_a, conversation=conversation, user=engineer_a)
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.CLOSED


def test_it_records_feedback_once_per_answer_and_replaces_it(site_a, customer_a, engineer_a, indexed_ticket):
    _, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    reply = assistant_reply_ensure(question=question)

    feedback_set(site=site_a, message=reply, user=customer_a, helpful=False, comment="Did not work")
    feedback = feedback_set(site=site_a, message=reply, user=customer_a, helpful=True)

    assert feedback.helpful and feedback.comment == ""
    assert reply.__class__.objects.get(pk=reply.pk).feedback.pk == feedback.pk
    with pytest.raises(PermissionDenied):
        feedback_set(site=site_a, message=reply, user=engineer_a, helpful=True)
    with pytest.raises(ValidationError):
        feedback_set(site=site_a, message=question, user=customer_a, helpful=True)
