"""Judges for replies: was a fact stated, is a sentence supported by a cited source.

Offline both are an embedding-similarity test with the configured embedder, plus a token-containment
test that catches exact restatements the embedding under-scores (short, name-heavy facts). The
thresholds are the embedder-agnostic defaults below; docs/evals.md explains how they were chosen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from evals.text import key_tokens, sentences

FACT_SIMILARITY = 0.7
SUPPORT_SIMILARITY = 0.6
SUPPORT_CONTAINMENT = 0.8
# A sentence found in this share of a run's replies is the provider's template ("Hello,", a closing line),
# not a claim about the problem; groundedness is judged on claims only.
TEMPLATE_SHARE = 0.1


class EmbeddingCache:
    """Embeds each distinct text once per run, in batches."""

    def __init__(self, embedder):
        self.embedder = embedder
        self.vectors: dict[str, np.ndarray] = {}

    def prime(self, texts: Iterable[str]) -> None:
        missing = sorted({text for text in texts if text and text not in self.vectors})
        if missing:
            for text, vector in zip(missing, self.embedder.embed(missing), strict=True):
                self.vectors[text] = np.asarray(vector, dtype=np.float32)

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        self.prime(texts)
        return np.stack([self.vectors[text] for text in texts]) if texts else np.zeros((0, 1), np.float32)


def containment(needle: str, haystack_tokens: set[str]) -> float:
    tokens = set(key_tokens(needle))
    return len(tokens & haystack_tokens) / len(tokens) if tokens else 0.0


def template_sentences(bodies: Iterable[str]) -> set[str]:
    bodies = list(bodies)
    counts = Counter(sentence for body in bodies for sentence in set(sentences(body)))
    floor = max(2, TEMPLATE_SHARE * len(bodies))
    return {sentence for sentence, count in counts.items() if count >= floor}


def fact_recall(facts: Sequence[str], reply: str, cache: EmbeddingCache) -> float:
    """Share of facts stated in the reply: a sentence with cosine >= FACT_SIMILARITY, or all its key tokens."""
    if not facts:
        return 0.0
    parts = sentences(reply)
    reply_tokens = set(key_tokens(reply))
    stated = 0
    similarities = cache.matrix(list(facts)) @ cache.matrix(parts).T if parts else None
    for index, fact in enumerate(facts):
        if containment(fact, reply_tokens) == 1.0:
            stated += 1
        elif similarities is not None and float(similarities[index].max()) >= FACT_SIMILARITY:
            stated += 1
    return stated / len(facts)


def groundedness(reply: str, sources: Sequence[str], cache: EmbeddingCache, skip: set[str]) -> float | None:
    """Share of the reply's claim sentences supported by a cited source (None: no claim to judge).

    A sentence is supported when a sentence of a cited source has cosine >= SUPPORT_SIMILARITY with it,
    or when SUPPORT_CONTAINMENT of its key tokens occur in one cited source.
    """
    claims = [sentence for sentence in sentences(reply) if sentence not in skip and key_tokens(sentence)]
    if not claims:
        return None
    if not sources:
        return 0.0
    source_sentences = [part for source in sources for part in sentences(source)]
    source_tokens = [set(key_tokens(source)) for source in sources]
    similarities = cache.matrix(claims) @ cache.matrix(source_sentences).T if source_sentences else None
    supported = 0
    for index, claim in enumerate(claims):
        if any(containment(claim, tokens) >= SUPPORT_CONTAINMENT for tokens in source_tokens):
            supported += 1
        elif similarities is not None and float(similarities[index].max()) >= SUPPORT_SIMILARITY:
            supported += 1
    return supported / len(claims)
