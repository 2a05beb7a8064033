"""What retrieval hands to the rest of the product."""

from __future__ import annotations

from dataclasses import dataclass, field


class SourceType:
    TICKET = "ticket"
    TRANSCRIPT = "transcript"
    ARTICLE = "article"
    ALL = (TICKET, TRANSCRIPT, ARTICLE)


@dataclass(frozen=True)
class Case:
    """One past case found for a query: a resolved ticket, a chat transcript or a KB article.

    `site_id` is None for global KB articles. `score` is the fused relevance (higher is better) and
    `similarity` the cosine similarity of the best-matching chunk (0..1), used for cut-offs.
    """

    source_type: str
    source_id: int
    site_id: int | None
    title: str
    snippet: str
    url: str
    score: float
    similarity: float
    category: str | None = None
    priority: str | None = None
    resolution: str = ""
    text: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def citation_key(self) -> str:
        return f"{self.source_type}:{self.source_id}"
