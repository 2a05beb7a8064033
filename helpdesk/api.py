"""The one NinjaAPI of the project, at /api/v1/; each app contributes its Router."""

from ninja import NinjaAPI

from chat.api import router as chat_router
from knowledge.api import router as knowledge_router
from retrieval.api import router as retrieval_router
from tickets.api import router as tickets_router

api = NinjaAPI(title="Grounded Helpdesk API", version="1", urls_namespace="api")
api.add_router("/tickets", tickets_router)
api.add_router("/knowledge", knowledge_router)
api.add_router("/retrieval", retrieval_router)
api.add_router("/chat", chat_router)
