"""Feeds wake on PostgreSQL NOTIFY (chat/listener.py, trigger of migration chat 0009), across processes.

The feed's server runs with a safety re-read of an hour (`CHAT_FEED_POLL_SECONDS=3600`), so a message
that reaches the feed before the test's ceiling can only have come through a notification. The delay
from sending the write to the event is kept as the test's `feed_wake_ms` property (in the JUnit XML
with `-o junit_family=legacy --junitxml=FILE`; bench/chat_load.py measures it under load): reported,
not asserted.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request

from django.db import connection

from chat.models import Conversation
from chat.services import conversation_start, message_post
from testing.waiting import wait_until

QUESTION = "The printer at reception says offline and nothing prints"
NO_SAFETY_READ = {"CHAT_FEED_POLL_SECONDS": "3600"}


class Feed:
    """A feed read in a thread, every event stamped with the monotonic time it arrived."""

    def __init__(self, server, path: str, session: str):
        self.events: list[tuple[float, dict]] = []
        self.arrived = threading.Condition()
        request = urllib.request.Request(  # noqa: S310 - our own test server
            server.url + path, headers={"Accept": "text/event-stream", "Cookie": f"sessionid={session}"}
        )
        self.thread = threading.Thread(target=self._read, args=(request,), daemon=True)
        self.thread.start()

    def _read(self, request) -> None:
        current: dict = {}
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    current["event"] = line[7:]
                elif line.startswith("data: "):
                    current["data"] = json.loads(line[6:])
                elif not line and "event" in current:
                    with self.arrived:
                        self.events.append((time.monotonic(), current))
                        self.arrived.notify_all()
                    current = {}

    def wait_for(self, predicate, *, what: str) -> tuple[float, dict]:
        """The first event matching `predicate`, with its arrival time (a ceiling, not a budget)."""
        with self.arrived:
            found = self.arrived.wait_for(
                lambda: next((item for item in self.events if predicate(item[1])), None), timeout=60
            )
        assert found, f"the feed never delivered {what}"
        return found


def _listeners() -> list[int]:
    """Backend pids of the servers' `LISTEN chat_feed` connections on the test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = %s",
            ["LISTEN chat_feed"],
        )
        return [pid for (pid,) in cursor.fetchall()]


def _message(body: str):
    return lambda event: event["event"] == "message" and event["data"]["body"] == body


def test_it_wakes_a_feed_on_notify_from_another_server(asgi_server, site_a, customer_a, engineer_a, request):
    conversation, _ = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    feeding, posting = asgi_server(**NO_SAFETY_READ), asgi_server()
    feed = Feed(feeding, f"/chat/{conversation.pk}/events/?after=1", feeding.login(customer_a))
    feed.wait_for(lambda event: event["event"] == "state", what="its first state")
    wait_until(_listeners, what="the feed server to LISTEN")
    session = posting.login(engineer_a)

    path = f"/chat/{conversation.pk}/messages/"
    posting.request(path, session=session, data={"body": "Which floor?", "client_key": "e1"})
    feed.wait_for(_message("Which floor?"), what="the first message")
    # The listener's connect-time catch-up is behind us: only a NOTIFY can deliver the second message.
    sent = time.monotonic()
    status, _ = posting.request(path, session=session, data={"body": "On my way", "client_key": "e2"})
    arrived, event = feed.wait_for(_message("On my way"), what="the second message")

    assert status == 201
    assert event["data"]["author_kind"] == "engineer"
    request.node.user_properties.append(("feed_wake_ms", round((arrived - sent) * 1000, 1)))


def test_it_wakes_a_feed_for_writes_outside_any_server(asgi_server, site_a, customer_a, engineer_a):
    """The trigger fires for every writer: here the test process, as the django-q worker would write."""
    conversation, _ = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    server = asgi_server(**NO_SAFETY_READ)
    feed = Feed(server, f"/chat/{conversation.pk}/events/?after=1", server.login(customer_a))
    feed.wait_for(lambda event: event["event"] == "state", what="its first state")
    wait_until(_listeners, what="the server to LISTEN")

    message_post(site=site_a, conversation=conversation, author=engineer_a, body="Checking the spooler")
    feed.wait_for(_message("Checking the spooler"), what="the message written by the test process")
    Conversation.objects.filter(pk=conversation.pk).update(state=Conversation.State.CLOSED)
    _, state = feed.wait_for(
        lambda event: event["event"] == "state" and event["data"]["state"] == "closed",
        what="the conversation's new state",
    )

    assert state["data"]["last_seq"] == 2


def test_it_catches_up_after_the_listener_loses_its_connection(asgi_server, site_a, customer_a, engineer_a):
    conversation, _ = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    server = asgi_server(**NO_SAFETY_READ)
    feed = Feed(server, f"/chat/{conversation.pk}/events/?after=1", server.login(customer_a))
    feed.wait_for(lambda event: event["event"] == "state", what="its first state")
    [first] = wait_until(_listeners, what="the server to LISTEN")

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    # Written while the listener may still be down: its reconnect wakes every feed to re-read.
    message_post(site=site_a, conversation=conversation, author=engineer_a, body="Still there?")
    feed.wait_for(_message("Still there?"), what="the message written during the reconnect")
    [second] = wait_until(lambda: [pid for pid in _listeners() if pid != first], what="a new LISTEN")
    message_post(site=site_a, conversation=conversation, author=engineer_a, body="Fixed it")
    feed.wait_for(_message("Fixed it"), what="the message written after the reconnect")

    assert second != first
