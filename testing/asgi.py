"""A real uvicorn server on the test database, for tests that stream (live chat, answers over SSE).

Django's live_server is WSGI and cannot stream; `asgi_server` starts `uvicorn config.asgi:application`
in a subprocess pointed at the test database, so it needs `transactional_db` (rows the test writes are
committed and visible to the server processes). Registered as a plugin in the root conftest, so any
app's tests use it by name.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection

from testing.waiting import wait_until


def session_cookie_for(user) -> str:
    """A committed database session logged in as `user`: the cookie value for an outside client."""
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    host = urllib.parse.quote(db["HOST"] or "", safe="")
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgresql://{db['USER']}{password}@{host}:{db['PORT']}/{db['NAME']}"


@dataclass
class AsgiServer:
    url: str
    process: subprocess.Popen
    log: Path

    def login(self, user) -> str:
        return session_cookie_for(user)

    def request(self, path: str, *, session: str, data: dict | None = None, accept: str = "application/json"):
        """A plain HTTP request as a browser would send it (session cookie, CSRF for POSTs)."""
        headers = {
            "Accept": accept,
            "Cookie": f"sessionid={session}; csrftoken=testcsrftoken0000000000000000000",
        }
        body = None
        if data is not None:
            headers["X-CSRFToken"] = "testcsrftoken0000000000000000000"
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.url
            body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.url + path, data=body, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own test server
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def events(
        self,
        path: str,
        *,
        session: str,
        last_event_id: int | None = None,
        stop_after: int = 1,
        opened: threading.Event | None = None,
    ):
        """Read server-sent events until `stop_after` events of kind message/done arrived.

        `opened` is set when the first event arrives: the stream is open and the server is past its
        first read (a feed sends the conversation's state first), so what is posted now comes live.
        """
        headers = {"Accept": "text/event-stream", "Cookie": f"sessionid={session}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        request = urllib.request.Request(self.url + path, headers=headers)  # noqa: S310
        events, current = [], {}
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - our own test server
            for raw in response:
                line = raw.decode().rstrip("\n")
                if not line:
                    if "event" in current:
                        events.append(current)
                        if opened is not None:
                            opened.set()
                        if sum(e["event"] in ("message", "done") for e in events) >= stop_after:
                            return events
                    current = {}
                elif line.startswith("event: "):
                    current["event"] = line[7:]
                elif line.startswith("data: "):
                    current["data"] = json.loads(line[6:])
                elif line.startswith("id: "):
                    current["id"] = int(line[4:])
        return events


@pytest.fixture
def asgi_server(transactional_db, tmp_path):
    """Start uvicorn servers (call it once per server, with extra environment variables as keywords) on the
    test database; all stop after the test."""
    servers: list[AsgiServer] = []

    def start(**extra_env: str) -> AsgiServer:
        port = _free_port()
        log = tmp_path / f"uvicorn-{port}.log"
        # The browser fixture relaxes Django's async-safety guard for the test process only.
        env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        env = {
            **env,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": _database_url(),
            # Under ASGI every request runs in its own thread: persistent connections would leak.
            "DATABASE_CONN_MAX_AGE": "0",
            "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
            **extra_env,
        }
        with log.open("w") as handle:
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        server = AsgiServer(url=f"http://127.0.0.1:{port}", process=process, log=log)
        servers.append(server)

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(server.url + "/healthz", timeout=5):  # noqa: S310
                    return True
            except OSError:
                return False

        wait_until(answers, what=f"uvicorn to answer (log: {log})")
        return server

    yield start
    for server in servers:
        server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
