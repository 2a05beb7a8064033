"""The LLM judge through hand-written cassettes in OpenAI's format (vcrpy, replay only: never the network).

They are written by hand, not recorded: a verdict per claim that is right (judge_supported.yaml) and one
that is broken (judge_malformed.yaml). A request replays only if its shape matches the recording's
(model, response format and schema name `claim_support`, message roles: evals.cassettes).
"""

import pytest
from django.conf import settings
from django.test import override_settings

from ai.openai_provider import OpenAIProvider
from evals.cassettes import openai_vcr
from evals.judges import EmbeddingCache, LLMJudge
from retrieval.embedders import get_embedder

judge_vcr = openai_vcr(library=settings.BASE_DIR / "fixtures" / "evals" / "cassettes")
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
