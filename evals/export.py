"""Write an eval dataset from a real site's history, so a company can evaluate on its own tickets.

Documents are what retrieval would index: resolved/closed tickets, closed chat transcripts, published
articles (the site's and the global KB). Queries come from what engineers and customers told the AI:
- a ticket whose category an engineer corrected after AI triage (`ai_correction`): gold category;
- a ticket whose AI draft was sent as is, or edited but mostly kept (`ai_draft` outcome, edit ratio >=
  KEPT_EDIT_RATIO): its cited sources are the gold relevant documents, the ticket's category the gold;
- a chat question whose assistant answer the customer marked helpful: the answer's sources are relevant.
A ticket used as a query is left out of the documents, or it would find itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import CommandError
from django.db.models import Q

from chat.models import Conversation, Message, MessageFeedback
from helpdesk.models import Site
from knowledge.documents import INDEXED_TICKET_STATES
from knowledge.models import Article
from tickets.models import Category, Ticket, TicketEvent

KEPT_EDIT_RATIO = 0.5


def _doc_id(key: str) -> str:
    """`ticket:12` (a citation key) -> `ticket-12` (a dataset id)."""
    return key.replace(":", "-", 1)


def _ticket_text(ticket: Ticket) -> str:
    return f"{ticket.title}\n\n{ticket.description}"


def _corrections(site: Site) -> dict[int, str]:
    events = TicketEvent.objects.filter(site=site, kind=TicketEvent.Kind.AI_CORRECTION, field="category")
    return {
        event.ticket_id: event.new_value for event in events.order_by("created_at", "pk") if event.new_value
    }


def _draft_outcomes(site: Site) -> dict[int, list[str]]:
    kept = Q(data__outcome="sent") | Q(data__outcome="edited", data__edit_ratio__gte=KEPT_EDIT_RATIO)
    events = TicketEvent.objects.filter(site=site, kind=TicketEvent.Kind.AI_DRAFT, data__stage="outcome")
    return {
        event.ticket_id: list(event.data.get("sources", [])) for event in events.filter(kept).order_by("pk")
    }


def _transcript(conversation: Conversation) -> tuple[str, str]:
    messages = [m for m in conversation.messages.order_by("seq") if m.author_kind != Message.Author.SYSTEM]
    body = "\n".join(f"{m.get_author_kind_display()}: {m.body.strip()}" for m in messages if m.body.strip())
    answers = [m.body.strip() for m in messages if m.author_kind != Message.Author.CUSTOMER]
    return body, answers[-1] if answers else ""


def export_site(*, site_slug: str, out: Path) -> dict:
    """Write meta.json, documents.jsonl and queries.jsonl for one site; returns counts by source."""
    site = Site.objects.filter(slug=site_slug).first()
    if site is None:
        raise CommandError(f"No site with slug {site_slug!r}.")
    corrections, drafts = _corrections(site), _draft_outcomes(site)
    tickets = Ticket.objects.filter(site=site).select_related("category").order_by("pk")
    query_ticket_ids = set(corrections) | set(drafts)

    documents = []
    for ticket in tickets.filter(state__in=INDEXED_TICKET_STATES).exclude(pk__in=query_ticket_ids):
        documents.append(
            {
                "id": f"ticket-{ticket.pk}",
                "site": site.slug,
                "kind": "ticket",
                "title": ticket.title,
                "body": ticket.description,
                "resolution": ticket.resolution,
                "category": ticket.category.slug if ticket.category_id else None,
                "priority": ticket.priority,
            }
        )
    closed = Conversation.objects.filter(site=site, state=Conversation.State.CLOSED).select_related(
        "ticket__category"
    )
    for conversation in closed.order_by("pk"):
        body, resolution = _transcript(conversation)
        if body:
            ticket = conversation.ticket
            documents.append(
                {
                    "id": f"transcript-{conversation.pk}",
                    "site": site.slug,
                    "kind": "transcript",
                    "title": conversation.subject or body.splitlines()[0][:120],
                    "body": body,
                    "resolution": resolution,
                    "category": ticket.category.slug if ticket and ticket.category_id else None,
                }
            )
    articles = Article.objects.filter(Q(site=site) | Q(site__isnull=True), state=Article.State.PUBLISHED)
    for article in articles.select_related("category").order_by("pk"):
        documents.append(
            {
                "id": f"article-{article.pk}",
                "site": site.slug,
                "kind": "article",
                "title": article.title,
                "body": article.body,
                "category": article.category.slug if article.category_id else None,
            }
        )
    known = {document["id"] for document in documents}

    queries, sources = [], {"category_corrections": 0, "kept_drafts": 0, "helpful_chat_answers": 0}
    for ticket in tickets.filter(pk__in=query_ticket_ids):
        query = {"id": f"ticket-{ticket.pk}", "site": site.slug, "text": _ticket_text(ticket)}
        if ticket.pk in corrections:
            query["category"] = corrections[ticket.pk]
            sources["category_corrections"] += 1
        elif ticket.category_id:
            query["category"] = ticket.category.slug
        if ticket.pk in drafts:
            relevant = [_doc_id(key) for key in drafts[ticket.pk] if _doc_id(key) in known]
            if relevant:
                query.update(relevant=relevant, answerable=True)
                sources["kept_drafts"] += 1
        queries.append(query)

    feedback = MessageFeedback.objects.filter(
        site=site, helpful=True, message__author_kind=Message.Author.ASSISTANT
    )
    for item in feedback.select_related("message").order_by("pk"):
        answer = item.message
        question = (
            Message.objects.filter(
                conversation_id=answer.conversation_id,
                seq__lt=answer.seq,
                author_kind=Message.Author.CUSTOMER,
            )
            .order_by("-seq")
            .first()
        )
        relevant = [
            _doc_id(source["key"]) for source in answer.sources if _doc_id(source.get("key", "")) in known
        ]
        if question is None or not relevant:
            continue
        queries.append(
            {
                "id": f"chat-{answer.pk}",
                "site": site.slug,
                "text": question.body,
                "relevant": relevant,
                "answerable": True,
            }
        )
        sources["helpful_chat_answers"] += 1

    meta = {
        "name": f"{site.slug}-history",
        "source": f"exported from site {site.slug} by `manage.py evals export`",
        "license": "private: the site's own data",
        "categories": [{"slug": c.slug, "name": c.name} for c in Category.objects.order_by("slug")],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    for name, rows in (("documents.jsonl", documents), ("queries.jsonl", queries)):
        with (out / name).open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return {"documents": len(documents), "queries": len(queries), "query_sources": sources}
