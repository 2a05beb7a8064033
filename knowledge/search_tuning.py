"""Learn a site's hybrid-search profile from its own history: how much the vector side should weigh
against the BM25 side, and the cosine floor under which a case is "not similar".

No eval set is read. The site's indexed documents supply pseudo-queries of the two shapes the product
answers, each with a known answer:

- **same-problem** (categorized tickets and chats): the case's problem text (its title and description)
  is the query; the site's other documents of the same category are relevant, the case itself is left
  out, and documents without a category are left out of the ranking (nobody judged them: a chat that
  repeats the ticket word for word is not a miss). This is what triage and the similar-cases panel do
  with a new ticket.
- **terse** (the same cases): the case's title alone, judged the same way: what a customer types into
  the help-centre search or the chat ("outlook keeps asking for my password"). Short queries share
  fewer words with their answer, so a site whose history reads alike word for word is not taken for
  one whose customers search with those words.
- **heading** (KB articles): the article's title is the query and the article, re-embedded and re-indexed
  without its title, is the one relevant document (an inverse-cloze task: a question is short and a
  section answers it).

Past cases (tickets, chats) and KB articles get a weight each: a question finds a manual section by
its words more than a problem finds an old ticket. Both are chosen together, on every pseudo-query, over
the grid of pairs: what an article's weight does to ticket-shaped queries (an article pushed above the
ticket that answers) counts as much as what it does for heading queries.
Each pseudo-query is ranked over the site's real chunks exactly as `retrieval.selectors` ranks them
(best chunk per document on each side, min-max normalised, mixed with the weight adjusted to the query's
word coverage against the site's typical coverage, the median over these pseudo-queries), for every
weight on a 0.1 grid. The pair kept is the best of the grid's 3×3 moving average of MRR@10 (a single
noisy point is not a choice).

The floor is where this site's corpus stops looking related to anything: the 90th percentile of the best
cosine that generic off-topic questions (`retrieval.calibration.OFF_TOPIC_QUESTIONS`: cooking, sport,
travel...) reach among the site's chunks, never above the global calibrated cut-off. A bank's corpus
sits closer to "Do I need a visa?" than a dental clinic's, so one constant cannot serve both. Pseudo-
queries cannot set it: the site's own cases are far more alike than a customer's first words are to
their answer (on the eval fixture a fifth of answerable chat questions fall under 0.41).
"""

from __future__ import annotations

import logging
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import Q

from helpdesk.models import Site
from retrieval.calibration import OFF_TOPIC_QUESTIONS
from retrieval.chunking import chunk_text
from retrieval.embedders import Embedder, get_embedder
from retrieval.models import Chunk, Document, SearchProfile, SourceType
from retrieval.selectors import (
    BM25_B,
    BM25_K1,
    DEFAULT_MIN_SIMILARITY,
    FALLBACK_MIN_SIMILARITY,
    MAX_TERM_SHARE,
    embed_query,
    query_dense_weight,
)

logger = logging.getLogger(__name__)

WEIGHTS = tuple(round(0.1 * step, 1) for step in range(11))
MAX_PSEUDO_QUERIES = 150  # per shape; enough for a stable MRR curve, cheap enough for the worker
MIN_PSEUDO_QUERIES = 20  # fewer and the site keeps the defaults
MAX_CHUNKS = 50_000  # beyond this the in-memory replay is too big for the worker: keep the profile
FLOOR_PERCENTILE = 90
RANK_DEPTH = 10
CANDIDATES = 50
RESOLUTION_MARK = "\n\nResolution:"


@dataclass
class PseudoQuery:
    shape: str  # same_problem, terse or heading
    text: str
    relevant: set[int]  # document ids
    exclude: int | None = None  # the document the query came from (left out of the ranking)
    judged: set[int] | None = None  # when set, only these documents are ranked

    def may_rank(self, document_id: int) -> bool:
        return document_id != self.exclude and (self.judged is None or document_id in self.judged)


def problem_text(document: Document) -> str:
    """What a new case of this kind would have said: a ticket's title and problem, a chat's question."""
    if document.source_type == SourceType.TRANSCRIPT:
        return document.title
    return document.text.split(RESOLUTION_MARK, 1)[0].replace("\n\nProblem: ", "\n", 1)


def lexemes(texts: list[str]) -> list[dict[str, int]]:
    """PostgreSQL's english lexemes of each text with their counts, as the search's tsvector holds them."""
    if not texts:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.ordinality, u.lexeme, coalesce(array_length(u.positions, 1), 1)
            FROM unnest(%s::text[]) WITH ORDINALITY AS t(body, ordinality),
                 unnest(to_tsvector('english', t.body)) AS u
            """,
            [texts],
        )
        found: list[dict[str, int]] = [{} for _ in texts]
        for ordinality, lexeme, count in cursor.fetchall():
            found[ordinality - 1][lexeme] = count
    return found


class SiteIndex:
    """The site's chunks (plus global KB rows) in memory: vectors and lexeme counts, BM25 as in the SQL."""

    def __init__(self, *, site: Site, model: str, with_global: bool = True):
        chunks = list(
            Chunk.objects.filter(embedding_model=model)
            .filter(Q(site=site) | Q(site__isnull=True) if with_global else Q(site=site))
            .order_by("pk")
            .values_list("pk", "document_id", "embedding", "token_count")
        )
        self.chunk_ids = [row[0] for row in chunks]
        self.owner = np.array([row[1] for row in chunks])
        self.vectors = np.array([np.asarray(row[2], dtype=np.float32) for row in chunks])
        self.lengths = np.array([max(row[3], 1) for row in chunks], dtype=np.float64)
        position = {pk: i for i, pk in enumerate(self.chunk_ids)}
        self.terms: list[dict[str, int]] = [{} for _ in chunks]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.id, u.lexeme, coalesce(array_length(u.positions, 1), 1) "
                "FROM retrieval_chunk c, unnest(c.search_vector) u WHERE c.id = ANY(%s)",
                [self.chunk_ids],
            )
            for pk, lexeme, count in cursor.fetchall():
                self.terms[position[pk]][lexeme] = count
        self.documents = sorted(set(self.owner.tolist()))

    def replace_document(self, document_id: int, vectors: np.ndarray, terms: list[dict[str, int]]):
        """A copy of the index where one document's chunks are swapped for others (the heading task)."""
        keep = self.owner != document_id
        other = object.__new__(SiteIndex)
        other.owner = np.concatenate([self.owner[keep], np.full(len(vectors), document_id)])
        other.vectors = np.vstack([self.vectors[keep], vectors])
        kept_terms = [t for t, k in zip(self.terms, keep, strict=True) if k]
        other.terms = kept_terms + terms
        other.lengths = np.concatenate(
            [self.lengths[keep], np.array([max(sum(t.values()), 1) for t in terms], dtype=np.float64)]
        )
        other.documents = self.documents
        return other

    def bm25(self, query_terms: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        """Each chunk's BM25 score and the share of the query's idf it matches, as SEARCH_SQL has them."""
        n = len(self.terms)
        average = float(self.lengths.mean()) if n else 1.0
        document_frequency = Counter()
        for term in query_terms:
            document_frequency[term] = sum(1 for chunk in self.terms if term in chunk)
        scores, matched = np.zeros(n), np.zeros(n)
        total = 0.0
        for term, df in document_frequency.items():
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            total += idf
            if df == 0 or df > max(1, n * MAX_TERM_SHARE):
                continue
            for i, chunk in enumerate(self.terms):
                tf = chunk.get(term)
                if tf:
                    norm = BM25_K1 * (1 - BM25_B + BM25_B * self.lengths[i] / average)
                    scores[i] += idf * tf * (BM25_K1 + 1) / (tf + norm)
                    matched[i] += idf
        return scores, matched / total if total else matched

    def per_document(self, chunk_scores: np.ndarray) -> dict[int, float]:
        best: dict[int, float] = defaultdict(lambda: -math.inf)
        for document_id, score in zip(self.owner.tolist(), chunk_scores.tolist(), strict=True):
            if score > best[document_id]:
                best[document_id] = score
        return best


@dataclass
class Replay:
    """One pseudo-query's scores on both sides (per document), kept until the site's typical coverage is
    known and every weight can be scored as `retrieval.selectors.fuse` would score it."""

    query: PseudoQuery
    dense: dict[int, float]
    lexical: dict[int, float]
    coverage: dict[int, float]

    def top_coverage(self) -> float:
        """The best coverage among the documents this query may rank (never its own document)."""
        return max(
            (c for d, c in self.coverage.items() if self.query.may_rank(d)),
            default=0.0,
        )


def _reciprocal_ranks(replay: Replay, typical_coverage: float, articles: set[int]) -> np.ndarray:
    """MRR@10 contribution of the query for every pair of weights (past cases, KB articles) on the grid,
    ranking as `retrieval.selectors.fuse` does: a WEIGHTS × WEIGHTS array."""
    dense, lexical, query = replay.dense, replay.lexical, replay.query

    dense = {d: s for d, s in dense.items() if query.may_rank(d)}
    lexical = {d: s for d, s in lexical.items() if query.may_rank(d)}
    top_dense = sorted(dense, key=dense.get, reverse=True)[:CANDIDATES]
    top_lexical = [d for d in sorted(lexical, key=lexical.get, reverse=True)[:CANDIDATES] if lexical[d] > 0]
    candidates = sorted(set(top_dense) | set(top_lexical))

    def normalised(scores):
        values = [scores.get(d, 0.0) for d in candidates]
        low, high = min(values), max(values)
        return np.array([(v - low) / (high - low) if high > low else 0.0 for v in values])

    d, w = normalised(dense), normalised(lexical)
    is_article = np.array([c in articles for c in candidates], dtype=bool)
    coverage = max((replay.coverage.get(c, 0.0) for c in candidates), default=0.0)
    shares = [query_dense_weight(weight, coverage, typical_coverage) for weight in WEIGHTS]
    result = np.zeros((len(WEIGHTS), len(WEIGHTS)))
    for i, case_share in enumerate(shares):
        for j, article_share in enumerate(shares):
            share = np.where(is_article, article_share, case_share)
            fused = share * d + (1 - share) * w
            order = [candidates[k] for k in np.argsort(-fused, kind="stable")[:RANK_DEPTH]]
            result[i, j] = next((1 / rank for rank, doc in enumerate(order, 1) if doc in query.relevant), 0.0)
    return result


def _same_problem_queries(site: Site, rng: random.Random) -> list[PseudoQuery]:
    labelled = dict(Document.objects.filter(site=site).exclude(category="").values_list("pk", "category"))
    by_category: dict[str, set[int]] = defaultdict(set)
    for pk, label in labelled.items():
        by_category[label].add(pk)
    cases = [
        case
        for case in Document.objects.filter(
            pk__in=list(labelled), source_type__in=[SourceType.TICKET, SourceType.TRANSCRIPT]
        ).order_by("pk")
        if len(by_category[case.category]) > 1
    ]
    chosen = rng.sample(cases, min(MAX_PSEUDO_QUERIES, len(cases)))
    judged = set(labelled)
    return [
        PseudoQuery(shape, text, by_category[case.category] - {case.pk}, exclude=case.pk, judged=judged)
        for case in chosen
        for shape, text in (("same_problem", problem_text(case)), ("terse", case.title))
    ]


def _heading_documents(site: Site, rng: random.Random) -> list[Document]:
    articles = [
        article
        for article in Document.objects.filter(site=site, source_type=SourceType.ARTICLE).order_by("pk")
        if len(article.text) - len(article.title) > 2 * len(article.title)
    ]
    return rng.sample(articles, min(MAX_PSEUDO_QUERIES, len(articles)))


def _best_weights(surfaces: list[np.ndarray]) -> tuple[float, float]:
    """The (past cases, KB articles) weights with the best 3×3 moving average of the pooled MRR surface:
    a single noisy grid point is not a choice."""
    mrr = np.mean(surfaces, axis=0)
    padded = np.pad(mrr, 1, mode="edge")
    smoothed = sum(padded[i : i + len(WEIGHTS), j : j + len(WEIGHTS)] for i in range(3) for j in range(3)) / 9
    i, j = np.unravel_index(int(np.argmax(smoothed)), smoothed.shape)
    return WEIGHTS[i], WEIGHTS[j]


def tune_site_search(
    *, site: Site, embedder: Embedder | None = None, with_global: bool = True
) -> SearchProfile | None:
    """Choose and store the site's search profile; None (defaults kept) when its history is too thin.
    `with_global` off leaves the global KB out, as the evals search without it."""
    embedder = embedder or get_embedder()
    rng = random.Random(0)  # the same history gives the same profile
    index = SiteIndex(site=site, model=embedder.model_name, with_global=with_global)
    if not index.documents or len(index.owner) > MAX_CHUNKS:
        return None
    curves: dict[str, list[list[float]]] = {"same_problem": [], "terse": [], "heading": []}

    replays: list[Replay] = []

    def replay(query: PseudoQuery, search_index: SiteIndex, vector, terms) -> None:
        scores, coverage = search_index.bm25(terms)
        replays.append(
            Replay(
                query,
                search_index.per_document(search_index.vectors @ vector),
                search_index.per_document(scores),
                search_index.per_document(coverage),
            )
        )

    queries = _same_problem_queries(site, rng)
    query_terms = lexemes([q.text for q in queries])
    for query, terms in zip(queries, query_terms, strict=True):
        replay(query, index, embed_query(query.text, embedder), terms)

    for article in _heading_documents(site, rng):
        body = (
            article.text[len(article.title) :].strip()
            if article.text.startswith(article.title)
            else article.text
        )
        pieces = [chunk.text for chunk in chunk_text("", body)]
        vectors = embedder.embed([*pieces, article.title])
        terms = lexemes([*pieces, article.title])
        swapped = index.replace_document(article.pk, vectors[:-1], terms[:-1])
        replay(PseudoQuery("heading", article.title, {article.pk}), swapped, vectors[-1], terms[-1])

    if len(replays) < MIN_PSEUDO_QUERIES:
        return None
    typical_coverage = float(np.median([r.top_coverage() for r in replays]))
    articles = set(
        Document.objects.filter(pk__in=index.documents, source_type=SourceType.ARTICLE).values_list(
            "pk", flat=True
        )
    )
    for item in replays:
        curves[item.query.shape].append(_reciprocal_ranks(item, typical_coverage, articles))
    total = len(replays)
    surfaces = [surface for rows in curves.values() for surface in rows]
    cases, article_weight = _best_weights(surfaces)
    if not curves["heading"]:  # no article to learn from: articles follow the cases, and the other way
        article_weight = cases
    elif not curves["same_problem"]:
        cases = article_weight
    mrr = np.mean(surfaces, axis=0)
    ceiling = DEFAULT_MIN_SIMILARITY.get(embedder.model_name, FALLBACK_MIN_SIMILARITY)
    off_topic = (embedder.embed(list(OFF_TOPIC_QUESTIONS)) @ index.vectors.T).max(axis=1)
    floor = min(ceiling, float(np.percentile(off_topic, FLOOR_PERCENTILE)))
    profile, _ = SearchProfile.objects.update_or_create(
        site=site,
        embedding_model=embedder.model_name,
        defaults={
            "dense_weight": cases,
            "article_dense_weight": article_weight,
            "typical_coverage": round(typical_coverage, 4),
            "min_similarity": round(floor, 4),
            "pseudo_queries": total,
            "details": {
                "best_mrr": round(float(mrr.max()), 4),
                "mrr_by_weight": dict(
                    zip([str(w) for w in WEIGHTS], np.round(mrr.diagonal(), 4).tolist(), strict=True)
                ),
                "queries": {name: len(rows) for name, rows in curves.items()},
                "mrr_by_shape": {  # along the grid's diagonal: one weight for both kinds
                    name: np.round(np.mean(rows, axis=0).diagonal(), 4).tolist()
                    for name, rows in curves.items()
                    if rows
                },
            },
        },
    )
    logger.info(
        "site %s search profile: dense weight %.1f for cases, %.1f for articles, floor %.3f",
        site.pk, profile.dense_weight, profile.article_dense_weight, floor,
    )  # fmt: skip
    return profile
