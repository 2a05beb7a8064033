"""Django admin: every ticket model is administered, and the audit trail can only be read."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tickets.models import Attachment, Category, Comment, Review, SLATarget, Ticket, TicketEvent


@pytest.mark.parametrize("model", [Category, SLATarget, Ticket, TicketEvent, Comment, Attachment, Review])
def test_every_ticket_model_has_a_working_admin_list(login, admin_user, make_ticket, model):
    make_ticket()
    assert model in admin.site._registry
    url = reverse(f"admin:tickets_{model._meta.model_name}_changelist")
    assert login(admin_user).get(url).status_code == 200


def test_ticket_events_cannot_be_added_changed_or_deleted_in_admin(login, admin_user, make_ticket):
    event = make_ticket().events.get()
    client = login(admin_user)
    assert client.get(reverse("admin:tickets_ticketevent_add")).status_code == 403
    change = client.post(
        reverse("admin:tickets_ticketevent_change", args=[event.pk]), {"message": "rewritten"}
    )
    assert change.status_code in (200, 403)
    delete = client.post(reverse("admin:tickets_ticketevent_delete", args=[event.pk]), {"post": "yes"})
    assert delete.status_code == 403
    event.refresh_from_db()
    assert event.message == "Opened via Portal"
    assert TicketEvent.objects.filter(pk=event.pk).exists()


def test_the_ticket_page_in_admin_shows_its_timeline_read_only(login, admin_user, make_ticket):
    ticket = make_ticket()
    response = login(admin_user).get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert response.status_code == 200
    assert b"Opened via Portal" in response.content
