"""The configured provider, wrapped so that every call is logged and a failing provider falls back.

The circuit breaker keeps no state of its own: the `AIInteraction` log is the state. When the last
FAILURE_THRESHOLD calls to a provider all failed and the newest failure is under OPEN_SECONDS old, the
provider is skipped (the fallback answers at once); after that window one call tries it again (half
open) and its outcome, logged like any other, closes or re-opens the circuit. Every web and worker
process reads the same table, so they all agree without a shared cache.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from ai.base import AIUnavailable, AnswerRejected, CategorizeResult, DraftResult, Provider, Usage
from ai.offline import OfflineProvider
from helpdesk.models import AIInteraction

logger = logging.getLogger(__name__)

FAILURE_THRESHOLD = 3
OPEN_SECONDS = 60
MAX_ERROR_CHARS = 500
# USD per million tokens (input, output), from OpenAI's price list; a dated model name matches its family.
PRICES_PER_MILLION = {
    "gpt-4o": (Decimal("2.50"), Decimal("10.00")),
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4.1": (Decimal("2.00"), Decimal("8.00")),
    "gpt-4.1-mini": (Decimal("0.40"), Decimal("1.60")),
    "gpt-4.1-nano": (Decimal("0.10"), Decimal("0.40")),
}
_SECRET_RE = re.compile(r"(sk-[A-Za-z0-9_\-*]{6,}|Bearer\s+\S+|api[_-]?key\S*\s*[:=]\s*\S+)", re.IGNORECASE)


def estimate_cost(model: str, usage: Usage) -> Decimal:
    family = max((name for name in PRICES_PER_MILLION if model.startswith(name)), key=len, default=None)
    if family is None:
        return Decimal(0)
    input_price, output_price = PRICES_PER_MILLION[family]
    cost = (usage.prompt_tokens * input_price + usage.completion_tokens * output_price) / 1_000_000
    return cost.quantize(Decimal("0.000001"))


def scrub(text: str) -> str:
    """Error text as it may be stored: without the configured key or anything shaped like a credential."""
    if settings.OPENAI_API_KEY:
        text = text.replace(settings.OPENAI_API_KEY, "[redacted]")
    return _SECRET_RE.sub("[redacted]", text)[:MAX_ERROR_CHARS]


def circuit_is_open(provider_name: str) -> bool:
    recent = list(
        AIInteraction.objects.filter(provider=provider_name)
        .order_by("-created_at", "-pk")
        .values_list("outcome", "created_at")[:FAILURE_THRESHOLD]
    )
    return (
        len(recent) == FAILURE_THRESHOLD
        and all(outcome == AIInteraction.Outcome.ERROR for outcome, _at in recent)
        and recent[0][1] > timezone.now() - timedelta(seconds=OPEN_SECONDS)
    )


def interaction_log(
    *,
    site,
    purpose: str,
    provider: Provider,
    outcome: str,
    started: float,
    usage: Usage | None = None,
    sources: Sequence[str] = (),
    error: str = "",
    defects: Sequence[str] = (),
    ticket_id: int | None = None,
    conversation_id: int | None = None,
) -> AIInteraction:
    return AIInteraction.objects.create(
        site=site,
        purpose=purpose,
        provider=provider.name,
        model=provider.model,
        ticket_id=ticket_id,
        conversation_id=conversation_id,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        latency_ms=int((time.monotonic() - started) * 1000),
        sources=list(sources),
        outcome=outcome,
        error=scrub(error),
        defects=list(dict.fromkeys(defects)),
        cost_usd=estimate_cost(provider.model, usage) if usage else Decimal(0),
    )


class GuardedProvider:
    """The provider the product uses: primary first, the fallback when it fails; every attempt logged."""

    def __init__(self, *, primary: Provider, fallback: Provider | None = None):
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name
        self.model = primary.model

    def chain(self) -> tuple[list[Provider], list[str]]:
        """The providers to try in order, and why any was skipped (the failures list grows as we go)."""
        if self.fallback is None:
            return [self.primary], []
        if circuit_is_open(self.primary.name):
            return [self.fallback], [f"{self.primary.name}: circuit open after {FAILURE_THRESHOLD} failures"]
        return [self.primary, self.fallback], []

    def outcome(self, *, failures: list[str], refused: bool) -> str:
        if failures:
            return AIInteraction.Outcome.FALLBACK
        return AIInteraction.Outcome.REFUSED if refused else AIInteraction.Outcome.OK

    def attempt(self, call: Callable, *, site, purpose: str, sources: Callable, refused: Callable, **ids):
        providers, failures = self.chain()
        for provider in providers:
            started = time.monotonic()
            try:
                result = call(provider)
            except Exception as error:  # any provider failure, even a bug, must end in the fallback
                self.record_failure(provider, error, site=site, purpose=purpose, started=started, **ids)
                failures.append(f"{provider.name}: {error}")
                continue
            interaction_log(
                site=site,
                purpose=purpose,
                provider=provider,
                outcome=self.outcome(failures=failures, refused=refused(result)),
                started=started,
                usage=result.usage,
                sources=sources(result),
                error="; ".join(failures),
                defects=result.defects,
                **ids,
            )
            return dataclasses.replace(result, answered_by=provider.name)
        raise AIUnavailable("; ".join(failures))

    @staticmethod
    def record_failure(provider: Provider, error: Exception, **fields) -> None:
        if isinstance(error, AnswerRejected):
            # The server answered, unusably: logged as rejected (the circuit counts only errors).
            logger.warning("AI provider %s answer rejected: %s (%s)", provider.name, error, error.defects)
            interaction_log(
                provider=provider,
                outcome=AIInteraction.Outcome.REJECTED,
                error=str(error),
                defects=error.defects,
                usage=error.usage,
                **fields,
            )
            return
        if not isinstance(error, AIUnavailable):
            logger.exception("AI provider %s failed unexpectedly", provider.name)
        interaction_log(provider=provider, outcome=AIInteraction.Outcome.ERROR, error=str(error), **fields)

    def categorize(
        self,
        *,
        site,
        text: str,
        cases,
        categories: Sequence[str],
        priorities: Sequence[str],
        ticket_id: int | None = None,
        prediction=None,
    ) -> CategorizeResult:
        return self.attempt(
            lambda provider: provider.categorize(
                site=site,
                text=text,
                cases=cases,
                categories=categories,
                priorities=priorities,
                prediction=prediction,
            ),
            site=site,
            purpose=AIInteraction.Purpose.TRIAGE,
            sources=lambda result: result.sources,
            refused=lambda result: False,
            ticket_id=ticket_id,
        )

    def summarize(self, *, site, title: str, turns, ticket_id: int | None = None, conversation_id=None):
        return self.attempt(
            lambda provider: provider.summarize(site=site, title=title, turns=turns),
            site=site,
            purpose=AIInteraction.Purpose.SUMMARY,
            sources=lambda result: [],
            refused=lambda result: False,
            ticket_id=ticket_id,
            conversation_id=conversation_id,
        )

    def write_article(self, *, site, cases, extractive):
        """A KB draft's article: one grounded call, and the extractive draft on any failure."""
        return self.attempt(
            lambda provider: provider.write_article(site=site, cases=cases, extractive=extractive),
            site=site,
            purpose=AIInteraction.Purpose.ARTICLE,
            sources=lambda result: list(result.sources),
            refused=lambda result: False,
        )

    def draft_reply(
        self,
        *,
        site,
        text: str,
        context,
        offer_ticket: bool = False,
        already_said: Sequence[str] = (),
        purpose: str = AIInteraction.Purpose.DRAFT,
        ticket_id: int | None = None,
        conversation_id: int | None = None,
    ) -> DraftResult:
        return self.attempt(
            lambda provider: provider.draft_reply(
                site=site, text=text, context=context, offer_ticket=offer_ticket, already_said=already_said
            ),
            site=site,
            purpose=purpose,
            sources=lambda result: result.citations,
            refused=lambda result: result.refused,
            ticket_id=ticket_id,
            conversation_id=conversation_id,
        )

    def stream_reply(
        self,
        *,
        site,
        text: str,
        context,
        offer_ticket: bool = True,
        already_said: Sequence[str] = (),
        purpose: str = AIInteraction.Purpose.CHAT,
        ticket_id: int | None = None,
        conversation_id: int | None = None,
    ) -> Iterator[str | DraftResult]:
        """Stream the first provider that works. If one breaks mid-answer, the fallback's answer follows
        a blank line; the final DraftResult is always the complete, clean answer to store."""
        ids = {"ticket_id": ticket_id, "conversation_id": conversation_id}
        providers, failures = self.chain()
        for provider in providers:
            started = time.monotonic()
            result = None
            shown = False
            try:
                for item in provider.stream_reply(
                    site=site,
                    text=text,
                    context=context,
                    offer_ticket=offer_ticket,
                    already_said=already_said,
                ):
                    if isinstance(item, DraftResult):
                        result = item
                    else:
                        shown = True
                        yield item
                if result is None:
                    raise AIUnavailable("stream ended without a result")
            except Exception as error:  # any provider failure, even a bug, must end in the fallback
                self.record_failure(provider, error, site=site, purpose=purpose, started=started, **ids)
                failures.append(f"{provider.name}: {error}")
                if shown:
                    yield "\n\n"
                continue
            interaction_log(
                site=site,
                purpose=purpose,
                provider=provider,
                outcome=self.outcome(failures=failures, refused=result.refused),
                started=started,
                usage=result.usage,
                sources=result.citations,
                error="; ".join(failures),
                defects=result.defects,
                **ids,
            )
            yield dataclasses.replace(result, answered_by=provider.name)
            return
        raise AIUnavailable("; ".join(failures))


def get_provider(name: str | None = None) -> GuardedProvider:
    """The provider named by AI_PROVIDER (or `name`), with the offline provider as its fallback."""
    name = name or settings.AI_PROVIDER
    if name == "offline":
        return GuardedProvider(primary=OfflineProvider())
    if name == "openai":
        from ai.openai_provider import OpenAIProvider

        return GuardedProvider(primary=OpenAIProvider(), fallback=OfflineProvider())
    raise ImproperlyConfigured(f"AI_PROVIDER must be 'offline' or 'openai', got {name!r}")
