"""The fusion rule of similar_cases: normalised scores mixed by the site's weight, adjusted per query."""

import pytest

from retrieval.selectors import SearchSettings, _Hit, fuse, query_dense_weight


def test_a_query_matched_as_well_as_usual_gets_the_sites_weight():
    assert query_dense_weight(0.3, coverage=0.8, typical_coverage=0.8) == pytest.approx(0.3)
    assert query_dense_weight(0.3, coverage=1.0, typical_coverage=0.8) == pytest.approx(0.3)


def test_a_paraphrase_sharing_few_words_leans_on_the_vector_side():
    assert query_dense_weight(0.3, coverage=0.2, typical_coverage=0.8) == pytest.approx(1 - 0.7 * 0.25**3)
    assert query_dense_weight(0.3, coverage=0.0, typical_coverage=0.8) == pytest.approx(1.0)
    assert query_dense_weight(0.3, coverage=0.5, typical_coverage=0.0) == pytest.approx(0.3)


def test_fuse_mixes_min_max_normalised_scores():
    hits = [_Hit(1, "a", 0.9, 0.0, 1.0), _Hit(2, "b", 0.5, 10.0, 1.0), _Hit(3, "c", 0.7, 5.0, 1.0)]

    fuse(hits, SearchSettings(dense_weight=0.25, min_similarity=0.3, typical_coverage=1.0))

    assert [round(h.score, 4) for h in hits] == [0.25, 0.75, 0.125 + 0.375]
