"""Ticket writes tell the site's webhooks: created, updated, resolved, one delivery per operation."""

import pytest
from django.db import transaction

from integrations.models import WebhookDelivery
from integrations.services import webhook_create
from tickets.services import ticket_assign, ticket_create, ticket_transition, ticket_update
from tickets.signals import ticket_changed

ALL_EVENTS = ["ticket.created", "ticket.updated", "ticket.resolved"]


def events_sent(site) -> list[str]:
    return list(WebhookDelivery.objects.filter(site=site).order_by("pk").values_list("event", flat=True))


def test_it_emits_one_delivery_per_ticket_operation(site_a, site_b, customer_a, engineer_a, admin_user):
    webhook_create(site=site_a, url="https://hooks.example/a", events=ALL_EVENTS, created_by=admin_user)
    webhook_create(site=site_b, url="https://hooks.example/b", events=ALL_EVENTS, created_by=admin_user)
    ticket = ticket_create(site=site_a, requester=customer_a, title="VPN drops", description="Every hour.")
    ticket_update(ticket=ticket, actor=engineer_a, priority="high")
    ticket_assign(ticket=ticket, assignee=engineer_a, actor=engineer_a)  # moves it to assigned
    ticket_transition(ticket=ticket, to_state="in_progress", actor=engineer_a)
    ticket_transition(ticket=ticket, to_state="resolved", actor=engineer_a, note="Updated the VPN client.")

    assert events_sent(site_a) == ["ticket.created", *["ticket.updated"] * 3, "ticket.resolved"]
    assert events_sent(site_b) == []
    payload = WebhookDelivery.objects.filter(event="ticket.resolved").get().body
    assert '"state": "resolved"' in payload and "Updated the VPN client." in payload


def test_a_write_that_rolls_back_leaves_no_delivery(site_a, customer_a, admin_user):
    webhook_create(site=site_a, url="https://hooks.example/a", events=ALL_EVENTS, created_by=admin_user)

    def write_then_fail():
        with transaction.atomic():
            ticket_create(site=site_a, requester=customer_a, title="VPN drops", description="Every hour.")
            raise RuntimeError("the caller's transaction fails after the ticket write")

    with pytest.raises(RuntimeError):
        write_then_fail()

    assert events_sent(site_a) == []


def test_it_tells_the_receivers_inside_the_writes_transaction(
    site_a, customer_a, django_capture_on_commit_callbacks
):
    seen = []

    def receiver(sender, ticket, event, **kwargs):
        seen.append((ticket.pk, event))

    ticket_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as after_commit:
            ticket = ticket_create(site=site_a, requester=customer_a, title="VPN", description="Drops.")
    finally:
        ticket_changed.disconnect(receiver)

    # Nothing has committed yet: the receivers ran with the write, the jobs wait for the commit.
    assert seen == [(ticket.pk, "ticket.created")]
    assert after_commit
