"""`make run`: migrate, load the demo data once, index it, start the django-q2 worker and the web server.

The worker cluster is supervised (helpdesk.workers.supervisor): restarted when it exits or stops taking
work, and its whole process group is killed on stop, as is the web server's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from helpdesk.workers.supervisor import ClusterSupervisor


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
            from demo.loader import demo_load

            demo = demo_load()
            self.stdout.write(demo.summary)
        url = f"http://{options['host']}:{options['port']}/"
        # Links in emails (invitations, password resets, notifications) lead to this server, in the web
        # server and the workers alike (they inherit the environment), unless the environment names one.
        if "HELPDESK_BASE_URL" not in os.environ:
            os.environ["HELPDESK_BASE_URL"] = settings.HELPDESK_BASE_URL = url.rstrip("/")
        workers = None
        if not options["no_worker"]:
            workers = ClusterSupervisor(report=lambda line: self.stderr.write(line))
            workers.start()
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                options["host"],
                "--port",
                str(options["port"]),
                "--log-level",
                "warning",
            ],
            cwd=settings.BASE_DIR,
            start_new_session=True,  # its own process group: stop reaches every process it started
        )
        self.stdout.write(self.style.SUCCESS(f"\nThe helpdesk is running at {url}  (admin: {url}admin/)"))
        if demo:
            self.stdout.write(f"Demo logins (password for all: {demo.password}):")
            for login in demo.logins:
                where = f" at {login.site}" if login.site else ""
                self.stdout.write(f"  {login.username:<32} {login.role}{where}")
        self._wait(web, workers, index=not options["no_index"])

    def _wait(self, web: subprocess.Popen, workers: ClusterSupervisor | None, *, index: bool) -> None:
        def stop(*_):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(web.pid, signal.SIGINT)
            if workers is not None:
                workers.stop(grace=10)
            with contextlib.suppress(subprocess.TimeoutExpired):
                web.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(web.pid, signal.SIGKILL)
            web.wait()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        try:
            if index:
                # While the server already answers: the first run embeds every past case (about a minute).
                self.stdout.write("Indexing resolved tickets, chat transcripts and KB articles...")
                call_command("reindex")
            self.stdout.write("Press Ctrl-C to stop.\n")
            while web.poll() is None:
                if workers is not None:
                    workers.tick()
                time.sleep(0.5)
            self.stderr.write("The web server stopped unexpectedly; stopping the workers.")
            stop()
        except KeyboardInterrupt:
            stop()
