"""The one small interface every AI provider implements, and what it hands back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from helpdesk.models import Site
    from retrieval.grounding import GroundingContext
    from retrieval.types import Case


class AIUnavailable(Exception):
    """A provider could not give a usable answer (network, rate limit, outage, malformed output)."""


class Defect:
    """What was wrong with a model's answer, as the AI call log and the eval report count it.

    Small local models produce all of these; each is repaired where the rest of the answer stands, or
    the answer is rejected (`AnswerRejected`) and the fallback answers.
    """

    CONFIDENCE_OUT_OF_BOUNDS = "confidence_out_of_bounds"  # not in 0..1 (100, 1e12): needs a human
    SOURCE_OUT_OF_BOUNDS = "source_out_of_bounds"  # a source id that was not retrieved: dropped
    UNKNOWN_CATEGORY = "unknown_category"  # not one of the site's categories: needs a human
    UNKNOWN_PRIORITY = "unknown_priority"  # not one of our priorities: left to the usual rules
    INVALID_CITATION = "invalid_citation"  # [n] of no retrieved source: removed from the reply
    UNCITED = "uncited"  # a reply citing no retrieved source: ungrounded (AI_UNCITED_REPLY decides)
    EMPTY = "empty"  # the model said nothing
    LOOPING = "looping"  # the same words over and over: cut where the repetition starts
    TRUNCATED = "truncated"  # stopped at the token limit


class AnswerRejected(AIUnavailable):
    """The model answered, but nothing usable came of it (empty, looping, ungrounded): the fallback answers.

    Logged as outcome `rejected` with its defects, not as an error: the server works, so the circuit
    breaker (which counts errors) stays closed.
    """

    def __init__(self, message: str, *, defects: Sequence[str], usage: Usage | None = None):
        super().__init__(message)
        self.defects = list(defects)
        self.usage = usage


@dataclass(frozen=True)
class Usage:
    """Tokens counted with retrieval.tokens (tiktoken o200k_base) on what was sent and received."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class CategorizeResult:
    category: str | None
    priority: str | None
    tags: list[str]
    confidence: float
    needs_human: bool
    sources: list[str]  # citation keys of the cases that supported the answer
    usage: Usage = field(default_factory=Usage)
    answered_by: str = ""  # the provider that answered, set by the guard (the fallback, maybe)
    defects: tuple[str, ...] = ()  # what was repaired in the model's answer (Defect)


@dataclass(frozen=True)
class CategoryPrediction:
    """What the site's own trained classifier says of a text (tickets.classifier).

    `confidence` is calibrated on the site's held-out history: among predictions at confidence c, about
    a share c was right.
    """

    category: str
    confidence: float
    model: str = "site-classifier"


@dataclass(frozen=True)
class DraftResult:
    body: str
    citations: list[str]  # citation keys actually cited in the body, all of them retrieved sources
    refused: bool = False  # no grounding: the body says so instead of guessing
    usage: Usage = field(default_factory=Usage)
    answered_by: str = ""
    defects: tuple[str, ...] = ()  # what was repaired in the model's answer (Defect)


@dataclass(frozen=True)
class Turn:
    """One entry of a ticket's or conversation's history as a summary reads it: who (`customer`,
    `engineer`, `assistant`, `internal` for an engineers' note, `event` for a state change) and what."""

    role: str
    text: str


@dataclass(frozen=True)
class SummaryResult:
    """A summary for engineers: the problem, what was tried, where it stands, what comes next.
    `extractive` says every line is quoted from the history (offline) rather than written by a model."""

    problem: str
    tried: list[str]
    state: str
    next_step: str
    extractive: bool
    usage: Usage = field(default_factory=Usage)
    answered_by: str = ""
    defects: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticleCase:
    """One resolved ticket or closed chat a KB article is written from: its citation key
    (`ticket:12`), title, the customer's problem and the fix."""

    key: str
    title: str
    problem: str
    fix: str


@dataclass(frozen=True)
class ArticleStep:
    text: str
    sources: tuple[str, ...] = ()  # citation keys of the cases the step comes from


@dataclass(frozen=True)
class ArticleResult:
    """A KB article drafted from a cluster of resolved cases. `extractive` says every line is quoted
    from the cases (offline) rather than written by a model; `sources` are the cases it cites."""

    title: str
    symptoms: tuple[str, ...]
    steps: tuple[ArticleStep, ...]
    sources: tuple[str, ...]
    extractive: bool
    usage: Usage = field(default_factory=Usage)
    answered_by: str = ""
    defects: tuple[str, ...] = ()


class Provider(Protocol):
    name: str
    model: str

    def categorize(
        self,
        *,
        site: Site,
        text: str,
        cases: Sequence[Case],
        categories: Sequence[str],
        priorities: Sequence[str],
        prediction: CategoryPrediction | None = None,
    ) -> CategorizeResult: ...

    def draft_reply(
        self,
        *,
        site: Site,
        text: str,
        context: GroundingContext,
        offer_ticket: bool = False,
        already_said: Sequence[str] = (),
    ) -> DraftResult: ...

    def stream_reply(
        self,
        *,
        site: Site,
        text: str,
        context: GroundingContext,
        offer_ticket: bool = True,
        already_said: Sequence[str] = (),
    ) -> Iterator[str | DraftResult]:
        """Yield text chunks as they are produced, then one final DraftResult (the authoritative text).
        `already_said` holds the conversation's earlier answers: none of it is suggested again."""
        ...

    def summarize(self, *, site: Site, title: str, turns: Sequence[Turn]) -> SummaryResult:
        """Summarize a ticket's or conversation's history (oldest turn first) for engineers."""
        ...

    def write_article(
        self, *, site: Site, cases: Sequence[ArticleCase], extractive: ArticleResult
    ) -> ArticleResult:
        """A KB article from resolved cases that share a problem and a fix; `extractive` is the
        offline draft (knowledge.drafting makes it with the embedder), kept when no model writes one."""
        ...
