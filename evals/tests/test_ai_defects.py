"""The eval report counts what was wrong with the model's answers, from the AI log of the run's sites."""

from types import SimpleNamespace

from ai.base import AnswerRejected, Defect, Usage
from ai.offline import OfflineProvider
from ai.openai_provider import OpenAIProvider
from ai.providers import GuardedProvider, interaction_log
from evals.runner import ai_defects, defects_note
from helpdesk.models import AIInteraction


def test_it_counts_the_defects_of_the_runs_sites_only(site_a, site_b, settings):
    settings.OPENAI_API_KEY = "sk-test-NOTAREALKEY"
    model = OpenAIProvider(model="smollm2-135m-instruct")
    for site, defects in ((site_a, ["looping", "uncited"]), (site_a, ["uncited"]), (site_b, ["empty"])):
        GuardedProvider.record_failure(
            model,
            AnswerRejected("the reply cites no retrieved source", defects=defects, usage=Usage(300, 700)),
            site=site,
            purpose="chat",
            started=0.0,
        )
    interaction_log(
        site=site_a,
        purpose="triage",
        provider=model,
        outcome=AIInteraction.Outcome.OK,
        started=0.0,
        defects=[Defect.CONFIDENCE_OUT_OF_BOUNDS],
    )
    interaction_log(site=site_a, purpose="chat", provider=OfflineProvider(), outcome="fallback", started=0.0)

    counts = ai_defects(SimpleNamespace(sites={"a": site_a}))

    assert counts == {"openai": {"confidence_out_of_bounds": 1, "looping": 1, "uncited": 2}}
    rejected = AIInteraction.objects.filter(site=site_a, outcome="rejected")
    assert rejected.count() == 2 and {row.completion_tokens for row in rejected} == {700}
    assert defects_note(counts) == (
        "Model answers repaired or rejected: openai: confidence_out_of_bounds 1, looping 1, uncited 2 "
        "(details.ai_defects; each is an AI log row's `defects`)."
    )
