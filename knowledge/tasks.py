"""django-q2 entry points: each takes an id, reads the source fresh, and is safe to run twice."""

from __future__ import annotations

from chat.models import Conversation
from knowledge import services
from knowledge.models import Article
from retrieval.models import SourceType
from tickets.models import Ticket


def index_ticket(ticket_id: int) -> dict:
    """Queued when a ticket is resolved, reopened or edited: index it if resolved/closed, else forget it."""
    ticket = Ticket.objects.select_related("category").filter(pk=ticket_id).first()
    if ticket is None:
        stats = services.IndexStats(
            removed=services.document_remove(source_type=SourceType.TICKET, source_id=ticket_id)
        )
    else:
        stats = services.document_index_ticket(ticket=ticket)
    return {"indexed": stats.indexed, "unchanged": stats.unchanged, "removed": stats.removed}


def index_conversation(conversation_id: int) -> dict:
    """Queued when a chat is closed: index its transcript."""
    conversation = Conversation.objects.select_related("ticket__category").filter(pk=conversation_id).first()
    if conversation is None:
        removed = services.document_remove(source_type=SourceType.TRANSCRIPT, source_id=conversation_id)
        stats = services.IndexStats(removed=removed)
    else:
        stats = services.document_index_conversation(conversation=conversation)
    return {"indexed": stats.indexed, "unchanged": stats.unchanged, "removed": stats.removed}


def index_article(article_id: int) -> dict:
    """Queued when an article is saved: index it if published, else forget it."""
    article = Article.objects.select_related("category").filter(pk=article_id).first()
    if article is None:
        stats = services.IndexStats(
            removed=services.document_remove(source_type=SourceType.ARTICLE, source_id=article_id)
        )
    else:
        stats = services.document_index_article(article=article)
    return {"indexed": stats.indexed, "unchanged": stats.unchanged, "removed": stats.removed}


def index_sweep() -> dict:
    """Index every source not yet current and forget stale documents: the work of a lost indexing task.

    Scheduled when Redis is the broker (helpdesk/schedules.py): Redis hands a task out once, so a task
    whose worker died is gone, and this sweep is what finishes it. A no-op when everything is current.
    """
    stats = services.index_site()
    return {"indexed": stats.indexed, "unchanged": stats.unchanged, "removed": stats.removed}


def search_profiles_tune() -> int:
    """Re-learn every active site's search profile from its current history; returns how many were set."""
    from helpdesk.models import Site
    from knowledge.search_tuning import tune_site_search

    return sum(tune_site_search(site=site) is not None for site in Site.objects.filter(is_active=True))


def article_drafts_propose() -> int:
    """Draft KB articles from each active site's recently resolved work; returns how many were proposed."""
    from helpdesk.models import Site

    return sum(
        len(services.article_drafts_propose(site=site)) for site in Site.objects.filter(is_active=True)
    )
