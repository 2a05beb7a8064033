"""GPT-4o, or any OpenAI-compatible server (Ollama, vLLM, LiteLLM, Azure), through the official SDK.

The SDK's own retries are off (`max_retries=0`): retries here are bounded, honour Retry-After, and give
up quickly when the server asks for a long wait, so a worker is never parked on an outage; giving up is
`AIUnavailable`, which the guard in `helpdesk.ai.providers` turns into the offline fallback.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence

import openai
from django.conf import settings

from helpdesk.ai.base import AIUnavailable, CategorizeResult, DraftResult, Usage
from helpdesk.ai.offline import MAJORITY, refusal
from retrieval.grounding import (
    CitationStreamFilter,
    GroundingContext,
    build_messages,
    clean_citations,
    context_from_cases,
    quote,
    render_prompt,
)
from retrieval.tokens import count_tokens
from retrieval.types import Case

TIMEOUT_SECONDS = 30.0
MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0
# A server asking us to wait longer than this is treated as down: the fallback answers now instead.
MAX_RETRY_AFTER_SECONDS = 20.0
MAX_TAGS = 5

TRIAGE_INSTRUCTIONS = """You triage IT support tickets for one client company of an IT services provider.
Pick the ticket's category and priority from the allowed values only, using the numbered sources (similar
past cases of the same company and knowledge-base articles) as evidence. Give up to 5 short lowercase tags.
Give a confidence between 0 and 1 that the category is right, set needs_human to true when the sources do
not clearly support one category, and list the ids of the sources you relied on.
Allowed categories: {categories}.
Allowed priorities: {priorities}."""

REPLY_INSTRUCTIONS = """You draft replies for the IT helpdesk of a managed IT service provider.
Answer the customer using ONLY the numbered sources. Give short numbered steps; end every step with the
id of the source it comes from, like [1] or [2]. Never invent a step, a source or an id. If the sources do
not answer the question, reply only: "I could not find a similar case." Keep it brief and friendly, no
more than 6 steps. {closing}"""


def triage_schema(categories: Sequence[str], priorities: Sequence[str]) -> dict:
    """Structured output: the model can only answer with the site's categories and our priorities."""
    return {
        "name": "ticket_triage",
        "strict": True,
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "required": ["category", "priority", "tags", "confidence", "needs_human", "sources"],
            "properties": {
                "category": {"type": "string", "enum": list(categories)},
                "priority": {"type": "string", "enum": list(priorities)},
                "tags": {"type": "array", "items": {"type": "string"}},
                "confidence": {"type": "number"},
                "needs_human": {"type": "boolean"},
                "sources": {"type": "array", "items": {"type": "integer"}},
            },
        },
    }


def retry_after_seconds(error: openai.APIStatusError) -> float | None:
    headers = error.response.headers
    if milliseconds := headers.get("retry-after-ms"):
        try:
            return float(milliseconds) / 1000
        except ValueError:
            return None
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def describe(error: Exception) -> str:
    status = getattr(error, "status_code", None)
    message = getattr(error, "message", "") or str(error)
    return (f"{type(error).__name__}" + (f" (HTTP {status})" if status else "") + f": {message}")[:300]


class OpenAIProvider:
    name = "openai"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        model: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.model = model or settings.OPENAI_CHAT_MODEL
        self.sleep = sleep
        self.client = openai.OpenAI(
            # Local OpenAI-compatible servers need no key, but the SDK insists on one.
            api_key=api_key or settings.OPENAI_API_KEY or "not-needed",
            base_url=base_url or settings.OPENAI_BASE_URL,
            timeout=TIMEOUT_SECONDS,
            max_retries=0,
        )

    def call_with_retries(self, call: Callable):
        """Run one API call; retry 429, 5xx and connection errors with backoff, at most MAX_ATTEMPTS."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                answer = call()
            except (openai.RateLimitError, openai.InternalServerError) as error:
                asked = retry_after_seconds(error)
                if attempt == MAX_ATTEMPTS or (asked is not None and asked > MAX_RETRY_AFTER_SECONDS):
                    raise AIUnavailable(describe(error)) from error
                backoff = min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2 ** (attempt - 1))
                self.sleep(asked if asked is not None else backoff * (0.5 + random.random() / 2))
            except openai.APIConnectionError as error:
                if attempt == MAX_ATTEMPTS:
                    raise AIUnavailable(describe(error)) from error
                self.sleep(min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2 ** (attempt - 1)))
            except openai.OpenAIError as error:
                raise AIUnavailable(describe(error)) from error
            else:
                # A proxy's HTML error page with status 200 comes back from the SDK as a plain string.
                if isinstance(answer, str | bytes):
                    raise AIUnavailable("the API answered with something that is not JSON")
                return answer
        raise AssertionError("unreachable: the loop returns or raises")

    def categorize(
        self,
        *,
        site,
        text: str,
        cases: Sequence[Case],
        categories: Sequence[str],
        priorities: Sequence[str],
        prediction=None,
    ) -> CategorizeResult:
        context = context_from_cases(site=site, cases=cases)
        instructions = TRIAGE_INSTRUCTIONS.format(
            categories=", ".join(categories), priorities=", ".join(priorities)
        )
        if prediction is not None:
            instructions += (
                f"\nA classifier trained on this company's resolved tickets suggests the category "
                f"{prediction.category} (calibrated confidence {prediction.confidence:.2f})."
            )
        messages = build_messages(instructions=instructions, text=text, context=context)
        response = self.call_with_retries(
            lambda: self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                temperature=0,
                response_format={"type": "json_schema", "json_schema": triage_schema(categories, priorities)},
            )
        )
        choice = response.choices[0] if response.choices else None
        content = choice.message.content if choice else None
        if not content or choice.finish_reason != "stop":
            raise AIUnavailable(f"no usable triage answer (finish_reason={choice and choice.finish_reason})")
        answer = parse_triage(content, categories=categories, priorities=priorities, context=context)
        usage = Usage(count_tokens(render_prompt(messages)), count_tokens(content))
        return CategorizeResult(**answer, usage=usage)

    def draft_reply(
        self,
        *,
        site,
        text: str,
        context: GroundingContext,
        offer_ticket: bool = False,
        already_said: Sequence[str] = (),
    ) -> DraftResult:
        *_chunks, result = self.stream_reply(
            site=site, text=text, context=context, offer_ticket=offer_ticket, already_said=already_said
        )
        return result

    def stream_reply(
        self,
        *,
        site,
        text: str,
        context: GroundingContext,
        offer_ticket: bool = True,
        already_said: Sequence[str] = (),
    ) -> Iterator[str | DraftResult]:
        if not context:
            # Nothing retrieved: the honest answer needs no model, and the model gets no chance to invent.
            body = refusal(offer_ticket)
            yield body
            yield DraftResult(
                body=body, citations=[], refused=True, usage=Usage(count_tokens(text), count_tokens(body))
            )
            return
        closing = "Offer to open a ticket for an engineer if this does not help." if offer_ticket else ""
        instructions = REPLY_INSTRUCTIONS.format(closing=closing)
        if already_said:
            earlier = "\n\n".join(quote(answer) for answer in already_said)
            instructions += (
                "\n\nEarlier in this conversation you already answered as quoted below, and the customer is "
                "still asking: do not suggest any of it again. Offer the next distinct fix the sources give, "
                "or say plainly that an engineer should take over.\n<earlier>\n" + earlier + "\n</earlier>"
            )
        messages = build_messages(instructions=instructions, text=text, context=context)
        stream = self.call_with_retries(
            lambda: self.client.chat.completions.create(
                model=self.model, messages=messages, temperature=0.2, stream=True
            )
        )
        citation_filter = CitationStreamFilter(context)
        raw: list[str] = []
        try:
            for chunk in stream:
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if delta:
                    raw.append(delta)
                    if shown := citation_filter.feed(delta):
                        yield shown
        except openai.OpenAIError as error:
            raise AIUnavailable(f"stream broke: {describe(error)}") from error
        if tail := citation_filter.flush():
            yield tail
        body, cited = clean_citations("".join(raw).strip(), context)
        if not body:
            raise AIUnavailable("empty reply")
        usage = Usage(count_tokens(render_prompt(messages)), count_tokens("".join(raw)))
        if not cited:
            # A reply that cites nothing is not grounded: say so rather than pass it on.
            body = refusal(offer_ticket)
        yield DraftResult(body=body, citations=cited, refused=not cited, usage=usage)


def parse_triage(
    content: str, *, categories: Sequence[str], priorities: Sequence[str], context: GroundingContext
) -> dict:
    """Check the structured answer field by field; anything off is AIUnavailable (the fallback answers)."""
    try:
        answer = json.loads(content)
    except json.JSONDecodeError as error:
        raise AIUnavailable(f"malformed triage JSON: {error}") from error
    if not isinstance(answer, dict):
        raise AIUnavailable("malformed triage answer: not an object")
    category, priority = answer.get("category"), answer.get("priority")
    confidence, needs_human = answer.get("confidence"), answer.get("needs_human")
    tags, source_ids = answer.get("tags", []), answer.get("sources", [])
    if category not in categories:
        raise AIUnavailable(f"malformed triage answer: unknown category {category!r}")
    if priority not in priorities:
        raise AIUnavailable(f"malformed triage answer: unknown priority {priority!r}")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise AIUnavailable(f"malformed triage answer: confidence {confidence!r}")
    if not isinstance(needs_human, bool) or not isinstance(tags, list) or not isinstance(source_ids, list):
        raise AIUnavailable("malformed triage answer: wrong field types")
    sources = []
    for cid in source_ids:
        source = context.source(cid) if isinstance(cid, int) and not isinstance(cid, bool) else None
        if source is not None and source.key not in sources:
            sources.append(source.key)
    clean_tags = [tag.strip().lower()[:40] for tag in tags if isinstance(tag, str) and tag.strip()]
    return {
        "category": category,
        "priority": priority,
        "tags": list(dict.fromkeys(clean_tags))[:MAX_TAGS],
        "confidence": float(confidence),
        # A model's self-reported confidence is held to the same majority rule as the offline vote.
        "needs_human": needs_human or confidence <= MAJORITY,
        "sources": sources,
    }
