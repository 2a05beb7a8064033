"""Small builders of tickets, chats and articles in the states the indexer cares about."""

from __future__ import annotations

import json
from pathlib import Path

from django.utils import timezone

from chat.models import Conversation, Message
from knowledge.models import Article
from tickets.models import Category, Comment, Ticket, TicketState


def category(slug: str) -> Category:
    return Category.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]


def resolved_ticket(*, site, requester, title, description, resolution, category_slug="", comments=()):
    ticket = Ticket.objects.create(
        site=site,
        requester=requester,
        title=title,
        description=description,
        resolution=resolution,
        category=category(category_slug) if category_slug else None,
        state=TicketState.RESOLVED,
        resolved_at=timezone.now(),
    )
    for body, internal in comments:
        Comment.objects.create(ticket=ticket, site=site, author=requester, body=body, is_internal=internal)
    return ticket


def closed_conversation(*, site, customer, subject, turns):
    conversation = Conversation.objects.create(
        site=site,
        customer=customer,
        subject=subject,
        state=Conversation.State.CLOSED,
        closed_at=timezone.now(),
    )
    for author_kind, body in turns:
        Message.objects.create(conversation=conversation, site=site, author_kind=author_kind, body=body)
    return conversation


def article(*, site, title, body, state=Article.State.PUBLISHED, slug=None):
    return Article.objects.create(
        site=site, title=title, slug=slug or title.lower().replace(" ", "-")[:200], body=body, state=state
    )


EVAL_FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "evals" / "it-helpdesk"


def eval_fixture_rows(name: str, fixture_site: str) -> list[dict]:
    """Rows of one site of the bundled eval fixture (`documents.jsonl` or `queries.jsonl`)."""
    with (EVAL_FIXTURE / name).open(encoding="utf-8") as handle:
        return [row for line in handle if (row := json.loads(line))["site"] == fixture_site]


def eval_fixture_history(*, site, requester, fixture_site: str) -> list[Ticket]:
    """One fixture site's categorized tickets as resolved tickets of `site`: a realistic history."""
    return [
        resolved_ticket(
            site=site,
            requester=requester,
            title=row["title"],
            description=row["body"],
            resolution=row.get("resolution", ""),
            category_slug=row["category"],
        )
        for row in eval_fixture_rows("documents.jsonl", fixture_site)
        if row["kind"] == "ticket" and row.get("category")
    ]
