"""Retrieval benchmark: vector and hybrid search latency, HNSW recall, index build, embedding throughput.

Runs against its own database (`bench_retrieval` on the configured server, dropped and migrated afresh
for each size; the dev data is never touched) on the product's own schema: sites made by the product's
service, rows copied into `retrieval_chunk` at the previous migration (one unpartitioned table: the
baseline, measured first), then migration 0003 converts it in place (timed) and the same queries run on
the partitioned layout. Hybrid search is the product's own `retrieval.selectors.search_rows`. Usage
(numbers and machine in docs/retrieval.md):

    .venv/bin/python bench/retrieval.py --size 10000 --size 100000
    .venv/bin/python bench/retrieval.py --size 1000000 --skip-embedding --skip-indexing --no-baseline
    .venv/bin/python bench/retrieval.py --size 0            # embedding + indexing throughput only

The synthetic corpus is clustered like real embeddings (topics with shared vocabulary), spread over 50
sites plus a few global rows; queries come from the same distribution, each for a random site.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from pgvector import Vector  # noqa: E402
from pgvector.psycopg import register_vector  # noqa: E402

from retrieval.selectors import BM25_B, BM25_K1, MAX_TERM_SHARE, SEARCH_SQL  # noqa: E402

BENCH_DB = "bench_retrieval"
MODEL = "local:all-MiniLM-L6-v2"
DIMS = 384
SITES = 50
TOPICS = 400
GLOBAL_SHARE = 0.005
CHUNKS_PER_DOCUMENT = 20
# The product's schema at its previous migration (one table, one HNSW graph per model): the baseline.
UNPARTITIONED = ("retrieval", "0002_search_storage")
VECTOR_SQL = f"""
SELECT id FROM retrieval_chunk
WHERE embedding_model = %(model)s AND (site_id = %(site)s OR site_id IS NULL)
ORDER BY embedding::vector({DIMS}) <=> %(query)s::vector({DIMS}) LIMIT 10
"""  # noqa: S608 - DIMS is a constant


def server_params(dbname: str) -> dict:
    db = settings.DATABASES["default"]
    params = {
        "dbname": dbname,
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
    }
    params["port"] = db.get("PORT")
    return {key: value for key, value in params.items() if value}


def fresh_database() -> None:
    """An empty bench database migrated to the product's latest schema; Django points at it."""
    connections.close_all()
    with psycopg.connect(**server_params("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    settings.DATABASES["default"]["NAME"] = BENCH_DB
    call_command("migrate", verbosity=0)


def bench_connection() -> psycopg.Connection:
    """Values bound on the client, as Django binds them: the planner prunes partitions as in the product."""
    connection = psycopg.connect(
        **server_params(BENCH_DB), autocommit=True, cursor_factory=psycopg.ClientCursor
    )
    register_vector(connection)
    connection.execute("SET maintenance_work_mem = '4GB'")
    connection.execute("SET max_parallel_maintenance_workers = 1")
    return connection


class Corpus:
    """Topic-clustered unit vectors and matching texts; queries are fresh draws from the same topics."""

    def __init__(self, seed: int = 42):
        self.rng = np.random.default_rng(seed)
        self.centroids = self._unit(self.rng.standard_normal((TOPICS, DIMS)).astype(np.float32))
        syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "si", "de", "pa", "zu", "ge", "ri", "fo"]
        words = {
            "".join(self.rng.choice(syllables, size=self.rng.integers(2, 5))) + "x"
            for _ in range(TOPICS * 30)
        }
        self.vocabulary = np.array(sorted(words))
        self.topic_words = self.rng.choice(len(self.vocabulary), size=(TOPICS, 25))

    @staticmethod
    def _unit(matrix: np.ndarray) -> np.ndarray:
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    def vectors(self, topics: np.ndarray) -> np.ndarray:
        noise = self.rng.standard_normal((len(topics), DIMS)).astype(np.float32) * 0.055
        return self._unit(self.centroids[topics] + noise).astype(np.float32)

    def text(self, topic: int, n: int = 14) -> str:
        own = self.vocabulary[self.rng.choice(self.topic_words[topic], size=n)]
        common = self.vocabulary[self.rng.integers(0, len(self.vocabulary), size=4)]
        return " ".join([*own, *common])


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def migrate_retrieval(target: tuple[str, str] | None) -> float:
    """Move the bench database's chunk table to a layout through the product's own migrations."""
    started = time.perf_counter()
    call_command("migrate", *(target or ("retrieval",)), verbosity=0)
    return round(time.perf_counter() - started, 1)


def load_corpus(connection, corpus: Corpus, size: int, batch: int = 50_000, searched: bool = True) -> dict:
    """Sites (through the product's service), one KB article and document per CHUNKS_PER_DOCUMENT chunks,
    then the chunks, by COPY into the product's retrieval_chunk at its previous migration.

    When that layout is not searched (`--no-baseline`), its HNSW and GIN indexes are dropped before the
    load: migration 0003 builds the partitioned table's own after moving the rows either way, and
    inserting a million rows one by one into a graph that is about to be dropped costs hours."""
    from helpdesk.services import site_create

    site_ids = [site_create(name=f"Bench {n}", slug=f"bench-{n}").pk for n in range(SITES)]
    migrate_retrieval(UNPARTITIONED)
    if not searched:
        connection.execute(
            "DROP INDEX chunk_hnsw_local_minilm, chunk_hnsw_openai_3_small, chunk_search_vector"
        )
    owners = [None, *site_ids]
    documents = {owner: [] for owner in owners}
    per_owner = max(1, size // CHUNKS_PER_DOCUMENT // len(owners))
    for owner in owners:
        rows = connection.execute(
            "INSERT INTO knowledge_article (site_id, title, slug, body, state, created_at, updated_at) "
            "SELECT %s, 'Bench ' || g, 'bench-' || g, '', 'published', now(), now() "
            "FROM generate_series(1, %s) AS g RETURNING id",
            [owner, per_owner],
        ).fetchall()
        documents[owner] = [
            row[0]
            for row in connection.execute(
                "INSERT INTO retrieval_document (site_id, source_type, source_id, article_id, title, text, "
                "category, priority, resolution, content_hash, created_at, updated_at) "
                "SELECT %s, 'article', id, id, 'Bench', '', '', '', '', 'h', now(), now() "
                "FROM unnest(%s::bigint[]) AS id RETURNING id",
                [owner, [row[0] for row in rows]],
            ).fetchall()
        ]
    started = time.perf_counter()
    now = datetime.datetime.now(datetime.UTC)
    for offset in range(0, size, batch):
        n = min(batch, size - offset)
        topics = corpus.rng.integers(0, TOPICS, size=n)
        sites = corpus.rng.integers(0, SITES, size=n)
        is_global = corpus.rng.random(n) < GLOBAL_SHARE
        vectors = corpus.vectors(topics)
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY retrieval_chunk (document_id, site_id, source_type, source_id, ordinal, text, "
                "token_count, content_hash, embedding_model, embedding, created_at) FROM STDIN BINARY"
            ) as copy,
        ):
            copy.set_types(
                [
                    "int8",
                    "int8",
                    "varchar",
                    "int8",
                    "int4",
                    "text",
                    "int4",
                    "varchar",
                    "varchar",
                    "vector",
                    "timestamptz",
                ]
            )
            for i in range(n):
                owner = None if is_global[i] else site_ids[int(sites[i])]
                document = documents[owner][(offset + i) % len(documents[owner])]
                text = corpus.text(int(topics[i]))
                copy.write_row(
                    [
                        document,
                        owner,
                        "article",
                        document,
                        offset + i,
                        text,
                        len(text.split()),
                        str(offset + i),
                        MODEL,
                        vectors[i],
                        now,
                    ]
                )
    timings = {"load_s": round(time.perf_counter() - started, 1)}
    # As autovacuum would leave it: the visibility map set, so counts are index-only scans.
    connection.execute("VACUUM (ANALYZE) retrieval_chunk")
    return {**timings, **(table_sizes(connection) if searched else {})}, site_ids


def table_sizes(connection) -> dict:
    """Heap, HNSW and GIN sizes, summed over partitions when partitioned."""

    def size(relation: str, total: bool = False) -> int:
        function = "pg_total_relation_size" if total else "pg_relation_size"
        # One of two function names is formatted in; the relation is bound.
        sql = f"SELECT COALESCE((SELECT sum({function}(relid)) FROM pg_partition_tree(%s) WHERE isleaf), "  # noqa: S608
        sql += f"{function}(%s))"
        return connection.execute(sql, [relation, relation]).fetchone()[0]

    return {
        "total_mb": round(size("retrieval_chunk", total=True) / 2**20),
        "hnsw_mb": round(size("chunk_hnsw_local_minilm") / 2**20),
        "gin_mb": round(size("chunk_search_vector") / 2**20),
        "heap_mb": round(size("retrieval_chunk") / 2**20),
    }


# What similar_cases does: over-fetch candidates through the HNSW scan, then order them exactly.
OVERFETCH_SQL = f"""
WITH candidates AS MATERIALIZED (
    SELECT id, embedding::vector({DIMS}) <=> %(query)s::vector({DIMS}) AS distance FROM retrieval_chunk
    WHERE embedding_model = %(model)s AND (site_id = %(site)s OR site_id IS NULL)
    ORDER BY embedding::vector({DIMS}) <=> %(query)s::vector({DIMS}) LIMIT 80
)
SELECT id FROM candidates ORDER BY distance LIMIT 10
"""  # noqa: S608 - DIMS is a constant


def plan_of(connection, sql: str, params: dict, settings_sql: list[str]) -> str:
    with connection.transaction():
        for statement in settings_sql:
            connection.execute(statement)
        return "\n".join(row[0] for row in connection.execute("EXPLAIN " + sql, params).fetchall())


def plan_uses_hnsw(plan: str) -> bool:
    # An HNSW scan is the only index scan ordered by distance (on one table or on each partition).
    return "Order By: ((embedding)::vector" in plan


def partitions_read(plan: str) -> int:
    """How many chunk partitions the vector side of a plan reads (0 on the unpartitioned table)."""
    return len(set(re.findall(r" on (retrieval_chunk_\w+)", plan)))


def run_query(connection, sql: str, params: dict, settings_sql: list[str]) -> tuple[float, list]:
    with connection.transaction():
        for statement in settings_sql:
            connection.execute(statement)
        started = time.perf_counter()
        rows = connection.execute(sql, params).fetchall()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, rows


def search_bench(connection, corpus: Corpus, queries: int, ef_values: list[int], site_ids: list[int]) -> dict:
    """Vector queries (exact, HNSW at several ef_search, over-fetch) and the product's hybrid search
    (retrieval.selectors.search_rows, through Django: its count, its scan choice, its SQL)."""
    from retrieval.selectors import search_rows

    rng = np.random.default_rng(7)  # the same queries for both layouts
    topics = rng.integers(0, TOPICS, size=queries)
    sites = rng.integers(0, SITES, size=queries)
    vectors = corpus.vectors(topics)
    base = [
        {"model": MODEL, "site": site_ids[int(site)], "query": vector}
        for site, vector in zip(sites, vectors, strict=True)
    ]
    exact_ms, exact_ids = [], []
    for params in base:
        elapsed, rows = run_query(connection, VECTOR_SQL, params, ["SET LOCAL enable_indexscan = off"])
        exact_ms.append(elapsed)
        exact_ids.append({row[0] for row in rows})
    results = {
        "exact": {"p50_ms": round(percentile(exact_ms, 50), 2), "p95_ms": round(percentile(exact_ms, 95), 2)}
    }
    variants = [(f"hnsw_ef{ef}", VECTOR_SQL, ef) for ef in ef_values] + [
        ("hnsw_ef100_top80", OVERFETCH_SQL, 100)
    ]
    for name, sql, ef in variants:
        scan = ["SET LOCAL hnsw.iterative_scan = relaxed_order", f"SET LOCAL hnsw.ef_search = {ef}"]
        latencies, recalls = [], []
        for params, truth in zip(base, exact_ids, strict=True):
            elapsed, rows = run_query(connection, sql, params, scan)
            latencies.append(elapsed)
            recalls.append(len(truth & {row[0] for row in rows}) / max(len(truth), 1))
        plan = plan_of(connection, sql, base[0], scan)
        results[name] = {
            "plan_uses_hnsw": plan_uses_hnsw(plan),
            "partitions_read": partitions_read(plan),
            "p50_ms": round(percentile(latencies, 50), 2),
            "p95_ms": round(percentile(latencies, 95), 2),
            "recall_at_10": round(statistics.mean(recalls), 4),
        }
    hybrid_params = [
        {
            **params,
            "query": Vector(params["query"]).to_text(),
            "sources": ["ticket", "transcript", "article"],
            "candidates": 80,  # what similar_cases asks for with k=10
            "words": corpus.text(int(topic), n=6),
            "k1": BM25_K1,
            "b": BM25_B,
            "max_share": MAX_TERM_SHARE,
            "with_global": True,
        }
        for params, topic in zip(base, topics, strict=True)
    ]
    latencies = []
    for params in hybrid_params:
        started = time.perf_counter()
        search_rows(params, dimensions=DIMS)
        latencies.append((time.perf_counter() - started) * 1000)
    results["hybrid_product"] = {
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
    }
    hybrid_sql = SEARCH_SQL.format(dims=DIMS)
    scan = ["SET LOCAL hnsw.iterative_scan = relaxed_order", "SET LOCAL hnsw.ef_search = 100"]
    latencies = [run_query(connection, hybrid_sql, params, scan)[0] for params in hybrid_params]
    plan = plan_of(connection, hybrid_sql, hybrid_params[0], scan)
    results["hybrid_hnsw"] = {
        "plan_uses_hnsw": plan_uses_hnsw(plan),
        "partitions_read": partitions_read(plan),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
    }
    return results


TICKET_TEXTS = [
    "Printer on floor {n} shows a paper jam but there is no paper stuck; cleaned the tray sensor.",
    "Outlook keeps asking for the password on laptop {n}; cleared cached credentials in Credential Manager.",
    "VPN drops every {n} minutes when working from home; raised the keepalive and disabled SIP ALG.",
    "Shared drive S: missing for user {n}; re-added the security group and ran gpupdate /force.",
    "No Wi-Fi in meeting room {n}; the access point had lost PoE power, reseated the patch cable.",
]


def embedding_bench(batch_sizes: list[int], runtimes: list[str], rounds: int = 3) -> dict:
    """Texts/s per engine of the local embedder, interleaved round by round so load hits all alike."""
    from retrieval.embedders import LocalEmbedder, local_model_dir

    embedders = {runtime: LocalEmbedder(local_model_dir(), runtime=runtime) for runtime in runtimes}
    short = [TICKET_TEXTS[i % 5].format(n=i) for i in range(256)]
    long = [" ".join(TICKET_TEXTS).format(n=i) * 2 for i in range(64)]  # ~200 tokens, like a full chunk
    for embedder in embedders.values():
        embedder.embed(short[:4])
    rates: dict[str, list[float]] = {}
    for _ in range(rounds):
        for label, texts in (("ticket_~30_tokens", short), ("chunk_~200_tokens", long)):
            for size in batch_sizes:
                for runtime, embedder in embedders.items():
                    batch = texts[:size]
                    repeats = max(1, 64 // size)
                    started = time.perf_counter()
                    for _ in range(repeats):
                        embedder.embed(batch)
                    key = f"{runtime}:{label}_batch{size}"
                    rates.setdefault(key, []).append(len(batch) * repeats / (time.perf_counter() - started))
    results = {key: round(statistics.median(values), 1) for key, values in rates.items()}
    for key in list(results):
        baseline = results[f"{runtimes[0]}:{key.split(':', 1)[1]}"]
        results[f"{key}_ratio"] = round(results[key] / baseline, 2)
    return results


def indexing_bench(documents: int, runtimes: list[str]) -> list[dict]:
    """End to end on the bench database: tickets -> documents -> chunks -> embeddings -> rows."""
    fresh_database()
    return [index_one_site(documents, runtime) for runtime in runtimes]


def index_one_site(documents: int, runtime: str) -> dict:
    """One site's tickets indexed with one engine of the local embedder, then deleted."""
    from django.test import override_settings
    from django.utils import timezone

    from helpdesk.models import Site, User
    from knowledge.services import index_site
    from retrieval import embedders
    from retrieval.models import Chunk
    from tickets.models import Ticket, TicketState

    Ticket.objects.all().delete()
    Site.objects.filter(slug="bench-site").delete()
    site = Site.objects.create(name="Bench site", slug="bench-site")
    requester = User.objects.create(username=f"bench-{time.time_ns()}", role=User.Role.CUSTOMER, site=site)
    Ticket.objects.bulk_create(
        Ticket(
            site=site,
            requester=requester,
            title=TICKET_TEXTS[i % 5].format(n=i).split(";")[0],
            description=TICKET_TEXTS[(i + 1) % 5].format(n=i) + " It started this morning after the update.",
            resolution=TICKET_TEXTS[i % 5].format(n=i).split(";")[1],
            state=TicketState.RESOLVED,
            resolved_at=timezone.now(),
        )
        for i in range(documents)
    )
    with override_settings(LOCAL_EMBEDDER_RUNTIME=runtime):
        embedders._embedder.cache_clear()
        embedders.get_embedder("local").embed(["warm up"])  # loading the model is not indexing
        started = time.perf_counter()
        stats = index_site(site=site, model="local", batch_size=64)
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = index_site(site=site, model="local", batch_size=64)
        second = time.perf_counter() - started
    embedders._embedder.cache_clear()
    result = {
        "runtime": runtime,
        "documents": stats.indexed,
        "chunks": Chunk.objects.filter(site=site).count(),
        "docs_per_s": round(stats.indexed / first, 1),
        "rerun_unchanged": again.unchanged,
        "rerun_s": round(second, 2),
    }
    Ticket.objects.filter(site=site).delete()
    site.delete()  # and, by cascade, its customer, documents and chunks
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, action="append", help="Corpus size (repeatable); 0 skips search")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--no-baseline", action="store_true", help="Skip the searches on the unpartitioned layout"
    )
    parser.add_argument("--ef", type=int, action="append", help="hnsw.ef_search values (default 40 100)")
    parser.add_argument(
        "--runtime",
        action="append",
        choices=["numpy", "onnx", "onnx-int8"],
        help="Local embedder engines to compare (repeatable; the first is the baseline; default numpy)",
    )
    parser.add_argument("--skip-embedding", action="store_true")
    parser.add_argument("--skip-indexing", action="store_true")
    parser.add_argument("--documents", type=int, default=500, help="Tickets for the end-to-end indexing run")
    parser.add_argument("--json", type=Path, help="Also write the results here")
    args = parser.parse_args()
    results: dict = {"machine": {"cpus": os.cpu_count()}, "search": {}}
    for size in [s for s in (args.size or [10_000]) if s > 0]:
        fresh_database()
        connection = bench_connection()
        corpus = Corpus()
        build, site_ids = load_corpus(connection, corpus, size, searched=not args.no_baseline)
        print(f"[{size}] unpartitioned, loaded: {build}", flush=True)
        run = {"unpartitioned": {"build": build}}
        if not args.no_baseline:
            run["unpartitioned"]["search"] = search_bench(
                connection, corpus, args.queries, args.ef or [40, 100], site_ids
            )
            print(f"[{size}] unpartitioned: {run['unpartitioned']['search']}", flush=True)
        build = {"migrate_s": migrate_retrieval(None), **table_sizes(connection)}
        connection.execute("VACUUM (ANALYZE) retrieval_chunk")
        print(f"[{size}] partitioned by migration 0003: {build}", flush=True)
        search = search_bench(connection, corpus, args.queries, args.ef or [40, 100], site_ids)
        print(f"[{size}] partitioned: {search}", flush=True)
        run["partitioned"] = {"build": build, "search": search}
        if not args.no_baseline:
            old = run["unpartitioned"]["search"]
            run["p95_ratio_old_over_new"] = {
                name: round(old[name]["p95_ms"] / max(search[name]["p95_ms"], 1e-3), 1) for name in search
            }
        results["search"][size] = run
        connection.close()
    if not args.skip_embedding:
        results["embedding_texts_per_s"] = embedding_bench([1, 8, 32, 64], args.runtime or ["numpy"])
        print(f"embedding texts/s: {results['embedding_texts_per_s']}", flush=True)
    if not args.skip_indexing:
        results["indexing"] = indexing_bench(args.documents, args.runtime or ["numpy"])
        print(f"indexing: {results['indexing']}", flush=True)
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
