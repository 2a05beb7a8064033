"""Load benchmark: wrk against the helpdesk under uvicorn with several workers, on its own database.

    .venv/bin/python bench/load.py                       # 4 workers, concurrency 1,4,16,32, 10 s each
    .venv/bin/python bench/load.py --workers 2 --concurrency 1,8 --duration 5 --json var/load.json

1. creates (or reuses) the database `bench_load` on the embedded server (never the dev `helpdesk` one)
   as a copy of the realistic corpus (bench/corpus.py: the demo's 5 sites with 2,000 resolved tickets
   each plus KB, indexed with the real local embedder, built once and kept) and migrates it; collects
   static files into a temporary folder;
2. issues API tokens and a session for a demo customer and engineer of one site;
3. starts `uvicorn config.asgi:application --workers N` in production mode (DEBUG off, JSON logs);
4. for each scenario and concurrency runs `wrk` (Debian's package) with a Lua script that counts every
   status and reports requests/s and p50/p95/p99 latency;
5. counts the writes in the database afterwards: every acknowledged (201) ticket or chat message must be
   there exactly once (`lost` and `duplicated` must be 0).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.corpus import admin_connection, corpus_ensure, database_from_corpus, database_url  # noqa: E402

LUA = r"""
local paths = {PATHS}
local method, body_template, headers = "{METHOD}", {BODY}, {HEADERS}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function request()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  local body = nil
  if body_template ~= nil then
    body = string.gsub(body_template, "@KEY@", "{RUN}-" .. tid .. "-" .. counter)
  end
  return wrk.format(method, path, headers, body)
end

function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local codes = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      codes[tostring(code)] = (codes[tostring(code)] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(codes) do table.insert(parts, string.format('"%s": %d', code, n)) end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, '
    .. '"socket_errors": %d, "codes": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
"""


@dataclass
class Result:
    scenario: str
    concurrency: int
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    codes: dict[str, int] = field(default_factory=dict)


def lua_string(value: str | None) -> str:
    return "nil" if value is None else json.dumps(value)


def lua_table(values) -> str:
    if isinstance(values, dict):
        return "{" + ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in values.items()) + "}"
    return "{" + ", ".join(json.dumps(v) for v in values) + "}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_database_url(name: str, *, reset: bool, tickets_per_site: int) -> str:
    """A database of its own on the embedded server, copied from the kept corpus (bench/corpus.py) when it
    does not exist yet or `reset` is set; as a DATABASE_URL."""
    corpus = corpus_ensure(tickets_per_site=tickets_per_site)
    with admin_connection() as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if exists and not reset:
        return database_url(name)
    return database_from_corpus(name=name, corpus=corpus)


def prepare(run: str) -> dict:
    """Migrate the corpus copy; return the logins and object ids the scenarios use."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from helpdesk.models import User
    from integrations.services import api_token_create
    from tickets.models import Ticket

    call_command("migrate", interactive=False, verbosity=0)
    customer = User.objects.filter(role=User.Role.CUSTOMER, is_active=True).order_by("pk").first()
    engineer = (
        User.objects.filter(role=User.Role.ENGINEER, is_active=True, profile__covered_sites=customer.site)
        .order_by("pk")
        .first()
    )
    session = SessionStore()
    session[SESSION_KEY] = str(engineer.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = engineer.get_session_auth_hash()
    session.create()
    tickets = Ticket.objects.filter(site=customer.site).order_by("-pk").values_list("pk", flat=True)[:50]
    return {
        "site": customer.site.slug,
        "customer_token": api_token_create(user=customer, name=f"bench {run}").secret,
        "engineer_token": api_token_create(user=engineer, name=f"bench {run}").secret,
        "engineer_session": session.session_key,
        "tickets": list(tickets),
    }


def write_counts(run: str) -> dict[str, int]:
    from django.db.models import Count

    from chat.models import Conversation, Message
    from tickets.models import Ticket

    ASSISTANT = Message.Author.ASSISTANT
    tickets = Ticket.objects.filter(title__startswith=f"bench {run}c")
    messages = Message.objects.filter(body__startswith=f"bench {run}c", author_kind=Message.Author.CUSTOMER)
    duplicated = tickets.values("title").annotate(n=Count("pk")).filter(n__gt=1).count()
    duplicated += messages.values("body").annotate(n=Count("pk")).filter(n__gt=1).count()
    return {
        "tickets": tickets.count(),
        "chat_messages": messages.count(),
        "conversations": Conversation.objects.filter(messages__in=messages).distinct().count(),
        "answered": Message.objects.filter(reply_to__in=messages, author_kind=ASSISTANT).count(),
        "duplicated": duplicated,
    }


def scenarios(data: dict, run: str) -> dict[str, dict]:
    engineer_page = {"Cookie": f"sessionid={data['engineer_session']}"}
    engineer_api = {"Authorization": f"Bearer {data['engineer_token']}"}
    customer_api = {"Authorization": f"Bearer {data['customer_token']}", "Content-Type": "application/json"}
    ticket_pages = [f"/tickets/{pk}/" for pk in data["tickets"]]
    return {
        "ticket list (page)": {"paths": ["/tickets/queue/"], "headers": engineer_page},
        "ticket detail (page)": {"paths": ticket_pages, "headers": engineer_page},
        "ticket list (API)": {"paths": ["/api/v1/tickets?page_size=25"], "headers": engineer_api},
        "similar cases (API)": {
            "paths": [f"/api/v1/tickets/{pk}/similar?k=5" for pk in data["tickets"]],
            "headers": engineer_api,
        },
        "ticket create (API)": {
            "paths": ["/api/v1/tickets"],
            "method": "POST",
            "headers": customer_api,
            "body": json.dumps(
                {"title": "bench @KEY@", "description": "Outlook asks for the password again and again."}
            ),
        },
        "chat message + answer (API)": {
            "paths": ["/api/v1/chat/conversations"],
            "method": "POST",
            "headers": customer_api,
            "body": json.dumps({"body": "bench @KEY@ my VPN drops every few minutes, what can I do?"}),
        },
    }


def start_server(env: dict, port: int, workers: int, log: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("uvicorn did not answer /healthz within 60 s")


def run_wrk(base: str, scenario: dict, run: str, concurrency: int, duration: int, workdir: Path) -> dict:
    script = workdir / "scenario.lua"
    script.write_text(
        LUA.replace("{PATHS}", lua_table(scenario["paths"]))
        .replace("{METHOD}", scenario.get("method", "GET"))
        .replace("{BODY}", lua_string(scenario.get("body")))
        .replace("{HEADERS}", lua_table(scenario["headers"]))
        .replace("{RUN}", run)
    )
    output = subprocess.run(
        [
            "wrk",
            f"-t{min(concurrency, 4)}",
            f"-c{concurrency}",
            f"-d{duration}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=4, help="uvicorn worker processes")
    parser.add_argument("--concurrency", default="1,4,16,32", help="comma-separated connection counts")
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario and concurrency")
    parser.add_argument("--database", default="bench_load")
    parser.add_argument("--reset", action="store_true", help="copy the bench database from the corpus again")
    parser.add_argument("--tickets-per-site", type=int, default=2000, help="corpus size (bench/corpus.py)")
    parser.add_argument("--only", help="run only scenarios whose name contains this text")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: sudo apt-get install wrk")

    run = secrets.token_hex(3)
    # The server and this process share the key: the engineer's session made here must verify there.
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DATABASE_URL"] = bench_database_url(
        args.database, reset=args.reset, tickets_per_site=args.tickets_per_site
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    data = prepare(run)
    workdir = Path(tempfile.mkdtemp(prefix="helpdesk-load-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings_load",
        "DJANGO_DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "PYTHONPATH": str(BASE_DIR),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    port = free_port()
    server_log = workdir / "server.log"
    server = start_server(env, port, args.workers, server_log)
    results: list[Result] = []
    acknowledged = {"tickets": 0, "chat_messages": 0}
    try:
        for name, scenario in scenarios(data, run).items():
            if args.only and args.only not in name:
                continue
            for concurrency in [int(c) for c in args.concurrency.split(",")]:
                key = f"{run}c{concurrency}"
                raw = run_wrk(f"http://127.0.0.1:{port}", scenario, key, concurrency, args.duration, workdir)
                codes = raw["codes"]
                # Only 2xx counts: a redirect to the login page would be a broken session, not a page.
                ok = sum(n for code, n in codes.items() if code.startswith("2"))
                if "ticket create" in name:
                    acknowledged["tickets"] += codes.get("201", 0)
                if "chat" in name:
                    acknowledged["chat_messages"] += codes.get("201", 0)
                result = Result(
                    scenario=name,
                    concurrency=concurrency,
                    requests=raw["requests"],
                    rps=round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
                    p50_ms=round(raw["p50_us"] / 1000, 1),
                    p95_ms=round(raw["p95_us"] / 1000, 1),
                    p99_ms=round(raw["p99_us"] / 1000, 1),
                    errors=raw["socket_errors"] + sum(codes.values()) - ok,
                    codes=codes,
                )
                results.append(result)
                sys.stdout.write(
                    f"{name:<30} c={concurrency:<3} {result.rps:>8.1f} req/s  p50 {result.p50_ms:>7.1f} ms  "
                    f"p95 {result.p95_ms:>7.1f} ms  p99 {result.p99_ms:>7.1f} ms  errors {result.errors}\n"
                )
                sys.stdout.flush()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        problems = [line for line in server_log.read_text().splitlines() if '"level": "ERROR"' in line]
        shutil.rmtree(workdir, ignore_errors=True)

    # wrk stops on time, not between requests: a request cut off at the end may still have been written,
    # so the database may hold more rows than were acknowledged, never fewer.
    stored = write_counts(run)
    lost = {kind: max(0, acknowledged[kind] - stored[kind]) for kind in acknowledged}
    summary = {
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "acknowledged": acknowledged,
        "stored": stored,
        "lost": lost,
        "duplicated": stored["duplicated"],
        # Every stored question got its one assistant answer (the API answers before it returns 201).
        "unanswered": stored["chat_messages"] - stored["answered"],
        "errors": sum(result.errors for result in results),
        "server_errors_logged": len(problems),
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    if args.json:
        report = {"results": [asdict(result) for result in results], "summary": summary}
        args.json.write_text(json.dumps(report, indent=2))
    if problems:
        sys.stderr.write("server errors, first one:\n" + problems[0] + "\n")
    if summary["errors"] or any(lost.values()) or summary["duplicated"] or summary["unanswered"] or problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
