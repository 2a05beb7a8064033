from chat.models import Conversation
from chat.selectors import (
    chat_insights,
    conversation_messages_for_ticket,
    conversations_for_user,
    messages_after,
    pending_question,
)
from chat.services import (
    assistant_reply_ensure,
    conversation_escalate,
    conversation_resolve,
    conversation_start,
    feedback_set,
    message_post,
)

QUESTION = "The printer at reception says offline and nothing prints"


def test_it_scopes_conversations_by_role(site_a, site_b, customer_a, customer_b, engineer_a, admin_user):
    mine, _ = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    theirs, _ = conversation_start(
        site=site_b, customer=customer_b, body="Outlook keeps asking for a password"
    )

    assert list(conversations_for_user(user=customer_a)) == [mine]
    assert list(conversations_for_user(user=engineer_a)) == [mine]
    assert set(conversations_for_user(user=admin_user)) == {mine, theirs}


def test_it_returns_messages_after_a_cursor_and_the_pending_question(site_a, customer_a, engineer_a):
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    message_post(site=site_a, conversation=conversation, author=engineer_a, body="Looking")

    assert [m.seq for m in messages_after(conversation=conversation, after_seq=1)] == [2]
    assert pending_question(conversation=conversation) == question


def test_it_gives_the_ticket_page_the_conversation_of_its_own_site_only(
    site_a, customer_a, engineer_a, engineer_b, indexed_ticket
):
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    assistant_reply_ensure(question=question)
    ticket = conversation_escalate(site=site_a, conversation=conversation, user=customer_a)
    message_post(site=site_a, conversation=conversation, author=engineer_a, body="I will call you")

    kinds = [m.author_kind for m in conversation_messages_for_ticket(ticket=ticket, user=engineer_a)]
    assert kinds == ["customer", "assistant", "system", "engineer"]
    assert conversation_messages_for_ticket(ticket=ticket, user=engineer_b) == []


def test_it_reports_deflection_helpfulness_and_latency_per_site(
    site_a, site_b, customer_a, admin_user, indexed_ticket
):
    solved, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    answer = assistant_reply_ensure(question=question)
    feedback_set(site=site_a, message=answer, user=customer_a, helpful=True)
    conversation_resolve(site=site_a, conversation=solved, user=customer_a)
    for _ in range(3):
        escalated, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
        answer = assistant_reply_ensure(question=question)
        feedback_set(site=site_a, message=answer, user=customer_a, helpful=False)
        conversation_escalate(site=site_a, conversation=escalated, user=customer_a)

    rows = {row["site"]: row for row in chat_insights(user=admin_user)}

    assert Conversation.objects.count() == 4
    assert rows[site_a]["deflection_rate"] == 0.25
    assert rows[site_a]["helpfulness"] == 0.25
    assert rows[site_a]["answers"] == 4
    assert rows[site_a]["avg_latency_ms"] is not None
    assert rows[site_b]["conversations"] == 0 and rows[site_b]["deflection_rate"] is None
