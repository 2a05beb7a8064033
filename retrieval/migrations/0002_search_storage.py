"""Vector storage moves to retrieval: the Document and Chunk models were knowledge's.

The tables are taken over as they are (state only), then renamed to retrieval's own names, an in-place
rename that keeps every row, index and vector. knowledge 0005 drops the models from knowledge's state.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
import pgvector.django.vector
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0006_conversation_event"),
        ("helpdesk", "0002_ai_interaction"),
        ("knowledge", "0004_chunk_vectors_inline"),
        ("retrieval", "0001_search_profile"),
        ("tickets", "0004_ticket_client_key"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Document",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "source_type",
                            models.CharField(
                                choices=[
                                    ("ticket", "Resolved ticket"),
                                    ("transcript", "Chat transcript"),
                                    ("article", "KB article"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("source_id", models.BigIntegerField()),
                        ("title", models.CharField(max_length=200)),
                        ("text", models.TextField()),
                        ("category", models.CharField(blank=True, help_text="Category slug", max_length=40)),
                        ("priority", models.CharField(blank=True, max_length=10)),
                        ("resolution", models.TextField(blank=True)),
                        ("content_hash", models.CharField(max_length=64)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "article",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="document",
                                to="knowledge.article",
                            ),
                        ),
                        (
                            "conversation",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="document",
                                to="chat.conversation",
                            ),
                        ),
                        (
                            "site",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="documents",
                                to="helpdesk.site",
                            ),
                        ),
                        (
                            "ticket",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="document",
                                to="tickets.ticket",
                            ),
                        ),
                    ],
                    options={"db_table": "knowledge_document"},
                ),
                migrations.CreateModel(
                    name="Chunk",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "source_type",
                            models.CharField(
                                choices=[
                                    ("ticket", "Resolved ticket"),
                                    ("transcript", "Chat transcript"),
                                    ("article", "KB article"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("source_id", models.BigIntegerField()),
                        ("ordinal", models.PositiveIntegerField()),
                        ("text", models.TextField()),
                        ("token_count", models.PositiveIntegerField()),
                        ("content_hash", models.CharField(max_length=64)),
                        ("embedding_model", models.CharField(max_length=80)),
                        ("embedding", pgvector.django.vector.VectorField()),
                        (
                            "search_vector",
                            models.GeneratedField(
                                db_persist=True,
                                expression=django.contrib.postgres.search.SearchVector(
                                    "text", config="english"
                                ),
                                output_field=django.contrib.postgres.search.SearchVectorField(),
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "site",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="helpdesk.site",
                            ),
                        ),
                        (
                            "document",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="chunks",
                                to="retrieval.document",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["document", "ordinal"],
                        "db_table": "knowledge_chunk",
                    },
                ),
                migrations.AddConstraint(
                    model_name="document",
                    constraint=models.UniqueConstraint(
                        fields=("source_type", "source_id"), name="document_per_source"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="document",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("source_type", "ticket"), ("ticket__isnull", False)),
                            models.Q(("conversation__isnull", False), ("source_type", "transcript")),
                            models.Q(("article__isnull", False), ("source_type", "article")),
                            _connector="OR",
                        ),
                        name="document_has_its_source",
                    ),
                ),
                migrations.AddIndex(
                    model_name="chunk",
                    index=models.Index(fields=["embedding_model", "site"], name="chunk_model_site"),
                ),
                migrations.AddIndex(
                    model_name="chunk",
                    index=django.contrib.postgres.indexes.GinIndex(
                        fields=["search_vector"], name="chunk_search_vector"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="chunk",
                    constraint=models.UniqueConstraint(
                        fields=("document", "embedding_model", "content_hash"), name="chunk_once_per_model"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="document", table=None),
        migrations.AlterModelTable(name="chunk", table=None),
    ]
