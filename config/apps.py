from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The roof: settings, URLs, the API mount and the commands that run the whole product."""

    name = "config"
    verbose_name = "Configuration"
