"""Throwaway sites for one eval run: the dataset's documents become real rows, indexed for real, then deleted.

Every site is created under a prefix unique to the run (`eval-<run id>-<site>`), so a run never reads or
writes a real site's data; `Sandbox.destroy` removes them (cascading to tickets, chats, articles,
documents, vectors and AI logs) and runs from a `finally`, so a failed run cleans up too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from chat.models import Conversation, Message
from evals.datasets.loader import Dataset, Document
from helpdesk.models import Site, User
from helpdesk.services import site_create, user_create
from knowledge.models import Article
from tickets.models import Category, Priority, Ticket, TicketState

SLUG_PREFIX = "eval-"
SPEAKER = re.compile(
    r"^\s*(customer|user|engineer|agent|technician|assistant|bot)\s*:\s*(.+)$", re.IGNORECASE
)
SPEAKER_KIND = {
    "customer": Message.Author.CUSTOMER,
    "user": Message.Author.CUSTOMER,
    "engineer": Message.Author.ENGINEER,
    "agent": Message.Author.ENGINEER,
    "technician": Message.Author.ENGINEER,
    "assistant": Message.Author.ASSISTANT,
    "bot": Message.Author.ASSISTANT,
}


def transcript_turns(body: str, resolution: str = "") -> list[tuple[str, str]]:
    """(author kind, text) turns of a transcript body written as "Customer: ..." / "Engineer: ..." lines.

    Lines without a speaker continue the previous turn; a body with no speakers at all is one customer
    turn. A resolution the transcript does not already contain becomes the engineer's last turn.
    """
    turns: list[tuple[str, str]] = []
    for line in body.splitlines():
        match = SPEAKER.match(line)
        if match:
            turns.append((SPEAKER_KIND[match.group(1).lower()], match.group(2).strip()))
        elif line.strip():
            if turns:
                kind, text = turns[-1]
                turns[-1] = (kind, f"{text}\n{line.strip()}")
            else:
                turns.append((Message.Author.CUSTOMER, line.strip()))
    if resolution and resolution not in body:
        turns.append((Message.Author.ENGINEER, resolution))
    return turns


@dataclass
class Sandbox:
    run_id: str
    sites: dict[str, Site] = field(default_factory=dict)
    requesters: dict[str, User] = field(default_factory=dict)
    # (source_type, source_id) of a created row -> the dataset document id it stands for.
    documents: dict[tuple[str, int], str] = field(default_factory=dict)
    created_categories: list[int] = field(default_factory=list)
    categories: dict[str, Category] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"{SLUG_PREFIX}{self.run_id}-"

    def site_for(self, name: str) -> Site:
        return self.sites[name]

    def dataset_site_of(self, site_id: int | None) -> str | None:
        return next((name for name, site in self.sites.items() if site.pk == site_id), None)

    @transaction.atomic
    def create(self, dataset: Dataset) -> None:
        for index, category in enumerate(dataset.meta.get("categories", [])):
            slug = category["slug"] if isinstance(category, dict) else str(category)
            name = category.get("name", slug) if isinstance(category, dict) else slug
            self._ensure_category(slug, name, index)
        for label in dataset.categories:
            self._ensure_category(label, label, len(self.categories))
        for index, name in enumerate(dataset.sites):
            slug = f"{self.prefix}{index:02d}-{slugify(name)}"[:60]
            site = site_create(name=f"[eval {self.run_id}] {name}"[:200], slug=slug, kind="eval sandbox")
            self.sites[name] = site
            self.requesters[name] = user_create(
                username=f"{self.prefix}{index:02d}-requester"[:150],
                password=None,
                role=User.Role.CUSTOMER,
                site=site,
                first_name="Eval",
                last_name="Requester",
            )

    def _ensure_category(self, slug: str, name: str, index: int) -> None:
        if slug in self.categories:
            return
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            category = Category.objects.create(slug=slug, name=f"{name}"[:80] or slug)
            self.created_categories.append(category.pk)
        self.categories[slug] = category

    @transaction.atomic
    def load(self, documents: list[Document]) -> None:
        """Write each document as production would: resolved ticket, closed chat, published article."""
        now = timezone.now()
        for document in documents:
            site, requester = self.sites[document.site], self.requesters[document.site]
            category = self.categories.get(document.category) if document.category else None
            if document.kind == "ticket":
                ticket = Ticket.objects.create(
                    site=site,
                    requester=requester,
                    title=document.title[:200],
                    description=document.body,
                    category=category,
                    priority=document.priority if document.priority in Priority.values else Priority.NORMAL,
                    state=TicketState.RESOLVED,
                    resolution=document.resolution,
                    resolved_at=now,
                )
                self.documents[("ticket", ticket.pk)] = document.id
            elif document.kind == "transcript":
                conversation = Conversation.objects.create(
                    site=site,
                    customer=requester,
                    subject=document.title[:200],
                    category=category,  # the dataset's label, as triage on close would have set it
                    category_source=Conversation.CategorySource.AI if category else "",
                    state=Conversation.State.CLOSED,
                    closed_at=now,
                )
                turns = transcript_turns(document.body, document.resolution)
                Message.objects.bulk_create(
                    Message(conversation=conversation, site=site, author_kind=kind, body=text, seq=seq)
                    for seq, (kind, text) in enumerate(turns, start=1)
                )
                Conversation.objects.filter(pk=conversation.pk).update(last_seq=len(turns))
                self.documents[("transcript", conversation.pk)] = document.id
            else:
                body = (
                    document.body if not document.resolution else f"{document.body}\n\n{document.resolution}"
                )
                article = Article.objects.create(
                    site=site,
                    title=document.title[:200],
                    slug=f"{slugify(document.title)[:180] or 'article'}-{len(self.documents)}",
                    body=body,
                    category=category,
                    state=Article.State.PUBLISHED,
                    published_at=now,
                )
                self.documents[("article", article.pk)] = document.id

    def destroy(self) -> None:
        """Delete the run's sites and everything under them, and the categories the run had to create."""
        site_ids = [site.pk for site in self.sites.values()]
        with transaction.atomic():
            # Tickets protect their requester; removing them first lets the site cascade take the rest.
            Ticket.objects.filter(site_id__in=site_ids).delete()
            Site.objects.filter(pk__in=site_ids).delete()
            Category.objects.filter(pk__in=self.created_categories, ticket__isnull=True).delete()
        self.sites.clear()


def leftover_sites():
    """Sandbox sites a killed run could not remove (for `evals cleanup`)."""
    return Site.objects.filter(slug__startswith=SLUG_PREFIX, kind="eval sandbox")
