"""The worker dies mid-task: the indexing job still finishes exactly once (a real qcluster is killed)."""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_q.brokers import get_broker
from django_q.models import OrmQ, Task
from django_q.tasks import async_task

from knowledge.models import Chunk, Document
from knowledge.tests.factories import resolved_ticket

# serialized_rollback: the flush after this test keeps the migrated rows, as the browser tests expect.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FUNC = "helpdesk.guard.tests.fault_tasks.index_ticket_then_hang_once"
RETRY_SECONDS = 8


def database_url() -> str:
    """The test database, for a subprocess: over TCP when we are on TCP, else the embedded socket."""
    db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgresql://{db['USER']}{password}@{host}:{db['PORT']}/{db['NAME']}"


def start_worker(fault_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "GUARD_FAULT_DIR": str(fault_dir),
        "Q_WORKERS": "2",
        "Q_TIMEOUT": str(RETRY_SECONDS - 2),
        "Q_RETRY": str(RETRY_SECONDS),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: SIGKILL takes the sentinel and every worker
    )


def kill_hard(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_it_finishes_an_indexing_job_exactly_once_when_the_worker_is_killed(tmp_path, site_a, customer_a):
    tmp_path.chmod(0o777)
    attempts = tmp_path / "attempts"
    ticket = resolved_ticket(
        site=site_a,
        requester=customer_a,
        title="VPN drops every ten minutes on the branch laptops",
        description="FortiClient disconnects and reconnects; Teams calls fail.",
        resolution="Raised the DPD timeout on the FortiGate and pushed the new profile.",
        category_slug="network",
    )
    redis = "redis" in settings.Q_CLUSTER
    get_broker().purge_queue()  # a Redis queue outlives test transactions: drop other tests' tasks
    worker = start_worker(tmp_path)
    try:
        task_id = async_task(FUNC, ticket.id)
        wait_for(attempts.exists, 60, "the first attempt to start")
        kill_hard(worker)  # the work is committed, the task is not acknowledged
        assert Document.objects.filter(ticket=ticket).count() == 1
        assert not Task.objects.filter(id=task_id).exists()

        worker = start_worker(tmp_path)
        if redis:
            # Redis hands a task out once (no receipts): the killed worker's task is gone from the queue,
            # and the scheduled, idempotent reindex sweep is what finishes the work (docs/deploy.md).
            time.sleep(RETRY_SECONDS + 2)
            assert len(attempts.read_text().splitlines()) == 1
            call_command("reindex", "--no-progress", stdout=io.StringIO())
        else:
            # The ORM broker re-delivers a task whose lock is older than Q_RETRY seconds.
            wait_for(lambda: Task.objects.filter(id=task_id).exists(), 60, "the re-delivered task to finish")
            task = Task.objects.get(id=task_id)
            assert task.success, task.result
            assert task.result == {"indexed": 0, "unchanged": 1, "removed": 0}
            assert len(attempts.read_text().splitlines()) == 2
            assert not OrmQ.objects.exists()
    finally:
        kill_hard(worker)

    document = Document.objects.get(ticket=ticket)
    chunks = Chunk.objects.filter(document=document)
    assert chunks.count() == len({chunk.ordinal for chunk in chunks}) >= 1
    assert Document.objects.count() == 1
