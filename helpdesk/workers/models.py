from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per running django-q2 cluster, written by its worker processes.

    A cluster is the qcluster command's process group on a host. Its workers write here when they
    start and when they take a task, so the row shows whether the cluster still takes work; a wedged
    cluster's sentinel keeps running but its workers never get past the queue's lock
    (helpdesk.workers.selectors.cluster_health).
    """

    host = models.CharField(max_length=255)
    cluster_pid = models.PositiveIntegerField(help_text="The qcluster command's process group id.")
    # A restarted container runs its new cluster under the same host and process group (PID 1): a new
    # sentinel is how a worker tells that its cluster is not the one the row describes.
    sentinel_pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(help_text="When the first worker of this cluster started.")
    spawned_at = models.DateTimeField(help_text="When a worker of this cluster last (re)started.")
    spawns = models.PositiveIntegerField(default=0)
    task_started_at = models.DateTimeField(null=True, blank=True)
    tasks_started = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["host", "cluster_pid"], name="workers_heartbeat_unique_cluster")
        ]

    def __str__(self) -> str:
        return f"cluster {self.host}:{self.cluster_pid}"
