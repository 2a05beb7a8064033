"""Chat load test: N simulated customers chat with the offline assistant under uvicorn, on a real corpus.

    .venv/bin/python bench/chat_load.py                               # 50 customers, 60 s, 2 workers
    .venv/bin/python bench/chat_load.py --customers 10,50,100 --before /tmp/livechat-before --json chat.json

1. copies the corpus (bench/corpus.py: the demo's 5 sites, 2,000 resolved tickets each plus KB, indexed
   with the real local embedder; built once and kept as a template database) into `bench_chat` on the
   embedded server (never the dev `helpdesk` one) and adds N customers spread over the 5 sites;
2. starts `uvicorn config.asgi:application --workers W` in production mode with the real rate limits,
   from this tree, or first from the `--before` tree (another checkout, e.g. a `git worktree` of the
   previous commit) for a baseline in the same run; two questions per worker warm it up first;
3. each customer (asyncio + httpx2, the HTTP client the openai SDK ships) keeps its conversation's live
   feed open (server-sent events), asks a question (POST with an idempotency key; 1 in 10 sent twice, as
   a double click), reads the streamed answer, thinks for 2-4 s, asks again; after three questions it
   marks the chat solved and starts another. A 429 is honoured (Retry-After) and retried with the same key;
4. reports TTFT p50/p95/p99 (from sending the question), answers/s, the server's CPU per answer, the
   server's own timings (generation to first token, compose, retrieval, database, live-feed delivery)
   and the machine's load, and then checks the DATABASE: every acknowledged question is stored once,
   has exactly one assistant answer, every conversation is numbered 1..n without gaps, and every message
   reached the customer's live feed.
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

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.corpus import admin_connection, corpus_ensure, database_from_corpus  # noqa: E402

CSRF = "benchcsrf" + "0" * 23
# Questions in customers' words about problems every demo site has had (their resolved tickets cite them).
QUESTIONS = [
    "The printer at reception says offline and nothing prints",
    "My VPN keeps dropping when I work from home",
    "Outlook keeps asking for my password since yesterday",
    "I cannot see the shared drive any more",
    "The wifi in the meeting room keeps disconnecting my laptop",
    "My laptop has been very slow since the last update",
    "My second monitor stays black on the docking station",
    "The internet is down in the whole office",
]
SITES = ["hartwell-quinn", "riverside-clinic", "oakfield-primary", "bramble-stores", "lindqvist-accounting"]


@dataclass
class Stats:
    ttft: list[float] = field(default_factory=list)
    answer: list[float] = field(default_factory=list)
    # seconds from the answer's `done` to the same message on the customer's live feed
    feed_delay: list[float] = field(default_factory=list)
    questions: int = 0
    double_submits: int = 0
    handed_over: int = 0
    rate_limited: int = 0
    errors: list[str] = field(default_factory=list)
    # question id -> the assistant message id the customer received
    answers: dict[int, int] = field(default_factory=dict)
    # conversation id -> {sequence number seen on its live feed: when}
    feeds: dict[int, dict[int, float]] = field(default_factory=dict)
    # (conversation id, seq, when the answer stream said done)
    done_at: list[tuple[int, int, float]] = field(default_factory=list)
    acknowledged_keys: set[str] = field(default_factory=set)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(customers: int) -> list[str]:
    """N customers spread over the corpus's sites, with logged-in sessions; returns the session keys."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from helpdesk.models import Site, User
    from helpdesk.services import user_create

    call_command("migrate", interactive=False, verbosity=0)
    sites = list(Site.objects.filter(slug__in=SITES).order_by("slug"))
    sessions = []
    for number in range(customers + 1):  # the last one warms the server up
        site = sites[number % len(sites)]
        user = user_create(username=f"bench-{number}", password=None, role=User.Role.CUSTOMER, site=site)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    return sessions


def start_server(tree: Path, database_url: str, workers: int, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, **env}
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=tree, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):  # noqa: S310 - our own server
                return process, url
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("uvicorn did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn's workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def database_active_ms(name: str) -> tuple[float, int]:
    """PostgreSQL's own count for the database: milliseconds spent running statements, transactions."""
    with admin_connection() as connection:
        row = connection.execute(
            "SELECT active_time, xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", [name]
        ).fetchone()
    return float(row[0]), int(row[1])


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
    seen = stats.feeds.setdefault(conversation_id, {})
    while True:
        try:
            cursor = max(seen, default=0)
            async for event, data in sse_events(
                client, f"{base}/chat/{conversation_id}/events/?after={cursor}", headers
            ):
                if event == "message":
                    seen.setdefault(data["seq"], time.monotonic())
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
                question = rng.choice(QUESTIONS)
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
                if "answer_url" not in payload:
                    # Handed to a person (a security incident, say): the assistant stays quiet; start over.
                    stats.handed_over += 1
                    break
                first = None
                try:
                    async for event, data in sse_events(client, base + payload["answer_url"], headers):
                        if event == "token" and first is None:
                            first = time.monotonic() - sent
                        if event == "done":
                            stats.answers[message["id"]] = data["id"]
                            stats.done_at.append((conversation_id, data["seq"], time.monotonic()))
                            stats.answer.append(time.monotonic() - sent)
                            stats.ttft.append(first if first is not None else time.monotonic() - sent)
                            break
                except Exception as error:  # a failed stream is counted; the database check says the rest
                    stats.errors.append(f"answer {message['id']}: {error!r}")
                    break
                stats.questions += 1
                asked += 1
                await asyncio.sleep(rng.uniform(2, 4))
            if conversation_id is not None:
                await post(client, f"{base}/chat/{conversation_id}/resolve/", headers, {}, stats)
                # Give the live feed a moment to deliver the last messages before leaving the chat.
                await asyncio.sleep(1.5)
                feed.cancel()


def percentile(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def verify(stats: Stats) -> dict:
    """What the database says after the run: nothing lost, nothing duplicated."""
    from django.db.models import Count, Max

    from chat.models import Conversation, Message

    conversations = Conversation.objects.filter(customer__username__startswith="bench-")
    messages = Message.objects.filter(conversation__in=conversations)
    questions = messages.filter(author_kind=Message.Author.CUSTOMER)
    stored_keys = set(questions.values_list("client_key", flat=True))
    replies = dict(messages.filter(author_kind=Message.Author.ASSISTANT).values_list("reply_to_id", "pk"))
    duplicated_keys = questions.values("conversation", "client_key").annotate(n=Count("pk")).filter(n__gt=1)
    gaps = 0
    for conversation in conversations.annotate(n=Count("messages"), top=Max("messages__seq")):
        if conversation.n != conversation.top or conversation.n != conversation.last_seq:
            gaps += 1
    feed_missing = 0
    for conversation_id, seen in stats.feeds.items():
        stored = set(messages.filter(conversation_id=conversation_id).values_list("seq", flat=True))
        feed_missing += len(stored - set(seen))
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


def server_timings(stats: Stats) -> dict:
    """The server's own per-answer timings, as it stored them: the reply's latency and first token (from
    the start of generation), the provider call's duration (compose) from the AI log."""
    from chat.models import Message
    from helpdesk.models import AIInteraction

    replies = Message.objects.filter(pk__in=stats.answers.values())
    first_token = [ms for ms in replies.values_list("first_token_ms", flat=True) if ms is not None]
    generation = [ms for ms in replies.values_list("latency_ms", flat=True) if ms is not None]
    conversations = {conversation for conversation, _seq, _at in stats.done_at}
    compose = list(
        AIInteraction.objects.filter(
            purpose=AIInteraction.Purpose.CHAT, conversation_id__in=conversations
        ).values_list("latency_ms", flat=True)
    )
    for conversation, seq, done in stats.done_at:
        seen = stats.feeds.get(conversation, {}).get(seq)
        if seen is not None:
            stats.feed_delay.append(seen - done)

    def p(values, q):
        return round(percentile(values, q)) if values else None

    return {
        "server_first_token_p50_ms": p(first_token, 50),
        "server_first_token_p95_ms": p(first_token, 95),
        "server_generation_p50_ms": p(generation, 50),
        "server_generation_p95_ms": p(generation, 95),
        "compose_p50_ms": p(compose, 50),
        "compose_p95_ms": p(compose, 95),
        # Generation minus the provider call: embedding the question, routing, retrieval, saving.
        "retrieval_and_routing_mean_ms": round(statistics.fmean(generation) - statistics.fmean(compose))
        if generation and compose
        else None,
        "feed_after_done_p50_ms": p([d * 1000 for d in stats.feed_delay], 50),
        "feed_after_done_p95_ms": p([d * 1000 for d in stats.feed_delay], 95),
    }


async def warm_up(base: str, session: str, workers: int) -> None:
    """A few questions first: each worker's first answer loads the embedder and the URL resolver."""
    import httpx2

    stats = Stats()
    headers = {"Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF, "Origin": base}
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(300.0)) as client:
        for number in range(2 * workers):
            body = {"body": f"{QUESTIONS[number % len(QUESTIONS)]} (warm-up)", "client_key": uuid.uuid4().hex}
            payload = (await post(client, f"{base}/chat/start/", headers, body, stats)).json()
            async for event, _data in sse_events(client, base + payload["answer_url"], headers):
                if event == "done":
                    break


async def run(base: str, sessions: list[str], duration: float) -> tuple[Stats, float]:
    stats = Stats()
    started = time.monotonic()
    deadline = started + duration
    await asyncio.gather(*(customer(n, base, s, deadline, stats) for n, s in enumerate(sessions)))
    return stats, time.monotonic() - started


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def measure(*, label: str, tree: Path, customers: int, options, corpus: str) -> dict:
    """One cell: a fresh copy of the corpus, a server from `tree`, N customers for the duration."""
    from django.db import connections

    connections.close_all()
    database_from_corpus(name=options.database, corpus=corpus)
    sessions = seed(customers)
    connections.close_all()
    # The baseline is the polling feed: its own setting's default was 0.5 s.
    env = {"CHAT_FEED_POLL_SECONDS": "0.5"} if label == "before" else {}
    process, base = start_server(tree, os.environ["DATABASE_URL"], options.workers, env)
    load_at_start = uptime()
    try:
        asyncio.run(warm_up(base, sessions[-1], options.workers))
        cpu_before, (active_before, xacts_before) = (
            cpu_seconds(process.pid),
            database_active_ms(options.database),
        )
        stats, elapsed = asyncio.run(run(base, sessions[:-1], options.duration))
        cpu = cpu_seconds(process.pid) - cpu_before
        active_after, xacts_after = database_active_ms(options.database)
    finally:
        process.terminate()
        process.wait(timeout=60)
    answers = len(stats.answers)
    result = {
        "code": label,
        "customers": customers,
        "workers": options.workers,
        "uptime_at_start": load_at_start,
        "uptime_at_end": uptime(),
        "seconds": round(elapsed, 1),
        "questions_answered": answers,
        "answers_per_second": round(answers / elapsed, 2),
        "ttft_p50_ms": round(percentile(stats.ttft, 50) * 1000),
        "ttft_p95_ms": round(percentile(stats.ttft, 95) * 1000),
        "ttft_p99_ms": round(percentile(stats.ttft, 99) * 1000),
        "answer_p50_ms": round(percentile(stats.answer, 50) * 1000),
        "answer_p95_ms": round(percentile(stats.answer, 95) * 1000),
        "server_cpu_ms_per_answer": round(cpu * 1000 / answers) if answers else None,
        "database_active_ms_per_answer": round((active_after - active_before) / answers) if answers else None,
        "database_transactions_per_answer": round((xacts_after - xacts_before) / answers, 1)
        if answers
        else None,
        **server_timings(stats),
        "double_submits": stats.double_submits,
        "conversations_handed_to_a_person": stats.handed_over,
        "rate_limited_retries": stats.rate_limited,
        "client_errors": len(stats.errors),
        **verify(stats),
        "errors": stats.errors[:20],
    }
    for name, value in result.items():
        if name != "errors":
            print(f"{name:<40} {value}")
    for error in stats.errors[:10]:
        print("error:", error)
    return result


CHECKS = (
    "acknowledged_questions_missing",
    "duplicated_questions",
    "questions_without_exactly_one_answer",
    "answers_received_differing_from_db",
    "conversations_with_sequence_gaps",
    "messages_missing_from_live_feeds",
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", default="50", help="comma-separated levels, e.g. 10,50,100")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of chatting per level")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--tickets-per-site", type=int, default=2000, help="corpus size (bench/corpus.py)")
    parser.add_argument("--before", type=Path, help="another checkout to measure first, as the baseline")
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
    corpus = corpus_ensure(tickets_per_site=options.tickets_per_site)
    os.environ["DATABASE_URL"] = database_from_corpus(name=options.database, corpus=corpus)
    import django

    django.setup()
    trees = ([("before", options.before.resolve())] if options.before else []) + [("after", BASE_DIR)]
    results = []
    for customers in [int(level) for level in options.customers.split(",")]:
        for label, tree in trees:
            print(f"--- {label} ({tree}), {customers} customers")
            results.append(
                measure(label=label, tree=tree, customers=customers, options=options, corpus=corpus)
            )
            if options.json:
                options.json.write_text(json.dumps(results, indent=2))
    failed = sorted({f"{r['code']}/{r['customers']}: {name}" for r in results for name in CHECKS if r[name]})
    if failed:
        raise SystemExit(f"FAILED: {', '.join(failed)}")
    print("OK: no message lost or duplicated")


if __name__ == "__main__":
    main()
