"""The chat page's answer stream end to end against a real model server (scripts/test-local-llm): a
uvicorn process serves the SSE answer while llama-server generates it. Deselected without LOCAL_LLM_URL.
"""

import os

import pytest

from chat.models import Message
from chat.services import conversation_start
from helpdesk.models import AIInteraction
from testing.local_llm import local_llm_url

pytestmark = pytest.mark.local_llm

QUESTION = "The printer at reception says offline and nothing prints"


def test_the_chat_page_streams_an_answer_from_the_local_model(
    asgi_server, site_a, customer_a, indexed_ticket, monkeypatch
):
    # The uvicorn process reads its provider from the environment, as production does.
    monkeypatch.setenv("AI_PROVIDER", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", "local-server-needs-no-key")
    monkeypatch.setenv("OPENAI_BASE_URL", local_llm_url())
    monkeypatch.setenv("OPENAI_CHAT_MODEL", os.environ.get("LOCAL_LLM_MODEL", "smollm2-135m-instruct"))
    conversation, question = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    server = asgi_server()

    events = server.events(
        f"/chat/{conversation.pk}/messages/{question.pk}/answer/", session=server.login(customer_a)
    )

    tokens = [event["data"]["t"] for event in events if event["event"] == "token"]
    [done] = [event["data"] for event in events if event["event"] == "done"]
    assert len(tokens) > 5  # streamed as generated, not delivered whole
    saved = Message.objects.get(reply_to=question)
    assert (done["id"], done["body"]) == (saved.pk, saved.body) and saved.body
    calls = list(AIInteraction.objects.filter(conversation_id=conversation.pk).order_by("pk"))
    # The model was asked and answered (its reply used, or rejected as unusable and named why).
    assert calls[0].provider == "openai" and calls[0].completion_tokens > 0
    assert calls[0].outcome in ("ok", "refused", "rejected")
    if calls[0].outcome == "rejected":
        assert calls[0].defects and (calls[1].provider, calls[1].outcome) == ("offline", "fallback")
    # Every source the saved answer shows is the site's own indexed case.
    assert {source["key"] for source in done["sources"]} <= {f"ticket:{indexed_ticket.pk}"}
