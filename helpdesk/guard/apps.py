from django.apps import AppConfig


class GuardConfig(AppConfig):
    name = "helpdesk.guard"
    label = "guard"
    verbose_name = "Guard: login throttling"
