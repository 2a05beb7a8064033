"""The app moved from helpdesk/integrations/ to integrations/; django-q2 keeps task paths as text.

Schedules (the hourly Idempotency-Key prune, each webhook retry: Schedule.func) and tasks waiting in the
database broker (OrmQ.payload, a signed pickle of the task with its "func") still name
`helpdesk.integrations.tasks.*`, which a worker can no longer import: a queued delivery would fail and
never be retried. Both are rewritten, in both directions. Task results (django_q_task) record what ran and
are left alone. With Redis as the broker the queue is not in the database: let it drain before migrating.
"""

import pickle

from django.core import signing
from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Substr

OLD = "helpdesk.integrations."
NEW = "integrations."


def _rewrite(apps, old: str, new: str) -> None:
    # The cluster's own signing (its key and salt), so the workers read the rewritten payloads.
    from django_q.signing import SignedPackage

    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(func__startswith=old).update(
        func=Concat(Value(new), Substr("func", len(old) + 1))
    )
    OrmQ = apps.get_model("django_q", "OrmQ")
    for queued in OrmQ.objects.all().iterator():
        try:
            task = SignedPackage.loads(queued.payload)
        except (signing.BadSignature, pickle.UnpicklingError, ImportError, AttributeError):
            continue  # unreadable for the workers too: nothing this migration could make runnable
        func = task.get("func")
        if isinstance(func, str) and func.startswith(old):
            task["func"] = new + func[len(old) :]
            OrmQ.objects.filter(pk=queued.pk).update(payload=SignedPackage.dumps(task))


def forwards(apps, schema_editor) -> None:
    _rewrite(apps, OLD, NEW)


def backwards(apps, schema_editor) -> None:
    _rewrite(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0003_idempotency_key"),
        # The oldest django-q2 state with both Schedule and OrmQ (pyproject allows django-q2 >= 1.7).
        ("django_q", "0007_ormq"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
