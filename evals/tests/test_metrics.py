import math

import pytest

from evals import metrics


def test_it_computes_recall_at_k_by_hand():
    ranked = ["d3", "d1", "d7", "d2"]
    relevant = {"d1", "d2"}
    assert metrics.recall_at_k(ranked, relevant, 1) == 0.0
    assert metrics.recall_at_k(ranked, relevant, 2) == 0.5
    assert metrics.recall_at_k(ranked, relevant, 4) == 1.0


def test_it_computes_reciprocal_rank_and_zero_when_nothing_relevant_is_found():
    assert metrics.reciprocal_rank(["a", "b", "c"], {"c"}) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(["a", "b"], {"z"}) == 0.0


def test_it_computes_ndcg_at_10_with_binary_gains():
    # Relevant at ranks 2 and 3 of two relevant documents:
    # DCG = 1/log2(3) + 1/log2(4); ideal = 1/log2(2) + 1/log2(3).
    ranked = ["x", "r1", "r2", "y"]
    expected = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert metrics.ndcg_at_k(ranked, {"r1", "r2"}, 10) == pytest.approx(expected)
    assert metrics.ndcg_at_k(["r1", "r2"], {"r1", "r2"}, 10) == pytest.approx(1.0)


def test_it_computes_average_precision_over_all_relevant_documents():
    # Hits at ranks 1 and 3, a third relevant document never retrieved: (1/1 + 2/3) / 3.
    ranked = ["r1", "x", "r2", "y"]
    assert metrics.average_precision(ranked, {"r1", "r2", "r3"}) == pytest.approx((1 + 2 / 3) / 3)


def test_it_averages_retrieval_scores_over_queries_with_relevant_documents_only():
    scores = metrics.retrieval_scores([["a", "b"], ["c"], ["z"]], [{"b"}, {"c"}, set()], ks=(1, 2))
    assert scores["queries"] == 2
    assert scores["recall@1"] == pytest.approx(0.5)
    assert scores["recall@2"] == pytest.approx(1.0)
    assert scores["mrr"] == pytest.approx((0.5 + 1.0) / 2)


def test_it_computes_accuracy_macro_f1_and_per_category_scores():
    gold = ["net", "net", "net", "mail", "mail", "print"]
    predicted = ["net", "net", "mail", "mail", None, "print"]
    scores = metrics.classification_scores(gold, predicted, ["net", "mail", "print"])
    assert scores["accuracy"] == pytest.approx(4 / 6)
    # net: P=2/2, R=2/3, F1=0.8; mail: P=1/2, R=1/2, F1=0.5; print: 1.0.
    assert scores["per_category"]["net"]["f1"] == pytest.approx(0.8)
    assert scores["per_category"]["mail"]["precision"] == pytest.approx(0.5)
    assert scores["per_category"]["mail"]["recall"] == pytest.approx(0.5)
    assert scores["macro_f1"] == pytest.approx((0.8 + 0.5 + 1.0) / 3)


def test_it_counts_the_confusion_matrix_with_a_column_for_abstentions():
    confusion = metrics.confusion_matrix(["a", "a", "b"], ["a", None, "a"], ["a", "b"])
    assert confusion["columns"] == ["a", "b", "(none)"]
    assert confusion["matrix"] == [[1, 0, 1], [1, 0, 0]]


def test_it_leaves_categories_absent_from_gold_and_predictions_out_of_macro_f1():
    scores = metrics.classification_scores(["a", "b"], ["a", "b"], ["a", "b", "never"])
    assert scores["macro_f1"] == 1.0
    assert "never" not in scores["per_category"]


def test_it_interpolates_percentiles_like_numpy():
    assert metrics.percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert metrics.percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)
    assert metrics.percentile([], 50) is None


def test_it_picks_a_deterministic_majority_and_a_weighted_vote():
    assert metrics.majority_label(["b", "a", "b", "a", None]) == "a"
    assert metrics.weighted_vote([("x", 0.5), ("y", 0.9), ("x", 0.3)]) == ("y", pytest.approx(0.9 / 1.7))
    assert metrics.weighted_vote([]) == (None, 0.0)
