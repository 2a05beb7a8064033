"""What a ticket, a chat transcript or an article looks like as a searchable document, and its chunks.

Pure functions: no writes. `knowledge.services` decides when to index and stores the result.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from chat.models import Conversation, Message
from knowledge.models import Article
from retrieval import tokens
from retrieval.chunking import MIN_REPLY_CHARS
from retrieval.models import SourceType
from tickets.models import Ticket, TicketState

INDEXED_TICKET_STATES = (TicketState.RESOLVED, TicketState.CLOSED)


@dataclass(frozen=True)
class SourceText:
    """A source rendered as document fields; `link` is the FK keyword for Document (ticket=...)."""

    source_type: str
    source_id: int
    site_id: int | None
    link: dict
    title: str
    text: str
    category: str = ""
    priority: str = ""
    resolution: str = ""

    @property
    def content_hash(self) -> str:
        fields = [self.source_type, str(self.site_id), self.title, self.text, self.category, self.priority]
        return hashlib.sha256("\x1f".join([*fields, self.resolution]).encode()).hexdigest()


def ticket_source(ticket: Ticket) -> SourceText | None:
    """A resolved or closed ticket: title, problem, resolution and useful public replies (never internal).
    A ticket merged into another is not a past case of its own: its survivor carries it."""
    if ticket.state not in INDEXED_TICKET_STATES or ticket.merged_into_id is not None:
        return None
    replies = [
        comment.body.strip()
        for comment in ticket.comments.filter(is_internal=False).order_by("created_at", "pk")
        if len(comment.body.strip()) >= MIN_REPLY_CHARS
    ]
    parts = [ticket.title, f"Problem: {ticket.description.strip()}"]
    if ticket.resolution.strip():
        parts.append(f"Resolution: {ticket.resolution.strip()}")
    if replies:
        parts.append("Replies:\n" + "\n".join(f"- {reply}" for reply in replies))
    return SourceText(
        source_type=SourceType.TICKET,
        source_id=ticket.pk,
        site_id=ticket.site_id,
        link={"ticket": ticket},
        title=ticket.title,
        text="\n\n".join(parts),
        category=ticket.category.slug if ticket.category_id else "",
        priority=ticket.priority,
        resolution=ticket.resolution.strip(),
    )


def conversation_source(conversation: Conversation) -> SourceText | None:
    """A closed chat: the transcript of customer, assistant and engineer turns (system lines left out)."""
    if conversation.state != Conversation.State.CLOSED:
        return None
    messages = list(
        conversation.messages.exclude(author_kind=Message.Author.SYSTEM).order_by("created_at", "pk")
    )
    if not any(m.author_kind == Message.Author.CUSTOMER for m in messages):
        return None
    lines = [f"{m.get_author_kind_display()}: {m.body.strip()}" for m in messages if m.body.strip()]
    first_question = next(m.body.strip() for m in messages if m.author_kind == Message.Author.CUSTOMER)
    title = conversation.subject or tokens.truncate(first_question, 20)
    answers = [m.body.strip() for m in messages if m.author_kind != Message.Author.CUSTOMER]
    return SourceText(
        source_type=SourceType.TRANSCRIPT,
        source_id=conversation.pk,
        site_id=conversation.site_id,
        link={"conversation": conversation},
        title=title[:200],
        text="\n\n".join([title, *lines]),
        category=_conversation_category(conversation),
        resolution=answers[-1] if answers else "",
    )


def _conversation_category(conversation: Conversation) -> str:
    if conversation.category_id:
        return conversation.category.slug
    ticket = conversation.ticket
    return ticket.category.slug if ticket and ticket.category_id else ""


def article_source(article: Article) -> SourceText | None:
    if article.state != Article.State.PUBLISHED:
        return None
    return SourceText(
        source_type=SourceType.ARTICLE,
        source_id=article.pk,
        site_id=article.site_id,
        link={"article": article},
        title=article.title,
        text=f"{article.title}\n\n{article.body.strip()}",
        category=article.category.slug if article.category_id else "",
    )
