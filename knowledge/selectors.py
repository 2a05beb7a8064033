"""Reads of KB articles, always through helpdesk.tenancy: another site's article is a 404."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from helpdesk.models import Site, User
from helpdesk.tenancy import can_see_site, scope_to_site, scope_to_user, visible_sites
from knowledge.models import Article, ArticleDraft
from retrieval.citations import CitedRow
from retrieval.selectors import similar_cases
from retrieval.types import SourceType

HELP_CENTRE_RESULTS = 20


def articles_for_user(user: User, *, site: Site | None = None, q: str = "") -> QuerySet[Article]:
    """Articles a user may read: staff see their sites' articles (drafts too) and the global ones;
    customers see only published articles of their site and the global ones."""
    articles = scope_to_user(Article.objects.select_related("site", "category", "author"), user, shared=True)
    if not user.is_staff_member:
        articles = articles.filter(state=Article.State.PUBLISHED)
    if site is not None:
        articles = articles.filter(Q(site=site) | Q(site__isnull=True))
    if q:
        articles = articles.filter(Q(title__icontains=q) | Q(body__icontains=q))
    return articles.order_by("title", "pk")


def published_articles_for_site(site: Site) -> QuerySet[Article]:
    """What a customer of the site can read: its published articles and the global ones."""
    return Article.objects.filter(state=Article.State.PUBLISHED).filter(Q(site=site) | Q(site__isnull=True))


def cited_articles(viewer: User, ids: set[int]) -> dict[int, CitedRow]:
    """Articles as a citation shows them to `viewer` (registered with retrieval.citations)."""
    articles = Article.objects.in_bulk(ids)
    readable = set(articles_for_user(viewer).filter(pk__in=articles).values_list("pk", flat=True))
    return {
        pk: CitedRow(site_id=article.site_id, openable=pk in readable) for pk, article in articles.items()
    }


def article_get_for_user(user: User, pk: int) -> Article:
    article = articles_for_user(user).filter(pk=pk).first()
    if article is None:
        raise Http404("No article matches the given query.")
    return article


def can_edit_article(user: User, article: Article) -> bool:
    """Engineers edit the articles of the sites they cover; global articles (no site) belong to admins."""
    if not user.is_staff_member:
        return False
    if article.site_id is None:
        return user.is_helpdesk_admin
    return can_see_site(user, article.site_id)


def editable_sites(user: User) -> QuerySet[Site]:
    """Sites a user may write articles for (global articles additionally need an admin)."""
    return visible_sites(user) if user.is_staff_member else Site.objects.none()


def help_centre_search(*, site: Site, q: str) -> list[Article]:
    """Published articles of a site and the global KB for a customer's question, best first: the
    semantic matches (hybrid retrieval over indexed articles), then plain keyword matches."""
    published = scope_to_site(Article.objects.filter(state=Article.State.PUBLISHED), site, shared=True)
    if not q.strip():
        return list(published.order_by("title"))
    cases = similar_cases(
        site=site, text=q, k=HELP_CENTRE_RESULTS, sources=[SourceType.ARTICLE], every_case_related=True
    )
    found = published.in_bulk([case.source_id for case in cases])
    ranked = [found[case.source_id] for case in cases if case.source_id in found]
    keyword = published.filter(Q(title__icontains=q) | Q(body__icontains=q)).exclude(pk__in=found.keys())
    return ranked + list(keyword.order_by("title")[: HELP_CENTRE_RESULTS - len(ranked)])


def article_drafts_for_user(user: User, *, state: str | None = "proposed") -> QuerySet[ArticleDraft]:
    """The drafts of the sites an engineer or admin covers; customers have none."""
    if not user.is_staff_member:
        return ArticleDraft.objects.none()
    drafts = scope_to_user(
        ArticleDraft.objects.select_related("site", "near_duplicate_of", "article"), user
    ).prefetch_related("tickets", "conversations")
    return drafts.filter(state=state) if state else drafts


def article_draft_get_for_user(user: User, pk: int) -> ArticleDraft:
    """One draft of a site the user covers; another site's draft (or a customer asking) is a 404."""
    draft = article_drafts_for_user(user, state=None).filter(pk=pk).first()
    if draft is None:
        raise Http404("No draft matches the given query.")
    return draft


def articles_for_ticket(ticket_id: int) -> QuerySet[Article]:
    """The articles published from drafts this ticket was part of (the ticket's KB links)."""
    return Article.objects.filter(source_draft__tickets=ticket_id, state=Article.State.PUBLISHED)
