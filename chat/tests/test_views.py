import json

import pytest
from django.urls import reverse
from django.utils.html import escape

from chat.models import Conversation, Message
from chat.services import (
    assistant_reply_ensure,
    conversation_close,
    conversation_escalate,
    conversation_start,
)
from tickets.services import ticket_create

QUESTION = "The printer at reception says offline and nothing prints"


@pytest.fixture
def conversation_a(site_a, customer_a):
    conversation, _ = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    return conversation


@pytest.fixture
def answered_a(conversation_a, indexed_ticket):
    question = conversation_a.messages.get(seq=1)
    return assistant_reply_ensure(question=question)


def chat_pages(conversation, answer):
    """Every chat page and endpoint that names a conversation or a message: (method, url)."""
    pk, question = conversation.pk, answer.reply_to_id
    return [
        ("get", reverse("chat:conversation", args=[pk])),
        ("post", reverse("chat:message_create", args=[pk])),
        ("get", reverse("chat:feed", args=[pk])),
        ("get", reverse("chat:answer", args=[pk, question])),
        ("post", reverse("chat:resolve", args=[pk])),
        ("post", reverse("chat:escalate", args=[pk])),
        ("post", reverse("chat:close", args=[pk])),
        ("post", reverse("chat:feedback", args=[answer.pk])),
        ("get", f"/api/v1/chat/conversations/{pk}"),
        ("get", f"/api/v1/chat/conversations/{pk}/messages"),
        ("post", f"/api/v1/chat/conversations/{pk}/messages"),
        ("post", f"/api/v1/chat/conversations/{pk}/resolve"),
        ("post", f"/api/v1/chat/conversations/{pk}/escalate"),
        ("post", f"/api/v1/chat/messages/{answer.pk}/feedback"),
    ]


def test_it_answers_404_to_other_sites_for_every_chat_page_and_endpoint(
    login, conversation_a, answered_a, customer_b, engineer_b
):
    for outsider in (customer_b, engineer_b):
        client = login(outsider)
        for method, url in chat_pages(conversation_a, answered_a):
            if url.startswith("/api/") and method == "post":
                data = json.dumps({"body": "hi", "helpful": True})
                response = client.post(url, data=data, content_type="application/json")
            else:
                response = getattr(client, method)(
                    url, {"body": "hi", "helpful": "yes"} if method == "post" else {}
                )
            assert response.status_code == 404, (outsider.username, method, url, response.status_code)
    assert Message.objects.filter(conversation=conversation_a).count() == 2


def test_it_hides_a_conversation_from_another_customer_of_the_same_site(login, conversation_a, site_a):
    from helpdesk.models import User
    from helpdesk.services import user_create

    colleague = user_create(username="carol", password="x-Pass-123456", role=User.Role.CUSTOMER, site=site_a)
    response = login(colleague).get(reverse("chat:conversation", args=[conversation_a.pk]))
    assert response.status_code == 404


def test_it_shows_the_conversation_to_its_customer_and_the_covering_engineer(
    login, conversation_a, answered_a, customer_a, engineer_a
):
    for user in (customer_a, engineer_a):
        response = login(user).get(reverse("chat:conversation", args=[conversation_a.pk]))
        assert response.status_code == 200
        assert QUESTION in response.content.decode()
        assert "Assistant (AI)" in response.content.decode()


def test_it_starts_one_conversation_on_a_double_submit(login, customer_a):
    client = login(customer_a)
    for _ in range(2):
        response = client.post(reverse("chat:start"), {"body": QUESTION, "client_key": "form-1"})
        assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert response["Location"] == conversation.get_absolute_url()
    assert conversation.messages.count() == 1


def test_it_posts_a_message_once_per_client_key_and_gives_the_answer_url(login, conversation_a, customer_a):
    client = login(customer_a)
    url = reverse("chat:message_create", args=[conversation_a.pk])
    first = client.post(url, {"body": "It is an HP", "client_key": "m-2"}, HTTP_ACCEPT="application/json")
    second = client.post(url, {"body": "It is an HP", "client_key": "m-2"}, HTTP_ACCEPT="application/json")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["answer_url"] == reverse("chat:answer", args=[conversation_a.pk, first.json()["id"]])
    assert conversation_a.messages.count() == 2


def test_it_explains_a_too_long_message_with_a_field_error(login, conversation_a, customer_a, settings):
    settings.CHAT_MESSAGE_MAX_LENGTH = 20
    client = login(customer_a)
    url = reverse("chat:message_create", args=[conversation_a.pk])

    as_json = client.post(url, {"body": "x" * 21}, HTTP_ACCEPT="application/json")
    as_page = client.post(url, {"body": "x" * 21})
    api = client.post(
        f"/api/v1/chat/conversations/{conversation_a.pk}/messages",
        data=json.dumps({"body": "x" * 21}),
        content_type="application/json",
    )

    assert as_json.status_code == 422
    assert "at most 20 characters" in as_json.json()["errors"]["body"][0]
    assert as_page.status_code == 422
    assert "at most 20 characters" in as_page.content.decode()
    assert api.status_code == 422
    assert "at most 20 characters" in api.json()["errors"][0]["msg"]
    assert conversation_a.messages.count() == 1
    assert as_json.json()["errors"]["body"] == [
        "Your message is 21 characters long; a message can be at most 20 characters. "
        "Shorten it or send it in two parts."
    ]


def test_it_says_in_a_sentence_that_a_closed_conversation_takes_no_message(
    login, conversation_a, customer_a, engineer_a
):
    conversation_close(site=conversation_a.site, conversation=conversation_a, user=engineer_a)
    url = reverse("chat:message_create", args=[conversation_a.pk])
    response = login(customer_a).post(url, {"body": "one more thing"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 422
    assert response.json()["errors"]["__all__"] == [
        "This conversation is closed, so your message was not sent. "
        "If you still need help, start a new conversation on the help page."
    ]


def test_it_answers_429_with_retry_after_past_the_chat_limit(
    login, conversation_a, customer_a, engineer_a, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "chat": (2, 60)}
    url = reverse("chat:message_create", args=[conversation_a.pk])
    client = login(engineer_a)
    codes = [client.post(url, {"body": f"note {n}"}).status_code for n in range(3)]
    limited = client.post(url, {"body": "again"}, HTTP_ACCEPT="application/json")

    assert codes == [302, 302, 429]
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "Too many requests" in limited.json()["detail"]
    as_page = client.post(url, {"body": "again"})
    assert as_page.status_code == 429
    assert as_page.content.decode().startswith("You are sending requests quickly. Please wait ")
    # Limits are per user: the customer still has their own budget.
    assert login(customer_a).post(url, {"body": "hello"}).status_code == 302


def test_it_limits_questions_to_the_assistant_through_the_api(login, customer_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "ai": (1, 60)}
    client = login(customer_a)
    first = client.post(
        "/api/v1/chat/conversations", data=json.dumps({"body": QUESTION}), content_type="application/json"
    )
    second = client.post(
        "/api/v1/chat/conversations", data=json.dumps({"body": QUESTION}), content_type="application/json"
    )

    assert first.status_code == 201
    assert second.status_code == 429
    assert second["Retry-After"]


def test_it_asks_and_answers_through_the_api(login, customer_a, indexed_ticket):
    client = login(customer_a)
    response = client.post(
        "/api/v1/chat/conversations",
        data=json.dumps({"body": QUESTION, "client_key": "api-1"}),
        content_type="application/json",
    )
    body = response.json()

    assert response.status_code == 201
    assert body["message"]["author_kind"] == "customer"
    assert body["reply"]["author_kind"] == "assistant"
    assert body["reply"]["sources"][0]["key"] == f"ticket:{indexed_ticket.pk}"
    conversation_id = body["conversation"]["id"]
    listed = client.get(f"/api/v1/chat/conversations/{conversation_id}/messages?after=1").json()
    assert [m["seq"] for m in listed] == [2]

    feedback = client.post(
        f"/api/v1/chat/messages/{body['reply']['id']}/feedback",
        data=json.dumps({"helpful": True, "comment": "Worked"}),
        content_type="application/json",
    )
    assert feedback.json() == {"helpful": True, "comment": "Worked"}
    resolved = client.post(f"/api/v1/chat/conversations/{conversation_id}/resolve")
    assert resolved.json()["outcome"] == "deflected"


def test_it_turns_the_chat_into_a_ticket_from_the_page(login, conversation_a, customer_a):
    response = login(customer_a).post(reverse("chat:escalate", args=[conversation_a.pk]), follow=True)
    conversation_a.refresh_from_db()

    assert conversation_a.ticket is not None
    assert f"Ticket #{conversation_a.ticket_id} was created" in response.content.decode()


def test_it_shows_the_chat_on_its_ticket_page_and_nothing_on_other_tickets(
    login, site_a, answered_a, conversation_a, customer_a, engineer_a
):
    ticket = conversation_escalate(site=site_a, conversation=conversation_a, user=customer_a)
    url = reverse("tickets:detail", args=[ticket.pk])
    for user, link in ((customer_a, "Open the conversation"), (engineer_a, "Join the live conversation")):
        page = login(user).get(url).content.decode()
        assert 'id="ticket-conversation"' in page and link in page
        assert "Assistant (AI)" in page and escape(answered_a.body.split("\n")[0]) in page
        assert "ticket-chat-sources" in page  # the answer's sources, as this user may see them

    other = ticket_create(site=site_a, requester=customer_a, title="New laptop", description="Order one")
    page = login(customer_a).get(reverse("tickets:detail", args=[other.pk])).content.decode()
    assert 'id="ticket-conversation"' not in page


def test_it_records_feedback_from_the_page(login, answered_a, customer_a):
    response = login(customer_a).post(
        reverse("chat:feedback", args=[answered_a.pk]),
        {"helpful": "no", "comment": "Printer is still offline"},
        HTTP_ACCEPT="application/json",
    )
    assert response.json() == {"helpful": False, "comment": "Printer is still offline"}


def test_it_shows_insights_to_admins_only(login, answered_a, admin_user, engineer_a, customer_a, site_a):
    for user in (engineer_a, customer_a):
        assert login(user).get(reverse("chat:insights")).status_code == 404
    response = login(admin_user).get(reverse("chat:insights"))
    assert response.status_code == 200
    assert escape(site_a.name) in response.content.decode()
