"""The models that moved rooms (#15) upgrade an existing database in place: rows written under the old
tables are there, under the new names, after `migrate`."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from helpdesk.models import RateLimitWindow
from retrieval.models import Chunk, Document

BEFORE = [
    ("retrieval", "0001_search_profile"),
    ("knowledge", "0004_chunk_vectors_inline"),
    ("helpdesk", "0002_ai_interaction"),
    ("chat", "0006_conversation_event"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_indexed_rows_and_rate_limits_survive_the_move(site_a):
    latest = _latest()
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO knowledge_article (site_id, title, slug, body, state, created_at, updated_at) "
                "VALUES (%s, 'VPN guide', 'vpn', 'Reconnect.', 'published', now(), now()) RETURNING id",
                [site_a.pk],
            )
            [article_id] = cursor.fetchone()
            cursor.execute(
                "INSERT INTO knowledge_document (site_id, source_type, source_id, article_id, title, text, "
                "category, priority, resolution, content_hash, created_at, updated_at) VALUES "
                "(%s, 'article', %s, %s, 'VPN guide', %s, '', '', '', 'h', now(), now()) RETURNING id",
                [site_a.pk, article_id, article_id, "VPN guide\n\nReconnect."],
            )
            [document_id] = cursor.fetchone()
            cursor.execute(
                "INSERT INTO knowledge_chunk (document_id, site_id, source_type, source_id, ordinal, text, "
                "token_count, content_hash, embedding_model, embedding, created_at) VALUES "
                "(%s, %s, 'article', %s, 0, 'VPN guide Reconnect.', 4, 'h', 'test-model', '[1,0,0]', now())",
                [document_id, site_a.pk, article_id],
            )
            cursor.execute(
                "INSERT INTO chat_ratelimitwindow (key, window_start, count) VALUES ('chat:1', now(), 3)"
            )
    finally:
        _migrate(latest)

    chunk = Chunk.objects.get()
    assert (chunk.document_id, chunk.text, list(chunk.embedding)) == (
        document_id,
        "VPN guide Reconnect.",
        [1, 0, 0],
    )
    assert Document.objects.get().article_id == article_id
    assert Chunk.objects.filter(search_vector="reconnect").count() == 1  # the generated column still works
    assert RateLimitWindow.objects.get().count == 3
    assert (Chunk._meta.db_table, Document._meta.db_table, RateLimitWindow._meta.db_table) == (
        "retrieval_chunk",
        "retrieval_document",
        "helpdesk_ratelimitwindow",
    )
