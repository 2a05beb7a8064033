"""Scoring functions: pure, small, checked against hand-computed examples in tests/test_metrics.py.

Rankings are lists of document ids, best first; relevance is binary (a set of ids).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    for position, doc_id in enumerate(ranked, start=1):
        if doc_id in relevant:
            return 1.0 / position
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, doc_id in enumerate(ranked[:k]) if doc_id in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal


def average_precision(ranked: Sequence[str], relevant: set[str]) -> float:
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for position, doc_id in enumerate(ranked, start=1):
        if doc_id in relevant:
            hits += 1
            total += hits / position
    return total / len(relevant)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (as numpy's default), q in 0..100."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def retrieval_scores(
    rankings: Sequence[Sequence[str]], relevants: Sequence[set[str]], ks=(1, 3, 5, 10)
) -> dict:
    """Mean recall@k, MRR, nDCG@10 and MAP over queries that have relevant documents."""
    pairs = [(r, rel) for r, rel in zip(rankings, relevants, strict=True) if rel]
    scores = {f"recall@{k}": mean([recall_at_k(r, rel, k) for r, rel in pairs]) for k in ks}
    scores["mrr"] = mean([reciprocal_rank(r, rel) for r, rel in pairs])
    scores["ndcg@10"] = mean([ndcg_at_k(r, rel, 10) for r, rel in pairs])
    scores["map"] = mean([average_precision(r, rel) for r, rel in pairs])
    scores["queries"] = len(pairs)
    return scores


NO_LABEL = "(none)"


def confusion_matrix(gold: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str]) -> dict:
    """{"labels": rows (gold), "columns": labels + "(none)" for abstentions, "matrix": counts[gold][pred]}."""
    columns = [*list(labels), NO_LABEL]
    index = {label: i for i, label in enumerate(columns)}
    matrix = [[0] * len(columns) for _ in labels]
    rows = {label: i for i, label in enumerate(labels)}
    for g, p in zip(gold, predicted, strict=True):
        matrix[rows[g]][index.get(p if p is not None else NO_LABEL, index[NO_LABEL])] += 1
    return {"labels": list(labels), "columns": columns, "matrix": matrix}


def classification_scores(
    gold: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str] = ()
) -> dict:
    """Accuracy, per-category precision/recall/F1, macro-F1 and the confusion matrix.

    An abstention (None: "needs human triage") counts as wrong. Macro-F1 averages over the categories
    that occur in the gold labels or the predictions, as scikit-learn does.
    """
    present = [label for label in labels if label in set(gold) | set(predicted)]
    present += sorted((set(gold) | {p for p in predicted if p is not None}) - set(present))
    pairs = list(zip(gold, predicted, strict=True))
    per_category = {}
    for label in present:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        predicted_count = sum(1 for _, p in pairs if p == label)
        gold_count = sum(1 for g, _ in pairs if g == label)
        precision = tp / predicted_count if predicted_count else 0.0
        recall = tp / gold_count if gold_count else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_category[label] = {"precision": precision, "recall": recall, "f1": f1, "support": gold_count}
    return {
        "accuracy": mean([1.0 if g == p else 0.0 for g, p in pairs]),
        "macro_f1": mean([row["f1"] for row in per_category.values()]),
        "per_category": per_category,
        "confusion": confusion_matrix(gold, predicted, present),
        "queries": len(pairs),
    }


def threshold_scores(
    gold: Sequence[str], predicted: Sequence[str | None], confidence: Sequence[float], threshold: float
) -> dict:
    """Coverage (share of queries decided at or above the threshold) and the accuracy of those decided."""
    decided = [
        (g, p)
        for g, p, c in zip(gold, predicted, confidence, strict=True)
        if p is not None and c >= threshold
    ]
    return {
        "threshold": threshold,
        "coverage": len(decided) / len(gold) if gold else None,
        "accuracy_above_threshold": mean([1.0 if g == p else 0.0 for g, p in decided]),
    }


def majority_label(labels: Sequence[str]) -> str | None:
    """The most frequent label; ties go to the alphabetically first, so the baseline is deterministic."""
    counts = Counter(label for label in labels if label)
    if not counts:
        return None
    return min(counts, key=lambda label: (-counts[label], label))


def weighted_vote(pairs: Sequence[tuple[str | None, float]]) -> tuple[str | None, float]:
    """The label with the largest summed weight and its share of the total weight (a confidence in 0..1)."""
    totals: dict[str, float] = {}
    for label, weight in pairs:
        if label and weight > 0:
            totals[label] = totals.get(label, 0.0) + weight
    if not totals:
        return None, 0.0
    best = min(totals, key=lambda label: (-totals[label], label))
    return best, totals[best] / sum(totals.values())
