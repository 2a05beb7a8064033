"""The vector table is partitioned by site (retrieval/partitions.py, migration 0003): an indexed database
converts in place and back, each site has its partition from creation to deletion, global rows have
theirs, and a site's search reads only its own partition and the global one."""

import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from helpdesk.services import site_create
from knowledge import tasks
from retrieval.embedders import get_embedder
from retrieval.models import Chunk
from retrieval.partitions import partition_name, partition_names
from retrieval.selectors import SEARCH_SQL, search_params, similar_cases
from retrieval.types import SourceType
from testing.factories import article

BEFORE = [("retrieval", "0002_search_storage")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _relkind(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()[0]


def _rows_by_partition() -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, tableoid::regclass::text, site_id, text, embedding::text FROM retrieval_chunk"
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _read(plan: str) -> set[str]:
    """The partitions a plan scans."""
    return set(re.findall(r" on (retrieval_chunk_\w+)", plan))


def _indexed_articles(site_a, site_b):
    """One article per site and one global, indexed with the real embedder."""
    made = {
        "a": article(site=site_a, title="VPN drops at home", body="Disable SIP ALG on the home router."),
        "b": article(site=site_b, title="Printer jams", body="Clean the tray sensor with compressed air."),
        "global": article(site=None, title="Report phishing", body="Use the Report message button."),
    }
    for kb in made.values():
        tasks.index_article(kb.id)
    return made


@pytest.mark.django_db(transaction=True)
def test_it_converts_an_indexed_table_in_place_and_back(site_a, site_b):
    articles = _indexed_articles(site_a, site_b)
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    before = {pk: (site, text, vector) for pk, (_table, site, text, vector) in _rows_by_partition().items()}
    _migrate(BEFORE)
    try:
        assert _relkind("retrieval_chunk") == "r"  # one plain table again, every row kept
        assert {pk: row[1:] for pk, row in _rows_by_partition().items()} == before
        with connection.cursor() as cursor:
            # A row written under the old layout, by the old table's own identity sequence.
            cursor.execute(
                "INSERT INTO retrieval_chunk (document_id, site_id, source_type, source_id, ordinal, text, "
                "token_count, content_hash, embedding_model, embedding, created_at) "
                "SELECT document_id, site_id, source_type, source_id, 1, 'written before', 2, 'late', "
                "embedding_model, embedding, now() FROM retrieval_chunk WHERE site_id = %s LIMIT 1 "
                "RETURNING id",
                [site_b.pk],
            )
            [late_id] = cursor.fetchone()
    finally:
        _migrate(latest)

    assert _relkind("retrieval_chunk") == "p"
    rows = _rows_by_partition()
    assert {pk: row[1:] for pk, row in rows.items() if pk != late_id} == before
    assert {pk: table for pk, (table, *_rest) in rows.items()} == {
        pk: partition_name(site) for pk, (_table, site, *_rest) in rows.items()
    }
    assert rows[late_id][0] == partition_name(site_b.pk)
    fresh = Chunk.objects.create(
        document_id=Chunk.objects.get(pk=late_id).document_id,
        site=site_b,
        source_type=SourceType.ARTICLE,
        source_id=articles["b"].id,
        ordinal=2,
        text="written after",
        token_count=2,
        content_hash="later",
        embedding_model="test-model",
        embedding=[1, 0, 0],
    )
    assert fresh.pk > max(rows)  # the identity sequence continued
    assert Chunk.objects.filter(search_vector="sensor").count() == 1  # the generated column still works
    cases = similar_cases(site=site_a, text="my VPN keeps disconnecting from home", k=5)
    assert [(c.source_id, c.site_id) for c in cases][:1] == [(articles["a"].id, site_a.pk)]
    assert {c.site_id for c in cases} <= {site_a.pk, None}


def test_a_new_site_gets_its_partition(db):
    site = site_create(name="Cedar Dental", slug="cedar-dental")
    kb = article(site=site, title="Sterilizer error E4", body="Descale the boiler and reset it.")
    tasks.index_article(kb.id)

    rows = _rows_by_partition().values()
    assert partition_name(site.pk) in partition_names()
    assert {table for table, site_id, *_rest in rows if site_id == site.pk} == {partition_name(site.pk)}


def test_global_rows_live_in_their_partition(db):
    kb = article(site=None, title="Password policy", body="Twelve characters, no reuse.")
    tasks.index_article(kb.id)

    assert {table for table, *_rest in _rows_by_partition().values()} == {partition_name(None)}


@pytest.mark.django_db(transaction=True)
def test_deleting_a_site_drops_its_partition_after_its_rows(site_a):
    site = site_create(name="Dogwood Farms", slug="dogwood")
    for owner in (site, site_a):
        tasks.index_article(article(site=owner, title="Tractor GPS", body="Update the receiver firmware.").id)

    name = partition_name(site.pk)
    site.delete()

    assert name not in partition_names()
    assert partition_name(site_a.pk) in partition_names()
    assert set(Chunk.objects.values_list("site_id", flat=True)) == {site_a.pk}


def test_a_sites_search_reads_only_its_partition_and_the_global_one(site_a, site_b):
    embedder = get_embedder()
    params = search_params(
        site_id=site_a.pk,
        text="printer jam",
        sources=SourceType.ALL,
        model_name=embedder.model_name,
        vector=[0.05] * embedder.dimensions,
        candidates=40,
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + SEARCH_SQL.format(dims=embedder.dimensions), params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(
            "EXPLAIN " + SEARCH_SQL.format(dims=embedder.dimensions), {**params, "with_global": False}
        )
        own_only = "\n".join(row[0] for row in cursor.fetchall())

    assert _read(plan) == {partition_name(site_a.pk), partition_name(None)}
    assert _read(own_only) == {partition_name(site_a.pk)}
