"""Document and Chunk now live in retrieval (retrieval 0002 took over their tables): state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0004_chunk_vectors_inline"),
        ("retrieval", "0002_search_storage"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="document", name="article"),
                migrations.RemoveField(model_name="document", name="conversation"),
                migrations.RemoveField(model_name="document", name="site"),
                migrations.RemoveField(model_name="document", name="ticket"),
                migrations.DeleteModel(name="Chunk"),
                migrations.DeleteModel(name="Document"),
            ],
            database_operations=[],
        ),
    ]
