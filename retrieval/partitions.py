"""The vector table's partitions: `retrieval_chunk` is LIST-partitioned by site, one partition per site
and one for global rows (site_id NULL), pgvector's advice for filtered search: a site's query reads its
own partition and the global one (partition pruning), each with its own HNSW graph, so a small site is
never starved by the neighbours of a big one.

A partition is created with its site (retrieval's AppConfig connects `post_save`) and dropped once the
site's deletion has committed (`post_delete`, on commit: its rows went with the site's cascade, and a
DROP takes an ACCESS EXCLUSIVE lock on the parent, which must not be held for the length of a long
cascade). There is no DEFAULT partition: a row for a site without a partition fails loudly instead of
landing in a shared heap that every site's search would scan.

Each partition's indexes are named after the parent's (`chunk_hnsw_local_minilm_site12`), so a query
plan says which graph it read.
"""

from __future__ import annotations

from django.db import connections, transaction

PARENT = "retrieval_chunk"
# Rows up to a page stay inline in the heap rather than in TOAST (knowledge 0004); a storage parameter
# of each partition, a partitioned parent has no heap of its own.
TOAST_TUPLE_TARGET = 8160
MAX_IDENTIFIER = 63

PARTITION_INDEXES_SQL = """
SELECT child.relname, parent.relname
FROM pg_index AS x
JOIN pg_class AS child ON child.oid = x.indexrelid
JOIN pg_inherits AS i ON i.inhrelid = child.oid
JOIN pg_class AS parent ON parent.oid = i.inhparent
WHERE x.indrelid = %s::regclass
"""


def partition_suffix(site_id: int | None) -> str:
    return "global" if site_id is None else f"site{int(site_id)}"


def partition_name(site_id: int | None) -> str:
    return f"{PARENT}_{partition_suffix(site_id)}"


def partition_indexes_name(*, cursor, site_id: int | None) -> None:
    """Rename the partition's indexes after the parent's (PostgreSQL names them after the table)."""
    suffix = partition_suffix(site_id)
    cursor.execute(PARTITION_INDEXES_SQL, [partition_name(site_id)])
    for child, parent in cursor.fetchall():
        wanted = f"{parent[: MAX_IDENTIFIER - len(suffix) - 1]}_{suffix}"
        if child != wanted:
            cursor.execute(f'ALTER INDEX "{child}" RENAME TO "{wanted}"')


def partition_create(*, site_id: int | None, using: str = "default") -> None:
    """The site's partition, with the parent's indexes and foreign keys; a no-op when it exists."""
    bound = "NULL" if site_id is None else str(int(site_id))
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {partition_name(site_id)} PARTITION OF {PARENT} "
            f"FOR VALUES IN ({bound}) WITH (toast_tuple_target = {TOAST_TUPLE_TARGET})"
        )
        partition_indexes_name(cursor=cursor, site_id=site_id)


def partition_drop(*, site_id: int, using: str = "default") -> None:
    """Drop a deleted site's partition (empty by then: the site's deletion cascaded to its chunks)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {partition_name(site_id)}")


def partition_names(*, using: str = "default") -> set[str]:
    """The partitions that exist, for tests and operators."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass", [PARENT]
        )
        return {name for (name,) in cursor.fetchall()}


def on_site_saved(sender, instance, created, using, **kwargs) -> None:
    if created:
        partition_create(site_id=instance.pk, using=using)


def on_site_deleted(sender, instance, using, **kwargs) -> None:
    site_id = instance.pk
    transaction.on_commit(lambda: partition_drop(site_id=site_id, using=using), using=using)
