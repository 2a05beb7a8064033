"""A task wrapper the worker-crash test enqueues: the real indexing job, stopped inside its transaction.

Each attempt appends lines to $GUARD_FAULT_DIR/attempts ("<pid> <phase> <result>"). The first attempt
runs the job inside an outer transaction and, with the document and its chunks written but not
committed, waits for the advisory lock HOLD_KEY, which the test holds: the test sees the attempt waiting
(in pg_locks) and kills the worker there, so the work dies with the worker as in a crash mid-task. A
later attempt runs the job as it is. No timer is involved: the attempt waits as long as the test wants.
"""

import json
import os
from pathlib import Path

from django.db import connection, transaction

from knowledge.tasks import index_ticket

HOLD_KEY = 20_020_002


def _log(line: str) -> int:
    attempts = Path(os.environ["GUARD_FAULT_DIR"]) / "attempts"
    with attempts.open("a") as log:
        log.write(f"{os.getpid()} {line}\n")
    return sum(" started" in entry for entry in attempts.read_text().splitlines())


def index_ticket_held_on_first_attempt(ticket_id: int) -> dict:
    if _log("started") > 1:
        result = index_ticket(ticket_id)
        _log(f"committed {json.dumps(result)}")
        return result
    with transaction.atomic():
        result = index_ticket(ticket_id)
        _log(f"uncommitted {json.dumps(result)}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [HOLD_KEY])
    return result
