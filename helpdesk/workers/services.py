"""Writes of the workers app: the heartbeat that django-q2's worker processes leave per cluster.

The receivers run inside django-q2's worker processes (connected in apps.py before qcluster forks), on
`post_spawn` (a worker started) and `pre_execute` (a worker took a task off the cluster's queue). They
must never raise: a heartbeat that cannot be written must not cost the task.
"""

from __future__ import annotations

import logging
import os
import socket

from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone

from helpdesk.workers.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def cluster_key() -> dict:
    """This process's cluster: the host and the process group, which the qcluster command leads when
    started by `serve`, systemd, a container runtime or a shell."""
    return {"host": socket.gethostname(), "cluster_pid": os.getpgid(0)}


def heartbeat_record(*, took_task: bool) -> None:
    now = timezone.now()
    key = cluster_key()
    sentinel_pid = os.getppid()  # a django-q2 worker's parent is its cluster's sentinel
    if took_task:
        changes = {"task_started_at": now, "tasks_started": F("tasks_started") + 1}
    else:
        changes = {"spawned_at": now, "spawns": F("spawns") + 1}
    if WorkerHeartbeat.objects.filter(**key, sentinel_pid=sentinel_pid).update(**changes):
        return
    fresh = {
        "sentinel_pid": sentinel_pid,
        "started_at": now,
        "spawned_at": now,
        "spawns": 0 if took_task else 1,
        "task_started_at": now if took_task else None,
        "tasks_started": 1 if took_task else 0,
    }
    try:
        WorkerHeartbeat.objects.update_or_create(**key, defaults=fresh)
    except IntegrityError:  # another worker of the new cluster created the row at the same moment
        WorkerHeartbeat.objects.filter(**key).update(**changes)


def heartbeats_prune_dead_on_this_host() -> int:
    """Forget the clusters of this host whose process group is gone (stopped, killed, restarted)."""
    key = cluster_key()
    dead = []
    for pk, pgid in WorkerHeartbeat.objects.filter(host=key["host"]).values_list("pk", "cluster_pid"):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            dead.append(pk)
        except PermissionError:  # alive, another user's
            pass
    return WorkerHeartbeat.objects.filter(pk__in=dead).delete()[0] if dead else 0


def heartbeat_on_spawn(sender, **_kwargs) -> None:
    try:
        heartbeats_prune_dead_on_this_host()
        heartbeat_record(took_task=False)
    except Exception:
        logger.exception("could not record the worker heartbeat")


def heartbeat_on_task(sender, **_kwargs) -> None:
    try:
        heartbeat_record(took_task=True)
    except Exception:
        logger.exception("could not record the worker heartbeat")
