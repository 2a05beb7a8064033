"""Conversation categories: triaged when a chat closes, inherited from its ticket, corrected by engineers,
and learnt from by the site's triage (docs/chat.md, *Conversation categories*)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from ai.openai_provider import OpenAIProvider
from ai.providers import GuardedProvider
from ai.tests.test_ai_openai import OPENAI_TEST_SETTINGS, openai_vcr
from chat.models import Conversation, ConversationEvent, Message
from chat.selectors import chat_insights
from chat.services import (
    conversation_close,
    conversation_escalate,
    conversation_resolve,
    conversation_start,
    conversation_triage,
)
from chat.tasks import conversation_categorize
from helpdesk.models import AIInteraction
from integrations.services import api_token_create
from testing.factories import category, closed_conversation, indexed_history
from tickets.classifier import train_site_classifier, training_examples
from tickets.models import Ticket
from tickets.services import ticket_create, ticket_update
from tickets.triage import triage_ticket

Source = Conversation.CategorySource
PRINTER_HISTORY = [
    ("Printer queue stuck in reception", "Jobs pile up in the print queue.", "Restarted the print spooler."),
    ("Nothing prints from the office PC", "Print jobs stay in the queue.", "Cleared the print queue."),
    ("Printer shows offline", "The printer says offline and print jobs wait.", "Power-cycled the printer."),
    ("Printer jammed and queue stuck", "Paper jam and the print queue is stuck.", "Cleared the jam."),
]
NETWORK_HISTORY = [
    ("VPN keeps disconnecting", "The VPN drops every few minutes at home.", "Updated the VPN client."),
    ("No internet on the second floor", "Wi-Fi connected but no internet.", "Rebooted the access point."),
]


@pytest.fixture
def history(site_a, customer_a):
    """Resolved printer and network tickets of site A, indexed for real."""
    indexed_history(
        site=site_a, requester=customer_a, rows={"printers": PRINTER_HISTORY, "network": NETWORK_HISTORY}
    )


def printer_chat(site, customer) -> Conversation:
    conversation, _ = conversation_start(
        site=site, customer=customer, body="The printer queue is stuck again, nothing prints."
    )
    return conversation


def solved(conversation: Conversation) -> Conversation:
    return conversation_resolve(site=conversation.site, conversation=conversation, user=conversation.customer)


def events(conversation: Conversation) -> list[ConversationEvent]:
    return list(conversation.events.filter(kind=ConversationEvent.Kind.CATEGORIZED))


def test_it_queues_categorization_when_a_conversation_closes(
    site_a, customer_a, queued_tasks, django_capture_on_commit_callbacks
):
    conversation = printer_chat(site_a, customer_a)
    with django_capture_on_commit_callbacks(execute=True):
        solved(conversation)
    assert ("chat.tasks.conversation_categorize", (conversation.pk,)) in queued_tasks()


def test_it_categorizes_a_closed_conversation_like_a_ticket(history, site_a, customer_a):
    conversation = solved(printer_chat(site_a, customer_a))
    assert conversation_categorize(conversation.pk) == Source.AI
    conversation.refresh_from_db()
    assert conversation.category.slug == "printers" and conversation.category_source == Source.AI
    [event] = events(conversation)
    assert event.actor is None and event.site_id == site_a.pk
    assert event.data["category"] == "printers" and event.data["source"] == "ai"
    assert event.data["confidence"] > 0.5 and not event.data["needs_human"]
    assert event.data["provider"] == "offline" and event.data["sources"]
    assert AIInteraction.objects.get().purpose == "triage"
    conversation_categorize(conversation.pk)
    assert len(events(conversation)) == 1 and AIInteraction.objects.count() == 1


def test_it_leaves_an_unsure_conversation_uncategorized(site_a, customer_a):
    conversation = solved(printer_chat(site_a, customer_a))
    conversation_categorize(conversation.pk)
    conversation.refresh_from_db()
    assert conversation.category is None and conversation.category_source == ""
    [event] = events(conversation)
    assert event.data["category"] is None and event.data["needs_human"]
    assert event.message.startswith("Unsure")
    conversation_categorize(conversation.pk)
    assert len(events(conversation)) == 1


def test_an_ai_outage_leaves_the_conversation_closed_and_uncategorized(history, site_a, customer_a):
    conversation = solved(printer_chat(site_a, customer_a))
    both_down = GuardedProvider(
        primary=OpenAIProvider(sleep=lambda _delay: None), fallback=OpenAIProvider(sleep=lambda _delay: None)
    )
    cassette = openai_vcr.use_cassette("openai_500.yaml", allow_playback_repeats=True)
    with override_settings(**OPENAI_TEST_SETTINGS), cassette:
        conversation_triage(conversation_id=conversation.pk, provider=both_down)
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.CLOSED and conversation.category is None
    assert events(conversation) == []
    assert conversation_categorize(conversation.pk) == Source.AI  # a later run, with the AI back, decides


def test_an_escalated_conversation_inherits_its_tickets_category(history, site_a, customer_a, engineer_a):
    conversation = printer_chat(site_a, customer_a)
    ticket = conversation_escalate(site=site_a, conversation=conversation, user=customer_a)
    triage_ticket(ticket_id=ticket.pk)
    conversation.refresh_from_db()
    assert conversation.category.slug == "printers" and conversation.category_source == Source.TICKET
    ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), actor=engineer_a, category=category("network"))
    conversation.refresh_from_db()
    assert conversation.category.slug == "network" and conversation.category_source == Source.TICKET
    assert [e.data["category"] for e in events(conversation)] == ["printers", "network"]
    assert events(conversation)[-1].data["ticket_id"] == ticket.pk
    conversation_close(site=site_a, conversation=conversation, user=engineer_a)
    conversation_categorize(conversation.pk)
    conversation.refresh_from_db()
    assert conversation.category.slug == "network" and len(events(conversation)) == 2
    assert not AIInteraction.objects.exclude(ticket_id=ticket.pk).exists()  # no AI call of its own


def test_a_conversation_closed_after_its_ticket_was_categorized_takes_that_category(
    site_a, customer_a, engineer_a
):
    conversation = printer_chat(site_a, customer_a)
    ticket = conversation_escalate(site=site_a, conversation=conversation, user=customer_a)
    Ticket.objects.filter(pk=ticket.pk).update(category=category("printers"))
    conversation_close(site=site_a, conversation=conversation, user=engineer_a)
    assert conversation_categorize(conversation.pk) == Source.TICKET
    assert not AIInteraction.objects.exists()


def test_an_engineers_correction_sticks_and_reaches_the_next_training(
    history, site_a, customer_a, engineer_a, login
):
    conversation = solved(printer_chat(site_a, customer_a))
    conversation_categorize(conversation.pk)
    client = login(engineer_a)
    page = client.get(conversation.get_absolute_url())
    assert b'id="chat-category"' in page.content and b"Triaged when it closed" in page.content
    network = category("network")
    response = client.post(reverse("chat:category", args=[conversation.pk]), {"category": network.pk})
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.category == network and conversation.category_source == Source.ENGINEER
    correction = events(conversation)[-1]
    assert correction.actor == engineer_a
    assert correction.data == {
        "category": "network",
        "source": "engineer",
        "previous": "printers",
        "previous_source": "ai",
    }
    # Neither triage nor a ticket's category overwrite it.
    conversation_categorize(conversation.pk)
    ticket = ticket_create(site=site_a, requester=customer_a, title="Printer", description="Stuck queue")
    Conversation.objects.filter(pk=conversation.pk).update(ticket=ticket)
    ticket_update(ticket=ticket, actor=engineer_a, category=category("printers"))
    conversation.refresh_from_db()
    assert conversation.category == network and conversation.category_source == Source.ENGINEER
    examples, kinds = training_examples(site_a)
    [chat] = [e for e in examples if "printer queue is stuck again" in e.text]
    assert chat.label == "network" and kinds["conversations"] == 1


def test_it_refuses_an_unknown_category_on_the_page(site_a, customer_a, engineer_a, login):
    conversation = solved(printer_chat(site_a, customer_a))
    response = login(engineer_a).post(reverse("chat:category", args=[conversation.pk]), {"category": 99999})
    assert response.status_code == 422 and b"Choose one of the categories in the list." in response.content
    conversation.refresh_from_db()
    assert conversation.category is None


PRINTER_CHATS = [
    "The printer on floor {n} shows offline",
    "Nothing prints, jobs stuck in the print queue of printer {n}",
    "Paper jam in printer {n} again",
    "Printer {n} prints blank pages",
    "The label printer {n} prints smudged toner streaks",
    "Cannot add the network printer {n} to my laptop",
    "Printer {n} says out of toner but the cartridge is new",
    "Scanning from printer {n} to email stopped working",
    "Printer {n} prints double sided by mistake",
    "My print job to printer {n} disappears from the queue",
    "Printer {n} asks for a PIN at the release station",
]
NETWORK_CHATS = [
    "The VPN disconnects every few minutes from home {n}",
    "Wi-Fi connected but no internet in meeting room {n}",
    "Cannot reach the file share over the VPN {n}",
    "The internet is very slow on floor {n}",
    "My laptop cannot find the office Wi-Fi network {n}",
    "The VPN client says authentication failed {n}",
    "Ethernet port {n} at my desk is dead",
    "Websites do not load but Teams works on floor {n}",
    "DNS errors when opening the intranet from site {n}",
    "The guest Wi-Fi password {n} does not work",
    "Remote desktop over VPN {n} times out",
]
EMAIL_CHATS = [
    "Outlook keeps asking for my password {n}",
    "My mailbox {n} is full and I cannot send email",
    "Emails to client {n} bounce back undeliverable",
    "The shared mailbox {n} disappeared from Outlook",
    "Calendar invites from {n} never arrive",
    "Outlook search finds no emails since {n}",
    "My email signature {n} is missing images",
    "I receive phishing spam emails from {n}",
    "Out of office reply {n} does not turn off",
    "Outlook on my phone stopped syncing email {n}",
    "Attachments from {n} are blocked in Outlook",
]


def test_a_site_with_only_chat_history_gets_triaged_tickets(site_a, customer_a, engineer_a):
    for slug, texts in (("printers", PRINTER_CHATS), ("network", NETWORK_CHATS), ("email", EMAIL_CHATS)):
        for n, text in enumerate(texts, start=2):
            conversation = closed_conversation(
                site=site_a,
                customer=customer_a,
                subject=text.format(n=n),
                turns=[(Message.Author.CUSTOMER, text.format(n=n)), (Message.Author.ASSISTANT, "Try this.")],
            )
            Conversation.objects.filter(pk=conversation.pk).update(
                category=category(slug), category_source=Source.AI
            )
    model = train_site_classifier(site=site_a)
    assert model is not None
    assert model.calibration["training_set"] == {"tickets": 0, "conversations": 33}
    ticket = ticket_create(
        site=site_a,
        requester=customer_a,
        title="Printer shows offline and nothing prints",
        description="The printer by the kitchen shows offline; my print jobs stay in the queue.",
    )
    triage_ticket(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.category.slug == "printers" and not ticket.needs_human_triage


# --- Tenancy and roles


def test_another_sites_engineer_can_neither_see_nor_set_the_category(site_a, customer_a, engineer_b, login):
    conversation = solved(printer_chat(site_a, customer_a))
    client = login(engineer_b)
    assert client.get(conversation.get_absolute_url()).status_code == 404
    url = reverse("chat:category", args=[conversation.pk])
    assert client.post(url, {"category": category("network").pk}).status_code == 404
    conversation.refresh_from_db()
    assert conversation.category is None and events(conversation) == []


def test_a_customer_sees_no_category_and_cannot_set_it(site_a, customer_a, login):
    conversation = solved(printer_chat(site_a, customer_a))
    client = login(customer_a)
    assert b'id="chat-category"' not in client.get(conversation.get_absolute_url()).content
    url = reverse("chat:category", args=[conversation.pk])
    assert client.post(url, {"category": category("network").pk}).status_code == 403
    conversation.refresh_from_db()
    assert conversation.category is None


# --- API


def api_client(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='tests').secret}"})


def test_staff_set_the_category_over_the_api(site_a, customer_a, engineer_a, engineer_b):
    conversation = solved(printer_chat(site_a, customer_a))
    url = f"/api/v1/chat/conversations/{conversation.pk}"
    category("network")
    response = api_client(engineer_a).patch(url, {"category": "network"}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["category"], response.json()["category_source"]) == ("network", "engineer")
    assert api_client(customer_a).get(url).json()["category"] == "network"
    unknown = api_client(engineer_a).patch(url, {"category": "nope"}, content_type="application/json")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0] == {
        "loc": ["body", "category"],
        "msg": "Unknown category 'nope'.",
        "type": "value_error",
    }
    outsider = api_client(engineer_b).patch(url, {"category": "network"}, content_type="application/json")
    assert outsider.status_code == 404
    customer = api_client(customer_a).patch(url, {"category": "network"}, content_type="application/json")
    assert customer.status_code == 403


# --- Insights


def test_insights_show_conversations_and_tickets_per_category_with_their_deflection_rate(
    site_a, customer_a, admin_user, login
):
    printers = category("printers")
    outcomes = [Conversation.Outcome.DEFLECTED] * 3 + [Conversation.Outcome.ESCALATED]
    for outcome in outcomes:
        conversation = closed_conversation(site=site_a, customer=customer_a, subject="Printer", turns=[])
        Conversation.objects.filter(pk=conversation.pk).update(
            category=printers, category_source=Source.AI, outcome=outcome
        )
    for _ in range(2):
        ticket_create(site=site_a, requester=customer_a, title="Printer", description="Offline")
    Ticket.objects.filter(site=site_a).update(category=printers)
    [row] = [row for row in chat_insights(user=admin_user) if row["site"] == site_a]
    assert row["categories"] == [
        {"category": "Printers", "conversations": 4, "tickets": 2, "deflected": 3, "deflection_rate": 0.75}
    ]
    page = login(admin_user).get(reverse("chat:insights"))
    assert b'id="insights-categories"' in page.content and b"75%" in page.content
