"""A site's AI settings reach the code that acts on them: the triage threshold and switch
(tickets.triage) and the assistant switch (chat.services)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chat.models import Conversation
from chat.services import conversation_start
from testing.factories import new_ticket
from tickets.models import TicketEvent, TicketState
from tickets.triage import triage_ticket

pytestmark = pytest.mark.django_db


def triaged(site, customer):
    ticket = new_ticket(site, customer)
    triage_ticket(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    return ticket


def test_a_threshold_change_applies_to_the_next_tickets_triage(
    admin_client, history, site_a, customer_a, engineer_a, site_form
):
    before = triaged(site_a, customer_a)
    assert before.state == TicketState.ASSIGNED and 0.5 < before.triage_confidence < 1.0  # today's rule
    url = reverse("administration:site_edit", args=[site_a.pk])
    data = site_form(name=site_a.name, slug=site_a.slug, auto_triage_confidence="1.0", addresses="")
    assert admin_client.post(url, data).status_code == 302
    after = triaged(site_a, customer_a)
    assert after.state == TicketState.NEW and after.needs_human_triage and after.assignee is None
    assert after.triage_confidence == before.triage_confidence  # same reading, the site's bar decided
    event = after.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    assert event.data["needs_human"] and event.message.startswith("Unsure")


def test_a_threshold_below_the_confidence_still_auto_triages(history, site_a, customer_a, engineer_a):
    site_a.auto_triage_confidence = 0.5
    site_a.save()
    assert triaged(site_a, customer_a).state == TicketState.ASSIGNED


def test_auto_triage_off_leaves_every_ticket_for_a_human(history, site_a, customer_a):
    site_a.auto_triage_enabled = False
    site_a.save()
    ticket = triaged(site_a, customer_a)
    assert ticket.state == TicketState.NEW and ticket.needs_human_triage and ticket.category is None
    event = ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    assert event.message.startswith("Auto-triage is off for this site")
    assert event.data == {"needs_human": True, "unavailable": False}


def test_assistant_off_hands_a_new_chat_to_a_person(site_a, customer_a):
    site_a.assistant_enabled = False
    site_a.save()
    conversation, question = conversation_start(site=site_a, customer=customer_a, body="The VPN is down")
    conversation.refresh_from_db()
    assert not question.awaits_reply  # no assistant answer is generated for it
    assert conversation.outcome == Conversation.Outcome.ESCALATED and conversation.ticket is not None
    assert "An engineer will reply here." in conversation.messages.order_by("-seq").first().body


def test_assistant_on_answers_as_before(site_a, customer_a):
    conversation, question = conversation_start(site=site_a, customer=customer_a, body="The VPN is down")
    assert question.awaits_reply and conversation.ticket is None
