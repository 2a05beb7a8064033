"""Keep one django-q2 cluster running and taking work on this machine (`manage.py serve`).

The cluster runs in its own process group, so stopping or restarting it reaches the sentinel, the pusher,
the monitor and every worker, not only the qcluster process we started. Restarting a wedged cluster
is a SIGKILL of the group: its graceful stop would wait for workers that can no longer read the
queue. The tasks it had taken are delivered again after Q_RETRY; every task is idempotent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from django.conf import settings

from helpdesk.workers.selectors import cluster_health

logger = logging.getLogger(__name__)


class ClusterSupervisor:
    def __init__(
        self,
        *,
        command: Sequence[str] | None = None,
        env: dict | None = None,
        check_every: float = 10.0,
        failures_allowed: int = 3,
        max_queue_age: int | None = None,
        report: Callable[[str], None] = logger.warning,
    ):
        self.command = list(command or [sys.executable, "manage.py", "qcluster"])
        self.env = env
        self.check_every = check_every
        self.failures_allowed = failures_allowed
        self.max_queue_age = settings.WORKER_MAX_QUEUE_AGE if max_queue_age is None else max_queue_age
        self.report = report
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self.failures = 0
        self._next_check = 0.0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command, cwd=settings.BASE_DIR, env=self.env, start_new_session=True
        )
        self.failures = 0
        # A new cluster is judged once it has had the bound to start and take the tasks it inherits
        # (locked until their retry): at most one restart per bound, never a restart loop.
        self._next_check = time.monotonic() + max(self.check_every, self.max_queue_age)

    def tick(self) -> None:
        """One supervision step: restart the cluster if it exited, or if it failed its health check
        `failures_allowed` times in a row (checked every `check_every` seconds)."""
        if self.process.poll() is not None:
            self.restart(f"the worker cluster exited with status {self.process.returncode}")
            return
        if time.monotonic() < self._next_check:
            return
        self._next_check = time.monotonic() + self.check_every
        try:
            health = cluster_health(
                host=socket.gethostname(), cluster_pid=self.process.pid, max_queue_age=self.max_queue_age
            )
        except Exception:  # the database is away: not the cluster's fault, and it cannot work either
            logger.exception("worker health check failed")
            return
        self.failures = 0 if health.ok else self.failures + 1
        if self.failures >= self.failures_allowed:
            self.restart(health.summary)

    def restart(self, reason: str) -> None:
        self.report(f"Restarting the worker cluster: {reason}")
        self._kill_group(signal.SIGKILL)
        self.restarts += 1
        self.start()

    def stop(self, *, grace: float = 10.0) -> None:
        """Stop gracefully (SIGTERM to qcluster lets running tasks finish), then kill what is left of the
        process group, so no worker outlives us."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        self._kill_group(signal.SIGKILL)

    def _kill_group(self, signum: int) -> None:
        pgid = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signum)
        self.process.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            # Members left to us when we are a subreaper (PID 1); otherwise init reaps them.
            with contextlib.suppress(ChildProcessError):
                os.waitpid(-pgid, os.WNOHANG)
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        logger.error("processes of the worker cluster %s are still alive after SIGKILL", pgid)
