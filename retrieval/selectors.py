"""Similar past cases for a text: hybrid search over one site's chunks plus the global KB.

One SQL statement does the work: an HNSW cosine scan (pgvector iterative scan, so the site filter does
not starve a small site of results) and an Okapi BM25 ranking of the full-text matches (idf and lengths
from the same site's chunks, through the GIN index), both filtered by site, source type and embedding
model inside the WHERE clause. The chunk table is partitioned by site (retrieval/partitions.py), so
that filter also prunes the scans to the site's partition and the global one; the final read of the
candidates repeats it for the same reason. Python keeps the best chunk per source on each side, fuses
the normalised scores with the site's own weight (`SearchProfile`, learnt from its history) and
applies the floor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.urls import reverse
from pgvector import Vector

from helpdesk.models import Site
from retrieval import tokens
from retrieval.embedders import Embedder, get_embedder
from retrieval.models import Document
from retrieval.types import Case, SourceType

# The cosine under which a question is unrelated to a site, when nothing else is known; the offline
# assistant's bar for using a case. MiniLM's comes from `manage.py calibrate_cutoff` on the demo data
# (fixtures/demo), not the eval set: the highest value that keeps 95% of answerable demo queries
# (retrieval/calibration.py, docs/retrieval.md). A site's own `SearchProfile` (knowledge.search_tuning)
# may lower it for search and the vote, never raise it. OpenAI's value is not calibrated (no network).
DEFAULT_MIN_SIMILARITY = {"local:all-MiniLM-L6-v2": 0.41, "openai:text-embedding-3-small": 0.25}
FALLBACK_MIN_SIMILARITY = 0.3
# The vector side's share of the fused score for a site without a tuned profile: neither side preferred.
DEFAULT_DENSE_WEIGHT = 0.5
# A case whose best chunk holds at least this share of the query's word weight (idf) is kept whatever its
# cosine: a majority of what the query says, matched word for word.
MIN_WORD_COVERAGE = 0.5
# Okapi BM25's usual constants (Robertson & Zaragoza); the full-text side ranks chunks as BM25 does.
BM25_K1 = 1.2
BM25_B = 0.75
# Words found in more than this share of the site's chunks weigh little in BM25 and would make the
# full-text side score almost every chunk; they are left out of the match.
MAX_TERM_SHARE = 0.5
COVERAGE_EXPONENT = 3
# Weight of the site classifier's probability for a case's category, added to its fused score: a case of
# the category the site's own model reads in the query moves up among cases that score alike. Chosen on
# the dev splits of banking77 and the fixture (docs/retrieval.md).
CATEGORY_PRIOR_WEIGHT = 0.2
CANDIDATES_PER_RESULT = 8
MIN_CANDIDATES = 40
SNIPPET_CHARS = 280
# all-MiniLM-L6-v2 reads 256 word pieces; a longer query is embedded in windows whose vectors are averaged,
# so a long post is judged by all of it rather than by its greeting.
QUERY_WINDOW_TOKENS = 200


def _site_filter(alias: str = "") -> str:
    """The WHERE clause every side of the search shares: one model, the site plus global rows, the kinds."""
    return (
        f"{alias}embedding_model = %(model)s "
        f"AND ({alias}site_id = %(site)s OR (%(with_global)s AND {alias}site_id IS NULL)) "
        f"AND {alias}source_type = ANY(%(sources)s)"
    )


# Up to this many chunks (the site's plus the global KB) the vector side is an exact scan rather than
# the HNSW graph: a few milliseconds at this size, and results that do not move between two builds of
# the graph (the approximate scan moved emanual-qa's MRR by 0.004 between two identical runs).
EXACT_SCAN_MAX_CHUNKS = 20_000
COUNT_SQL = f"SELECT count(*) FROM retrieval_chunk WHERE {_site_filter()}"  # noqa: S608 - constant filter

# Only our own constant filter is formatted in; every value is a query parameter.
SEARCH_SQL = f"""
WITH corpus AS MATERIALIZED (
    SELECT count(*) AS n, greatest(coalesce(avg(token_count), 1), 1) AS average_length
    FROM retrieval_chunk WHERE {_site_filter()}
),
terms AS MATERIALIZED (
    SELECT t.lexeme,
           (SELECT count(*) FROM retrieval_chunk
            WHERE {_site_filter()} AND search_vector @@ quote_literal(t.lexeme)::tsquery) AS df
    FROM (SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', %(words)s))) AS t
),
weights AS MATERIALIZED (
    SELECT lexeme, df, ln(1 + (corpus.n - df + 0.5) / (df + 0.5)) AS idf
    FROM terms, corpus
),
query_terms AS MATERIALIZED (
    SELECT lexeme, idf FROM weights, corpus WHERE df > 0 AND df <= greatest(1, corpus.n * %(max_share)s)
),
lexical AS MATERIALIZED (
    SELECT c.id,
           sum(w.idf * u.tf * (%(k1)s + 1)
               / (u.tf + %(k1)s * (1 - %(b)s + %(b)s * c.token_count / corpus.average_length))) AS bm25,
           sum(w.idf) AS matched_idf
    FROM retrieval_chunk c
    CROSS JOIN corpus
    CROSS JOIN LATERAL (
        SELECT lexeme, coalesce(array_length(positions, 1), 1) AS tf FROM unnest(c.search_vector)
    ) AS u
    JOIN query_terms w ON w.lexeme = u.lexeme
    WHERE {_site_filter("c.")}
      AND c.search_vector @@ (SELECT coalesce(string_agg(quote_literal(lexeme), ' | '), '')::tsquery
                              FROM query_terms)
    GROUP BY c.id
),
lexical_top AS (
    SELECT id FROM lexical ORDER BY bm25 DESC, id LIMIT %(candidates)s
),
vector_top AS MATERIALIZED (
    SELECT id FROM retrieval_chunk
    WHERE {_site_filter()}
    ORDER BY embedding::vector({{dims}}) <=> %(query)s::vector({{dims}})
    LIMIT %(candidates)s
)
SELECT c.document_id, c.source_type, c.source_id, c.text,
       1 - (c.embedding::vector({{dims}}) <=> %(query)s::vector({{dims}})) AS similarity,
       coalesce(l.bm25, 0), coalesce(l.matched_idf, 0),
       (SELECT coalesce(sum(idf), 0) FROM weights) AS query_idf
FROM (SELECT id FROM vector_top UNION SELECT id FROM lexical_top) AS candidate
JOIN retrieval_chunk c ON c.id = candidate.id
LEFT JOIN lexical l ON l.id = c.id
WHERE {_site_filter("c.")}
"""  # noqa: S608


@dataclass
class _Hit:
    document_id: int
    chunk_text: str
    similarity: float
    bm25: float
    coverage: float
    source_type: str = SourceType.TICKET
    score: float = 0.0
    related: bool = True


@dataclass(frozen=True)
class SearchSettings:
    """What a site's search uses: the fusion weight, the coverage it was learnt at, and the cosine floor
    (its profile, or the defaults)."""

    dense_weight: float
    min_similarity: float
    typical_coverage: float = 1.0
    article_dense_weight: float | None = None

    def weight_for(self, source_type: str) -> float:
        if source_type == SourceType.ARTICLE and self.article_dense_weight is not None:
            return self.article_dense_weight
        return self.dense_weight


def query_dense_weight(site_weight: float, coverage: float, typical_coverage: float) -> float:
    """The vector side's share for one query: the site's weight when the query's words are matched as
    well as the site's own cases match each other, shifting toward the vector side as the best match
    covers less of the query (a paraphrase shares meaning, not words). The lexical share falls with the
    cube of the coverage ratio: a query matched nearly as well as usual keeps nearly all of it, one
    matched half as well keeps an eighth (the exponent was chosen on the dev splits, docs/retrieval.md)."""
    if typical_coverage <= 0:
        return site_weight
    ratio = min(1.0, coverage / typical_coverage)
    return 1 - (1 - site_weight) * ratio**COVERAGE_EXPONENT


def search_settings(*, site_id: int, model_name: str) -> SearchSettings:
    """The site's tuned profile for the model, else the defaults; a profile can only lower the floor."""
    from retrieval.models import SearchProfile

    floor = DEFAULT_MIN_SIMILARITY.get(model_name, FALLBACK_MIN_SIMILARITY)
    profile = (
        SearchProfile.objects.filter(site_id=site_id, embedding_model=model_name)
        .values_list("dense_weight", "min_similarity", "typical_coverage", "article_dense_weight", "details")
        .first()
    )
    if profile is None:
        return SearchSettings(dense_weight=DEFAULT_DENSE_WEIGHT, min_similarity=floor)
    return SearchSettings(
        dense_weight=profile[0],
        min_similarity=min(profile[1], floor),
        typical_coverage=profile[2],
        article_dense_weight=profile[3],
    )


def _snippet(chunk: str, title: str) -> str:
    body = chunk[len(title) :].lstrip() if chunk.startswith(title) else chunk
    body = " ".join(body.split())
    if len(body) <= SNIPPET_CHARS:
        return body
    return body[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"


def embed_query(text: str, embedder: Embedder):
    """The query's vector; a query longer than the model reads is the mean of its windows' vectors."""
    ids = tokens.encode(text)
    if len(ids) <= QUERY_WINDOW_TOKENS:
        return embedder.embed([text])[0]
    windows = [
        tokens.decode(ids[start : start + QUERY_WINDOW_TOKENS])
        for start in range(0, len(ids), QUERY_WINDOW_TOKENS)
    ]
    mean = embedder.embed(windows).mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def search_params(
    *,
    site_id: int,
    text: str,
    sources: Iterable[str],
    model_name: str,
    vector,
    candidates: int,
    with_global: bool = True,
):
    """The parameters of SEARCH_SQL."""
    return {
        "with_global": with_global,
        "query": Vector(vector).to_text(),
        "model": model_name,
        "site": site_id,
        "sources": list(sources),
        "candidates": candidates,
        "words": text,
        "k1": BM25_K1,
        "b": BM25_B,
        "max_share": MAX_TERM_SHARE,
    }


def search_chunks(
    *,
    site_id: int,
    text: str,
    sources: Iterable[str],
    embedder: Embedder,
    candidates: int,
    ef_search: int = 100,
    with_global: bool = True,
) -> list[tuple]:
    """Candidate chunks from both sides: rows (document_id, source_type, source_id, chunk text, cosine
    similarity, BM25 score, matched idf, the query's total idf)."""
    params = search_params(
        site_id=site_id,
        text=text,
        sources=sources,
        model_name=embedder.model_name,
        vector=embed_query(text, embedder),
        candidates=candidates,
        with_global=with_global,
    )
    return search_rows(params, dimensions=embedder.dimensions, ef_search=ef_search)


def search_rows(params: Mapping, *, dimensions: int, ef_search: int = 100) -> list[tuple]:
    """SEARCH_SQL for `search_params`, scanned as the site's size warrants (bench/retrieval.py times
    this very function on the product's schema)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(COUNT_SQL, params)
        if cursor.fetchone()[0] <= EXACT_SCAN_MAX_CHUNKS:
            # A site this small is scanned exactly: as fast as the graph, and the same answer every time.
            cursor.execute("SET LOCAL enable_indexscan = off")
        else:
            # Iterative scans keep walking the HNSW graph until enough rows pass the site filter.
            cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            cursor.execute(f"SET LOCAL hnsw.ef_search = {max(int(ef_search), int(params['candidates']))}")
        cursor.execute(SEARCH_SQL.format(dims=int(dimensions)), params)
        return cursor.fetchall()


def _min_max(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    return [(v - low) / (high - low) if high > low else 0.0 for v in values]


def fuse(hits: list[_Hit], tuned: SearchSettings) -> None:
    """Score each hit: min-max normalised cosine and BM25 over the candidates, mixed by the site's weight
    for the hit's kind (case or article), adjusted to how much of the query its best word match covers
    (`query_dense_weight`).

    Normalised scores (rather than ranks) keep how far apart the candidates are on each side, so a side
    that sees no difference between them moves nothing."""
    if not hits:
        return
    coverage = max(hit.coverage for hit in hits)
    dense = _min_max([hit.similarity for hit in hits])
    lexical = _min_max([hit.bm25 for hit in hits])
    for hit, d, w in zip(hits, dense, lexical, strict=True):
        weight = query_dense_weight(tuned.weight_for(hit.source_type), coverage, tuned.typical_coverage)
        hit.score = weight * d + (1 - weight) * w


def similar_cases(
    *,
    site: Site | int,
    text: str,
    k: int = 5,
    sources: Iterable[str] = SourceType.ALL,
    min_similarity: float | None = None,
    embedder: Embedder | None = None,
    with_global: bool = True,
    every_case_related: bool = False,
    category_prior: Mapping[str, float] | None = None,
) -> list[Case]:
    """Up to k past cases of `site` (plus global KB articles, unless `with_global` is off: the evals
    measure a dataset's own corpus) similar to `text`, best first.

    Only vectors of the configured embedding model are compared. A source appears once, scored by its
    best chunk on each side. The result is a ranking, never cut by a score: each case says whether it is
    `related` (its cosine reaches the floor, `min_similarity` else the site's profile, or it matches most
    of the query's word weight) and carries its `similarity` for callers that demand more (the offline
    assistant does). What to show when nothing is related is the caller's choice (`any_related`: the
    similar-cases panels show nothing); cutting results dropped real answers phrased unlike their case
    (docs/retrieval.md). A page that lists answers as answers (the help-centre search) sets
    `every_case_related` to keep only related cases.
    `category_prior` (the site classifier's probability per category, from the tickets layer) lifts
    cases of the categories the query most likely belongs to.
    """
    if not text or not text.strip() or k <= 0:
        return []
    embedder = embedder or get_embedder()
    site_id = site.pk if isinstance(site, Site) else int(site)
    tuned = search_settings(site_id=site_id, model_name=embedder.model_name)
    floor = tuned.min_similarity if min_similarity is None else min_similarity
    rows = search_chunks(
        site_id=site_id,
        text=text,
        sources=sources,
        embedder=embedder,
        candidates=max(k * CANDIDATES_PER_RESULT, MIN_CANDIDATES),
        with_global=with_global,
    )
    best: dict[tuple[str, int], _Hit] = {}
    for document_id, source_type, source_id, chunk, similarity, bm25, matched, query_idf in rows:
        coverage = float(matched) / float(query_idf) if query_idf else 0.0
        hit = best.get((source_type, source_id))
        if hit is None:
            best[(source_type, source_id)] = _Hit(
                document_id, chunk, similarity, float(bm25), coverage, source_type=source_type
            )
            continue
        if similarity > hit.similarity:
            hit.similarity, hit.chunk_text = similarity, chunk
        hit.bm25, hit.coverage = max(hit.bm25, float(bm25)), max(hit.coverage, coverage)
    hits = list(best.values())
    fuse(hits, tuned)
    if category_prior:
        categories = dict(
            Document.objects.filter(pk__in=[hit.document_id for hit in hits]).values_list("pk", "category")
        )
        for hit in hits:
            hit.score += CATEGORY_PRIOR_WEIGHT * category_prior.get(categories.get(hit.document_id), 0.0)
    for hit in hits:
        hit.related = hit.similarity >= floor or hit.coverage >= MIN_WORD_COVERAGE
    ranked = sorted(
        [hit for hit in hits if hit.related] if every_case_related else hits,
        key=lambda h: (h.score, h.similarity),
        reverse=True,
    )[:k]
    documents = Document.objects.in_bulk([hit.document_id for hit in ranked])
    return [
        Case(
            source_type=document.source_type,
            source_id=document.source_id,
            site_id=document.site_id,
            title=document.title,
            snippet=_snippet(hit.chunk_text, document.title),
            url=source_url(document.source_type, document.source_id),
            score=round(hit.score, 6),
            similarity=round(float(hit.similarity), 4),
            coverage=round(float(hit.coverage), 4),
            related=hit.related,
            category=document.category or None,
            priority=document.priority or None,
            resolution=document.resolution,
            text=document.text,
        )
        for hit in ranked
        if (document := documents.get(hit.document_id)) is not None
    ]


def source_url(source_type: str, source_id: int) -> str:
    """Where an engineer opens the case (URL names only: retrieval imports none of the apps)."""
    name = {
        SourceType.TICKET: "tickets:detail",
        SourceType.TRANSCRIPT: "chat:conversation",
        SourceType.ARTICLE: "knowledge:article_detail",
    }[source_type]
    return reverse(name, args=[source_id])
