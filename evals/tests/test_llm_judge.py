"""The LLM judge through recorded OpenAI wire traffic (vcrpy, replay only: never the network)."""

import pytest
import vcr
from django.conf import settings
from django.test import override_settings

from evals.judges import EmbeddingCache, LLMJudge
from helpdesk.ai.openai_provider import OpenAIProvider
from retrieval.embedders import get_embedder

judge_vcr = vcr.VCR(
    cassette_library_dir=str(settings.BASE_DIR / "fixtures" / "evals" / "cassettes"),
    record_mode="none",
    match_on=["method", "scheme", "host", "port", "path"],
)
SOURCE = "Print jobs stuck. Resolution: restarted the print spooler and cleared the stuck jobs."
REPLY = "Hello,\nRestart the print spooler. [1]\nBuy a new router. [1]"


@pytest.fixture
def judge():
    with override_settings(OPENAI_API_KEY="sk-test-NOTAREALKEY", OPENAI_BASE_URL="https://api.openai.com/v1"):
        yield LLMJudge(OpenAIProvider(model="gpt-4o"), EmbeddingCache(get_embedder()))


def test_it_scores_groundedness_from_the_models_verdict_per_claim(judge):
    with judge_vcr.use_cassette("judge_supported.yaml") as cassette:
        score = judge.groundedness(REPLY, [SOURCE], skip={"Hello,"})
    assert score == 0.5
    assert (judge.calls, judge.fallbacks, cassette.play_count) == (1, 0, 1)


def test_it_falls_back_to_the_embedding_judge_on_a_malformed_verdict(judge):
    with judge_vcr.use_cassette("judge_malformed.yaml"):
        score = judge.groundedness(REPLY, [SOURCE], skip={"Hello,"})
    # The embedding judge supports the spooler step and not the router.
    assert score == 0.5
    assert (judge.calls, judge.fallbacks) == (1, 1)


def test_it_needs_no_call_for_a_reply_without_claims_or_sources(judge):
    assert judge.groundedness("Hello,", [SOURCE], skip={"Hello,"}) is None
    assert judge.groundedness("Restart the spooler.", [], skip=set()) == 0.0
    assert judge.calls == 0
