"""`make run`: migrate, load the demo data once, index it, start the django-q2 worker and the web server."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the whole product on this machine: database, migrations, demo data, worker and web server."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")
        parser.add_argument("--no-index", action="store_true", help="Do not (re)index documents at start.")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the django-q2 worker.")

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready (migrations applied).")
        demo = None
        if not options["no_demo"]:
            from helpdesk.demo.loader import demo_load

            demo = demo_load()
            self.stdout.write(demo.summary)
        children = []
        if not options["no_worker"]:
            children.append(
                subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR)
            )
        children.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "helpdesk.asgi:application",
                    "--host",
                    options["host"],
                    "--port",
                    str(options["port"]),
                    "--log-level",
                    "warning",
                ],
                cwd=settings.BASE_DIR,
            )
        )
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"\nThe helpdesk is running at {url}  (admin: {url}admin/)"))
        if demo:
            self.stdout.write(f"Demo logins (password for all: {demo.password}):")
            for login in demo.logins:
                where = f" at {login.site}" if login.site else ""
                self.stdout.write(f"  {login.username:<32} {login.role}{where}")
        self._wait(children, index=not options["no_index"])

    def _wait(self, children: list[subprocess.Popen], *, index: bool) -> None:
        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 10
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        try:
            if index:
                # While the server already answers: the first run embeds every past case (about a minute).
                self.stdout.write("Indexing resolved tickets, chat transcripts and KB articles...")
                call_command("reindex")
            self.stdout.write("Press Ctrl-C to stop.\n")
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A server process stopped unexpectedly; stopping the others.")
            stop()
        except KeyboardInterrupt:
            stop()
