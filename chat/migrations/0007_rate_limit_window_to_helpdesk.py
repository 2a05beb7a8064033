"""RateLimitWindow now lives in helpdesk (helpdesk 0003 took over its table): state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0006_conversation_event"),
        ("helpdesk", "0003_rate_limit_window"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RateLimitWindow")],
            database_operations=[],
        ),
    ]
