"""Baselines run in the same pass as the system, so every score is read beside something simple.

- retrieval: Okapi BM25 over the same site's documents only; dense: an exact cosine scan over the same
  embedder's vectors of the same chunks (best chunk per document), with no fusion and no cut-off;
- triage: the majority class, a BM25-nearest-neighbour vote, a dense-nearest-neighbour vote, and TF-IDF
  + logistic regression trained on the same site's documents (scikit-learn);
- replies: "return the top retrieved case's resolution" (see runner.py).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from evals.metrics import weighted_vote
from evals.text import key_tokens


class BM25:
    """Okapi BM25 (Robertson & Zaragoza) with the usual k1=1.5, b=0.75 and the non-negative idf variant."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str], *, k1: float = 1.5, b: float = 0.75):
        self.ids = list(ids)
        self.k1, self.b = k1, b
        self.term_counts = [Counter(key_tokens(text)) for text in texts]
        self.lengths = [sum(counts.values()) for counts in self.term_counts]
        self.average_length = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        frequency: Counter = Counter()
        for counts in self.term_counts:
            frequency.update(counts.keys())
        n = len(self.ids)
        self.idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in frequency.items()}

    def scores(self, query: str) -> list[float]:
        terms = key_tokens(query)
        result = []
        for counts, length in zip(self.term_counts, self.lengths, strict=True):
            norm = (
                self.k1 * (1 - self.b + self.b * length / self.average_length) if self.average_length else 0.0
            )
            score = 0.0
            for term in terms:
                tf = counts.get(term, 0)
                if tf:
                    score += self.idf[term] * tf * (self.k1 + 1) / (tf + norm)
            result.append(score)
        return result

    def search(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        """The top-k (id, score) with a positive score, best first; ties keep corpus order."""
        scored = [
            (doc_id, score) for doc_id, score in zip(self.ids, self.scores(query), strict=True) if score > 0
        ]
        scored.sort(key=lambda pair: -pair[1])
        return scored[:k]


def bm25_vote(index: BM25, labels: dict[str, str | None], query: str, k: int = 5) -> tuple[str | None, float]:
    """Category by a BM25-score-weighted vote of the k nearest documents."""
    return weighted_vote([(labels.get(doc_id), score) for doc_id, score in index.search(query, k)])


class DenseIndex:
    """Exact cosine over one site's chunk vectors; a document scores as its best chunk."""

    def __init__(self, ids: Sequence[str], owners: Sequence[str], vectors: np.ndarray):
        self.ids = list(dict.fromkeys(ids))
        column = {doc_id: i for i, doc_id in enumerate(self.ids)}
        self.owner = np.array([column[doc_id] for doc_id in owners], dtype=int)
        self.vectors = np.asarray(vectors, dtype=np.float32).reshape(len(owners), -1)

    def search(self, vector: np.ndarray, k: int = 10) -> list[tuple[str, float]]:
        best = np.full(len(self.ids), -np.inf)
        np.maximum.at(best, self.owner, self.vectors @ np.asarray(vector, dtype=np.float32))
        order = np.argsort(-best, kind="stable")[:k]
        return [(self.ids[i], float(best[i])) for i in order]


def dense_vote(
    index: DenseIndex, labels: dict[str, str | None], vector, k: int = 5
) -> tuple[str | None, float]:
    """Category by a cosine-weighted vote of the k nearest documents."""
    return weighted_vote([(labels.get(doc_id), max(score, 0.0)) for doc_id, score in index.search(vector, k)])


class TfidfLogisticRegression:
    """TF-IDF (unigrams) + logistic regression (C=10), the shared datasets' own triage baseline."""

    def __init__(self, texts: Sequence[str], labels: Sequence[str]):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vectorizer = TfidfVectorizer().fit(texts)
        self.model = None
        if len(set(labels)) >= 2:
            self.model = LogisticRegression(C=10, max_iter=2000).fit(self.vectorizer.transform(texts), labels)
        self.only = labels[0] if labels and self.model is None else None

    def predict(self, text: str) -> str | None:
        if self.model is None:
            return self.only
        return str(self.model.predict(self.vectorizer.transform([text]))[0])
