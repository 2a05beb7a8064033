"""AI triage and reply drafts for tickets: retrieval grounds them, the provider interface answers.

Nothing here talks to OpenAI or pgvector: `retrieval.grounding` finds the site's similar cases and
`ai.get_provider()` answers, with its own fallback and logging. The AI is never the reason a
ticket is lost: when every provider fails the ticket stays in `new`, flagged for a human.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
from dataclasses import dataclass

from django.db import transaction

from ai.base import AIUnavailable
from ai.providers import GuardedProvider, get_provider
from helpdesk.models import User
from retrieval.citations import body_with_sources, source_entry
from retrieval.embedders import RememberingEmbedder, get_embedder
from retrieval.grounding import GroundingContext, Source, build_context
from tickets.classifier import Classification, classify
from tickets.errors import ActionNotAllowed, TicketError
from tickets.impact import impact_cue, raised_priority
from tickets.lifecycle import STAFF_ROLES, actor_roles
from tickets.models import Category, Priority, Ticket, TicketEvent, TicketState
from tickets.selectors import (
    pending_draft_for,
    tags_the_site_uses,
    ticket_priority_chosen,
    ticket_requester_words,
    ticket_text,
)
from tickets.services import comment_create, ticket_auto_assign, ticket_transition, ticket_update

logger = logging.getLogger(__name__)

Kind = TicketEvent.Kind
DRAFT_OUTCOMES = ("sent", "edited", "discarded")


def _already_triaged(ticket: Ticket) -> bool:
    return (
        ticket.state != TicketState.NEW
        or ticket.needs_human_triage
        or ticket.events.filter(kind=Kind.AI_TRIAGE).exists()
    )


def grounding_for(
    *, site, text: str, with_global: bool = True, embedder=None
) -> tuple[GroundingContext, Classification | None]:
    """The site's own classifier's reading of `text` (None on a site too new to have one) and the
    grounding context retrieved with its category prior: what triage and reply drafts work from. The
    text is embedded once for both."""
    embedder = RememberingEmbedder(embedder or get_embedder())
    classification = classify(site=site, text=text, embedder=embedder)
    context = build_context(
        site=site,
        text=text,
        with_global=with_global,
        category_prior=classification.distribution if classification else None,
        embedder=embedder,
    )
    return context, classification


def categorize_text(
    *,
    site,
    text: str,
    context: GroundingContext,
    provider: GuardedProvider,
    classification: Classification | None,
    ticket_id: int | None = None,
):
    """The provider's categorization of `text`, grounded by `context` and told what the site's own
    classifier predicts (nothing on a site too new to have one: the neighbour vote decides alone)."""
    return provider.categorize(
        site=site,
        text=text,
        cases=context.cases,
        categories=list(Category.objects.values_list("slug", flat=True)),
        priorities=list(Priority.values),
        ticket_id=ticket_id,
        prediction=classification.prediction if classification else None,
    )


def triage_ticket(*, ticket_id: int, provider: GuardedProvider | None = None) -> Ticket | None:
    """Categorize a new ticket from its site's similar resolved cases, then auto-assign it.

    1. ground: the ticket's site's similar cases (plus global KB);
    2. categorize with the provider (its fallback and logging included);
    3. in one transaction, re-checked under a row lock so two workers cannot both triage: apply the
       category, priority and tags as the assistant (never over a priority a person chose), raise the
       priority on impact cues in the requester's words, even when unsure, and record an ai_triage event
       (sources, confidence, the impact reason); a confident answer moves the ticket to triaged, an
       unsure one leaves it in new for a human;
    4. auto-assign a triaged ticket.
    Safe to run twice: a ticket already triaged, or already handed to a human, is left alone.
    """
    ticket = Ticket.objects.select_related("site", "category").filter(pk=ticket_id).first()
    if ticket is None or _already_triaged(ticket):
        return ticket
    if not ticket.site.auto_triage_enabled:
        return _hand_to_human(
            ticket_id=ticket.pk, reason="Auto-triage is off for this site", unavailable=False
        )
    provider = provider or get_provider()
    try:
        context, classification = grounding_for(site=ticket.site, text=ticket_text(ticket))
        result = categorize_text(
            site=ticket.site,
            text=ticket_text(ticket),
            context=context,
            provider=provider,
            classification=classification,
            ticket_id=ticket.pk,
        )
        result = _with_site_threshold(ticket.site, result)
    except Exception as error:  # retrieval or every provider down: a human triages instead
        if not isinstance(error, AIUnavailable):
            logger.exception("triage of ticket %s failed", ticket.pk)
        return _hand_to_human(ticket_id=ticket.pk, reason=f"AI triage unavailable: {type(error).__name__}")
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("site").get(pk=ticket.pk)
        if _already_triaged(ticket):
            return ticket
        category = Category.objects.filter(slug=result.category).first() if result.category else None
        changes = {}
        tags = tags_the_site_uses(site_id=ticket.site_id, suggested=result.tags, sources=result.sources)
        if not result.needs_human:
            changes["tags"] = sorted({*ticket.tags, *tags})
            if category is not None:
                changes["category"] = category
        chosen = ticket_priority_chosen(ticket)
        priority = None if chosen or result.needs_human else result.priority
        impact = None if chosen else _impact(ticket, priority)
        if impact is not None:
            priority = impact["priority"]
        if priority:
            changes["priority"] = priority
        if changes:
            ticket = ticket_update(ticket=ticket, actor=None, by_assistant=True, **changes)
        ticket.triage_confidence = result.confidence
        ticket.needs_human_triage = result.needs_human
        ticket.save(update_fields=["triage_confidence", "needs_human_triage", "updated_at"])
        TicketEvent.objects.create(
            ticket=ticket,
            site_id=ticket.site_id,
            kind=Kind.AI_TRIAGE,
            by_assistant=True,
            message=(
                f"Unsure ({result.confidence:.0%}): left for a human to triage"
                if result.needs_human
                else f"Categorized as {result.category}, priority {ticket.priority} ({result.confidence:.0%})"
            )
            + (f". {impact['reason']}" if impact else ""),
            data={
                "category": result.category,
                "priority": priority or result.priority,
                "tags": tags,
                "confidence": result.confidence,
                "needs_human": result.needs_human,
                "sources": result.sources,
                "provider": result.answered_by,
                **({"impact": impact} if impact else {}),
            },
        )
        if result.needs_human:
            return ticket
        ticket = ticket_transition(ticket=ticket, to_state=TicketState.TRIAGED, actor=None, by_assistant=True)
    return ticket_auto_assign(ticket=ticket)


def _with_site_threshold(site, result):
    """The site's own bar for a confident triage (administration's site page), on top of the provider's
    rule: a confidence below it leaves the ticket for a human. Unset (None), the provider's rule alone
    decides, as before: a calibrated confidence of at least ai.offline.AUTO_TRIAGE_CONFIDENCE (0.5)."""
    threshold = site.auto_triage_confidence
    if threshold is None or result.needs_human or result.confidence >= threshold:
        return result
    return dataclasses.replace(result, needs_human=True)


def _hand_to_human(*, ticket_id: int, reason: str, unavailable: bool = True) -> Ticket:
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        if _already_triaged(ticket):
            return ticket
        ticket.needs_human_triage = True
        ticket.save(update_fields=["needs_human_triage", "updated_at"])
        # The impact rule needs no AI: it still applies when every provider is down.
        impact = None if ticket_priority_chosen(ticket) else _impact(ticket, None)
        if impact is not None:
            ticket = ticket_update(ticket=ticket, actor=None, by_assistant=True, priority=impact["priority"])
        TicketEvent.objects.create(
            ticket=ticket,
            site_id=ticket.site_id,
            kind=Kind.AI_TRIAGE,
            by_assistant=True,
            message=f"{reason}; left for a human to triage" + (f". {impact['reason']}" if impact else ""),
            data={"needs_human": True, "unavailable": unavailable, **({"impact": impact} if impact else {})},
        )
    return ticket


def _impact(ticket: Ticket, priority: str | None) -> dict | None:
    """The impact rule: a cue in the requester's words raises `priority` (or the ticket's own) to the
    impact priority; None when there is no cue or the priority is already as high."""
    cue = impact_cue(ticket_requester_words(ticket))
    raised = raised_priority(priority or ticket.priority) if cue else None
    if raised is None:
        return None
    return {
        "priority": raised,
        "from": priority or ticket.priority,
        "quote": cue.quote,
        "reason": cue.reason(raised),
    }


@dataclass(frozen=True)
class TicketDraft:
    """An editable reply for the engineer, with the sources it cites (shown beside it)."""

    body: str
    sources: list[Source]
    refused: bool
    event_id: int


def _require_staff(ticket: Ticket, actor: User) -> None:
    if not actor_roles(ticket, actor) & STAFF_ROLES:
        raise ActionNotAllowed("Only engineers covering this site can draft replies.")


def ticket_draft_reply(*, ticket: Ticket, actor: User) -> TicketDraft:
    """Draft a grounded reply to the requester; the draft and its sources are recorded (ai_draft).

    Raises AIUnavailable when every provider failed; the page says so and the engineer writes by hand.
    """
    _require_staff(ticket, actor)
    provider = get_provider()
    context, _ = grounding_for(site=ticket.site, text=ticket_text(ticket))
    result = provider.draft_reply(
        site=ticket.site, text=ticket_text(ticket), context=context, ticket_id=ticket.pk
    )
    cited = [source for source in context.sources if source.key in result.citations]
    event = TicketEvent.objects.create(
        ticket=ticket,
        site_id=ticket.site_id,
        kind=Kind.AI_DRAFT,
        actor=actor,
        by_assistant=True,
        message="Drafted a reply" + (" (no similar case found)" if result.refused else ""),
        data={
            "stage": "drafted",
            "body": result.body,
            "sources": result.citations,
            "source_details": [source_entry(source) for source in cited],
            "refused": result.refused,
            "provider": result.answered_by,
        },
    )
    return TicketDraft(body=result.body, sources=cited, refused=result.refused, event_id=event.pk)


def ticket_draft_outcome(*, ticket: Ticket, actor: User, outcome: str, final_body: str = "") -> TicketEvent:
    """Record what the engineer did with the latest draft: sent as is, edited then sent, or discarded.

    The evals read these: the share of drafts sent, and how much of a draft survived (edit_ratio).
    """
    if outcome not in DRAFT_OUTCOMES:
        raise TicketError(f"A draft outcome is one of {', '.join(DRAFT_OUTCOMES)}.")
    _require_staff(ticket, actor)
    draft = (
        ticket.events.filter(kind=Kind.AI_DRAFT, data__stage="drafted").order_by("-created_at", "-pk").first()
    )
    if draft is None:
        raise TicketError("There is no draft to record an outcome for.")
    draft_body = draft.data.get("body", "")
    kept = difflib.SequenceMatcher(None, draft_body, final_body).ratio() if outcome != "discarded" else 0.0
    return TicketEvent.objects.create(
        ticket=ticket,
        site_id=ticket.site_id,
        kind=Kind.AI_DRAFT,
        actor=actor,
        message=f"Draft {outcome}",
        data={
            "stage": "outcome",
            "outcome": outcome,
            "draft_event_id": draft.pk,
            "sources": draft.data.get("sources", []),
            "final_body": final_body if outcome != "discarded" else "",
            "edit_ratio": round(kept, 4),
        },
    )


@transaction.atomic
def ticket_draft_send(*, ticket: Ticket, actor: User, body: str) -> TicketEvent:
    """Send the engineer's reply built from the pending draft, recording it as sent as is or edited.

    The comment (and so its email) carries the draft's citations as the requester may see them: one
    number per source and the "Sources" list; a marker the engineer typed that points nowhere is dropped.
    """
    # Lock, then check: concurrent clicks on "Send" queue on the ticket row, and all but the first
    # find the draft already answered by its outcome event.
    ticket = Ticket.objects.select_for_update().select_related("requester").get(pk=ticket.pk)
    draft = pending_draft_for(ticket=ticket)
    if draft is None:
        raise TicketError("There is no draft to send; draft a reply first.")
    sent = body_with_sources(body=body, sources=draft.data.get("source_details", []), viewer=ticket.requester)
    comment_create(ticket=ticket, author=actor, body=sent, is_internal=False)
    outcome = "sent" if body.strip() == draft.data.get("body", "").strip() else "edited"
    return ticket_draft_outcome(ticket=ticket, actor=actor, outcome=outcome, final_body=body)
