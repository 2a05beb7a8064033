"""The openai provider against a real OpenAI-compatible server, never a cassette: llama.cpp's llama-server
running SmolLM2-135M-Instruct, started by scripts/test-local-llm (which sets LOCAL_LLM_URL; without it
these tests are deselected, see testing.local_llm).

A 135M model answers badly, and that is the point: what is asserted is what must hold whatever a small
model says. The answer comes from the server (not silently from the fallback), it stays inside the
schema, every citation shown points to a retrieved source, a reply that is not grounded never passes as
one, a slow or dying server ends in the fallback's answer, and every attempt is in the AI log.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import urllib.request

import pytest
from django.test import override_settings

from ai.base import Defect
from ai.offline import OfflineProvider
from ai.openai_provider import OpenAIProvider
from ai.tests.test_ai_openai import CATEGORIES
from chat.models import Message
from chat.services import ReplyDone, assistant_reply_claim, assistant_reply_stream, conversation_start
from helpdesk.models import AIInteraction
from knowledge.tasks import index_ticket
from retrieval.grounding import CITATION_RE, context_from_cases
from testing.factories import printer_cases, resolved_ticket
from testing.local_llm import local_llm_url
from testing.waiting import wait_until
from tickets.models import Priority

pytestmark = [pytest.mark.local_llm, pytest.mark.django_db]

MODEL = os.environ.get("LOCAL_LLM_MODEL", "smollm2-135m-instruct")
TICKET = "The printer in the back office says queue stuck and nothing prints"


def local_settings(url: str | None = None):
    return override_settings(
        AI_PROVIDER="openai",
        OPENAI_API_KEY="local-server-needs-no-key",
        OPENAI_BASE_URL=url or local_llm_url(),
        OPENAI_CHAT_MODEL=MODEL,
    )


@pytest.fixture
def local_server():
    with local_settings():
        yield


def guarded(**options):
    from ai.providers import GuardedProvider

    return GuardedProvider(primary=OpenAIProvider(**options), fallback=OfflineProvider(min_similarity=0.35))


def cited_numbers(text: str) -> set[int]:
    return {int(n) for match in CITATION_RE.finditer(text) for n in re.split(r"\s*,\s*", match.group(2))}


def test_it_triages_with_the_json_schema(site_a, local_server):
    result = guarded().categorize(
        site=site_a,
        text=TICKET,
        cases=printer_cases(site_a),
        categories=CATEGORIES,
        priorities=Priority.values,
        ticket_id=7,
    )

    assert result.answered_by == "openai"
    row = AIInteraction.objects.get()
    assert (row.provider, row.model, row.outcome) == ("openai", MODEL, "ok")
    # The grammar built from the schema holds the model to its enums, its array bounds and types.
    assert result.category in CATEGORIES and result.priority in Priority.values
    assert len(result.tags) <= 5 and all(tag == tag.lower() for tag in result.tags)
    assert set(result.sources) <= {"ticket:101", "ticket:102"}
    # Whatever number it gave, what reaches the ticket is a confidence in 0..1 (or no confidence).
    assert 0 <= result.confidence <= 1
    if Defect.CONFIDENCE_OUT_OF_BOUNDS in result.defects:
        assert result.needs_human and result.confidence == 0
    assert row.prompt_tokens > 100 and row.completion_tokens > 5 and row.cost_usd == 0
    assert list(row.defects) == list(result.defects)


def test_it_streams_a_reply_through_the_citation_filter(site_a, local_server):
    context = context_from_cases(site=site_a, cases=printer_cases(site_a))

    *chunks, result = guarded().stream_reply(
        site=site_a, text="Printer queue stuck", context=context, conversation_id=3
    )

    assert len(chunks) > 5 and all(isinstance(chunk, str) for chunk in chunks)
    # Nothing shown, from the model or the fallback, cites a source that was not retrieved.
    assert cited_numbers("".join(chunks)) <= {1, 2}
    assert result.body and set(result.citations) <= {"ticket:101", "ticket:102"}
    rows = list(AIInteraction.objects.order_by("pk"))
    assert rows[0].provider == "openai" and rows[0].completion_tokens > 0 and rows[0].conversation_id == 3
    if result.answered_by == "openai":
        assert (rows[0].outcome, len(rows)) == ("refused" if result.refused else "ok", 1)
        assert result.refused or result.citations
    else:
        # The model's reply was unusable (SmolLM2 often cites nothing): rejected, named, and the
        # offline answer, grounded by construction, took its place.
        assert rows[0].outcome == "rejected" and rows[0].defects
        assert (rows[1].provider, rows[1].outcome) == ("offline", "fallback")


def test_it_gives_up_on_a_slow_request_and_the_server_keeps_serving(site_a, local_server):
    delays: list[float] = []
    # A long ticket makes the request deliberately slow: the prompt alone takes the server longer to
    # read than the 0.2 s the client allows.
    long_ticket = " ".join([TICKET] * 120)
    slow = guarded(timeout=0.2, sleep=delays.append)
    cases = printer_cases(site_a)
    result = slow.categorize(
        site=site_a, text=long_ticket, cases=cases, categories=CATEGORIES, priorities=["normal"]
    )

    assert result.answered_by == "offline"
    failure = AIInteraction.objects.get(provider="openai")
    assert failure.outcome == "error" and "timed out" in failure.error.lower()
    assert len(delays) == 2  # three attempts, each given up at the client's timeout, no more

    # The abandoned requests do not wedge the server: the next call is answered by the model.
    again = guarded().categorize(
        site=site_a, text=TICKET, cases=cases, categories=CATEGORIES, priorities=Priority.values
    )
    assert again.answered_by == "openai"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_server(tmp_path):
    """A llama-server of this test's own (the shared one must survive): its URL and process."""
    binary, gguf = os.environ.get("LOCAL_LLM_SERVER", ""), os.environ.get("LOCAL_LLM_GGUF", "")
    assert binary and gguf, "scripts/test-local-llm sets LOCAL_LLM_SERVER and LOCAL_LLM_GGUF"
    port = free_port()
    log = tmp_path / "llama-server.log"
    command = [binary, "--model", gguf, "--host", "127.0.0.1", "--port", str(port), "--alias", MODEL]
    command += ["--ctx-size", "4096", "--parallel", "1", "--poll", "0"]
    command += ["--threads", os.environ.get("LOCAL_LLM_THREADS", "1")]
    with log.open("w") as handle:
        process = subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )

    def healthy() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"llama-server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5):
                return True
        except OSError:
            return False

    wait_until(healthy, what="the test's own llama-server to load its model")
    yield f"http://127.0.0.1:{port}/v1", process
    if process.poll() is None:
        process.kill()
    process.wait()


def test_it_answers_with_the_fallback_when_the_server_dies_mid_stream(site_a, customer_a, own_server):
    url, process = own_server
    ticket = resolved_ticket(
        site=site_a,
        requester=customer_a,
        title="Print queue stuck",
        description="Jobs sit in the queue of the back-office printer and nothing prints.",
        resolution="Restarted the print spooler service and cleared the stuck jobs from the queue.",
        category_slug="printers",
    )
    index_ticket(ticket.id)
    conversation, question = conversation_start(
        site=site_a, customer=customer_a, body="The print queue is stuck and nothing prints, what can I do?"
    )
    assert assistant_reply_claim(question=question)

    shown, done = [], None
    with local_settings(url):
        for item in assistant_reply_stream(question=question):
            if isinstance(item, ReplyDone):
                done = item
                continue
            shown.append(item)
            if len(shown) == 1:
                process.send_signal(signal.SIGKILL)  # the server dies right after its first words
                process.wait()

    assert done is not None and done.message.reply_to_id == question.pk
    assert conversation.messages.filter(author_kind=Message.Author.ASSISTANT).count() == 1
    assert Message.objects.filter(pk=question.pk).exists()
    failure = AIInteraction.objects.get(provider="openai", conversation_id=conversation.pk)
    assert failure.outcome == "error" and "stream broke" in failure.error
    answered = AIInteraction.objects.get(provider="offline", conversation_id=conversation.pk)
    assert answered.outcome == "fallback"
    # What is stored is the fallback's whole answer, not the dead server's first words.
    assert done.message.body and done.message.body in "".join(shown)
    assert "spooler" in done.message.body.lower()
