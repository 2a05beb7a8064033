from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Helpdesk: sites and people"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from helpdesk.schedules import schedules_sync

        # After django_q's own tables exist; keyed on our app so it runs once per migrate.
        post_migrate.connect(schedules_sync, sender=self, dispatch_uid="helpdesk.schedules_sync")
