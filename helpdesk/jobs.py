"""The one way code queues a background job: after the transaction that made it necessary commits.

One failure policy for every room: a broker outage is logged and never raised into the request that
caused the job (the ticket, message or article is already saved), and `on_failure` records what must
be picked up later; the scheduled sweeps (tickets.tasks, knowledge.tasks) re-queue whatever is left.
Outside a transaction the job is queued at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django_q.tasks import async_task

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: str, *args, on_failure: Callable[[], None] | None = None) -> None:
    """Queue `task(*args)` in django-q2 once the current transaction commits."""

    def send() -> None:
        try:
            async_task(task, *args)
        except Exception:
            logger.exception("Could not queue %s%r", task, args)
            if on_failure is not None:
                on_failure()

    transaction.on_commit(send)
