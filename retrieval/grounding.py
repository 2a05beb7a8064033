"""The grounding context: the site's similar cases, trimmed to a token budget, each with a citation id.

Everything the AI layer sends to a model, or composes offline, comes from a `GroundingContext`, so the
rules live here once:
- sources come from `similar_cases` for ONE site (plus global KB rows, which have no site); a case of any
  other site is refused here too, as a second line behind the SQL filter;
- source text is quoted as data that cannot forge the prompt's markers (`quote`); the prompt itself and
  the removal of citations that point nowhere are the AI layer's (`ai.prompts`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.tokens import count_tokens, truncate
from retrieval.types import Case, SourceType, any_related

logger = logging.getLogger(__name__)

DEFAULT_K = 6
DEFAULT_TOKEN_BUDGET = 1800
# No single long source (a big KB article) may crowd the others out of the budget.
SOURCE_TOKEN_CAP = 450
# A source trimmed below this is noise rather than evidence; stop adding sources instead.
MIN_SOURCE_TOKENS = 40

_MARKER_RE = re.compile(r"<\s*/?\s*(?:ticket|sources?|chat|history|cases?)\b[^>]*>", re.IGNORECASE)
CITATION_RE = re.compile(r"([ \t]*)\[(\d+(?:\s*,\s*\d+)*)\]")
_KIND_LABELS = {SourceType.TICKET: "resolved ticket", SourceType.TRANSCRIPT: "chat", SourceType.ARTICLE: "KB"}


@dataclass(frozen=True)
class Source:
    """One retrieved case as the model sees it: citation id, the case, and its (trimmed) quoted text."""

    cid: int
    case: Case
    text: str
    tokens: int

    @property
    def key(self) -> str:
        return self.case.citation_key

    @property
    def label(self) -> str:
        kind = _KIND_LABELS.get(self.case.source_type, self.case.source_type)
        return f"{kind} #{self.case.source_id}" if self.case.source_type == SourceType.TICKET else kind


@dataclass(frozen=True)
class GroundingContext:
    site_id: int
    sources: tuple[Source, ...]
    tokens: int

    def __bool__(self) -> bool:
        return bool(self.sources)

    @property
    def keys(self) -> list[str]:
        return [source.key for source in self.sources]

    @property
    def cases(self) -> list[Case]:
        return [source.case for source in self.sources]

    def source(self, cid: int) -> Source | None:
        return self.sources[cid - 1] if 1 <= cid <= len(self.sources) else None


def similarity_cutoff() -> float:
    """The configured embedder's line between related and unrelated text (retrieval.selectors)."""
    from retrieval.embedders import model_name_for
    from retrieval.selectors import DEFAULT_MIN_SIMILARITY, FALLBACK_MIN_SIMILARITY

    return DEFAULT_MIN_SIMILARITY.get(model_name_for(), FALLBACK_MIN_SIMILARITY)


def quote(text: str) -> str:
    """Text made safe to place between our markers: it cannot close or open a marker of its own."""
    return _MARKER_RE.sub("", text).strip()


def source_text(case: Case) -> str:
    body = case.text or case.snippet
    if case.resolution and case.resolution not in body:
        body = f"{body}\nResolution: {case.resolution}"
    return f"{case.title}\n{body}".strip()


def context_from_cases(
    *, site, cases: Sequence[Case], token_budget: int = DEFAULT_TOKEN_BUDGET
) -> GroundingContext:
    """Number the cases [1]..[n] in the order given, trimming each to fit the token budget."""
    sources: list[Source] = []
    seen: set[str] = set()
    remaining = token_budget
    for case in cases:
        if case.site_id not in (site.id, None):
            # similar_cases filters by site in SQL; reaching here is a bug, and the case must not leak.
            logger.error(
                "grounding refused %s of site %s for site %s", case.citation_key, case.site_id, site.id
            )
            continue
        if case.citation_key in seen:
            continue
        allowance = min(SOURCE_TOKEN_CAP, remaining)
        if allowance < MIN_SOURCE_TOKENS:
            break
        text = truncate(quote(source_text(case)), allowance)
        tokens = count_tokens(text)
        sources.append(Source(cid=len(sources) + 1, case=case, text=text, tokens=tokens))
        seen.add(case.citation_key)
        remaining -= tokens
    return GroundingContext(site_id=site.id, sources=tuple(sources), tokens=token_budget - remaining)


def build_context(
    *,
    site,
    text: str,
    k: int = DEFAULT_K,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    sources: Sequence[str] = SourceType.ALL,
    min_similarity: float | None = None,
    with_global: bool = True,
    category_prior: dict[str, float] | None = None,
    embedder=None,
) -> GroundingContext:
    """The site's (and the global KB's) cases most similar to `text`, as a citable, budgeted context;
    empty when none of them is related (nothing to ground an answer in)."""
    from retrieval.selectors import similar_cases

    cases = any_related(
        similar_cases(
            site=site,
            text=text,
            k=k,
            sources=sources,
            min_similarity=min_similarity,
            with_global=with_global,
            category_prior=category_prior,
            embedder=embedder,
        )
    )
    return context_from_cases(site=site, cases=cases, token_budget=token_budget)
