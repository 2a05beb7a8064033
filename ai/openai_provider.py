"""GPT-4o, or any OpenAI-compatible server (Ollama, vLLM, LiteLLM, Azure), through the official SDK.

The SDK's own retries are off (`max_retries=0`): retries here are bounded, honour Retry-After, and give
up quickly when the server asks for a long wait, so a worker is never parked on an outage; giving up is
`AIUnavailable`, which the guard in `ai.providers` turns into the offline fallback.

Small local models (a 135M one is the test profile's, scripts/test-local-llm) break what a large model
keeps: numbers outside the schema's bounds, categories nobody allowed, replies citing nothing, empty or
looping text. Each is repaired where the rest of the answer stands (needs a human, a citation dropped,
a loop cut) or the answer is rejected (`AnswerRejected`: the fallback answers), and named as a `Defect`
in the AI log either way.
"""

from __future__ import annotations

import email.utils
import json
import math
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence

import openai
from django.conf import settings

from ai.base import (
    AIUnavailable,
    AnswerRejected,
    ArticleCase,
    ArticleResult,
    ArticleStep,
    CategorizeResult,
    Defect,
    DraftResult,
    SummaryResult,
    Turn,
    Usage,
)
from ai.offline import MAJORITY, refusal
from ai.prompts import DATA_NOTICE, CitationStreamFilter, build_messages, clean_citations, render_prompt
from retrieval.grounding import CITATION_RE, GroundingContext, context_from_cases, quote
from retrieval.tokens import count_tokens
from retrieval.types import Case

TIMEOUT_SECONDS = 30.0
MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0
# A server asking us to wait longer than this is treated as down: the fallback answers now instead.
MAX_RETRY_AFTER_SECONDS = 20.0
MAX_TAGS = 5
# Token limits: a model that loops stops here at the latest (a triage answer is ~100 tokens, a reply of
# six short steps ~300).
TRIAGE_MAX_TOKENS = 400
REPLY_MAX_TOKENS = 700
# A loop: the same block of words back to back at least 3 times, and at least this many words repeated.
LOOP_MIN_WORDS = 24
LOOP_MAX_BLOCK_WORDS = 60
LOOP_TAIL_CHARS = 3000  # enough for the longest loop checked (3 copies of 60 words)
_DIGITS_RE = re.compile(r"\d+")
# What the model is told to say when the sources do not answer (REPLY_INSTRUCTIONS): a refusal, not a
# reply that forgot its citations.
MODEL_REFUSAL = "could not find a similar case"

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


SUMMARY_MAX_TOKENS = 500
SUMMARY_INSTRUCTIONS = """You summarize an IT support ticket's history for the engineers working on it.
Using only the quoted history, state the customer's problem in one or two sentences, list what was tried
or suggested so far and what the customer said happened (at most 5 short items, oldest first), say where
it stands now, and give the next step for the engineer. Do not invent steps that are not in the history."""
SUMMARY_SCHEMA = {
    "name": "ticket_summary",
    "strict": True,
    "schema": {
        "type": "object",
        "additionalProperties": False,
        "required": ["problem", "tried", "state", "next_step"],
        "properties": {
            "problem": {"type": "string"},
            "tried": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
            "state": {"type": "string"},
            "next_step": {"type": "string"},
        },
    },
}


def summary_messages(title: str, turns: Sequence[Turn]) -> list[dict[str, str]]:
    """The history as quoted data, one line per turn with who wrote it."""
    history = "\n".join(f"{turn.role}: {quote(turn.text)}" for turn in turns)
    notice = DATA_NOTICE.replace(
        "The customer's message is quoted between <ticket> and </ticket>",
        ("The history is quoted between <history> and </history>"),
    )
    return [
        {"role": "system", "content": f"{SUMMARY_INSTRUCTIONS}\n\n{notice}"},
        {"role": "user", "content": f"<history>\ntitle: {quote(title)}\n{history}\n</history>"},
    ]


def json_object(content: str, what: str) -> dict:
    """A structured answer's JSON object; broken JSON or another type is AIUnavailable (the fallback
    answers)."""
    try:
        answer = json.loads(content)
    except json.JSONDecodeError as error:
        raise AIUnavailable(f"malformed {what} JSON: {error}") from error
    if not isinstance(answer, dict):
        raise AIUnavailable(f"malformed {what} answer: not an object")
    return answer


def parse_summary(content: str) -> dict:
    """The structured summary, checked field by field: broken JSON or wrong types are AIUnavailable."""
    answer = json_object(content, "summary")
    fields = {name: answer.get(name) for name in ("problem", "state", "next_step")}
    tried = answer.get("tried")
    if not all(isinstance(value, str) for value in fields.values()) or not isinstance(tried, list):
        raise AIUnavailable("malformed summary answer: wrong field types")
    return {
        **{k: v.strip() for k, v in fields.items()},
        "tried": [str(t).strip() for t in tried if str(t).strip()][:5],
    }


ARTICLE_MAX_TOKENS = 700
ARTICLE_MAX_SYMPTOMS = 3
ARTICLE_MAX_STEPS = 6
ARTICLE_INSTRUCTIONS = """You write knowledge-base articles that customers of an IT helpdesk read,
from resolved support cases of one client company that share a problem and a fix. Using ONLY the numbered
cases, give a short title that names the problem, up to 3 symptoms as a customer notices them, and up to 6
steps that fix it, in the order they are done. Every step lists the ids of the cases it comes from. Never
invent a step, a case or an id. Leave out people's names, greetings and what happened on one visit only."""
ARTICLE_SCHEMA = {
    "name": "kb_article",
    "strict": True,
    "schema": {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "symptoms", "steps"],
        "properties": {
            "title": {"type": "string"},
            "symptoms": {"type": "array", "items": {"type": "string"}, "maxItems": ARTICLE_MAX_SYMPTOMS},
            "steps": {
                "type": "array",
                "maxItems": ARTICLE_MAX_STEPS,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["text", "sources"],
                    "properties": {
                        "text": {"type": "string"},
                        "sources": {"type": "array", "items": {"type": "integer"}},
                    },
                },
            },
        },
    },
}


def article_messages(cases: Sequence[ArticleCase]) -> list[dict[str, str]]:
    """The cluster's cases as quoted data, numbered from 1 (the ids the steps cite)."""
    notice = DATA_NOTICE.replace(
        "The customer's message is quoted between <ticket> and </ticket>, and each retrieved source between "
        "<source> and </source>",
        "Each case is quoted between <case> and </case>",
    )
    blocks = [
        f'<case id="{n}">\ntitle: {quote(case.title)}\nproblem: {quote(case.problem)}\n'
        f"fix: {quote(case.fix)}\n</case>"
        for n, case in enumerate(cases, start=1)
    ]
    return [
        {"role": "system", "content": f"{ARTICLE_INSTRUCTIONS}\n\n{notice}"},
        {"role": "user", "content": "<cases>\n" + "\n".join(blocks) + "\n</cases>"},
    ]


def parse_article(content: str, cases: Sequence[ArticleCase]) -> dict:
    """The structured article, checked field by field. Broken JSON or wrong types are AIUnavailable; a
    case id that was not given is dropped (SOURCE_OUT_OF_BOUNDS), and a step left citing no case is
    dropped (UNCITED): an article's steps are the cases' fixes, never the model's own."""
    answer = json_object(content, "article")
    title, symptoms, steps = answer.get("title"), answer.get("symptoms"), answer.get("steps")
    if not isinstance(title, str) or not isinstance(symptoms, list) or not isinstance(steps, list):
        raise AIUnavailable("malformed article answer: wrong field types")
    defects: list[str] = []
    kept: list[ArticleStep] = []
    for step in steps[:ARTICLE_MAX_STEPS]:
        if not isinstance(step, dict) or not isinstance(step.get("text"), str):
            raise AIUnavailable("malformed article answer: a step is not text")
        keys: list[str] = []
        for cid in step.get("sources") or []:
            valid = isinstance(cid, int) and not isinstance(cid, bool) and 1 <= cid <= len(cases)
            if not valid:
                defects.append(Defect.SOURCE_OUT_OF_BOUNDS)
            elif cases[cid - 1].key not in keys:
                keys.append(cases[cid - 1].key)
        if not keys:
            defects.append(Defect.UNCITED)
        elif step["text"].strip():
            kept.append(ArticleStep(step["text"].strip(), tuple(keys)))
    cited = [key for step in kept for key in step.sources]
    return {
        "title": title.strip()[:200],
        "symptoms": tuple(str(s).strip() for s in symptoms[:ARTICLE_MAX_SYMPTOMS] if str(s).strip()),
        "steps": tuple(kept),
        "sources": tuple(dict.fromkeys(cited)),
        "defects": tuple(dict.fromkeys(defects)),
    }


def triage_schema(categories: Sequence[str], priorities: Sequence[str], sources: int = 0) -> dict:
    """Structured output: the model can only answer with the site's categories and our priorities, a
    confidence in 0..1 and the ids of the `sources` it was given. Every number has its bounds (servers
    that do not enforce them are checked in `parse_triage` anyway)."""
    source_id = {"type": "integer", "minimum": 1, "maximum": sources} if sources else {"type": "integer"}
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
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_TAGS},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "needs_human": {"type": "boolean"},
                "sources": {"type": "array", "items": source_id, "maxItems": sources},
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
        timeout: float | None = None,
    ):
        self.model = model or settings.OPENAI_CHAT_MODEL
        self.sleep = sleep
        self.client = openai.OpenAI(
            # Local OpenAI-compatible servers need no key, but the SDK insists on one.
            api_key=api_key or settings.OPENAI_API_KEY or "not-needed",
            base_url=base_url or settings.OPENAI_BASE_URL,
            timeout=TIMEOUT_SECONDS if timeout is None else timeout,
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
                max_tokens=TRIAGE_MAX_TOKENS,
                response_format={
                    "type": "json_schema",
                    "json_schema": triage_schema(categories, priorities, len(context.sources)),
                },
            )
        )
        choice = response.choices[0] if response.choices else None
        if choice is None:
            raise AIUnavailable("no usable triage answer (no choices)")
        content = choice.message.content or ""
        usage = Usage(count_tokens(render_prompt(messages)), count_tokens(content))
        if not content.strip():
            raise AnswerRejected("empty triage answer", defects=[Defect.EMPTY], usage=usage)
        if choice.finish_reason == "length":
            defect = Defect.LOOPING if loop_start(content) is not None else Defect.TRUNCATED
            raise AnswerRejected(
                f"triage answer cut at {TRIAGE_MAX_TOKENS} tokens", defects=[defect], usage=usage
            )
        if choice.finish_reason != "stop":
            raise AIUnavailable(f"no usable triage answer (finish_reason={choice.finish_reason})")
        answer = parse_triage(content, categories=categories, priorities=priorities, context=context)
        return CategorizeResult(**answer, usage=usage)

    def _structured(self, messages, *, schema: dict, max_tokens: int, what: str) -> tuple[str, Usage]:
        """One strict-schema call at temperature 0: its content and usage; no choice means unavailable,
        an answer cut at the token limit is rejected."""
        response = self.call_with_retries(
            lambda: self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                temperature=0,
                max_tokens=max_tokens,
                response_format={"type": "json_schema", "json_schema": schema},
            )
        )
        choice = response.choices[0] if response.choices else None
        if choice is None:
            raise AIUnavailable(f"no usable {what} (no choices)")
        content = choice.message.content or ""
        usage = Usage(count_tokens(render_prompt(messages)), count_tokens(content))
        if choice.finish_reason == "length":
            raise AnswerRejected(f"{what} cut at the token limit", defects=[Defect.TRUNCATED], usage=usage)
        return content, usage

    def summarize(self, *, site, title: str, turns: Sequence[Turn]) -> SummaryResult:
        """One grounded call with a strict schema; an empty or cut answer is rejected (offline answers)."""
        content, usage = self._structured(
            summary_messages(title, turns),
            schema=SUMMARY_SCHEMA,
            max_tokens=SUMMARY_MAX_TOKENS,
            what="summary",
        )
        answer = parse_summary(content)
        if not answer["problem"]:
            raise AnswerRejected("empty summary", defects=[Defect.EMPTY], usage=usage)
        return SummaryResult(**answer, extractive=False, usage=usage)

    def write_article(
        self, *, site, cases: Sequence[ArticleCase], extractive: ArticleResult
    ) -> ArticleResult:
        """One grounded call with a strict schema. An article with no title or no cited step, or one cut
        at the token limit, is rejected: the extractive draft (the guard's fallback) is kept."""
        content, usage = self._structured(
            article_messages(cases), schema=ARTICLE_SCHEMA, max_tokens=ARTICLE_MAX_TOKENS, what="article"
        )
        answer = parse_article(content, cases)
        if not answer["title"]:
            raise AnswerRejected("article without a title", defects=[Defect.EMPTY], usage=usage)
        if not answer["steps"]:
            defects = [*answer["defects"], Defect.UNCITED]
            raise AnswerRejected("no step of the article cites a case", defects=defects, usage=usage)
        return ArticleResult(**answer, extractive=False, usage=usage)

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
                model=self.model,
                messages=messages,
                temperature=0.2,
                max_tokens=REPLY_MAX_TOKENS,
                stream=True,
            )
        )
        citation_filter = CitationStreamFilter(context)
        raw: list[str] = []
        defects: list[str] = []
        events = 0
        finish_reason = None
        try:
            for chunk in stream:
                events += 1
                choice = chunk.choices[0] if chunk.choices else None
                finish_reason = (choice.finish_reason if choice else None) or finish_reason
                delta = choice.delta.content if choice else None
                if not delta:
                    continue
                raw.append(delta)
                ends_a_word = any(character.isspace() for character in delta)
                if ends_a_word and (cut := loop_start("".join(raw))) is not None:
                    # Cut where the repetition starts and stop the generation (closing the response
                    # tells the server to stop): what stays says everything once.
                    raw = ["".join(raw)[:cut]]
                    defects.append(Defect.LOOPING)
                    stream.close()
                    break
                if shown := citation_filter.feed(delta):
                    yield shown
        except openai.OpenAIError as error:  # a server dying mid-answer is an APIConnectionError here
            raise AIUnavailable(f"stream broke: {describe(error)}") from error
        if tail := citation_filter.flush():
            yield tail
        text_out = "".join(raw)
        usage = Usage(count_tokens(render_prompt(messages)), count_tokens(text_out))
        if not events:
            raise AIUnavailable("empty reply: the stream held no events")
        if finish_reason == "length" and Defect.LOOPING not in defects:
            defects.append(Defect.TRUNCATED)
        body, cited = clean_citations(text_out.strip(), context)
        if not body:
            raise AnswerRejected("empty reply", defects=[*defects, Defect.EMPTY], usage=usage)
        if len(CITATION_RE.findall(text_out)) > len(CITATION_RE.findall(body)):
            defects.append(Defect.INVALID_CITATION)
        if not cited:
            if MODEL_REFUSAL in body.lower():
                # The model said, as told, that the sources do not answer: an honest refusal.
                body = refusal(offer_ticket)
                yield DraftResult(body=body, citations=[], refused=True, usage=usage, defects=tuple(defects))
                return
            defects.append(Defect.UNCITED)
            if settings.AI_UNCITED_REPLY == "fallback":
                raise AnswerRejected("the reply cites no retrieved source", defects=defects, usage=usage)
            # A reply that cites nothing is not grounded: say so rather than pass it on.
            body = refusal(offer_ticket)
        yield DraftResult(body=body, citations=cited, refused=not cited, usage=usage, defects=tuple(defects))


def loop_start(text: str) -> int | None:
    """Where `text` starts repeating itself, or None: the offset just after the first copy of a block of
    words that ends the text at least 3 times back to back (LOOP_MIN_WORDS words repeated at least).

    Numbers are ignored when comparing words, so "2. Restart the spooler [1]." and "3. Restart the
    spooler [1]." are the same step. The last word may still be growing, so it is left out. Called on
    every chunk of a stream, it looks only at the text's end, and at the whole text once a loop is seen.
    """
    tail = text[-LOOP_TAIL_CHARS:]
    words = _normalized(tail).split()
    block = _repeating_block(words if tail[-1:].isspace() else words[:-1])
    if block is None:
        return None
    matches = _complete_words(text)
    words = [_normalized(match.group(0)) for match in matches]
    start = len(words) - max(3, -(-LOOP_MIN_WORDS // block)) * block
    while start > 0 and words[start - 1] == words[start - 1 + block]:
        start -= 1
    return matches[start + block - 1].end()


def _complete_words(text: str) -> list[re.Match]:
    matches = list(re.finditer(r"\S+", text))
    return matches[:-1] if text and not text[-1].isspace() else matches


def _normalized(text: str) -> str:
    return _DIGITS_RE.sub("#", text.lower())


def _repeating_block(words: list[str]) -> int | None:
    """The shortest block of words that ends `words` enough times back to back to be a loop."""
    for block in range(1, LOOP_MAX_BLOCK_WORDS + 1):
        copies = max(3, -(-LOOP_MIN_WORDS // block))
        if len(words) < copies * block:
            return None
        if all(words[i] == words[i + block] for i in range(len(words) - copies * block, len(words) - block)):
            return block
    return None


def parse_triage(
    content: str, *, categories: Sequence[str], priorities: Sequence[str], context: GroundingContext
) -> dict:
    """Check the structured answer field by field. Broken JSON or wrong types are AIUnavailable (the
    fallback answers); a value outside what the schema allows is repaired and named as a defect: an
    unknown category or a confidence outside 0..1 leaves the ticket to a human, an unknown priority is
    dropped, a source id that was not retrieved is dropped."""
    answer = json_object(content, "triage")
    category, priority = answer.get("category"), answer.get("priority")
    confidence, needs_human = answer.get("confidence"), answer.get("needs_human")
    tags, source_ids = answer.get("tags", []), answer.get("sources", [])
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise AIUnavailable(f"malformed triage answer: confidence {confidence!r}")
    if not isinstance(needs_human, bool) or not isinstance(tags, list) or not isinstance(source_ids, list):
        raise AIUnavailable("malformed triage answer: wrong field types")
    defects: list[str] = []
    category = allowed(category, categories)
    if category is None:
        defects.append(Defect.UNKNOWN_CATEGORY)
    priority = allowed(priority, priorities)
    if priority is None:
        defects.append(Defect.UNKNOWN_PRIORITY)
    if not (math.isfinite(confidence) and 0 <= confidence <= 1):
        # 100 may mean "100%" or nothing (a model answered 1e12): unknowable, so no confidence at all.
        defects.append(Defect.CONFIDENCE_OUT_OF_BOUNDS)
        confidence = 0.0
    sources = []
    for cid in source_ids:
        source = context.source(cid) if isinstance(cid, int) and not isinstance(cid, bool) else None
        if source is None:
            defects.append(Defect.SOURCE_OUT_OF_BOUNDS)
        elif source.key not in sources:
            sources.append(source.key)
    clean_tags = [tag.strip().lower()[:40] for tag in tags if isinstance(tag, str) and tag.strip()]
    return {
        "category": category,
        "priority": priority,
        "tags": list(dict.fromkeys(clean_tags))[:MAX_TAGS],
        "confidence": float(confidence),
        # A model's self-reported confidence is held to the same majority rule as the offline vote; an
        # answer outside the allowed categories is no category at all.
        "needs_human": needs_human or confidence <= MAJORITY or category is None,
        "sources": sources,
        "defects": tuple(dict.fromkeys(defects)),
    }


def allowed(value, choices: Sequence[str]) -> str | None:
    """`value` if it is one of `choices` (ignoring case and surrounding spaces: "Printers " is printers)."""
    if not isinstance(value, str):
        return None
    by_folded = {choice.casefold(): choice for choice in choices}
    return by_folded.get(value.strip().casefold())
