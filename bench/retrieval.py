"""Retrieval benchmark: vector and hybrid search latency, HNSW recall, index build, embedding throughput.

Runs against its own database (`bench_retrieval` on the configured server; the dev data is never
touched) and uses the production query text (retrieval.selectors.SEARCH_SQL) on a table with the
production indexes. Usage (numbers and machine in docs/retrieval.md):

    .venv/bin/python bench/retrieval.py --size 10000 --size 100000
    .venv/bin/python bench/retrieval.py --size 1000000 --skip-embedding --skip-indexing
    .venv/bin/python bench/retrieval.py --size 0            # embedding + indexing throughput only

The synthetic corpus is clustered like real embeddings (topics with shared vocabulary), spread over 50
sites plus a few global rows; queries come from the same distribution, each for a random site.
"""

from __future__ import annotations

import argparse
import json
import os
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
from django.db import connections  # noqa: E402
from pgvector.psycopg import register_vector  # noqa: E402

from retrieval.selectors import BM25_B, BM25_K1, MAX_TERM_SHARE, SEARCH_SQL  # noqa: E402

BENCH_DB = "bench_retrieval"
MODEL = "local:all-MiniLM-L6-v2"
DIMS = 384
SITES = 50
TOPICS = 400
GLOBAL_SHARE = 0.005
TABLE_SQL = """
DROP TABLE IF EXISTS bench_chunk;
CREATE TABLE bench_chunk (
    id bigserial PRIMARY KEY,
    document_id bigint NOT NULL,
    site_id bigint NULL,
    source_type varchar(12) NOT NULL,
    source_id bigint NOT NULL,
    text text NOT NULL,
    embedding_model varchar(80) NOT NULL,
    embedding vector NOT NULL,
    token_count integer GENERATED ALWAYS AS (cardinality(regexp_split_to_array(btrim(text), '\\s+'))) STORED,
    search_vector tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, COALESCE(text, ''))) STORED
);
ALTER TABLE bench_chunk SET (toast_tuple_target = 8160);
"""
# The indexes of knowledge/migrations (0002 and 0003), on the bench table.
INDEX_SQL = {
    "btree": "CREATE INDEX bench_chunk_model_site ON bench_chunk (embedding_model, site_id);"
    "CREATE INDEX bench_chunk_site ON bench_chunk (site_id)",
    "gin": "CREATE INDEX bench_chunk_search_vector ON bench_chunk USING gin (search_vector)",
    "hnsw": f"CREATE INDEX bench_chunk_hnsw ON bench_chunk USING hnsw ((embedding::vector({DIMS})) "
    f"vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE embedding_model = '{MODEL}'",
}
VECTOR_SQL = f"""
SELECT id FROM bench_chunk
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


def bench_connection() -> psycopg.Connection:
    with psycopg.connect(**server_params("postgres"), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    connection = psycopg.connect(**server_params(BENCH_DB), autocommit=True)
    connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
    register_vector(connection)
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


def partitioned_table_sql() -> str:
    """The same table LIST-partitioned by site (one partition per site, one for global rows): each
    site's rows are contiguous and have their own HNSW graph, the layout pgvector suggests for filters."""
    create = TABLE_SQL.replace(") STORED\n);", ") STORED\n) PARTITION BY LIST (site_id);")
    create = create.replace("id bigserial PRIMARY KEY", "id bigserial")  # a partitioned key must hold site_id
    parts = ["CREATE TABLE bench_chunk_global PARTITION OF bench_chunk FOR VALUES IN (NULL)"]
    parts += [
        f"CREATE TABLE bench_chunk_s{n} PARTITION OF bench_chunk FOR VALUES IN ({n})"
        for n in range(1, SITES + 1)
    ]
    settings_sql = [
        f"ALTER TABLE bench_chunk_s{n} SET (toast_tuple_target = 8160)" for n in range(1, SITES + 1)
    ]
    create = create.replace("ALTER TABLE bench_chunk SET (toast_tuple_target = 8160);", "")
    return ";".join(
        [create, *parts, *settings_sql, "ALTER TABLE bench_chunk_global SET (toast_tuple_target = 8160)"]
    )


def load_corpus(connection, corpus: Corpus, size: int, batch: int = 50_000, layout: str = "single") -> dict:
    table_sql = partitioned_table_sql() if layout == "partitioned" else TABLE_SQL
    for statement in table_sql.split(";"):
        if statement.strip():
            connection.execute(statement)
    started = time.perf_counter()
    for offset in range(0, size, batch):
        n = min(batch, size - offset)
        topics = corpus.rng.integers(0, TOPICS, size=n)
        sites = corpus.rng.integers(1, SITES + 1, size=n)
        is_global = corpus.rng.random(n) < GLOBAL_SHARE
        vectors = corpus.vectors(topics)
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY bench_chunk (document_id, site_id, source_type, source_id, text, embedding_model, "
                "embedding) FROM STDIN WITH (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(["int8", "int8", "varchar", "int8", "text", "varchar", "vector"])
            for i in range(n):
                site = None if is_global[i] else int(sites[i])
                kind = "article" if is_global[i] else "ticket"
                copy.write_row(
                    [offset + i, site, kind, offset + i, corpus.text(int(topics[i])), MODEL, vectors[i]]
                )
    load_seconds = time.perf_counter() - started
    timings = {"load_s": round(load_seconds, 1)}
    for name, sql in INDEX_SQL.items():
        started = time.perf_counter()
        for statement in sql.split(";"):
            connection.execute(statement)
        timings[f"{name}_build_s"] = round(time.perf_counter() - started, 1)
    connection.execute("ANALYZE bench_chunk")
    # Summed over partitions when partitioned (pg_partition_tree has no rows for a plain relation).
    sizes = connection.execute(
        "SELECT COALESCE((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('bench_chunk')), "
        "pg_total_relation_size('bench_chunk')), "
        "COALESCE((SELECT sum(pg_relation_size(relid)) FROM pg_partition_tree('bench_chunk_hnsw')), "
        "pg_relation_size('bench_chunk_hnsw')), "
        "COALESCE((SELECT sum(pg_relation_size(relid)) FROM pg_partition_tree('bench_chunk_search_vector')), "
        "pg_relation_size('bench_chunk_search_vector')), "
        "COALESCE((SELECT sum(pg_relation_size(relid)) FROM pg_partition_tree('bench_chunk')), "
        "pg_relation_size('bench_chunk'))"
    ).fetchone()
    timings.update(
        {
            "total_mb": round(sizes[0] / 2**20),
            "hnsw_mb": round(sizes[1] / 2**20),
            "gin_mb": round(sizes[2] / 2**20),
            "heap_mb": round(sizes[3] / 2**20),
        }
    )
    return timings


# What similar_cases does: over-fetch candidates through the HNSW scan, then order them exactly.
OVERFETCH_SQL = f"""
WITH candidates AS MATERIALIZED (
    SELECT id, embedding::vector({DIMS}) <=> %(query)s::vector({DIMS}) AS distance FROM bench_chunk
    WHERE embedding_model = %(model)s AND (site_id = %(site)s OR site_id IS NULL)
    ORDER BY embedding::vector({DIMS}) <=> %(query)s::vector({DIMS}) LIMIT 80
)
SELECT id FROM candidates ORDER BY distance LIMIT 10
"""  # noqa: S608 - DIMS is a constant


def plan_uses_hnsw(connection, sql: str, params: dict, settings_sql: list[str]) -> bool:
    with connection.transaction():
        for statement in settings_sql:
            connection.execute(statement)
        plan = "\n".join(row[0] for row in connection.execute("EXPLAIN " + sql, params).fetchall())
    # An HNSW scan is the only index scan ordered by distance (on one table or on each partition).
    return "Order By: ((embedding)::vector" in plan


def run_query(connection, sql: str, params: dict, settings_sql: list[str]) -> tuple[float, list]:
    with connection.transaction():
        for statement in settings_sql:
            connection.execute(statement)
        started = time.perf_counter()
        rows = connection.execute(sql, params).fetchall()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, rows


def search_bench(connection, corpus: Corpus, queries: int, ef_values: list[int]) -> dict:
    topics = corpus.rng.integers(0, TOPICS, size=queries)
    sites = corpus.rng.integers(1, SITES + 1, size=queries)
    vectors = corpus.vectors(topics)
    base = [
        {"model": MODEL, "site": int(site), "query": vector}
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
        results[name] = {
            "plan_uses_hnsw": plan_uses_hnsw(connection, sql, base[0], scan),
            "p50_ms": round(percentile(latencies, 50), 2),
            "p95_ms": round(percentile(latencies, 95), 2),
            "recall_at_10": round(statistics.mean(recalls), 4),
        }
    hybrid_sql = SEARCH_SQL.format(dims=DIMS).replace("retrieval_chunk", "bench_chunk")
    latencies = []
    for params, topic in zip(base, topics, strict=True):
        hybrid = {
            **params,
            "sources": ["ticket", "transcript", "article"],
            "candidates": 80,  # what similar_cases asks for with k=10
            "words": corpus.text(int(topic), n=6),
            "k1": BM25_K1,
            "b": BM25_B,
            "max_share": MAX_TERM_SHARE,
            "with_global": True,
        }
        scan = ["SET LOCAL hnsw.iterative_scan = relaxed_order", "SET LOCAL hnsw.ef_search = 100"]
        elapsed, _rows = run_query(connection, hybrid_sql, hybrid, scan)
        latencies.append(elapsed)
    results["hybrid"] = {
        "plan_uses_hnsw": plan_uses_hnsw(connection, hybrid_sql, hybrid, scan),
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


def embedding_bench(batch_sizes: list[int], repeats: int = 3) -> dict:
    from retrieval.embedders import get_embedder

    embedder = get_embedder("local")
    short = [TICKET_TEXTS[i % 5].format(n=i) for i in range(256)]
    long = [" ".join(TICKET_TEXTS).format(n=i) * 2 for i in range(64)]  # ~200 tokens, like a full chunk
    embedder.embed(short[:4])
    results = {}
    for label, texts in (("ticket_~30_tokens", short), ("chunk_~200_tokens", long)):
        for size in batch_sizes:
            batch = texts[:size]
            started = time.perf_counter()
            for _ in range(repeats):
                embedder.embed(batch)
            per_second = len(batch) * repeats / (time.perf_counter() - started)
            results[f"{label}_batch{size}"] = round(per_second, 1)
    return results


def indexing_bench(documents: int) -> dict:
    """End to end on the bench database: tickets -> documents -> chunks -> embeddings -> rows."""
    from django.core.management import call_command
    from django.utils import timezone

    from helpdesk.models import Site, User
    from knowledge.services import index_site
    from retrieval.models import Chunk
    from tickets.models import Ticket, TicketState

    db = settings.DATABASES["default"]
    db["NAME"] = BENCH_DB
    connections.close_all()
    call_command("migrate", verbosity=0)
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
    started = time.perf_counter()
    stats = index_site(site=site, model="local", batch_size=64)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = index_site(site=site, model="local", batch_size=64)
    second = time.perf_counter() - started
    result = {
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
        "--layout",
        choices=["single", "partitioned"],
        default="single",
        help="partitioned: one partition per site",
    )
    parser.add_argument("--ef", type=int, action="append", help="hnsw.ef_search values (default 40 100)")
    parser.add_argument("--skip-embedding", action="store_true")
    parser.add_argument("--skip-indexing", action="store_true")
    parser.add_argument("--documents", type=int, default=500, help="Tickets for the end-to-end indexing run")
    parser.add_argument("--json", type=Path, help="Also write the results here")
    args = parser.parse_args()
    results: dict = {"machine": {"cpus": os.cpu_count()}, "search": {}}
    connection = bench_connection()
    connection.execute("SET maintenance_work_mem = '4GB'")
    connection.execute("SET max_parallel_maintenance_workers = 1")
    for size in [s for s in (args.size or [10_000]) if s > 0]:
        corpus = Corpus()
        build = load_corpus(connection, corpus, size, layout=args.layout)
        print(f"[{size}] built: {build}", flush=True)
        search = search_bench(connection, corpus, args.queries, args.ef or [40, 100])
        print(f"[{size}] search: {search}", flush=True)
        results["search"][size] = {"build": build, "search": search}
    connection.execute("DROP TABLE IF EXISTS bench_chunk")
    connection.close()
    if not args.skip_embedding:
        results["embedding_texts_per_s"] = embedding_bench([1, 8, 32, 64])
        print(f"embedding texts/s: {results['embedding_texts_per_s']}", flush=True)
    if not args.skip_indexing:
        results["indexing"] = indexing_bench(args.documents)
        print(f"indexing: {results['indexing']}", flush=True)
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
