"""Reads of the workers app: is the django-q2 cluster taking work? (`manage.py worker_health`, `serve`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from helpdesk.workers.models import WorkerHeartbeat


@dataclass(frozen=True)
class ClusterBeat:
    host: str
    cluster_pid: int
    up_seconds: float
    last_task_seconds: float | None  # since a worker of the cluster last took a task
    spawns: int
    tasks_started: int


@dataclass(frozen=True)
class WorkerHealth:
    ok: bool
    queued: int
    oldest_task_seconds: float | None
    max_queue_age: int
    clusters: list[ClusterBeat] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        oldest = "none" if self.oldest_task_seconds is None else f"{self.oldest_task_seconds:.0f} s"
        state = "ok" if self.ok else "FAILING: " + "; ".join(self.problems)
        return (
            f"workers {state} (queued {self.queued}, oldest {oldest}, bound {self.max_queue_age} s, "
            f"clusters {len(self.clusters)})"
        )


def queue_oldest_task() -> tuple[int, datetime | None]:
    """How many tasks wait in the broker and when the oldest was queued (django-q2 stamps `started`
    when it enqueues). With the ORM broker that includes tasks a pusher took but no worker finished."""
    broker = get_broker()
    if Conf.ORM:
        queued = OrmQ.objects.using(Conf.ORM).filter(key=broker.list_key)
        oldest = queued.order_by("id").first()
        return queued.count(), oldest.task.get("started") if oldest else None
    count = broker.queue_size()
    head = broker.connection.lindex(broker.list_key, 0) if count else None  # Redis: rpush, blpop
    return count, SignedPackage.loads(head).get("started") if head else None


def cluster_health(
    *,
    host: str | None = None,
    cluster_pid: int | None = None,
    max_queue_age: int | None = None,
    now: datetime | None = None,
) -> WorkerHealth:
    """Whether the selected clusters (all clusters when neither host nor cluster_pid is given) take work.

    The queue is stalled when its oldest task is older than `max_queue_age`, which must exceed
    Q_TIMEOUT + Q_RETRY: a task whose worker died is only delivered again after Q_RETRY. A stalled queue
    is a backlog, not a fault, while a selected cluster still takes tasks; it fails when none of them
    took a task within the bound (wedged, or not running at all). A cluster younger than the bound
    is given that long to start: the tasks it inherits are locked until their retry.
    """
    now = now or timezone.now()
    bound = settings.WORKER_MAX_QUEUE_AGE if max_queue_age is None else max_queue_age
    queued, oldest = queue_oldest_task()
    oldest_seconds = (now - oldest).total_seconds() if oldest else None
    beats = WorkerHeartbeat.objects.order_by("host", "cluster_pid")
    if host is not None:
        beats = beats.filter(host=host)
    if cluster_pid is not None:
        beats = beats.filter(cluster_pid=cluster_pid)
    clusters = [
        ClusterBeat(
            host=beat.host,
            cluster_pid=beat.cluster_pid,
            up_seconds=(now - beat.started_at).total_seconds(),
            last_task_seconds=(now - beat.task_started_at).total_seconds() if beat.task_started_at else None,
            spawns=beat.spawns,
            tasks_started=beat.tasks_started,
        )
        for beat in beats
    ]
    problems = []
    if oldest_seconds is not None and oldest_seconds > bound:
        working = [
            c
            for c in clusters
            if c.up_seconds <= bound or (c.last_task_seconds is not None and c.last_task_seconds <= bound)
        ]
        if not working:
            took = [
                f"{c.host}:{c.cluster_pid} last took a task {_ago(c.last_task_seconds)}" for c in clusters
            ]
            problems.append(
                f"the oldest queued task is {oldest_seconds:.0f} s old and no cluster took a task within "
                f"{bound} s" + (f" ({', '.join(took)})" if took else " (no heartbeat from any cluster)")
            )
    return WorkerHealth(
        ok=not problems,
        queued=queued,
        oldest_task_seconds=oldest_seconds,
        max_queue_age=bound,
        clusters=clusters,
        problems=problems,
    )


def _ago(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.0f} s ago"
