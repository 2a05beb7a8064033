"""Keep chunk rows (vector, text, tsvector) inline in the heap instead of TOAST.

A 384-dim vector is 1.5 kB; with the chunk's text and tsvector a row passes PostgreSQL's default 2 kB
TOAST threshold, so vectors were moved out of line and every distance computation fetched them from
the TOAST table. Raising the target keeps rows up to a page inline: in bench/retrieval.py at 100k
vectors the site-filtered HNSW query went from 42 ms to 16 ms (p50) and hybrid from 186 ms to 19 ms.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0003_chunk_hnsw_indexes")]

    operations = [
        migrations.RunSQL(
            sql="ALTER TABLE knowledge_chunk SET (toast_tuple_target = 8160)",
            reverse_sql="ALTER TABLE knowledge_chunk RESET (toast_tuple_target)",
        )
    ]
