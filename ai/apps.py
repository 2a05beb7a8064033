from django.apps import AppConfig


class AiConfig(AppConfig):
    """The AI providers. No models: the call log (`AIInteraction`) is the floor's, its admin is here."""

    name = "ai"
    verbose_name = "AI providers"
