"""`make run` end to end: `manage.py serve` on a brand-new embedded database in a temporary folder."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def fresh_var_dir():
    # Its own folder under /tmp: the embedded server runs as another user when we are root.
    path = Path(tempfile.mkdtemp(prefix="helpdesk-serve-"))
    path.chmod(0o777)
    yield path
    pid_file = path / "pgdata" / "postmaster.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)  # fast shutdown of the embedded server
        for _ in range(50):
            if not pid_file.exists():
                break
            time.sleep(0.1)
    shutil.rmtree(path, ignore_errors=True)


def test_it_brings_the_product_up_on_a_new_machine(fresh_var_dir):
    port = free_port()
    env = {**os.environ, "HELPDESK_VAR_DIR": str(fresh_var_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--no-index"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            assert line or server.poll() is None, "serve exited early:\n" + "".join(output)
            output.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        printed = "".join(output)
        assert f"The helpdesk is running at http://127.0.0.1:{port}/" in printed
        assert "Demo logins (password for all: helpdesk-demo)" in printed
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                status, body = fetch(base + "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        assert (status, body) == (200, b"ok")
        status, _ = fetch(base + "/")
        assert status == 302
        status, _ = fetch(base + "/admin/")
        assert status == 302
        status, body = fetch(base + "/accounts/login/?next=/admin/")
        assert status == 200 and b"Log in" in body
        status, _ = fetch(base + "/static/vendor/bootstrap/bootstrap.min.css")
        assert status == 200
    finally:
        server.send_signal(signal.SIGINT)
        # communicate, not wait: the server's log keeps flowing into the pipe while it stops, and a full
        # pipe would block it. 180 s is a ceiling for a loaded machine, not a budget.
        output.append(server.communicate(timeout=180)[0])
    assert server.returncode == 0, "".join(output)[-4000:]
