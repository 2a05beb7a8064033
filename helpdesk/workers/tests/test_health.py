"""`cluster_health` and `manage.py worker_health`: a stalled queue fails only when no cluster takes work."""

import io
import socket
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.tasks import async_task

from helpdesk.workers.models import WorkerHeartbeat
from helpdesk.workers.selectors import cluster_health
from helpdesk.workers.services import cluster_key, heartbeat_on_spawn, heartbeat_on_task

BOUND = 60


@pytest.fixture
def queued_task(db):
    get_broker().purge_queue()
    async_task("tickets.tasks.ticket_triage", 1)
    return timezone.now()


def beat(*, up: float, last_task: float | None, now) -> WorkerHeartbeat:
    return WorkerHeartbeat.objects.create(
        host=socket.gethostname(),
        cluster_pid=4242,
        started_at=now - timedelta(seconds=up),
        spawned_at=now - timedelta(seconds=up),
        task_started_at=None if last_task is None else now - timedelta(seconds=last_task),
    )


def test_it_is_healthy_when_nothing_is_queued(db):
    get_broker().purge_queue()
    health = cluster_health(max_queue_age=BOUND)
    assert health.ok and health.queued == 0 and health.oldest_task_seconds is None


def test_it_fails_when_the_oldest_task_waits_past_the_bound_and_no_cluster_takes_work(queued_task):
    now = queued_task + timedelta(seconds=BOUND + 5)
    beat(up=600, last_task=300, now=now)
    health = cluster_health(max_queue_age=BOUND, now=now)
    assert not health.ok
    assert "no cluster took a task within 60 s" in health.summary
    assert health.queued == 1 and health.oldest_task_seconds > BOUND


def test_it_fails_when_no_cluster_has_a_heartbeat(queued_task):
    health = cluster_health(max_queue_age=BOUND, now=queued_task + timedelta(seconds=BOUND + 5))
    assert not health.ok and "no heartbeat from any cluster" in health.summary


def test_it_passes_a_backlog_that_a_cluster_is_working_on(queued_task):
    now = queued_task + timedelta(seconds=BOUND + 5)
    beat(up=600, last_task=3, now=now)
    assert cluster_health(max_queue_age=BOUND, now=now).ok


def test_it_gives_a_new_cluster_the_bound_to_start(queued_task):
    now = queued_task + timedelta(seconds=BOUND + 5)
    beat(up=BOUND - 10, last_task=None, now=now)
    assert cluster_health(max_queue_age=BOUND, now=now).ok


def test_it_judges_only_the_selected_cluster(queued_task):
    now = queued_task + timedelta(seconds=BOUND + 5)
    beat(up=600, last_task=300, now=now)
    WorkerHeartbeat.objects.create(
        host="another-host", cluster_pid=1, started_at=now, spawned_at=now, task_started_at=now
    )
    assert cluster_health(max_queue_age=BOUND, now=now).ok
    assert not cluster_health(host=socket.gethostname(), max_queue_age=BOUND, now=now).ok


def test_the_command_exits_1_for_a_liveness_probe(queued_task, settings):
    settings.WORKER_MAX_QUEUE_AGE = 0
    with pytest.raises(CommandError) as failure:
        call_command("worker_health", stdout=io.StringIO())
    assert failure.value.returncode == 1
    get_broker().purge_queue()
    out = io.StringIO()
    call_command("worker_health", stdout=out)
    assert out.getvalue().startswith("workers ok (queued 0")


def test_workers_leave_a_heartbeat_for_their_cluster(db):
    heartbeat_on_spawn(sender="django_q", proc_name="Process-1")
    heartbeat_on_task(sender="django_q", func=None, task={})
    heartbeat_on_task(sender="django_q", func=None, task={})
    row = WorkerHeartbeat.objects.get(**cluster_key())
    assert (row.spawns, row.tasks_started) == (1, 2)
    assert row.task_started_at >= row.spawned_at >= row.started_at


def test_a_new_cluster_under_the_same_process_group_starts_a_fresh_heartbeat(db):
    """A restarted container runs its new qcluster as PID 1 again: a new sentinel, a new row's worth."""
    an_hour_ago = timezone.now() - timedelta(hours=1)
    WorkerHeartbeat.objects.create(
        **cluster_key(),
        sentinel_pid=999_999,
        started_at=an_hour_ago,
        spawned_at=an_hour_ago,
        task_started_at=an_hour_ago,
        tasks_started=50,
    )
    heartbeat_on_spawn(sender="django_q", proc_name="Process-1")
    row = WorkerHeartbeat.objects.get(**cluster_key())
    assert row.started_at > an_hour_ago and (row.tasks_started, row.task_started_at) == (0, None)
