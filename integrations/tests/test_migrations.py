"""integrations.0004: schedules and queued tasks that still name helpdesk.integrations run after the move."""

import importlib

import pytest
from django.apps import apps
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage

pytestmark = pytest.mark.django_db

move = importlib.import_module("integrations.migrations.0004_task_paths_after_the_move")


def queued(func: str) -> OrmQ:
    return OrmQ.objects.create(
        key="helpdesk", payload=SignedPackage.dumps({"id": "t1", "func": func, "args": (7,)})
    )


def test_it_renames_the_task_paths_of_schedules_and_queued_tasks_and_back():
    retry = Schedule.objects.create(func="helpdesk.integrations.tasks.webhook_deliver", args="(7,)")
    other = Schedule.objects.create(func="tickets.tasks.tickets_triage_sweep")
    task = queued("helpdesk.integrations.tasks.webhook_deliver")
    unreadable = OrmQ.objects.create(key="helpdesk", payload="signed:with-another-key")

    move.forwards(apps, None)

    assert Schedule.objects.get(pk=retry.pk).func == "integrations.tasks.webhook_deliver"
    assert Schedule.objects.get(pk=other.pk).func == "tickets.tasks.tickets_triage_sweep"
    assert SignedPackage.loads(OrmQ.objects.get(pk=task.pk).payload) == {
        "id": "t1",
        "func": "integrations.tasks.webhook_deliver",
        "args": (7,),
    }
    assert OrmQ.objects.get(pk=unreadable.pk).payload == "signed:with-another-key"

    move.backwards(apps, None)

    assert Schedule.objects.get(pk=retry.pk).func == "helpdesk.integrations.tasks.webhook_deliver"
    assert SignedPackage.loads(OrmQ.objects.get(pk=task.pk).payload)["func"] == (
        "helpdesk.integrations.tasks.webhook_deliver"
    )
