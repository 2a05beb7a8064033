"""Chat load test: N simulated customers chat with the offline assistant under uvicorn for a while.

    .venv/bin/python bench/chat_load.py                      # 50 customers, 60 s, 2 uvicorn workers
    .venv/bin/python bench/chat_load.py --customers 10 --duration 15 --json var/chat_load.json

1. creates (or resets) the database `bench_chat` on the embedded server (never the dev `helpdesk` one),
   migrates it, and seeds one site, N customers and a few resolved tickets indexed with the real local
   embedder, so every answer is grounded and cites them;
2. starts `uvicorn config.asgi:application --workers W` in production mode with the real rate limits;
3. each customer (asyncio + httpx2, the HTTP client the openai SDK ships) keeps its conversation's live
   feed open (server-sent events), asks a question (POST with an idempotency key; 1 in 10 sent twice, as
   a double click), reads the streamed answer, thinks for 2-4 s, asks again; after three questions it
   marks the chat solved and starts another. A 429 is honoured (Retry-After) and retried with the same key;
4. reports p50/p95 time to first token (from sending the question), answer time, throughput, and then
   checks the DATABASE: every acknowledged question is stored once, has exactly one assistant answer,
   every conversation is numbered 1..n without gaps, and every message reached the customer's live feed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

CSRF = "benchcsrf" + "0" * 23
TOPICS = [
    (
        "Reception printer shows offline",
        "The reception printer shows offline and print jobs stay queued.",
        "Restart the print spooler service on the print server, then re-add the printer by its IP address.",
        "The printer at reception says offline and nothing prints",
    ),
    (
        "VPN disconnects every few minutes",
        "Working from home the VPN drops every few minutes.",
        "Update the VPN client to the current version and switch the connection profile to TCP 443.",
        "My VPN keeps dropping when I work from home",
    ),
    (
        "Outlook asks for the password again and again",
        "Outlook keeps prompting for credentials after the password change.",
        "Remove the old entries from Windows Credential Manager and sign in to Outlook again.",
        "Outlook keeps asking for my password since yesterday",
    ),
    (
        "Shared drive S: missing after login",
        "The S: drive is not mapped after logging in.",
        "Reconnect the drive with the login script: run gpupdate /force and sign out and in again.",
        "I cannot see the shared S drive any more",
    ),
    (
        "Wi-Fi in meeting room drops",
        "Laptops lose the Wi-Fi connection in the big meeting room.",
        "Forget the network, reconnect to the staff SSID, and disable power saving on the wireless adapter.",
        "The wifi in the meeting room keeps disconnecting my laptop",
    ),
]


@dataclass
class Stats:
    ttft: list[float] = field(default_factory=list)
    answer: list[float] = field(default_factory=list)
    questions: int = 0
    double_submits: int = 0
    rate_limited: int = 0
    errors: list[str] = field(default_factory=list)
    # question id -> the assistant message id the customer received
    answers: dict[int, int] = field(default_factory=dict)
    # conversation id -> the sequence numbers seen on its live feed
    feeds: dict[int, set[int]] = field(default_factory=dict)
    acknowledged_keys: set[str] = field(default_factory=set)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_database_url(name: str) -> str:
    """A fresh database of its own on the embedded server (started if needed), as a DATABASE_URL."""
    import psycopg

    from helpdesk.database import embedded_database_config

    config = embedded_database_config(Path(os.environ.get("HELPDESK_VAR_DIR", BASE_DIR / "var")) / "pgdata")
    if name == config["NAME"]:
        raise SystemExit(f"refusing to benchmark the development database {name!r}")
    with psycopg.connect(
        host=config["HOST"], port=config["PORT"], user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@{quote(config['HOST'], safe='')}:{config['PORT']}/{name}"


def seed(customers: int) -> tuple[int, list[str]]:
    """One site, its customers (with logged-in sessions) and indexed resolved tickets; returns sessions."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from helpdesk.models import User
    from helpdesk.services import site_create, user_create
    from knowledge.services import document_index_ticket
    from tickets.models import Ticket, TicketState

    call_command("migrate", interactive=False, verbosity=0)
    site = site_create(name="Bench Company", slug="bench-company")
    requester = user_create(username="bench-requester", password=None, role=User.Role.CUSTOMER, site=site)
    for title, description, resolution, _question in TOPICS:
        ticket = Ticket.objects.create(
            site=site,
            requester=requester,
            title=title,
            description=description,
            resolution=resolution,
            state=TicketState.RESOLVED,
            resolved_at=timezone.now(),
        )
        document_index_ticket(ticket=ticket)
    sessions = []
    for number in range(customers):
        user = user_create(username=f"bench-{number}", password=None, role=User.Role.CUSTOMER, site=site)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    return site.pk, sessions


def start_server(database_url: str, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):  # noqa: S310 - our own server
                return process, url
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("uvicorn did not start")


async def sse_events(client, url: str, headers: dict):
    """Yield (event, data) pairs of a server-sent event stream."""
    async with client.stream("GET", url, headers={**headers, "Accept": "text/event-stream"}) as response:
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        event, data = None, None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and event:
                yield event, data
                event, data = None, None


async def follow_feed(client, base: str, headers: dict, conversation_id: int, stats: Stats) -> None:
    seen = stats.feeds.setdefault(conversation_id, set())
    while True:
        try:
            cursor = max(seen, default=0)
            async for event, data in sse_events(
                client, f"{base}/chat/{conversation_id}/events/?after={cursor}", headers
            ):
                if event == "message":
                    seen.add(data["seq"])
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a dropped feed reconnects from its cursor, as EventSource does
            stats.errors.append(f"feed {conversation_id}: {error!r}")
            await asyncio.sleep(0.5)


async def post(client, url: str, headers: dict, data: dict, stats: Stats):
    """POST as the page does; on 429 wait Retry-After and send the same thing again (same key)."""
    while True:
        response = await client.post(url, data=data, headers={**headers, "Accept": "application/json"})
        if response.status_code != 429:
            return response
        stats.rate_limited += 1
        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))


async def customer(number: int, base: str, session: str, deadline: float, stats: Stats) -> None:
    import httpx2

    headers = {"Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF, "Origin": base}
    rng = random.Random(number)
    timeout = httpx2.Timeout(120.0, connect=10.0)
    async with httpx2.AsyncClient(timeout=timeout) as client:
        await asyncio.sleep(rng.uniform(0, 2))
        while time.monotonic() < deadline:
            conversation_id, feed, asked = None, None, 0
            while asked < 3 and time.monotonic() < deadline:
                _, _, _, question = rng.choice(TOPICS)
                key = uuid.uuid4().hex
                body = {"body": f"{question} (customer {number}, question {asked + 1})", "client_key": key}
                url = (
                    f"{base}/chat/start/"
                    if conversation_id is None
                    else f"{base}/chat/{conversation_id}/messages/"
                )
                sent = time.monotonic()
                response = await post(client, url, headers, body, stats)
                if response.status_code not in (200, 201):
                    stats.errors.append(f"POST {url}: {response.status_code}")
                    break
                payload = response.json()
                message = payload.get("message", payload)
                if rng.random() < 0.1:
                    again = (await post(client, url, headers, body, stats)).json()
                    stats.double_submits += 1
                    if again.get("message", again)["id"] != message["id"]:
                        stats.errors.append(f"double submit made a second message for key {key}")
                stats.acknowledged_keys.add(key)
                if conversation_id is None:
                    conversation_id = payload["conversation_id"]
                    feed = asyncio.create_task(follow_feed(client, base, headers, conversation_id, stats))
                first = None
                async for event, data in sse_events(client, base + payload["answer_url"], headers):
                    if event == "token" and first is None:
                        first = time.monotonic() - sent
                    if event == "done":
                        stats.answers[message["id"]] = data["id"]
                        stats.answer.append(time.monotonic() - sent)
                        stats.ttft.append(first if first is not None else time.monotonic() - sent)
                        break
                stats.questions += 1
                asked += 1
                await asyncio.sleep(rng.uniform(2, 4))
            if conversation_id is not None:
                await post(client, f"{base}/chat/{conversation_id}/resolve/", headers, {}, stats)
                # Give the live feed a moment to deliver the last messages before leaving the chat.
                await asyncio.sleep(1.5)
                feed.cancel()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def verify(site_id: int, stats: Stats) -> dict:
    """What the database says after the run: nothing lost, nothing duplicated."""
    from django.db.models import Count, Max

    from chat.models import Conversation, Message

    messages = Message.objects.filter(site_id=site_id)
    questions = messages.filter(author_kind=Message.Author.CUSTOMER)
    stored_keys = set(questions.values_list("client_key", flat=True))
    replies = dict(messages.filter(author_kind=Message.Author.ASSISTANT).values_list("reply_to_id", "pk"))
    duplicated_keys = questions.values("conversation", "client_key").annotate(n=Count("pk")).filter(n__gt=1)
    gaps = 0
    for conversation in Conversation.objects.filter(site_id=site_id).annotate(
        n=Count("messages"), top=Max("messages__seq")
    ):
        if conversation.n != conversation.top or conversation.n != conversation.last_seq:
            gaps += 1
    feed_missing = 0
    for conversation_id, seen in stats.feeds.items():
        stored = set(messages.filter(conversation_id=conversation_id).values_list("seq", flat=True))
        feed_missing += len(stored - seen)
    return {
        "questions_stored": questions.count(),
        "answers_stored": len(replies),
        "acknowledged_questions_missing": len(stats.acknowledged_keys - stored_keys),
        "duplicated_questions": duplicated_keys.count(),
        "questions_without_exactly_one_answer": questions.filter(awaits_reply=True)
        .exclude(pk__in=replies.keys())
        .count()
        + messages.filter(author_kind=Message.Author.ASSISTANT)
        .values("reply_to")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count(),
        "answers_received_differing_from_db": sum(1 for q, a in stats.answers.items() if replies.get(q) != a),
        "conversations_with_sequence_gaps": gaps,
        "messages_missing_from_live_feeds": feed_missing,
    }


async def run(base: str, sessions: list[str], duration: float) -> tuple[Stats, float]:
    stats = Stats()
    started = time.monotonic()
    deadline = started + duration
    await asyncio.gather(*(customer(n, base, s, deadline, stats) for n, s in enumerate(sessions)))
    return stats, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of chatting")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--database", default="bench_chat")
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()

    # Production settings, shared by this process (which signs the sessions) and the server.
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            # Under ASGI each request runs in a thread of its own: persistent connections would pile up.
            "DATABASE_CONN_MAX_AGE": "0",
            "LOG_LEVEL": "WARNING",
            # Many answers embed their question at once: one BLAS thread each beats oversubscription.
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
        }
    )
    os.environ["DATABASE_URL"] = bench_database_url(options.database)
    site_id, sessions = seed(options.customers)
    process, base = start_server(os.environ["DATABASE_URL"], options.workers)
    try:
        stats, elapsed = asyncio.run(run(base, sessions, options.duration))
    finally:
        process.terminate()
        process.wait(timeout=30)
    checks = verify(site_id, stats)
    result = {
        "customers": options.customers,
        "workers": options.workers,
        "seconds": round(elapsed, 1),
        "questions_answered": len(stats.answers),
        "answers_per_second": round(len(stats.answers) / elapsed, 2),
        "ttft_p50_ms": round(percentile(stats.ttft, 50) * 1000),
        "ttft_p95_ms": round(percentile(stats.ttft, 95) * 1000),
        "answer_p50_ms": round(percentile(stats.answer, 50) * 1000),
        "answer_p95_ms": round(percentile(stats.answer, 95) * 1000),
        "double_submits": stats.double_submits,
        "rate_limited_retries": stats.rate_limited,
        "client_errors": len(stats.errors),
        **checks,
    }
    for name, value in result.items():
        print(f"{name:<40} {value}")
    for error in stats.errors[:10]:
        print("error:", error)
    if options.json:
        options.json.write_text(json.dumps({**result, "errors": stats.errors[:50]}, indent=2))
    failed = [
        name
        for name in (
            "acknowledged_questions_missing",
            "duplicated_questions",
            "questions_without_exactly_one_answer",
            "answers_received_differing_from_db",
            "conversations_with_sequence_gaps",
            "messages_missing_from_live_feeds",
        )
        if result[name]
    ]
    if failed:
        raise SystemExit(f"FAILED: {', '.join(failed)}")
    print("OK: no message lost or duplicated")


if __name__ == "__main__":
    main()
