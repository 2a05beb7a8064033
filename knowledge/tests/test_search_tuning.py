"""A site's search profile is learnt from its own history and changes how similar_cases ranks."""

from __future__ import annotations

import pytest

from knowledge.search_tuning import WEIGHTS, tune_site_search
from knowledge.services import index_site
from retrieval.models import SearchProfile
from retrieval.selectors import DEFAULT_MIN_SIMILARITY, search_settings, similar_cases
from testing.factories import article, eval_fixture_history


@pytest.fixture
def history(site_a, customer_a):
    tickets = eval_fixture_history(site=site_a, requester=customer_a, fixture_site="sunfield-dental")
    index_site(site=site_a)
    return tickets


def test_it_learns_a_profile_from_the_sites_own_cases(site_a, site_b, history):
    profile = tune_site_search(site=site_a)

    assert profile == SearchProfile.objects.get(site=site_a)
    assert profile.dense_weight in WEIGHTS
    assert 0 < profile.min_similarity <= DEFAULT_MIN_SIMILARITY[profile.embedding_model]
    shapes = profile.details["queries"]
    assert shapes["same_problem"] == shapes["terse"] >= 20 and shapes["heading"] == 0
    assert profile.pseudo_queries == sum(shapes.values())
    curve = profile.details["mrr_by_weight"]
    assert set(curve) == {str(w) for w in WEIGHTS} and all(0 <= v <= 1 for v in curve.values())
    assert tune_site_search(site=site_b) is None  # no history: the defaults stay
    assert not SearchProfile.objects.filter(site=site_b).exists()


def test_kb_headings_teach_a_site_with_articles_only(site_a):
    for n in range(25):
        article(
            site=site_a,
            title=f"Configuring door controller model {n}",
            body=(
                f"Open the controller {n} settings page. Choose Network and enter the address. "
                f"Save, then restart controller {n} from the Maintenance tab."
            ),
        )
    index_site(site=site_a)

    profile = tune_site_search(site=site_a)

    assert profile.details["queries"] == {"same_problem": 0, "terse": 0, "heading": 25}


def test_the_profiles_weight_decides_the_fusion(site_a, history):
    query = "Receptionist PC cannot print the appointment list"
    SearchProfile.objects.create(
        site=site_a, embedding_model="local:all-MiniLM-L6-v2", dense_weight=1.0, article_dense_weight=1.0,
        min_similarity=0.0, pseudo_queries=0, typical_coverage=0.0,
    )  # fmt: skip
    dense_only = similar_cases(site=site_a, text=query, k=5)
    SearchProfile.objects.filter(site=site_a).update(dense_weight=0.0, article_dense_weight=0.0)
    words_only = similar_cases(site=site_a, text=query, k=5)

    assert search_settings(site_id=site_a.pk, model_name="local:all-MiniLM-L6-v2").dense_weight == 0.0
    assert [c.similarity for c in dense_only] == sorted((c.similarity for c in dense_only), reverse=True)
    assert [c.source_id for c in dense_only] != [c.source_id for c in words_only]


def test_the_daily_job_learns_every_active_site(site_a, site_b, history):
    from helpdesk.schedules import PERIODIC_JOBS
    from knowledge.tasks import search_profiles_tune

    assert any(job["func"] == "knowledge.tasks.search_profiles_tune" for job in PERIODIC_JOBS)
    assert search_profiles_tune() == 1  # site A; site B has nothing to learn from
    site_a.is_active = False
    site_a.save(update_fields=["is_active"])
    SearchProfile.objects.all().delete()

    assert search_profiles_tune() == 0 and not SearchProfile.objects.exists()
