"""Emails go out after commit: on creation, assignment, public replies (to the other side) and resolution."""

from django.core import mail
from django.db import transaction

from tickets.services import comment_create, ticket_assign, ticket_create, ticket_transition


def test_nothing_is_sent_before_commit_and_the_requester_hears_after(
    site_a, customer_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ticket = ticket_create(site=site_a, requester=customer_a, title="No Wi-Fi", description="Since 9am")
        assert mail.outbox == []
    assert len(callbacks) == 2
    assert [m.to for m in mail.outbox] == [["alice@alder.example"]]
    assert f"[#{ticket.pk}]" in mail.outbox[0].subject
    assert f"/tickets/{ticket.pk}/" in mail.outbox[0].body


def test_a_rolled_back_change_sends_nothing(site_a, customer_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                ticket_create(site=site_a, requester=customer_a, title="No Wi-Fi", description="Since 9am")
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mail.outbox == []


def test_taking_a_ticket_yourself_sends_you_no_email(
    make_ticket, engineer_a, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, assignee=engineer_a, actor=engineer_a)
    assert mail.outbox == []
    assert ticket.events.filter(kind="assigned").exists()


def test_assignment_public_replies_and_resolution_notify_the_right_people(
    make_ticket, customer_a, engineer_a, admin_user, django_capture_on_commit_callbacks
):
    engineer_a.email = "erin@msp.example"
    engineer_a.save()
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(ticket=ticket, assignee=engineer_a, actor=admin_user)
    assert mail.outbox[-1].to == ["erin@msp.example"]
    assert "Assigned to you" in mail.outbox[-1].subject
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=ticket, author=engineer_a, body="Internal only", is_internal=True)
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=ticket, author=engineer_a, body="Please restart the router")
    assert (mail.outbox[-1].to, "Please restart the router" in mail.outbox[-1].body) == (
        ["alice@alder.example"],
        True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=ticket, author=customer_a, body="Done, still broken")
    assert mail.outbox[-1].to == ["erin@msp.example"]
    with django_capture_on_commit_callbacks(execute=True):
        ticket_transition(ticket=ticket, to_state="in_progress", actor=engineer_a)
        ticket_transition(
            ticket=ticket, to_state="resolved", actor=engineer_a, note="Replaced the access point"
        )
    assert mail.outbox[-1].to == ["alice@alder.example"]
    assert "Resolved" in mail.outbox[-1].subject
    assert "Replaced the access point" in mail.outbox[-1].body
    assert len(mail.outbox) == 4
