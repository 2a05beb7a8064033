"""A task wrapper the worker-crash test enqueues: the real indexing job, made observable and killable.

Each attempt appends a line to $GUARD_FAULT_DIR/attempts; the first attempt then hangs after the work
is committed but before django-q2 acknowledges it, which is when the test kills the worker.
"""

import os
import time
from pathlib import Path

from knowledge.tasks import index_ticket


def index_ticket_then_hang_once(ticket_id: int) -> dict:
    attempts = Path(os.environ["GUARD_FAULT_DIR"]) / "attempts"
    result = index_ticket(ticket_id)
    with attempts.open("a") as log:
        log.write(f"{os.getpid()} {result}\n")
    if len(attempts.read_text().splitlines()) == 1:
        time.sleep(600)
    return result
