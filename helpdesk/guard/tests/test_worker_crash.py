"""The worker dies inside an indexing job, before the job commits: a fresh worker finishes the lost work
(a real qcluster is killed with SIGKILL).

The kill point is a synchronization point, not a time: the first attempt writes the document and its
chunks inside a transaction and then waits for an advisory lock this test holds (fault_tasks.py); the
test sees it waiting in pg_locks and kills the cluster there. Nothing of the work is committed, and what
finishes it is the broker's own recovery: the database broker delivers the unacknowledged task again;
Redis, which has no receipts, loses the task and the product's scheduled index sweep does the work.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import OrmQ, Schedule, Task
from django_q.tasks import async_task

from helpdesk.guard.tests.fault_tasks import HOLD_KEY
from helpdesk.schedules import schedules_sync
from retrieval.models import Chunk, Document
from testing.factories import resolved_ticket
from testing.waiting import wait_until

# serialized_rollback: the flush after this test keeps the migrated rows, as the browser tests expect.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FUNC = "helpdesk.guard.tests.fault_tasks.index_ticket_held_on_first_attempt"
SWEEP = "knowledge.tasks.index_sweep"
# A task whose lease (Q_RETRY) ran out is delivered again. The first cluster has one worker, so its own
# redelivery waits in its queue behind the held attempt and dies with it; the timeout is far above
# anything the job needs (it loads the embedding model lazily), so no attempt ends on a timer.
FIRST_CLUSTER = {"Q_WORKERS": "1", "Q_RETRY": "5", "Q_TIMEOUT": "600"}
FRESH_CLUSTER = {"Q_WORKERS": "2", "Q_RETRY": "900", "Q_TIMEOUT": "600"}
CEILING = 180  # seconds; only stops a hung test (the fresh cluster's scheduler runs every 30 s)


def database_url() -> str:
    """The test database, for a subprocess: over TCP when we are on TCP, else the embedded socket."""
    db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgresql://{db['USER']}{password}@{host}:{db['PORT']}/{db['NAME']}"


def start_worker(fault_dir: Path, cluster: dict) -> subprocess.Popen:
    """A qcluster on the test database; its output goes to worker.log beside the attempts log."""
    env = {**os.environ, "DATABASE_URL": database_url(), "GUARD_FAULT_DIR": str(fault_dir), **cluster}
    with (fault_dir / "worker.log").open("a") as log:
        return subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL takes the sentinel and every worker
        )


def kill_hard(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=60)


def waiting_on_hold() -> list[int]:
    """The sessions waiting for the advisory lock the test holds (an attempt at its kill point)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = %s "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [HOLD_KEY],
        )
        return [row[0] for row in cursor.fetchall()]


def session_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def hold_connection() -> psycopg.Connection:
    """A connection of the test's own for the advisory lock: Django closes its connection between
    queries when CONN_MAX_AGE is 0 (django-q2's ORM broker calls close_old_connections), which would
    drop a session lock."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or None,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )


def attempts_log(fault_dir: Path) -> list[tuple[int, str, dict | None]]:
    path = fault_dir / "attempts"
    lines = path.read_text().splitlines() if path.exists() else []
    entries = []
    for line in lines:
        pid, phase, *result = line.split(" ", 2)
        entries.append((int(pid), phase, json.loads(result[0]) if result else None))
    return entries


def test_it_finishes_an_indexing_job_when_the_worker_is_killed_before_its_commit(
    tmp_path, site_a, customer_a
):
    tmp_path.chmod(0o777)
    ticket = resolved_ticket(
        site=site_a,
        requester=customer_a,
        title="VPN drops every ten minutes on the branch laptops",
        description="FortiClient disconnects and reconnects; Teams calls fail.",
        resolution="Raised the DPD timeout on the FortiGate and pushed the new profile.",
        category_slug="network",
    )
    redis = "redis" in settings.Q_CLUSTER
    if redis:
        schedules_sync()  # the sweep is declared for Redis; the first cluster must not run it yet
        assert Schedule.objects.filter(func=SWEEP).update(
            next_run=timezone.now() + timezone.timedelta(days=1)
        )
    get_broker().purge_queue()  # a Redis queue outlives test transactions: drop other tests' tasks
    hold = hold_connection()
    hold.execute("SELECT pg_advisory_lock(%s)", [HOLD_KEY])
    worker = start_worker(tmp_path, FIRST_CLUSTER)
    try:
        task_id = async_task(FUNC, ticket.id)
        [session] = wait_until(waiting_on_hold, what="the first attempt at its kill point", ceiling=CEILING)
        [(killed_pid, _, _), (_, phase, result)] = attempts_log(tmp_path)
        assert (phase, result) == ("uncommitted", {"indexed": 1, "unchanged": 0, "removed": 0})
        kill_hard(worker)  # inside the job: its writes are not committed, the task is not acknowledged
        # A session waiting on a lock does not notice its client died; once it has the lock it does, and
        # ends with its transaction rolled back (it never got a COMMIT).
        hold.close()
        wait_until(
            lambda: not session_alive(session), what="the killed worker's session to end", ceiling=CEILING
        )
        assert not Document.objects.filter(ticket=ticket).exists()  # the work was lost with the worker
        assert not Task.objects.filter(id=task_id).exists()

        if redis:
            # Redis handed the task out once: it is gone. The next run of the scheduled sweep finishes the
            # work; the test only brings that run forward from "in ten minutes" to "now".
            assert get_broker().queue_size() == 0
            Schedule.objects.filter(func=SWEEP).update(next_run=timezone.now())
            worker = start_worker(tmp_path, FRESH_CLUSTER)
            sweep = wait_until(
                lambda: Task.objects.filter(func=SWEEP, success=True).first(),
                what="the fresh cluster's index sweep",
                ceiling=CEILING,
            )
            assert sweep.result == {"indexed": 1, "unchanged": 0, "removed": 0}
            assert [phase for _, phase, _ in attempts_log(tmp_path)] == ["started", "uncommitted"]
        else:
            # The database broker kept the unacknowledged task; its lease runs out and it comes again.
            assert OrmQ.objects.count() == 1
            worker = start_worker(tmp_path, FRESH_CLUSTER)
            task = wait_until(
                lambda: Task.objects.filter(id=task_id).first(),
                what="the re-delivered task to finish",
                ceiling=CEILING,
            )
            assert task.success, task.result
            assert task.result == {"indexed": 1, "unchanged": 0, "removed": 0}  # the work itself, redone
            log = attempts_log(tmp_path)
            assert [phase for _, phase, _ in log] == ["started", "uncommitted", "started", "committed"]
            assert log[2][0] == log[3][0] != killed_pid
            # The result is saved, then the task acknowledged (django-q2's monitor): the row goes next.
            wait_until(lambda: not OrmQ.objects.exists(), what="the task to be acknowledged", ceiling=CEILING)
    finally:
        kill_hard(worker)
        hold.close()

    document = Document.objects.get(ticket=ticket)
    chunks = Chunk.objects.filter(document=document)
    assert chunks.count() == len({chunk.ordinal for chunk in chunks}) >= 1
    assert Document.objects.count() == 1
