"""`manage.py worker_health`: exit 1 when the django-q2 clusters of this host take no work (liveness).

Used as the Kubernetes liveness probe of a worker pod and by the systemd timer of docs/deploy.md.
"""

from __future__ import annotations

import json
import socket
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError

from helpdesk.workers.selectors import cluster_health


class Command(BaseCommand):
    help = "Check that the django-q2 cluster takes work; exit status 1 when it does not."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all-hosts", action="store_true", help="Judge every cluster, not only this host's."
        )
        parser.add_argument("--cluster-pid", type=int, help="Only the cluster led by this process.")
        parser.add_argument("--max-queue-age", type=int, help="Seconds (default WORKER_MAX_QUEUE_AGE).")
        parser.add_argument("--json", action="store_true", help="Print the full report as JSON.")

    def handle(self, *args, **options):
        health = cluster_health(
            host=None if options["all_hosts"] else socket.gethostname(),
            cluster_pid=options["cluster_pid"],
            max_queue_age=options["max_queue_age"],
        )
        self.stdout.write(json.dumps(asdict(health), indent=2) if options["json"] else health.summary)
        if not health.ok:
            raise CommandError("the workers take no work", returncode=1)
