"""The openai provider through vcrpy cassettes (replay only: never the network), of two kinds:

- recorded from a real server, where the wire format is the point (structured output, a stream):
  llama.cpp's llama-server running SmolLM2-135M-Instruct (`llama_server_*.yaml`, re-recorded with
  `scripts/test-local-llm --record`);
- hand-written, for what no server can be made to answer on demand: OpenAI's 429 and 500, a truncated
  JSON, numbers out of bounds, an unknown category, an empty or looping reply (`openai_*.yaml`, and
  `llama_server_*_handwritten.yaml` in llama-server's format).

A request replays only an answer recorded for its shape (model, stream flag, response format and schema
name, message roles: evals.cassettes), so a triage call cannot be answered with a stream.
"""

from __future__ import annotations

import json
import os

import pytest
from django.conf import settings
from django.test import override_settings

from ai.base import AIUnavailable
from ai.offline import OfflineProvider
from ai.openai_provider import OpenAIProvider
from ai.providers import FAILURE_THRESHOLD, GuardedProvider, circuit_is_open, get_provider
from evals.cassettes import openai_vcr as cassette_recorder
from helpdesk.models import AIInteraction
from retrieval.grounding import context_from_cases
from testing.factories import printer_cases
from testing.local_llm import local_llm_url
from tickets.models import Priority

RECORDING = os.environ.get("RECORD_CASSETTES") == "1"
FAKE_KEY = "sk-test-0123456789abcdefNOTAREALKEY"
OPENAI_TEST_SETTINGS = {
    "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "") if RECORDING else FAKE_KEY,
    "OPENAI_BASE_URL": "https://api.openai.com/v1",
    "OPENAI_CHAT_MODEL": "gpt-4o",
    "AI_PROVIDER": "openai",
}
# The recorded cassettes' server, wherever it listened while recording: llama-server's default address.
LLAMA_SERVER_URL = "http://127.0.0.1:8080/v1"
LLAMA_SERVER_SETTINGS = {
    "OPENAI_API_KEY": "",
    "OPENAI_BASE_URL": local_llm_url() if RECORDING else LLAMA_SERVER_URL,
    "OPENAI_CHAT_MODEL": "smollm2-135m-instruct",
    "AI_PROVIDER": "openai",
}
# What the provider really sent in the current test (the cassette's own requests are the recorded ones).
SENT: list = []


def remember(request):
    SENT.append(request)
    if RECORDING and local_llm_url() and request.uri.startswith(local_llm_url()):
        request.uri = LLAMA_SERVER_URL + request.uri[len(local_llm_url()) :]
    return request


# Replay only; RECORD_CASSETTES=1 records a cassette that does not exist yet (delete one to re-record it).
openai_vcr = cassette_recorder(
    library=settings.BASE_DIR / "fixtures" / "cassettes",
    record_mode="once" if RECORDING else "none",
    before_record_request=remember,
)
CATEGORIES = ["printers", "network", "email", "accounts"]


@pytest.fixture
def openai_settings():
    SENT.clear()
    with override_settings(**OPENAI_TEST_SETTINGS):
        yield


@pytest.fixture
def llama_server_settings():
    SENT.clear()
    with override_settings(**LLAMA_SERVER_SETTINGS):
        yield


@pytest.fixture
def delays():
    return []


def guarded_provider(delays: list) -> GuardedProvider:
    """The production wrapper around a real OpenAIProvider whose waits are recorded instead of slept."""
    return GuardedProvider(
        primary=OpenAIProvider(sleep=delays.append), fallback=OfflineProvider(min_similarity=0.35)
    )


@pytest.fixture
def guarded(openai_settings, delays):
    return guarded_provider(delays)


@pytest.fixture
def local_guarded(llama_server_settings, delays):
    return guarded_provider(delays)


def categorize(provider, site):
    return provider.categorize(
        site=site,
        text="The printer in the back office says queue stuck and nothing prints",
        cases=printer_cases(site),
        categories=CATEGORIES,
        priorities=Priority.values,
        ticket_id=7,
    )


def test_it_categorizes_with_structured_output_limited_to_the_sites_values(site_a, local_guarded):
    with openai_vcr.use_cassette("llama_server_triage.yaml") as cassette:
        result = categorize(local_guarded, site_a)
    assert cassette.play_count == 1
    sent = json.loads(SENT[-1].body)
    schema = sent["response_format"]["json_schema"]["schema"]["properties"]
    assert schema["category"]["enum"] == CATEGORIES and schema["priority"]["enum"] == Priority.values
    # Every number is bounded: a confidence in 0..1, source ids among the two retrieved, five tags.
    assert (schema["confidence"]["minimum"], schema["confidence"]["maximum"]) == (0, 1)
    assert schema["sources"]["items"] == {"type": "integer", "minimum": 1, "maximum": 2}
    assert schema["sources"]["maxItems"] == 2 and schema["tags"]["maxItems"] == 5
    assert (sent["model"], sent["max_tokens"]) == ("smollm2-135m-instruct", 400)
    # SmolLM2's real answer, held to the schema by llama-server's grammar: a valid category, and a
    # confidence of 0.5, which the majority rule leaves to a human.
    assert (result.category, result.priority, result.confidence) == ("printers", "low", 0.5)
    assert result.needs_human and result.answered_by == "openai"
    assert result.tags == ["printers", "network", "email", "accounts", "printer"]
    assert result.sources == ["ticket:101", "ticket:102"] and result.defects == ()
    row = AIInteraction.objects.get()
    assert (row.provider, row.model, row.purpose, row.outcome, row.ticket_id) == (
        "openai",
        "smollm2-135m-instruct",
        "triage",
        "ok",
        7,
    )
    assert row.prompt_tokens > 100 and row.completion_tokens > 10 and row.cost_usd == 0


def stream(provider, site, **options):
    context = context_from_cases(site=site, cases=printer_cases(site))
    return list(
        provider.stream_reply(
            site=site, text="Printer queue stuck", context=context, conversation_id=3, **options
        )
    )


def test_it_cuts_a_real_looping_stream_and_rejects_it_for_citing_nothing(site_a, local_guarded):
    with openai_vcr.use_cassette("llama_server_reply_stream.yaml") as cassette:
        *chunks, result = stream(local_guarded, site_a)
    assert cassette.play_count == 1
    # SmolLM2 streamed, a token per event, the prompt's own wording back, then one sentence over and over
    # with growing ticket numbers until the token limit (700 tokens recorded). Reading stops at the third
    # copy of the repeated sentence (after one that differs); the reply cites no source, so it is not
    # passed on as grounded: the offline answer follows it and is what is stored.
    model_part = "".join(chunks).split("\n\n")[0]
    assert len(chunks) > 20 and model_part.count("The customer's response is quoted between") == 4
    assert result.answered_by == "offline" and result.citations and not result.refused
    assert result.body in "".join(chunks)
    rejected, answered = AIInteraction.objects.order_by("pk")
    assert (rejected.provider, rejected.outcome) == ("openai", "rejected")
    assert rejected.defects == ["looping", "uncited"] and "cites no retrieved source" in rejected.error
    assert (answered.provider, answered.outcome, answered.conversation_id) == ("offline", "fallback", 3)
    # The server is told where to stop too, should the client not be reading any more.
    sent = json.loads(SENT[-1].body)
    assert (sent["stream"], sent["max_tokens"]) == (True, 700)


def test_an_uncited_reply_is_refused_instead_when_so_configured(site_a, local_guarded, settings):
    settings.AI_UNCITED_REPLY = "refuse"
    with openai_vcr.use_cassette("llama_server_reply_stream.yaml"):
        *_chunks, result = stream(local_guarded, site_a)
    assert result.answered_by == "openai" and result.refused and result.citations == []
    assert result.body.startswith("I could not find a similar case")
    row = AIInteraction.objects.get()
    assert (row.outcome, row.defects) == ("refused", ["looping", "uncited"])


def test_it_drops_citations_to_unretrieved_sources_even_split_across_chunks(site_a, guarded):
    with openai_vcr.use_cassette("openai_reply_stream.yaml"):
        *chunks, result = stream(guarded, site_a)
    assert len(chunks) > 10 and all(isinstance(chunk, str) for chunk in chunks)
    assert json.loads(SENT[-1].body)["stream"] is True
    assert "[7]" not in "".join(chunks) and "[7]" not in result.body
    assert "Clear the stuck jobs from the queue [1]." in result.body
    assert "power it off and on again [2]." in result.body
    assert result.citations == ["ticket:101", "ticket:102"] and not result.refused
    row = AIInteraction.objects.get()
    assert (row.purpose, row.outcome, row.conversation_id, row.sources) == ("chat", "ok", 3, result.citations)
    assert row.defects == ["invalid_citation"]


def test_it_leaves_a_confidence_out_of_bounds_to_a_human(site_a, local_guarded):
    # Hand-written: llama-server's grammar bounds integers, not numbers, and a small model answered 100
    # (a percentage?) and 1e12 (nothing): both are no confidence at all.
    with openai_vcr.use_cassette("llama_server_triage_out_of_bounds_handwritten.yaml") as cassette:
        hundred = categorize(local_guarded, site_a)
        huge = categorize(local_guarded, site_a)
    assert cassette.play_count == 2
    for result in (hundred, huge):
        assert result.answered_by == "openai"
        assert (result.category, result.confidence, result.needs_human) == ("printers", 0.0, True)
        assert result.sources == ["ticket:101"]
    rows = list(AIInteraction.objects.order_by("pk").values_list("outcome", "defects"))
    assert rows == [("ok", ["confidence_out_of_bounds", "source_out_of_bounds"])] * 2


def test_it_maps_an_unknown_category_to_needs_a_human(site_a, local_guarded):
    # Hand-written: a server that ignores the schema (JSON mode only) let the model invent "hardware".
    with openai_vcr.use_cassette("llama_server_triage_unknown_category_handwritten.yaml"):
        result = categorize(local_guarded, site_a)
    assert result.answered_by == "openai"
    assert (result.category, result.needs_human) == (None, True)
    assert result.priority == "high" and result.sources == ["ticket:101", "ticket:102"]
    row = AIInteraction.objects.get()
    assert (row.outcome, row.defects) == ("ok", ["unknown_category"])


def test_it_rejects_an_empty_reply_and_the_fallback_answers(site_a, local_guarded):
    with openai_vcr.use_cassette("llama_server_reply_empty_handwritten.yaml"):
        *_chunks, result = stream(local_guarded, site_a)
    assert result.answered_by == "offline" and result.citations
    rejected, answered = AIInteraction.objects.order_by("pk")
    # The server answered, without a word: a rejected answer, not an error of the server.
    assert (rejected.provider, rejected.outcome) == ("openai", "rejected")
    assert rejected.defects == ["empty"]
    assert (answered.provider, answered.outcome) == ("offline", "fallback")
    # A rejected answer is no outage: it does not count towards opening the circuit.
    assert not circuit_is_open("openai")


def test_it_cuts_a_looping_reply_where_the_repetition_starts(site_a, local_guarded):
    with openai_vcr.use_cassette("llama_server_reply_looping_handwritten.yaml") as cassette:
        *chunks, result = stream(local_guarded, site_a)
    assert cassette.play_count == 1
    assert result.answered_by == "openai" and result.citations == ["ticket:101"]
    assert result.body.count("Restart the print spooler") == 1
    assert result.body.endswith("1. Restart the print spooler service on the print server [1].")
    # Reading stopped at the loop: the rest of the recorded stream was never shown.
    assert "".join(chunks).count("Restart the print spooler") < 5
    row = AIInteraction.objects.get()
    assert (row.outcome, row.defects) == ("ok", ["looping"])


def test_a_request_of_another_shape_does_not_replay(site_a, local_guarded):
    """A triage call is not answered with a recorded stream: the shape (stream flag, response format,
    schema name) must match, not only the URL."""
    with openai_vcr.use_cassette("llama_server_reply_stream.yaml") as cassette:
        result = categorize(local_guarded, site_a)
    assert cassette.play_count == 0
    assert result.answered_by == "offline"
    assert "the closest differ in same_shape" in AIInteraction.objects.get(provider="openai").error


def test_it_waits_as_asked_after_a_429_then_succeeds(site_a, guarded, delays):
    with openai_vcr.use_cassette("openai_triage_429_then_ok.yaml") as cassette:
        result = categorize(guarded, site_a)
    assert cassette.play_count == 2
    assert delays == [2.0]
    assert result.category == "printers"
    assert list(AIInteraction.objects.values_list("provider", "outcome")) == [("openai", "ok")]


def test_it_falls_back_to_offline_when_openai_keeps_failing(site_a, guarded, delays):
    with openai_vcr.use_cassette("openai_500.yaml", allow_playback_repeats=True) as cassette:
        result = categorize(guarded, site_a)
    assert cassette.play_count == 3  # bounded: three attempts, then the fallback
    assert len(delays) == 2 and all(0 < delay <= 1.0 for delay in delays)
    assert result.category == "printers" and result.sources == ["ticket:101", "ticket:102"]
    assert result.answered_by == "offline"
    rows = list(AIInteraction.objects.order_by("pk").values_list("provider", "outcome", "error"))
    assert rows[0][:2] == ("openai", "error") and "HTTP 500" in rows[0][2]
    assert rows[1][:2] == ("offline", "fallback") and "openai" in rows[1][2]


def test_it_falls_back_when_the_answer_is_malformed(site_a, guarded):
    with openai_vcr.use_cassette("openai_triage_malformed.yaml") as cassette:
        result = categorize(guarded, site_a)
    assert cassette.play_count == 1
    assert result.category == "printers"
    errors = AIInteraction.objects.filter(provider="openai").values_list("error", flat=True)
    assert "malformed triage JSON" in errors[0]


def test_it_skips_openai_while_the_circuit_is_open(site_a, openai_settings):
    with openai_vcr.use_cassette("openai_500.yaml", allow_playback_repeats=True) as cassette:
        provider = GuardedProvider(
            primary=OpenAIProvider(sleep=lambda _delay: None), fallback=OfflineProvider(min_similarity=0.35)
        )
        for _ in range(FAILURE_THRESHOLD):
            categorize(provider, site_a)
        calls_before = cassette.play_count
        result = categorize(get_provider(), site_a)
    assert calls_before == 3 * FAILURE_THRESHOLD
    assert cassette.play_count == calls_before  # the open circuit sent nothing
    assert result.category == "printers"
    last = AIInteraction.objects.first()
    assert (last.provider, last.outcome) == ("offline", "fallback") and "circuit open" in last.error


def test_it_raises_unavailable_when_every_provider_fails(site_a, openai_settings):
    both_down = GuardedProvider(
        primary=OpenAIProvider(sleep=lambda _delay: None), fallback=OpenAIProvider(sleep=lambda _delay: None)
    )
    with (
        openai_vcr.use_cassette("openai_500.yaml", allow_playback_repeats=True),
        pytest.raises(AIUnavailable),
    ):
        categorize(both_down, site_a)
    assert AIInteraction.objects.filter(outcome="error").count() == 2


def test_it_never_stores_the_key_in_the_log(site_a, guarded):
    with openai_vcr.use_cassette("openai_500.yaml", allow_playback_repeats=True):
        categorize(guarded, site_a)
    with openai_vcr.use_cassette("openai_triage_structured.yaml"):
        categorize(guarded, site_a)
    for row in AIInteraction.objects.values():
        assert FAKE_KEY not in json.dumps(row, default=str)
        assert "sk-" not in json.dumps(row, default=str)
    assert AIInteraction.objects.count() == 3
