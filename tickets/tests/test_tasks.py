from datetime import timedelta

from django.utils import timezone

from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_create
from tickets.tasks import tickets_triage_sweep


def age(ticket: Ticket, minutes: int) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


def test_it_requeues_only_tickets_left_untriaged(
    site_a, customer_a, queued_tasks, django_capture_on_commit_callbacks
):
    def create(title):
        return ticket_create(site=site_a, requester=customer_a, title=title, description="It is broken.")

    lost, human, triaged = create("lost"), create("human"), create("triaged")
    create("fresh")  # untriaged too, but its first triage job may still be on its way
    for ticket in (lost, human, triaged):
        age(ticket, 30)
    Ticket.objects.filter(pk=human.pk).update(needs_human_triage=True)
    TicketEvent.objects.create(
        ticket=triaged, site=site_a, kind=TicketEvent.Kind.AI_TRIAGE, by_assistant=True
    )
    queued_tasks()  # creation queued nothing outside a commit; start from an empty queue

    with django_capture_on_commit_callbacks(execute=True):  # the worker's job runs outside a transaction
        assert tickets_triage_sweep() == 1
    assert queued_tasks() == [("tickets.tasks.ticket_triage", (lost.pk,))]
