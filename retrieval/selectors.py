"""Similar past cases for a text: hybrid search over one site's chunks plus the global KB.

One SQL statement does the work: an HNSW cosine scan (pgvector iterative scan, so the site filter does
not starve a small site of results) and a PostgreSQL full-text match, both filtered by site, source type
and embedding model inside the WHERE clause. Python fuses the two rankings by reciprocal rank fusion,
keeps the best chunk per source and applies the relevance cut-off on cosine similarity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from pgvector import Vector

from helpdesk.models import Site
from knowledge.documents import source_url
from knowledge.models import Document
from retrieval.embedders import Embedder, get_embedder
from retrieval.types import Case, SourceType

# Cosine similarity of the best chunk below which a source is "not similar". MiniLM's comes from
# `manage.py calibrate_cutoff` on the demo data (fixtures/demo), not the eval set: the highest value that
# keeps 95% of answerable demo queries (retrieval/calibration.py, docs/retrieval.md).
# The assistant can demand more before it answers; it gets `similarity` with every case. OpenAI's value
# is not calibrated here (no network).
DEFAULT_MIN_SIMILARITY = {"local:all-MiniLM-L6-v2": 0.41, "openai:text-embedding-3-small": 0.25}
FALLBACK_MIN_SIMILARITY = 0.3
RRF_K = 60  # the constant of Cormack et al.'s reciprocal rank fusion
CANDIDATES_PER_RESULT = 8
MIN_CANDIDATES = 40
SNIPPET_CHARS = 280
MAX_QUERY_WORDS = 48

SEARCH_SQL = """
WITH vector_hits AS MATERIALIZED (
    SELECT id, document_id, source_type, source_id, text,
           embedding::vector({dims}) <=> %(query)s::vector({dims}) AS distance
    FROM knowledge_chunk
    WHERE embedding_model = %(model)s
      AND (site_id = %(site)s OR site_id IS NULL)
      AND source_type = ANY(%(sources)s)
    ORDER BY embedding::vector({dims}) <=> %(query)s::vector({dims})
    LIMIT %(candidates)s
),
vector_ranked AS (
    SELECT *, row_number() OVER (ORDER BY distance, id) AS rank FROM vector_hits
),
text_hits AS MATERIALIZED (
    SELECT id, document_id, source_type, source_id, text,
           embedding::vector({dims}) <=> %(query)s::vector({dims}) AS distance,
           row_number() OVER (ORDER BY ts_rank_cd(search_vector, q) DESC, id) AS rank
    FROM knowledge_chunk, websearch_to_tsquery('english', %(words)s) AS q
    WHERE embedding_model = %(model)s
      AND (site_id = %(site)s OR site_id IS NULL)
      AND source_type = ANY(%(sources)s)
      AND search_vector @@ q
    ORDER BY ts_rank_cd(search_vector, q) DESC, id
    LIMIT %(candidates)s
)
SELECT COALESCE(v.document_id, t.document_id), COALESCE(v.source_type, t.source_type),
       COALESCE(v.source_id, t.source_id), COALESCE(v.text, t.text),
       1 - COALESCE(v.distance, t.distance) AS similarity, v.rank, t.rank
FROM vector_ranked v FULL OUTER JOIN text_hits t ON t.id = v.id
"""


@dataclass
class _Hit:
    document_id: int
    chunk_text: str
    score: float
    similarity: float


def _or_query(text: str) -> str:
    """The query's words joined by `or` for websearch_to_tsquery: a ticket-length query must not need
    every word to match; ts_rank_cd then prefers chunks covering more of them."""
    words = [w for w in dict.fromkeys(re.findall(r"[^\W_]{2,}", text.lower())) if w != "or"]
    return " or ".join(words[:MAX_QUERY_WORDS])


def _snippet(chunk: str, title: str) -> str:
    body = chunk[len(title) :].lstrip() if chunk.startswith(title) else chunk
    body = " ".join(body.split())
    if len(body) <= SNIPPET_CHARS:
        return body
    return body[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"


def search_chunks(
    *,
    site_id: int,
    text: str,
    sources: Iterable[str],
    embedder: Embedder,
    candidates: int,
    ef_search: int = 100,
) -> list[tuple]:
    """Rows (document_id, source_type, source_id, chunk text, similarity, vector rank, text rank)."""
    query_vector = embedder.embed([text])[0]
    params = {
        "query": Vector(query_vector).to_text(),
        "model": embedder.model_name,
        "site": site_id,
        "sources": list(sources),
        "candidates": candidates,
        "words": _or_query(text),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # Iterative scans keep walking the HNSW graph until enough rows pass the site filter.
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute(f"SET LOCAL hnsw.ef_search = {max(int(ef_search), candidates)}")
        cursor.execute(SEARCH_SQL.format(dims=int(embedder.dimensions)), params)
        return cursor.fetchall()


def similar_cases(
    *,
    site: Site | int,
    text: str,
    k: int = 5,
    sources: Iterable[str] = SourceType.ALL,
    min_similarity: float | None = None,
    embedder: Embedder | None = None,
) -> list[Case]:
    """Up to k past cases of `site` (plus global KB articles) similar to `text`, best first.

    Only vectors of the configured embedding model are compared. A source appears once (its best chunk);
    sources whose best chunk's cosine similarity is under `min_similarity` are dropped, so an
    unrelated question gets an empty list.
    """
    if not text or not text.strip() or k <= 0:
        return []
    embedder = embedder or get_embedder()
    if min_similarity is None:
        min_similarity = DEFAULT_MIN_SIMILARITY.get(embedder.model_name, FALLBACK_MIN_SIMILARITY)
    site_id = site.pk if isinstance(site, Site) else int(site)
    rows = search_chunks(
        site_id=site_id,
        text=text,
        sources=sources,
        embedder=embedder,
        candidates=max(k * CANDIDATES_PER_RESULT, MIN_CANDIDATES),
    )
    best: dict[tuple[str, int], _Hit] = {}
    for document_id, source_type, source_id, chunk, similarity, vector_rank, text_rank in rows:
        score = sum(1.0 / (RRF_K + rank) for rank in (vector_rank, text_rank) if rank is not None)
        key = (source_type, source_id)
        hit = best.get(key)
        if hit is None:
            best[key] = _Hit(document_id, chunk, score, similarity)
            continue
        if score > hit.score:
            hit.score, hit.chunk_text = score, chunk
        hit.similarity = max(hit.similarity, similarity)
    ranked = sorted(
        (hit for hit in best.values() if hit.similarity >= min_similarity),
        key=lambda hit: (hit.score, hit.similarity),
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
            category=document.category or None,
            priority=document.priority or None,
            resolution=document.resolution,
            text=document.text,
        )
        for hit in ranked
        if (document := documents.get(hit.document_id)) is not None
    ]
