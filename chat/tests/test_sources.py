"""A chat answer's sources, per viewer, on every path out: the page, the API, the live feed's payload and
the ticket page. A customer never sees a colleague's problem, name or link; site B sees nothing of A."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chat.models import Message
from chat.selectors import message_as_dict
from chat.services import assistant_reply_save, conversation_escalate, conversation_start
from testing.factories import resolved_printer_ticket

QUESTION = "The reception printer shows offline"


@pytest.fixture
def colleagues_ticket(site_a, colleague_a):
    ticket = resolved_printer_ticket(site=site_a, requester=colleague_a)
    ticket.title = "Reception printer offline for Carol Colleague"
    ticket.save(update_fields=["title"])
    return ticket


@pytest.fixture
def answer(site_a, customer_a, colleagues_ticket) -> Message:
    """Alice's question, answered from Carol's ticket."""
    _, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    source = {
        "key": f"ticket:{colleagues_ticket.pk}",
        "cid": 1,
        "label": f"resolved ticket #{colleagues_ticket.pk}",
        "title": colleagues_ticket.title,
        "url": f"/tickets/{colleagues_ticket.pk}/",
        "score": 0.8,
    }
    body = "Restart the print spooler service on the print server. [1]"
    return assistant_reply_save(
        question=question, body=body, sources=[source], latency_ms=5, first_token_ms=1
    )


def leaks(text: str, ticket) -> list[str]:
    private = [
        ticket.title,
        ticket.description,
        "Carol",
        "Colleague",
        f"/tickets/{ticket.pk}/",
        f"#{ticket.pk}",
    ]
    return [value for value in private if value in text]


def test_it_gives_the_customer_the_anonymized_form_by_default(answer, colleagues_ticket, engineer_a):
    [shown] = message_as_dict(answer)["sources"]
    assert shown["title"].startswith("a similar resolved case, ")
    assert shown["excerpt"].startswith("Restart the print spooler service")
    assert not leaks(str(shown), colleagues_ticket)
    [full] = message_as_dict(answer, viewer=engineer_a)["sources"]
    assert (full["title"], full["url"]) == (colleagues_ticket.title, f"/tickets/{colleagues_ticket.pk}/")


def test_the_page_and_the_api_show_the_customer_no_colleagues_case(
    login, answer, colleagues_ticket, customer_a
):
    client = login(customer_a)
    conversation_id = answer.conversation_id
    page = client.get(reverse("chat:conversation", args=[conversation_id])).content.decode()
    assert "a similar resolved case, " in page
    assert not leaks(page.split("chat-sources", 1)[1], colleagues_ticket)
    messages = client.get(f"/api/v1/chat/conversations/{conversation_id}/messages").json()
    assert not leaks(str(messages[-1]["sources"]), colleagues_ticket)
    assert messages[-1]["sources"][0]["excerpt"]


def test_engineers_of_the_site_keep_full_links(login, answer, colleagues_ticket, engineer_a):
    page = login(engineer_a).get(reverse("chat:conversation", args=[answer.conversation_id])).content.decode()
    assert f'href="/tickets/{colleagues_ticket.pk}/"' in page
    assert colleagues_ticket.title in page


def test_the_ticket_page_shows_the_chat_sources_as_the_customer_may_see_them(
    login, answer, colleagues_ticket, customer_a, site_a
):
    ticket = conversation_escalate(site=site_a, conversation=answer.conversation, user=customer_a)
    page = login(customer_a).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "a similar resolved case, " in page
    assert not leaks(page, colleagues_ticket)


def test_site_b_sees_nothing_of_site_as_sources(login, answer, customer_b, engineer_b):
    assert message_as_dict(answer, viewer=customer_b)["sources"] == []
    assert message_as_dict(answer, viewer=engineer_b)["sources"] == []
    for user in (customer_b, engineer_b):
        client = login(user)
        assert client.get(reverse("chat:conversation", args=[answer.conversation_id])).status_code == 404
        api = client.get(f"/api/v1/chat/conversations/{answer.conversation_id}/messages")
        assert api.status_code == 404
