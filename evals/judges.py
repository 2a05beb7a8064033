"""Judges for replies: was a fact stated, is a sentence supported by a cited source.

Offline both are an embedding-similarity test with the configured embedder, plus a token-containment
test that catches exact restatements the embedding under-scores (short, name-heavy facts). The
thresholds are the embedder-agnostic defaults below; docs/evals.md explains how they were chosen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from evals.text import clauses, key_tokens, sentences

FACT_SIMILARITY = 0.7
FACT_CONTAINMENT = 0.75
SUPPORT_SIMILARITY = 0.6
SUPPORT_CONTAINMENT = 0.8
# A sentence found in this share of a run's replies (and in at least TEMPLATE_MIN of them) is the
# provider's template ("Hello,", a closing line), not a claim about the problem; groundedness is judged
# on claims only. The minimum keeps a fix shared by two similar cases from passing for a template.
TEMPLATE_SHARE = 0.1
TEMPLATE_MIN = 3


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
    floor = max(TEMPLATE_MIN, TEMPLATE_SHARE * len(bodies))
    return {sentence for sentence, count in counts.items() if count >= floor}


def _stated(fact: str, part_tokens: list[set[str]]) -> bool:
    return any(containment(fact, tokens) >= FACT_CONTAINMENT for tokens in part_tokens)


def fact_recall(facts: Sequence[str], reply: str, cache: EmbeddingCache) -> float:
    """Share of facts stated in the reply.

    A fact is stated when one clause of the reply contains FACT_CONTAINMENT of its key tokens, or has
    cosine >= FACT_SIMILARITY with it. Clauses, not whole sentences: a long sentence listing three
    actions dilutes each one's embedding below any useful threshold. Embeddings are computed only for
    what the token test could not decide.
    """
    if not facts:
        return 0.0
    parts = clauses(reply)
    if not parts:
        return 0.0
    part_tokens = [set(key_tokens(part)) for part in parts]
    undecided = [fact for fact in facts if not _stated(fact, part_tokens)]
    stated = len(facts) - len(undecided)
    if undecided:
        similarities = cache.matrix(undecided) @ cache.matrix(parts).T
        stated += int((similarities.max(axis=1) >= FACT_SIMILARITY).sum())
    return stated / len(facts)


def groundedness(reply: str, sources: Sequence[str], cache: EmbeddingCache, skip: set[str]) -> float | None:
    """Share of the reply's claim sentences supported by a cited source (None: no claim to judge).

    A sentence is supported when SUPPORT_CONTAINMENT of its key tokens occur in one cited source, or
    when a sentence of a cited source has cosine >= SUPPORT_SIMILARITY with it.
    """
    claims = [sentence for sentence in sentences(reply) if sentence not in skip and key_tokens(sentence)]
    if not claims:
        return None
    if not sources:
        return 0.0
    source_tokens = [set(key_tokens(source)) for source in sources]
    undecided = [
        claim
        for claim in claims
        if not any(containment(claim, tokens) >= SUPPORT_CONTAINMENT for tokens in source_tokens)
    ]
    supported = len(claims) - len(undecided)
    source_sentences = [part for source in sources for part in sentences(source)]
    if undecided and source_sentences:
        similarities = cache.matrix(undecided) @ cache.matrix(source_sentences).T
        supported += int((similarities.max(axis=1) >= SUPPORT_SIMILARITY).sum())
    return supported / len(claims)
