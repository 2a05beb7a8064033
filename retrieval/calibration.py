"""Calibrate the retrieval cut-off (`DEFAULT_MIN_SIMILARITY`) on the demo data, never on the eval set.

The demo tickets and chats (`fixtures/demo/*.json`, written by `demo/generate.py`) carry the
`archetype` of the problem they describe, so each one tells us whether a site's history holds an answer
to it. Without the database, every resolved or closed demo ticket is rendered and chunked as the index
renders it (`knowledge.documents`) and embedded; a document's similarity is that of its best chunk, as
in `similar_cases`. Queries come in the three shapes the product sends to `similar_cases`: a ticket's
title and description (triage, reply drafts), its title alone (help-centre search, a terse question) and
a chat's opening customer message (the assistant). Each is scored leave-one-out within its site (the
ticket a query comes from, or the ticket a chat escalated to, is left out of the index):

- **answerable**: the best similarity to a resolved ticket of the same site and archetype (queries whose
  archetype has no other resolved ticket at the site are left out: nothing could answer them);
- **not covered**: the best similarity to the site's tickets of other archetypes, i.e. the query's
  archetype removed from the index, which is what a problem the site has never seen looks like;
- **off-topic**: `OFF_TOPIC_QUESTIONS` (cooking, sport, travel, HR...) asked at every site.

The rule: the cut-off is the highest value on a 0.01 grid that keeps at least `KEEP_ANSWERABLE` (95%) of
the answerable queries, all shapes pooled. The cut-off is a floor, not the ranking: it only decides when
`similar_cases` says "nothing similar", so losing a real answer costs more than showing a weak case
(ranked below the good ones and carrying its `similarity`, which the assistant can demand more of before
it answers). The balanced accuracy (answerable kept vs not covered and off-topic dropped) is reported
beside it. Maximizing that balanced accuracy on ticket-length queries was the first rule tried: it gave
0.58, which emptied every short query (the paraphrase tests of `retrieval/tests/test_similar_cases.py`
and the help-centre search returned nothing); docs/retrieval.md has the whole story.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.chunking import MIN_REPLY_CHARS, chunk_text
from retrieval.embedders import Embedder

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
DEMO_TICKETS = DEMO / "tickets.json"
DEMO_CONVERSATIONS = DEMO / "conversations.json"
KEEP_ANSWERABLE = 0.95
RESOLVED_STATES = ("resolved", "closed")
GRID = np.round(np.arange(0.0, 1.0001, 0.01), 2)
PERCENTILES = (5, 10, 25, 50, 75, 90, 95)

OFF_TOPIC_QUESTIONS = (
    "What temperature should I roast a whole chicken at?",
    "How long do I boil an egg for a runny yolk?",
    "Can you recommend a good sourdough starter recipe?",
    "Is it safe to freeze cooked rice and reheat it?",
    "What's a vegetarian alternative to beef lasagne?",
    "Who won the football match last night?",
    "When does the Wimbledon final start this year?",
    "How many players are on a rugby union team?",
    "What are the rules of the offside trap in football?",
    "Any tips for training for my first half marathon?",
    "Which terminal does the flight to Lisbon leave from?",
    "Do I need a visa to visit Japan for two weeks?",
    "What is the cheapest way to get from the airport to the city centre?",
    "Can I take a power bank in my hand luggage?",
    "Recommend a quiet hotel near the beach in Cornwall",
    "How many days of annual leave do I have left this year?",
    "When is the next payday and will the bonus be included?",
    "How do I apply for parental leave?",
    "Who do I talk to about a grievance with my manager?",
    "Is the office closed on the bank holiday Monday?",
    "What should I plant in a shady garden border?",
    "How often should I water a cactus?",
    "My cat keeps scratching the sofa, how do I stop it?",
    "What's the weather going to be like tomorrow afternoon?",
    "Can you suggest a birthday present for my nephew who is ten?",
    "How do I get a red wine stain out of a carpet?",
    "What time does the post office close on Saturdays?",
    "Which streaming service has the new detective series?",
    "How do I calculate the area of a circle?",
    "Where can I park my car near the train station for the day?",
)


@dataclass(frozen=True)
class DemoTicket:
    key: str
    site: str
    archetype: str
    title: str
    description: str
    document: str


@dataclass(frozen=True)
class Query:
    shape: str  # "ticket", "title" or "chat"
    site: str
    archetype: str
    text: str
    leave_out: str  # key of the ticket the query comes from, left out of its index


@dataclass(frozen=True)
class Distributions:
    answerable: dict[str, np.ndarray]  # by query shape
    not_covered: dict[str, np.ndarray]
    off_topic: np.ndarray

    def positives(self) -> np.ndarray:
        return np.concatenate(list(self.answerable.values()))

    def negatives(self) -> np.ndarray:
        return np.concatenate([*self.not_covered.values(), self.off_topic])


@dataclass(frozen=True)
class Cutoff:
    value: float
    kept: float  # share of answerable queries at or above the cut-off
    dropped: float  # share of not-covered and off-topic queries below it

    @property
    def balanced_accuracy(self) -> float:
        return (self.kept + self.dropped) / 2


def demo_tickets(path: Path = DEMO_TICKETS) -> list[DemoTicket]:
    """Resolved and closed demo tickets, rendered as `knowledge.documents.ticket_source` renders them."""
    tickets = []
    for row in json.loads(Path(path).read_text()):
        if row["state"] not in RESOLVED_STATES:
            continue
        description = row["description"].strip()
        parts = [row["title"], f"Problem: {description}"]
        if row.get("resolution", "").strip():
            parts.append(f"Resolution: {row['resolution'].strip()}")
        replies = [
            c["body"].strip()
            for c in row.get("comments", [])
            if not c.get("internal") and len(c["body"].strip()) >= MIN_REPLY_CHARS
        ]
        if replies:
            parts.append("Replies:\n" + "\n".join(f"- {reply}" for reply in replies))
        tickets.append(
            DemoTicket(
                key=row["key"],
                site=row["site"],
                archetype=row["archetype"],
                title=row["title"],
                description=description,
                document="\n\n".join(parts),
            )
        )
    return tickets


def demo_queries(
    tickets: list[DemoTicket], conversations_path: Path | None = DEMO_CONVERSATIONS
) -> list[Query]:
    """Each ticket as a ticket-shaped and a title-shaped query, and each demo chat's opening message."""
    queries = []
    for t in tickets:
        queries.append(Query("ticket", t.site, t.archetype, f"{t.title}\n\n{t.description}", t.key))
        queries.append(Query("title", t.site, t.archetype, t.title, t.key))
    if conversations_path is not None and Path(conversations_path).exists():
        for chat in json.loads(Path(conversations_path).read_text()):
            opening = next((m["body"] for m in chat["messages"] if m["author_kind"] == "customer"), "")
            if opening.strip():
                escalated_to = chat.get("ticket") or ""
                queries.append(Query("chat", chat["site"], chat["archetype"], opening, escalated_to))
    return queries


def _document_similarities(queries: np.ndarray, tickets: list[DemoTicket], embedder: Embedder) -> np.ndarray:
    """(queries x tickets) cosine similarity of each ticket's best chunk."""
    chunks, owners = [], []
    for index, ticket in enumerate(tickets):
        for chunk in chunk_text(ticket.title, ticket.document):
            chunks.append(chunk.text)
            owners.append(index)
    by_chunk = queries @ embedder.embed(chunks).T
    out = np.full((len(queries), len(tickets)), -1.0, dtype=np.float32)
    for column, owner in enumerate(owners):
        np.maximum(out[:, owner], by_chunk[:, column], out=out[:, owner])
    return out


def distributions(
    tickets: list[DemoTicket],
    queries: list[Query],
    embedder: Embedder,
    off_topic: tuple[str, ...] = OFF_TOPIC_QUESTIONS,
) -> Distributions:
    """The three similarity distributions described in the module docstring."""
    by_site: dict[str, list[DemoTicket]] = defaultdict(list)
    for ticket in tickets:
        by_site[ticket.site].append(ticket)
    off_topic_vectors = embedder.embed(list(off_topic))
    answerable: dict[str, list[float]] = defaultdict(list)
    not_covered: dict[str, list[float]] = defaultdict(list)
    off: list[float] = []
    for site, site_tickets in by_site.items():
        site_queries = [q for q in queries if q.site == site]
        vectors = np.vstack([embedder.embed([q.text for q in site_queries]), off_topic_vectors])
        scores = _document_similarities(vectors, site_tickets, embedder)
        archetypes = np.array([t.archetype for t in site_tickets])
        keys = np.array([t.key for t in site_tickets])
        for i, query in enumerate(site_queries):
            indexed = keys != query.leave_out
            same = indexed & (archetypes == query.archetype)
            if same.any():
                answerable[query.shape].append(scores[i, same].max())
            other = indexed & (archetypes != query.archetype)
            if other.any():
                not_covered[query.shape].append(scores[i, other].max())
        off.extend(scores[len(site_queries) :].max(axis=1))
    return Distributions(
        answerable={shape: np.array(v, dtype=np.float64) for shape, v in answerable.items()},
        not_covered={shape: np.array(v, dtype=np.float64) for shape, v in not_covered.items()},
        off_topic=np.array(off, dtype=np.float64),
    )


def evaluate(value: float, positives: np.ndarray, negatives: np.ndarray) -> Cutoff:
    return Cutoff(
        value=float(value),
        kept=float((np.asarray(positives) >= value).mean()),
        dropped=float((np.asarray(negatives) < value).mean()),
    )


def choose_cutoff(positives: np.ndarray, negatives: np.ndarray, keep: float = KEEP_ANSWERABLE) -> Cutoff:
    """The highest grid value keeping at least `keep` of the positives (similarity >= cut-off)."""
    positives = np.asarray(positives)
    kept = (positives[None, :] >= GRID[:, None]).mean(axis=1)
    value = GRID[np.flatnonzero(kept >= keep - 1e-12).max()]
    return evaluate(value, positives, negatives)


def best_balanced_accuracy(positives: np.ndarray, negatives: np.ndarray) -> Cutoff:
    """For comparison: the (lowest) grid value maximizing balanced accuracy."""
    cutoffs = [evaluate(value, positives, negatives) for value in GRID]
    return max(cutoffs, key=lambda c: (round(c.balanced_accuracy, 12), -c.value))


def calibrate(
    embedder: Embedder,
    tickets_path: Path = DEMO_TICKETS,
    conversations_path: Path | None = DEMO_CONVERSATIONS,
) -> tuple[Distributions, Cutoff]:
    tickets = demo_tickets(tickets_path)
    found = distributions(tickets, demo_queries(tickets, conversations_path), embedder)
    return found, choose_cutoff(found.positives(), found.negatives())


def percentiles(values: np.ndarray) -> dict[int, float]:
    return {p: float(np.percentile(values, p)) for p in PERCENTILES}
