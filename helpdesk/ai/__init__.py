"""The AI layer: one provider interface (offline, openai), wrapped with fallback and logging.

`get_provider()` is the only entry point the product uses; `AIUnavailable` is what it raises when every
provider failed.
"""

from helpdesk.ai.base import AIUnavailable, CategorizeResult, DraftResult
from helpdesk.ai.providers import get_provider

__all__ = ["AIUnavailable", "CategorizeResult", "DraftResult", "get_provider"]
