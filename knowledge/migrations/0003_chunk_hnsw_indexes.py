"""HNSW cosine indexes on chunk vectors, one per embedding model.

The `embedding` column has no fixed dimensions, so (as the pgvector README advises for mixed
dimensions) each model gets an expression index casting to its dimension, partial on the model name.
Search uses the same expression (`embedding::vector(N) <=> query`) and predicate so the planner picks it.
"""

from django.db import migrations

MODELS = [
    ("chunk_hnsw_local_minilm", "local:all-MiniLM-L6-v2", 384),
    ("chunk_hnsw_openai_3_small", "openai:text-embedding-3-small", 1536),
]


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_documents_chunks")]

    operations = [
        migrations.RunSQL(
            sql=(
                f"CREATE INDEX {name} ON knowledge_chunk USING hnsw ((embedding::vector({dims})) "
                f"vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE embedding_model = '{model}'"
            ),
            reverse_sql=f"DROP INDEX {name}",
        )
        for name, model, dims in MODELS
    ]
