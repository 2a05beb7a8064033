"""The AI provider times out, rate-limits or returns garbage: nothing is lost, the fallback answers, the
failure is logged. Driven through the product's own entry points (the triage task and the chat service).

Only OpenAI is replaced: by hand-written vcrpy cassettes (fixtures/cassettes/faults/, replay only) or, for
the timeout, by a local server that accepts the connection and never answers.
"""

import socket
import threading

import pytest
import vcr
from django.conf import settings
from django.test import override_settings

from ai import openai_provider
from chat.models import Message
from chat.services import assistant_reply_ensure, conversation_start
from helpdesk.models import AIInteraction
from knowledge.tasks import index_ticket
from testing.factories import resolved_ticket
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_create
from tickets.tasks import ticket_triage

pytestmark = pytest.mark.django_db

faults_vcr = vcr.VCR(
    cassette_library_dir=str(settings.BASE_DIR / "fixtures" / "cassettes" / "faults"),
    record_mode="none",
    match_on=["method", "scheme", "host", "port", "path"],
)
OPENAI = {
    "AI_PROVIDER": "openai",
    "OPENAI_API_KEY": "sk-test-0123456789abcdefNOTAREALKEY",
    "OPENAI_BASE_URL": "https://api.openai.com/v1",
    "OPENAI_CHAT_MODEL": "gpt-4o",
}

# What the logged error says for each fault.
SYMPTOMS = {
    "timeout": ["Request timed out"],
    "rate_limited": ["HTTP 429"],
    "garbage": ["something that is not JSON", "empty reply"],
}


@pytest.fixture
def silent_server():
    """Accepts connections and never answers: what a hung upstream looks like to the client."""
    listener = socket.create_server(("127.0.0.1", 0))
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


@pytest.fixture(params=["timeout", "rate_limited", "garbage"])
def failing_openai(request, monkeypatch):
    if request.param == "timeout":
        monkeypatch.setattr(openai_provider, "TIMEOUT_SECONDS", 0.3)
        monkeypatch.setattr(openai_provider, "BACKOFF_SECONDS", 0.05)
        base_url = request.getfixturevalue("silent_server")
        with override_settings(**{**OPENAI, "OPENAI_BASE_URL": base_url}):
            yield request.param
    else:
        with (
            override_settings(**OPENAI),
            faults_vcr.use_cassette(f"openai_{request.param}.yaml", allow_playback_repeats=True),
        ):
            yield request.param


@pytest.fixture
def vpn_case(site_a, customer_a):
    ticket = resolved_ticket(
        site=site_a,
        requester=customer_a,
        title="VPN disconnects every few minutes",
        description="FortiClient drops the tunnel on the office wifi.",
        resolution="Raised the DPD timeout on the firewall and pushed the new VPN profile.",
        category_slug="network",
    )
    index_ticket(ticket.id)
    return ticket


def openai_failures(**ids) -> list[AIInteraction]:
    return list(AIInteraction.objects.filter(provider="openai", outcome=AIInteraction.Outcome.ERROR, **ids))


def test_it_keeps_and_triages_a_ticket_when_openai_fails(failing_openai, site_a, customer_a, vpn_case):
    ticket = ticket_create(
        site=site_a,
        requester=customer_a,
        title="VPN keeps dropping",
        description="The VPN tunnel disconnects every five minutes since this morning.",
    )

    ticket_triage(ticket.id)  # what the worker runs once the ticket is committed

    ticket = Ticket.objects.get(pk=ticket.pk)
    failures = openai_failures(ticket_id=ticket.id)
    assert len(failures) == 1
    assert any(symptom in failures[0].error for symptom in SYMPTOMS[failing_openai]), failures[0].error
    answered = AIInteraction.objects.get(ticket_id=ticket.id, provider="offline")
    assert answered.outcome == AIInteraction.Outcome.FALLBACK
    assert ticket.events.filter(kind=TicketEvent.Kind.AI_TRIAGE).count() == 1
    assert ticket.category is not None or ticket.needs_human_triage


def test_it_saves_the_question_and_answers_it_when_openai_fails(failing_openai, site_a, customer_a, vpn_case):
    conversation, question = conversation_start(
        site=site_a, customer=customer_a, body="My VPN disconnects every few minutes, what can I do?"
    )

    reply = assistant_reply_ensure(question=question)

    assert Message.objects.filter(pk=question.pk, body__startswith="My VPN").exists()
    assert reply is not None and reply.reply_to_id == question.pk and reply.body
    assert conversation.messages.filter(author_kind=Message.Author.ASSISTANT).count() == 1
    failures = openai_failures(conversation_id=conversation.pk)
    assert len(failures) == 1
    assert any(symptom in failures[0].error for symptom in SYMPTOMS[failing_openai]), failures[0].error
    answered = AIInteraction.objects.get(conversation_id=conversation.pk, provider="offline")
    assert answered.outcome == AIInteraction.Outcome.FALLBACK
