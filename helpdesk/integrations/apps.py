from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "helpdesk.integrations"
    label = "integrations"
    verbose_name = "Integrations: API tokens and webhooks"
