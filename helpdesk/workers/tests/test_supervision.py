"""kill -9 of django-q2 workers under load: the supervised cluster is restarted and every ticket is
triaged exactly once (a real qcluster on the test database, real tickets, real triage).

The kill hits both workers at once, one mid-task and one waiting in the cluster's queue: the waiting
one holds the queue's read lock, which then stays held and wedges every worker the sentinel spawns
(docs/deploy.md, "Worker supervision"). Without the supervisor the tickets queued after the kill are
never triaged.
"""

import os
import signal
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django_q.brokers import get_broker
from django_q.models import OrmQ

from helpdesk.workers.supervisor import ClusterSupervisor
from testing.waiting import wait_until
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_create

# serialized_rollback: the flush after this test keeps the migrated rows, as the browser tests expect.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TICKETS = 40
KILL_AFTER = 8  # tasks started
TIMEOUT, RETRY = 10, 12
MAX_QUEUE_AGE = TIMEOUT + RETRY + 6
# Only stops a hung test: how long recovery took is recorded (triaged_after_kill_seconds), not asserted.
CEILING = 300


def database_url() -> str:
    """The test database, for a subprocess: over TCP when we are on TCP, else the embedded socket."""
    db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgresql://{db['USER']}{password}@{host}:{db['PORT']}/{db['NAME']}"


def started_pids(log: Path) -> list[int]:
    return [int(line.split()[0]) for line in log.read_text().splitlines()] if log.exists() else []


def wait_for_busy_and_idle_worker(log: Path, pgid: int) -> tuple[int, int]:
    """The moment one worker has just taken a task while the other has finished its last one, so it
    waits in the cluster's queue (holding its read lock) for the next."""
    finished = log.with_name("finished")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = [line.split(maxsplit=1) for line in log.read_text().splitlines()]
        busy, busy_task = lines[-1]
        other = next((line for line in reversed(lines) if line[0] != busy), None)
        done = set(finished.read_text().splitlines()) if finished.exists() else set()
        if other and busy_task not in done and other[1] in done and alive_in_group(int(other[0]), pgid):
            return int(busy), int(other[0])
        time.sleep(0.01)
    raise AssertionError("no moment with one worker busy and the other idle")


def alive_in_group(pid: int, pgid: int) -> bool:
    try:
        return os.getpgid(pid) == pgid
    except ProcessLookupError:
        return False


def triage_counts(tickets: list[Ticket]) -> dict[int, int]:
    counts = dict.fromkeys((ticket.pk for ticket in tickets), 0)
    for ticket_id in TicketEvent.objects.filter(
        ticket__in=tickets, kind=TicketEvent.Kind.AI_TRIAGE
    ).values_list("ticket_id", flat=True):
        counts[ticket_id] += 1
    return counts


def test_it_triages_every_ticket_exactly_once_when_workers_are_killed_mid_task(
    tmp_path, site_a, customer_a, record_property
):
    if get_broker().__class__.__name__ != "ORM":
        pytest.skip("the supervision test drives the ORM broker (the Redis branch is test_worker_crash)")
    tmp_path.chmod(0o777)
    log = tmp_path / "started"
    get_broker().purge_queue()
    reports = []
    supervisor = ClusterSupervisor(
        command=[sys.executable, "-m", "helpdesk.workers.tests.slow_cluster"],
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "Q_WORKERS": "2",
            "Q_TIMEOUT": str(TIMEOUT),
            "Q_RETRY": str(RETRY),
            "WORKER_FAULT_DIR": str(tmp_path),
            "WORKER_FAULT_TASK_DELAY": "0.3",
            "WORKER_FAULT_PUSH_DELAY": "0.8",
        },
        check_every=1,
        failures_allowed=3,
        max_queue_age=MAX_QUEUE_AGE,
        report=reports.append,
    )
    supervisor.start()
    pgid = supervisor.pid
    try:
        tickets = [
            ticket_create(
                site=site_a,
                requester=customer_a,
                title=f"Printer on floor {n} prints blank pages",
                description="The HP LaserJet feeds paper but nothing is printed since this morning.",
            )
            for n in range(TICKETS)
        ]
        deadline = time.monotonic() + 60
        while len(started_pids(log)) < KILL_AFTER:
            assert time.monotonic() < deadline, "the cluster did not start working"
            supervisor.tick()
            time.sleep(0.05)
        busy, idle = wait_for_busy_and_idle_worker(log, pgid)
        for pid in (busy, idle):
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        (tmp_path / "unthrottled").touch()  # the kill is done: from now on, the pusher runs at full speed

        def every_ticket_triaged() -> bool:
            supervisor.tick()
            return min(triage_counts(tickets).values()) > 0

        wait_until(every_ticket_triaged, what="every ticket to be triaged after the kill", ceiling=CEILING)
        recovered_after = time.monotonic() - killed_at
        # A late duplicate could only come from a task still in the broker (a killed worker's, awaiting
        # its retry): wait until every task is acknowledged, then count.
        wait_until(
            lambda: supervisor.tick() or not OrmQ.objects.exists(),
            what="the broker to have no task left",
            ceiling=CEILING,
        )
        counts = triage_counts(tickets)
    finally:
        supervisor.stop(grace=5)

    record_property("triaged_after_kill_seconds", round(recovered_after, 1))
    record_property("restarts", reports)
    assert sorted(set(counts.values())) == [1], (recovered_after, counts)
    assert supervisor.restarts == 1, reports
    assert "no cluster took a task" in reports[0]
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)  # stop left no process of the cluster behind
