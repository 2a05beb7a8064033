"""Attempts now keep only the receiver's status line: forget the answer bodies logged before, which could
hold whatever an internal service replied (issue 14, item 8)."""

from django.db import migrations


def forget_answer_bodies(apps, schema_editor):
    WebhookAttempt = apps.get_model("integrations", "WebhookAttempt")
    WebhookAttempt.objects.exclude(response_excerpt="").update(response_excerpt="")


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]

    operations = [migrations.RunPython(forget_answer_bodies, migrations.RunPython.noop)]
