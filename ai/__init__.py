"""The AI layer: one provider interface (offline, openai), wrapped with fallback and logging.

`ai.providers.get_provider()` is the only entry point the product uses; `ai.base.AIUnavailable` is what
it raises when every provider failed. Nothing is imported here: Django loads this package as an app.
"""
