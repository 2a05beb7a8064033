"""The rate-limit counter moves from chat to the floor (helpdesk.ratelimit uses it for every room).

State first (chat's table is taken over as it is), then an in-place rename of the table and its index
to helpdesk's own names: no row is lost. chat 0007 drops the model from chat's state.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0002_ai_interaction"),
        ("chat", "0006_conversation_event"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RateLimitWindow",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=200)),
                        ("window_start", models.DateTimeField()),
                        ("count", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "chat_ratelimitwindow",
                        "indexes": [
                            models.Index(fields=["window_start"], name="chat_rateli_window__747e72_idx")
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("key", "window_start"), name="ratelimit_window_once"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="ratelimitwindow", table=None),
        migrations.RenameIndex(
            model_name="ratelimitwindow",
            new_name="helpdesk_ra_window__121685_idx",
            old_name="chat_rateli_window__747e72_idx",
        ),
    ]
