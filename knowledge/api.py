"""KB articles over the API: everyone reads what they may see, staff write (global ones: admins)."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import ValidationError

from helpdesk.tenancy import access_site
from knowledge import selectors, services
from knowledge.schemas import ArticleIn, ArticleOut, ArticlePatchIn
from tickets.models import Category

router = Router(tags=["knowledge"])
MAX_ARTICLES = 200


def _category(slug: str | None):
    if not slug:
        return None
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise ValidationError(
            [{"loc": ["body", "category"], "msg": f"Unknown category {slug!r}.", "type": "value_error"}]
        )
    return category


@router.get("/articles", response=list[ArticleOut])
def article_list(request: HttpRequest, q: str = "", site: int | None = None):
    """Articles the caller may read (customers: published ones of their site and the global KB)."""
    user = request.auth
    scope = access_site(user, site) if site is not None else None
    return list(selectors.articles_for_user(user, site=scope, q=q[:300])[:MAX_ARTICLES])


@router.get("/articles/{article_id}", response=ArticleOut)
def article_read(request: HttpRequest, article_id: int):
    return selectors.article_get_for_user(request.auth, article_id)


@router.post("/articles", response={201: ArticleOut})
def article_create(request: HttpRequest, payload: ArticleIn):
    user = request.auth
    if not user.is_staff_member:
        raise PermissionDenied("Only engineers and admins write KB articles.")
    site = None
    if payload.site is not None:
        site = access_site(user, payload.site, among=selectors.editable_sites(user))
    elif not user.is_helpdesk_admin:
        raise PermissionDenied("Only admins write global articles.")
    article = services.article_create(
        site=site,
        author=user,
        title=payload.title,
        body=payload.body,
        category=_category(payload.category),
        state=payload.state,
    )
    return Status(201, article)


@router.patch("/articles/{article_id}", response=ArticleOut)
def article_update(request: HttpRequest, article_id: int, payload: ArticlePatchIn):
    user = request.auth
    article = selectors.article_get_for_user(user, article_id)
    if not selectors.can_edit_article(user, article):
        raise PermissionDenied("You may not edit this article.")
    fields = payload.dict(exclude_unset=True)
    return services.article_update(
        article=article,
        title=fields.get("title") or article.title,
        body=fields.get("body") or article.body,
        category=_category(fields["category"]) if "category" in fields else article.category,
        state=fields.get("state") or article.state,
    )
