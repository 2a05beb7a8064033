"""Writes of the knowledge app: KB articles, and documents/chunks kept in step with their sources.

Indexing is idempotent: a document whose content hash is unchanged and already has chunks for the
embedding model is left untouched (no write at all); changed chunks are re-embedded, unchanged ones keep
their vectors. Embedding happens outside the transaction so no lock is held during model inference.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from chat.models import Conversation
from helpdesk.jobs import enqueue_on_commit
from helpdesk.models import Site, User
from knowledge import drafting
from knowledge.documents import (
    INDEXED_TICKET_STATES,
    SourceText,
    article_source,
    conversation_source,
    ticket_source,
)
from knowledge.models import Article, ArticleDraft
from retrieval.chunking import ChunkText, chunk_text
from retrieval.embedders import Embedder, get_embedder
from retrieval.models import Chunk, Document, SourceType
from tickets.models import Category, Ticket

logger = logging.getLogger(__name__)


@dataclass
class IndexStats:
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: IndexStats) -> None:
        self.indexed += other.indexed
        self.unchanged += other.unchanged
        self.removed += other.removed
        self.chunks_embedded += other.chunks_embedded
        self.errors.extend(other.errors)


def documents_sync(*, sources: list[SourceText], embedder: Embedder | None = None) -> IndexStats:
    """Upsert the documents of `sources` and their chunks for one embedding model, in one embed call."""
    embedder = embedder or get_embedder()
    model = embedder.model_name
    stats = IndexStats()
    existing = {
        (d.source_type, d.source_id): d
        for d in Document.objects.filter(
            source_id__in=[s.source_id for s in sources], source_type__in={s.source_type for s in sources}
        )
    }
    # The chunk hashes each existing document already has for this model, in one query.
    have: dict[int, set[str]] = defaultdict(set)
    for document_id, content_hash in Chunk.objects.filter(
        document__in=[d.pk for d in existing.values()], embedding_model=model
    ).values_list("document_id", "content_hash"):
        have[document_id].add(content_hash)
    plans = []
    missing: dict[str, str] = {}  # content hash -> text of chunks that need a vector
    for source in sources:
        document = existing.get((source.source_type, source.source_id))
        hashes = have[document.pk] if document is not None else set()
        if document is not None and document.content_hash == source.content_hash and hashes:
            stats.unchanged += 1
            continue
        chunks = chunk_text(source.title, source.text)
        missing.update({c.content_hash: c.text for c in chunks if c.content_hash not in hashes})
        plans.append((source, chunks))
    fresh = dict(zip(missing, embedder.embed(list(missing.values())), strict=True))
    stats.chunks_embedded += len(missing)
    for source, chunks in plans:
        _document_write(source, chunks, fresh, model)
        stats.indexed += 1
    return stats


@transaction.atomic
def _document_write(source: SourceText, chunks: list[ChunkText], fresh: dict, model: str) -> None:
    document, created = Document.objects.update_or_create(
        source_type=source.source_type,
        source_id=source.source_id,
        defaults={
            "site_id": source.site_id,
            "title": source.title[:200],
            "text": source.text,
            "category": source.category,
            "priority": source.priority,
            "resolution": source.resolution,
            "content_hash": source.content_hash,
            **source.link,
        },
    )
    current = {}
    if not created:
        hashes = {c.content_hash for c in chunks}
        # Vectors of other models describe the old text; they go (a re-embed with them adds them back).
        document.chunks.exclude(embedding_model=model, content_hash__in=hashes).delete()
        document.chunks.exclude(site_id=source.site_id).update(site_id=source.site_id)
        rows = document.chunks.filter(embedding_model=model).only("pk", "content_hash", "ordinal")
        current = {row.content_hash: row for row in rows}
    new_rows = {}
    for chunk in chunks:
        row = current.get(chunk.content_hash)
        if row is not None:
            if row.ordinal != chunk.ordinal:
                Chunk.objects.filter(pk=row.pk).update(ordinal=chunk.ordinal)
        elif chunk.content_hash in fresh and chunk.content_hash not in new_rows:
            new_rows[chunk.content_hash] = Chunk(
                document=document,
                site_id=source.site_id,
                source_type=source.source_type,
                source_id=source.source_id,
                ordinal=chunk.ordinal,
                text=chunk.text,
                token_count=chunk.token_count,
                content_hash=chunk.content_hash,
                embedding_model=model,
                embedding=fresh[chunk.content_hash],
            )
    Chunk.objects.bulk_create(new_rows.values(), ignore_conflicts=True)


def document_remove(*, source_type: str, source_id: int) -> int:
    """Forget a source's document and vectors (a reopened ticket, an unpublished article)."""
    deleted, _ = Document.objects.filter(source_type=source_type, source_id=source_id).delete()
    return 1 if deleted else 0


def _index_one(source: SourceText | None, source_type: str, source_id: int, embedder) -> IndexStats:
    if source is None:
        return IndexStats(removed=document_remove(source_type=source_type, source_id=source_id))
    return documents_sync(sources=[source], embedder=embedder)


def document_index_ticket(*, ticket: Ticket, embedder: Embedder | None = None) -> IndexStats:
    """Index a resolved/closed ticket; any other state removes its document."""
    return _index_one(ticket_source(ticket), SourceType.TICKET, ticket.pk, embedder)


def document_index_conversation(
    *, conversation: Conversation, embedder: Embedder | None = None
) -> IndexStats:
    return _index_one(conversation_source(conversation), SourceType.TRANSCRIPT, conversation.pk, embedder)


def document_index_article(*, article: Article, embedder: Embedder | None = None) -> IndexStats:
    """Index a published article; a draft has no document."""
    return _index_one(article_source(article), SourceType.ARTICLE, article.pk, embedder)


def _eligible_sources(site: Site | None) -> Iterator[SourceText | None]:
    tickets = (
        Ticket.objects.filter(state__in=INDEXED_TICKET_STATES, merged_into__isnull=True)
        .select_related("category")
        .order_by("pk")
    )
    conversations = Conversation.objects.filter(state=Conversation.State.CLOSED).select_related(
        "ticket__category"
    )
    articles = Article.objects.filter(state=Article.State.PUBLISHED).select_related("category").order_by("pk")
    if site is not None:
        tickets, conversations, articles = (qs.filter(site=site) for qs in (tickets, conversations, articles))
    yield from (ticket_source(t) for t in tickets.iterator(chunk_size=200))
    yield from (conversation_source(c) for c in conversations.order_by("pk").iterator(chunk_size=200))
    yield from (article_source(a) for a in articles.iterator(chunk_size=200))


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        if item is not None:
            batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _stale_documents(site: Site | None) -> QuerySet[Document]:
    """Documents whose source is no longer indexable (reopened, unpublished) and was missed by a task."""
    documents = Document.objects.all() if site is None else Document.objects.filter(site=site)
    return (
        documents.exclude(
            ticket__state__in=INDEXED_TICKET_STATES,
            ticket__merged_into__isnull=True,
            source_type=SourceType.TICKET,
        )
        .exclude(conversation__state=Conversation.State.CLOSED, source_type=SourceType.TRANSCRIPT)
        .exclude(article__state=Article.State.PUBLISHED, source_type=SourceType.ARTICLE)
    )


def eligible_source_count(*, site: Site | None = None) -> int:
    tickets = Ticket.objects.filter(state__in=INDEXED_TICKET_STATES, merged_into__isnull=True)
    conversations = Conversation.objects.filter(state=Conversation.State.CLOSED)
    articles = Article.objects.filter(state=Article.State.PUBLISHED)
    if site is not None:
        tickets, conversations, articles = (qs.filter(site=site) for qs in (tickets, conversations, articles))
    return tickets.count() + conversations.count() + articles.count()


def index_site(
    *,
    site: Site | None = None,
    model: str | None = None,
    batch_size: int = 64,
    progress=None,
    prune: bool = False,
) -> IndexStats:
    """Backfill or re-embed every indexable source of `site` (all sites and global articles when None).

    Each batch commits on its own, so an interrupted run keeps its work and the next run skips every
    document already current for the model: the command is resumable. `progress` (a tqdm bar) is
    advanced per source. `prune` also drops vectors of other models once the pass is complete.
    """
    embedder = get_embedder(model)
    stats = IndexStats()
    for batch in _batches(_eligible_sources(site), batch_size):
        stats.add(documents_sync(sources=batch, embedder=embedder))
        if progress is not None:
            progress.update(len(batch))
    stats.removed += _stale_documents(site).delete()[1].get("knowledge.Document", 0)
    if prune:
        chunks = Chunk.objects.all() if site is None else Chunk.objects.filter(site=site)
        chunks.exclude(embedding_model=embedder.model_name).delete()
    return stats


# --- KB articles -------------------------------------------------------------------------------------


def _unique_slug(*, site: Site | None, title: str, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:200] or "article"
    slug, n = base, 2
    siblings = Article.objects.filter(site=site).exclude(pk=exclude_pk)
    while siblings.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _queue_article_index(article: Article) -> None:
    enqueue_on_commit("knowledge.tasks.index_article", article.pk)


@transaction.atomic
def article_create(
    *,
    site: Site | None,
    author: User,
    title: str,
    body: str,
    category: Category | None = None,
    state: str = Article.State.DRAFT,
) -> Article:
    """A KB article of `site`, or a global one (site None) shared by every site."""
    article = Article.objects.create(
        site=site,
        author=author,
        title=title,
        slug=_unique_slug(site=site, title=title),
        body=body,
        category=category,
        state=state,
        published_at=timezone.now() if state == Article.State.PUBLISHED else None,
    )
    _queue_article_index(article)
    return article


@transaction.atomic
def article_update(
    *, article: Article, title: str, body: str, category: Category | None, state: str
) -> Article:
    """Edit an article; publishing, unpublishing or editing re-indexes it after commit."""
    if title != article.title:
        article.slug = _unique_slug(site=article.site, title=title, exclude_pk=article.pk)
    if state == Article.State.PUBLISHED and article.state != Article.State.PUBLISHED:
        article.published_at = timezone.now()
    article.title, article.body, article.category, article.state = title, body, category, state
    article.save()
    _queue_article_index(article)
    return article


# --- KB drafts from resolved work (knowledge.drafting) ---------------------------------------------


class DraftAlreadyReviewed(Exception):
    """A draft that was published or dismissed is not reviewed again."""


def article_drafts_propose(*, site: Site, days: int | None = None) -> list[ArticleDraft]:
    """Cluster the site's recent resolved work and store one draft (or near-duplicate flag) per new
    cluster. Safe to run twice: a cluster mostly inside an existing draft of any state is skipped.

    Embedding, clustering and the article's AI call run outside the transaction (no lock held during
    inference); the writes then lock the site row and re-check the fingerprints, so two overlapping runs
    cannot both store a cluster."""
    proposals = drafting.propose_clusters(site=site, days=days or drafting.RECENT_DAYS)
    if not proposals:
        return []
    with transaction.atomic():
        Site.objects.select_for_update().filter(pk=site.pk).first()
        known = drafting.known_fingerprints(site)
        return [
            _article_draft_store(site=site, proposal=p)
            for p in proposals
            if not drafting.is_known(drafting.fingerprint(p.cases), known)
        ]


def _article_draft_store(*, site: Site, proposal: drafting.ClusterDraft) -> ArticleDraft:
    draft = ArticleDraft.objects.create(
        site=site,
        title=proposal.title,
        body=proposal.body,
        category_id=proposal.category_id,
        near_duplicate_of=proposal.near_duplicate_of,
        similarity=proposal.similarity,
    )
    ticket_ids = [c.source_id for c in proposal.cases if c.source_type == SourceType.TICKET]
    conversation_ids = [c.source_id for c in proposal.cases if c.source_type == SourceType.TRANSCRIPT]
    # The members come from the site's own rows only (drafting scopes to the site); filtering again
    # here keeps a draft from ever linking another tenant's ticket.
    draft.tickets.set(Ticket.objects.filter(site=site, pk__in=ticket_ids))
    draft.conversations.set(Conversation.objects.filter(site=site, pk__in=conversation_ids))
    return draft


def _claim_draft(draft: ArticleDraft) -> ArticleDraft:
    locked = ArticleDraft.objects.select_for_update().get(pk=draft.pk)
    if locked.state != ArticleDraft.State.PROPOSED:
        raise DraftAlreadyReviewed(f"This draft was already {locked.get_state_display().lower()}.")
    return locked


@transaction.atomic
def article_draft_publish(
    *, draft: ArticleDraft, reviewer: User, title: str, body: str, category: Category | None
) -> Article:
    """Publish a reviewed draft as an article of its site (indexed on commit by article_create), without
    the draft's links to tickets a customer cannot open; the draft keeps the article, which is the link
    from the cluster's tickets to it."""
    draft = _claim_draft(draft)
    article = article_create(
        site=draft.site,
        author=reviewer,
        title=title,
        body=drafting.published_body(body),
        category=category,
        state=Article.State.PUBLISHED,
    )
    draft.title, draft.body, draft.category = title, body, category
    draft.state, draft.article = ArticleDraft.State.PUBLISHED, article
    draft.reviewed_by, draft.reviewed_at = reviewer, timezone.now()
    draft.save()
    return article


@transaction.atomic
def article_draft_dismiss(*, draft: ArticleDraft, reviewer: User) -> ArticleDraft:
    """Dismiss a draft; its members stay its fingerprint, so the cluster is not proposed again."""
    draft = _claim_draft(draft)
    draft.state = ArticleDraft.State.DISMISSED
    draft.reviewed_by, draft.reviewed_at = reviewer, timezone.now()
    draft.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    return draft
