from django_q.models import Schedule

from helpdesk.schedules import PERIODIC_JOBS, schedules_sync


def test_it_declares_every_periodic_job_after_migrate(db):
    names = set(Schedule.objects.values_list("name", flat=True))
    assert {job["name"] for job in PERIODIC_JOBS} <= names


def test_it_syncs_idempotently_and_drops_jobs_no_longer_declared(db):
    Schedule.objects.create(
        name="tickets: an old job", func="tickets.tasks.gone", schedule_type=Schedule.HOURLY
    )
    Schedule.objects.create(name="someone else's job", func="x.y", schedule_type=Schedule.HOURLY)
    schedules_sync()
    schedules_sync()
    names = list(Schedule.objects.values_list("name", flat=True))
    assert sorted(names) == sorted([job["name"] for job in PERIODIC_JOBS] + ["someone else's job"])


def test_it_schedules_the_index_sweep_only_when_redis_can_lose_a_task(settings):
    # The database broker delivers a killed worker's task again; Redis does not (docs/deploy.md).
    sweeps = [job for job in PERIODIC_JOBS if job["func"] == "knowledge.tasks.index_sweep"]
    assert len(sweeps) == ("redis" in settings.Q_CLUSTER)
