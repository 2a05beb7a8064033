"""Every periodic job of the product, declared in one place and synced into django-q2 after `migrate`."""

from __future__ import annotations

from django.conf import settings
from django_q.models import Schedule

PERIODIC_JOBS = [
    {
        "name": "tickets: re-queue triage of tickets left untriaged",
        "func": "tickets.tasks.tickets_triage_sweep",
        "schedule_type": Schedule.MINUTES,
        "minutes": 10,
    },
    {
        "name": "tickets: retrain the triage classifier of sites with new resolved tickets",
        "func": "tickets.tasks.triage_models_retrain",
        "schedule_type": Schedule.HOURLY,
    },
    {
        "name": "knowledge: re-learn each site's search profile from its history",
        "func": "knowledge.tasks.search_profiles_tune",
        "schedule_type": Schedule.DAILY,
    },
    {
        "name": "knowledge: draft KB articles from clusters of recently resolved work",
        "func": "knowledge.tasks.article_drafts_propose",
        "schedule_type": Schedule.DAILY,
    },
    {
        "name": "chat: answer questions left waiting by a crash",
        "func": "chat.tasks.orphaned_questions_answer",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        "name": "chat: prune old rate-limit windows",
        "func": "chat.tasks.ratelimit_windows_prune",
        "schedule_type": Schedule.HOURLY,
    },
    {
        "name": "helpdesk: forget API Idempotency-Keys older than a day",
        "func": "integrations.tasks.idempotency_keys_prune",
        "schedule_type": Schedule.HOURLY,
    },
    {
        "name": "helpdesk: read the support mailbox (email in)",
        "func": "integrations.tasks.mail_in_fetch",
        "schedule_type": Schedule.MINUTES,
        "minutes": settings.MAIL_IN_POLL_MINUTES,
    },
]

# Redis hands a task out once (no receipts): an indexing task whose worker died is gone, and this sweep
# finishes its work (docs/deploy.md). The database broker delivers such a task again by itself.
if "redis" in settings.Q_CLUSTER:
    PERIODIC_JOBS.append(
        {
            "name": "knowledge: index what a lost indexing task left undone",
            "func": "knowledge.tasks.index_sweep",
            "schedule_type": Schedule.MINUTES,
            "minutes": 10,
        }
    )


def schedules_sync(**_signal_kwargs) -> None:
    """Create or update each declared job by name; jobs removed from the list are removed from the queue."""
    declared = {job["name"] for job in PERIODIC_JOBS}
    for job in PERIODIC_JOBS:
        fields = {key: value for key, value in job.items() if key != "name"}
        Schedule.objects.update_or_create(name=job["name"], defaults={"minutes": None, **fields})
    Schedule.objects.filter(name__regex=r"^(tickets|chat|knowledge|helpdesk): ").exclude(
        name__in=declared
    ).delete()
