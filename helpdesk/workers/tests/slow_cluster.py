"""`python -m helpdesk.workers.tests.slow_cluster`: `manage.py qcluster` with two delays injected, so a
test can kill worker processes at the moment that wedges django-q2.

- WORKER_FAULT_TASK_DELAY: each task sleeps this long after it is taken (and logged to
  $WORKER_FAULT_DIR/started as "<worker pid> <args>"; the monitor logs "<args>" to `finished` once
  its result is saved), so a kill lands mid-task;
- WORKER_FAULT_PUSH_DELAY: the pusher waits this long before each dequeue, so the workers drain the
  cluster's queue faster than it is fed and an idle worker sits in Queue.get() holding its lock (what
  happens in production when tasks are quick); until $WORKER_FAULT_DIR/unthrottled exists.

The tokenizer and the embedding model are loaded before the cluster forks, so a worker's first triage
does not spend the test's short Q_TIMEOUT loading them.
"""

import os
import time
from pathlib import Path

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command
    from django_q.brokers.orm import ORM
    from django_q.signals import post_execute, pre_execute

    from retrieval.embedders import get_embedder
    from retrieval.tokens import encode

    started = Path(os.environ["WORKER_FAULT_DIR"]) / "started"
    finished = started.with_name("finished")
    unthrottled = started.with_name("unthrottled")
    task_delay = float(os.environ.get("WORKER_FAULT_TASK_DELAY", "0"))
    push_delay = float(os.environ.get("WORKER_FAULT_PUSH_DELAY", "0"))

    def slow_task(sender, task, **kwargs):
        with started.open("a") as log:
            log.write(f"{os.getpid()} {task['args']}\n")
        time.sleep(task_delay)

    def log_finished(sender, task, **kwargs):
        with finished.open("a") as log:
            log.write(f"{task['args']}\n")

    dequeue = ORM.dequeue

    def slow_dequeue(self):
        if not unthrottled.exists():
            time.sleep(push_delay)
        return dequeue(self)

    encode("warm up")
    get_embedder().embed(["warm up"])
    pre_execute.connect(slow_task, weak=False)
    post_execute.connect(log_finished, weak=False)
    ORM.dequeue = slow_dequeue
    call_command("qcluster")


if __name__ == "__main__":
    main()
