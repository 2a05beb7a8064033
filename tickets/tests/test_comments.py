"""Replies and internal notes: who may write them, who sees them, and what they change on the ticket."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.errors import ActionNotAllowed, TicketError
from tickets.models import TicketEvent
from tickets.selectors import attachments_for, comments_for, events_for
from tickets.services import attachment_add, comment_create


def test_internal_notes_are_hidden_from_customers(make_ticket, customer_a, engineer_a):
    ticket = make_ticket("in_progress", assignee=engineer_a)
    public = comment_create(ticket=ticket, author=engineer_a, body="Can you restart it?")
    comment_create(ticket=ticket, author=engineer_a, body="Suspect the toner sensor", is_internal=True)
    attachment_add(
        ticket=ticket,
        uploaded_by=engineer_a,
        upload=SimpleUploadedFile("diag.log", b"sensor=bad"),
        is_internal=True,
    )
    assert list(comments_for(ticket=ticket, user=customer_a)) == [public]
    assert comments_for(ticket=ticket, user=engineer_a).count() == 2
    assert not attachments_for(ticket=ticket, user=customer_a).exists()
    assert attachments_for(ticket=ticket, user=engineer_a).count() == 1
    assert not events_for(ticket=ticket, user=customer_a).exists()


def test_customers_cannot_write_internal_notes_or_on_others_tickets(
    make_ticket, customer_a, colleague_a, engineer_b
):
    ticket = make_ticket()
    with pytest.raises(ActionNotAllowed, match="internal"):
        comment_create(ticket=ticket, author=customer_a, body="psst", is_internal=True)
    for outsider in (colleague_a, engineer_b):
        with pytest.raises(ActionNotAllowed):
            comment_create(ticket=ticket, author=outsider, body="hello")


def test_the_first_public_engineer_reply_sets_first_response(make_ticket, customer_a, engineer_a):
    ticket = make_ticket("assigned", assignee=engineer_a)
    comment_create(ticket=ticket, author=customer_a, body="Any news?")
    comment_create(ticket=ticket, author=engineer_a, body="Looking", is_internal=True)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    reply = comment_create(ticket=ticket, author=engineer_a, body="On my way")
    comment_create(ticket=ticket, author=engineer_a, body="Fixed?")
    ticket.refresh_from_db()
    assert ticket.first_responded_at == reply.created_at


def test_a_customer_reply_resumes_a_ticket_waiting_on_them(make_ticket, customer_a, engineer_a):
    ticket = make_ticket("waiting_on_customer", assignee=engineer_a)
    comment_create(ticket=ticket, author=customer_a, body="It is model X200")
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds[-2:] == [TicketEvent.Kind.COMMENTED, TicketEvent.Kind.TRANSITION]


def test_a_customer_reply_reopens_a_resolved_ticket_with_its_assignee(
    make_ticket, customer_a, engineer_a, django_capture_on_commit_callbacks
):
    engineer_a.email = "evan@msp.example"
    engineer_a.save(update_fields=["email"])
    ticket = make_ticket("resolved", assignee=engineer_a, resolution="Reseated the toner.")
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=ticket, author=customer_a, body="Still happening actually.")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee, ticket.resolved_at) == ("in_progress", engineer_a, None)
    reopened = ticket.events.filter(kind=TicketEvent.Kind.TRANSITION).latest("pk")
    assert (reopened.old_value, reopened.new_value, reopened.actor) == ("resolved", "in_progress", customer_a)
    assert reopened.data == {"transition": "reopen"}
    assert "customer replied to the resolution" in reopened.message
    [email] = mail.outbox  # the assignee hears of it
    assert email.to == ["evan@msp.example"] and "Still happening actually." in email.body


def test_an_engineer_note_on_a_resolved_ticket_leaves_it_resolved(make_ticket, engineer_a):
    ticket = make_ticket("resolved", assignee=engineer_a, resolution="Reseated the toner.")
    comment_create(ticket=ticket, author=engineer_a, body="Follow-up call done.")
    ticket.refresh_from_db()
    assert ticket.state == "resolved"


def test_customers_cannot_reply_on_closed_tickets_and_replies_need_content(make_ticket, customer_a):
    with pytest.raises(ActionNotAllowed, match="closed"):
        comment_create(ticket=make_ticket("closed"), author=customer_a, body="Still broken")
    with pytest.raises(TicketError, match="Write a reply"):
        comment_create(ticket=make_ticket(), author=customer_a, body="  ")


def test_comment_events_mark_internal_notes(make_ticket, engineer_a):
    ticket = make_ticket()
    note = comment_create(ticket=ticket, author=engineer_a, body="Check DHCP", is_internal=True)
    event = ticket.events.get(kind=TicketEvent.Kind.COMMENTED)
    assert event.data == {"comment_id": note.pk, "internal": True}
