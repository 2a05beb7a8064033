from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo generator and loader; an app only so that `manage.py demo_load` is found. No models."""

    name = "demo"
    label = "demo"
    verbose_name = "Demo data"
