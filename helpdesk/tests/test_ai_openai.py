"""The openai provider through recorded OpenAI wire traffic (vcrpy, replay only: never the network).

Re-recording against the real API is documented in docs/ai.md (RECORD_CASSETTES=1 with a real key).
"""

from __future__ import annotations

import json
import os

import pytest
import vcr
from django.conf import settings
from django.test import override_settings

from helpdesk.ai.base import AIUnavailable
from helpdesk.ai.offline import OfflineProvider
from helpdesk.ai.openai_provider import OpenAIProvider
from helpdesk.ai.providers import FAILURE_THRESHOLD, GuardedProvider, get_provider
from helpdesk.models import AIInteraction
from retrieval.grounding import context_from_cases
from retrieval.types import Case, SourceType
from tickets.models import Priority

RECORDING = os.environ.get("RECORD_CASSETTES") == "1"
FAKE_KEY = "sk-test-0123456789abcdefNOTAREALKEY"
OPENAI_TEST_SETTINGS = {
    "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "") if RECORDING else FAKE_KEY,
    "OPENAI_BASE_URL": "https://api.openai.com/v1",
    "OPENAI_CHAT_MODEL": "gpt-4o",
    "AI_PROVIDER": "openai",
}
# What the provider really sent in the current test (the cassette's own requests are the recorded ones).
SENT: list = []


def remember(request):
    SENT.append(request)
    return request


# Replay only; RECORD_CASSETTES=1 records a cassette that does not exist yet (delete one to re-record it).
openai_vcr = vcr.VCR(
    cassette_library_dir=str(settings.BASE_DIR / "fixtures" / "cassettes"),
    record_mode="once" if RECORDING else "none",
    match_on=["method", "scheme", "host", "port", "path"],
    filter_headers=["authorization", "openai-organization", "openai-project", "cookie", "set-cookie"],
    decode_compressed_response=True,
    before_record_request=remember,
)
CATEGORIES = ["printers", "network", "email", "accounts"]


def printer_cases(site) -> list[Case]:
    def case(number: int, title: str, resolution: str, similarity: float) -> Case:
        return Case(
            source_type=SourceType.TICKET,
            source_id=number,
            site_id=site.id,
            title=title,
            snippet=title,
            url=f"/tickets/{number}/",
            score=similarity,
            similarity=similarity,
            category="printers",
            priority="high",
            resolution=resolution,
            text=f"{title}\n\nResolution: {resolution}",
        )

    return [
        case(101, "Printer queue stuck", "Restarted the print spooler and cleared the stuck jobs.", 0.81),
        case(102, "Printer offline in reception", "Power-cycled the printer; it came back online.", 0.64),
    ]


@pytest.fixture
def openai_settings():
    SENT.clear()
    with override_settings(**OPENAI_TEST_SETTINGS):
        yield


@pytest.fixture
def delays():
    return []


@pytest.fixture
def guarded(openai_settings, delays):
    """The production wrapper around a real OpenAIProvider whose waits are recorded instead of slept."""
    return GuardedProvider(
        primary=OpenAIProvider(sleep=delays.append), fallback=OfflineProvider(min_similarity=0.35)
    )


def categorize(provider, site):
    return provider.categorize(
        site=site,
        text="The printer in the back office says queue stuck and nothing prints",
        cases=printer_cases(site),
        categories=CATEGORIES,
        priorities=Priority.values,
        ticket_id=7,
    )


def test_it_categorizes_with_structured_output_limited_to_the_sites_values(site_a, guarded):
    with openai_vcr.use_cassette("openai_triage_structured.yaml") as cassette:
        result = categorize(guarded, site_a)
    assert cassette.play_count == 1
    sent = json.loads(SENT[-1].body)
    schema = sent["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["category"]["enum"] == CATEGORIES
    assert schema["properties"]["priority"]["enum"] == Priority.values
    assert sent["model"] == "gpt-4o"
    assert (result.category, result.priority, result.needs_human) == ("printers", "high", False)
    assert result.tags == ["printer", "toner"]
    # Source 9 was never retrieved: it is dropped, only the two real cases remain.
    assert result.sources == ["ticket:101", "ticket:102"]
    row = AIInteraction.objects.get()
    assert (row.provider, row.model, row.purpose, row.outcome, row.ticket_id) == (
        "openai",
        "gpt-4o",
        "triage",
        "ok",
        7,
    )
    assert row.prompt_tokens > 100 and row.completion_tokens > 10 and row.cost_usd > 0


def test_it_streams_a_reply_and_drops_citations_to_unretrieved_sources(site_a, guarded):
    context = context_from_cases(site=site_a, cases=printer_cases(site_a))
    with openai_vcr.use_cassette("openai_reply_stream.yaml"):
        items = list(
            guarded.stream_reply(site=site_a, text="Printer queue stuck", context=context, conversation_id=3)
        )
    *chunks, result = items
    assert len(chunks) > 10 and all(isinstance(chunk, str) for chunk in chunks)
    assert json.loads(SENT[-1].body)["stream"] is True
    assert "[7]" not in "".join(chunks) and "[7]" not in result.body
    assert "Clear the stuck jobs from the queue [1]." in result.body
    assert "power it off and on again [2]." in result.body
    assert result.citations == ["ticket:101", "ticket:102"] and not result.refused
    row = AIInteraction.objects.get()
    assert (row.purpose, row.outcome, row.conversation_id, row.sources) == ("chat", "ok", 3, result.citations)


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
