"""The live parts against real uvicorn processes sharing the test database (no per-process state)."""

import threading
import urllib.request

from chat.models import Message
from chat.services import conversation_start, message_post
from testing.waiting import wait_until

QUESTION = "The printer at reception says offline and nothing prints"


def test_it_streams_the_messages_after_the_last_event_id(asgi_server, site_a, customer_a, engineer_a):
    conversation, _ = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    message_post(site=site_a, conversation=conversation, author=engineer_a, body="Which floor?")
    message_post(site=site_a, conversation=conversation, author=customer_a, body="Second floor")
    server = asgi_server()

    events = server.events(
        f"/chat/{conversation.pk}/events/", session=server.login(customer_a), last_event_id=1, stop_after=2
    )
    messages = [event for event in events if event["event"] == "message"]

    assert [(e["id"], e["data"]["body"]) for e in messages] == [(2, "Which floor?"), (3, "Second floor")]
    assert messages[0]["data"]["author_kind"] == "engineer"


def test_it_shows_a_message_posted_through_one_server_in_the_feed_of_another(
    asgi_server, site_a, customer_a, engineer_a
):
    conversation, _ = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    first, second = asgi_server(), asgi_server()
    received, opened = [], threading.Event()
    session = second.login(customer_a)
    listener = threading.Thread(
        target=lambda: received.extend(
            second.events(
                f"/chat/{conversation.pk}/events/?after=1", session=session, stop_after=1, opened=opened
            )
        )
    )
    listener.start()
    assert opened.wait(timeout=60), "the second server's feed never opened"  # a ceiling, not a budget

    status, _ = first.request(
        f"/chat/{conversation.pk}/messages/",
        session=first.login(engineer_a),
        data={"body": "Restarting the spooler now", "client_key": "eng-1"},
    )
    listener.join(timeout=60)

    assert status == 201
    bodies = [event["data"]["body"] for event in received if event["event"] == "message"]
    assert bodies == ["Restarting the spooler now"]


def test_it_saves_one_answer_when_two_servers_are_asked_at_once(
    asgi_server, site_a, customer_a, indexed_ticket
):
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    servers = [asgi_server(), asgi_server()]
    session = servers[0].login(customer_a)
    path = f"/chat/{conversation.pk}/messages/{question.pk}/answer/"
    results: list[list[dict]] = []
    threads = [
        threading.Thread(target=lambda s=server: results.append(s.events(path, session=session)))
        for server in servers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    done = [next(e for e in events if e["event"] == "done")["data"] for events in results]
    tokens = [sum(e["event"] == "token" for e in events) for events in results]
    assert len(done) == 2 and done[0]["id"] == done[1]["id"]
    assert Message.objects.filter(conversation=conversation, author_kind="assistant").count() == 1
    assert done[0]["sources"][0]["key"] == f"ticket:{indexed_ticket.pk}"
    # One server generated (and streamed tokens); the other waited and received the saved answer whole.
    assert sorted(count > 0 for count in tokens) == [False, True]


def test_it_saves_the_answer_when_the_browser_goes_away(asgi_server, site_a, customer_a, indexed_ticket):
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    server = asgi_server()
    request = urllib.request.Request(  # noqa: S310 - our own test server
        f"{server.url}/chat/{conversation.pk}/messages/{question.pk}/answer/",
        headers={"Accept": "text/event-stream", "Cookie": f"sessionid={server.login(customer_a)}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        # Leave mid-answer: right after the first streamed token.
        while response.readline() != b"event: token\n":
            continue

    wait_until(Message.objects.filter(reply_to=question).exists, what="the answer to be saved")
    assert Message.objects.filter(conversation=conversation, author_kind="assistant").count() == 1
