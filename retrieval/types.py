"""What retrieval hands to the rest of the product."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace


class SourceType:
    TICKET = "ticket"
    TRANSCRIPT = "transcript"
    ARTICLE = "article"
    ALL = (TICKET, TRANSCRIPT, ARTICLE)


@dataclass(frozen=True)
class Case:
    """One past case found for a query: a resolved ticket, a chat transcript or a KB article.

    `site_id` is None for global KB articles. `score` is the fused relevance (higher is better) and
    `similarity` the cosine similarity of the best-matching chunk (0..1), used for cut-offs, and
    `coverage` the idf-weighted share of the query's words its best chunk contains (0..1).
    `related` is false for a case that neither reaches the site's cosine floor nor matches most of the
    query's words: ranked, but not evidence that anything similar exists.
    `same_fix` lists the citation keys of lower-ranked cases folded into this one because they record
    the same fix (`collapse_same_fix`).
    """

    source_type: str
    source_id: int
    site_id: int | None
    title: str
    snippet: str
    url: str
    score: float
    similarity: float
    coverage: float = 0.0
    category: str | None = None
    priority: str | None = None
    resolution: str = ""
    text: str = ""
    extra: dict = field(default_factory=dict)
    same_fix: tuple[str, ...] = ()
    related: bool = True

    @property
    def citation_key(self) -> str:
        return f"{self.source_type}:{self.source_id}"

    @property
    def relevance_percent(self) -> int:
        """The fused score as a panel shows it (the order cases are listed in), capped at 100."""
        return round(100 * min(1.0, max(0.0, self.score)))


def any_related(cases: list[Case]) -> list[Case]:
    """The ranking as a "similar past cases" list shows it: empty when not one case is related (a
    question about banana bread has nothing similar, whatever ranks first)."""
    return cases if any(case.related for case in cases) else []


# Two cases whose fixes share this much of their vocabulary (Jaccard over words of 3+ letters) record the
# same fix: "Called Ellen back. Stale credentials…" and "Stale credentials…" are one answer, not two.
SAME_FIX_OVERLAP = 0.6
_FIX_WORD = re.compile(r"[^\W\d_]{3,}")


def _fix_words(case: Case) -> frozenset[str]:
    return frozenset(_FIX_WORD.findall((case.resolution or case.snippet).lower()))


def collapse_same_fix(cases: list[Case], k: int) -> list[Case]:
    """At most k cases, best first, where each kept case absorbs the lower-ranked ones with the same fix
    (their keys in `same_fix`), so a panel shows five different answers rather than one answer five times.
    """
    kept: list[tuple[Case, frozenset[str], list[str]]] = []
    for case in cases:
        words = _fix_words(case)
        for _best, best_words, folded in kept:
            union = words | best_words
            if union and len(words & best_words) / len(union) >= SAME_FIX_OVERLAP:
                folded.append(case.citation_key)
                break
        else:
            kept.append((case, words, []))
    return [replace(case, same_fix=tuple(folded)) for case, _, folded in kept[:k]]
