"""KB pages: the article list/editor for engineers and admins, the help centre for customers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from helpdesk.tenancy import visible_sites
from knowledge import selectors, services
from knowledge.forms import ArticleDraftForm, ArticleForm

MAX_QUERY_CHARS = 300


def _query(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:MAX_QUERY_CHARS]


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    q = _query(request)
    if not user.is_staff_member:
        articles = selectors.help_centre_search(site=user.site, q=q)
        return render(
            request, "knowledge/help_centre.html", {"articles": articles, "q": q, "site": user.site}
        )
    sites = visible_sites(user)
    site = sites.filter(pk=request.GET.get("site")).first() if request.GET.get("site", "").isdigit() else None
    articles = selectors.articles_for_user(user, site=site, q=q)
    return render(
        request,
        "knowledge/article_list.html",
        {"articles": articles, "q": q, "sites": sites, "site": site},
    )


@login_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = selectors.article_get_for_user(request.user, pk)
    can_edit = selectors.can_edit_article(request.user, article)
    return render(request, "knowledge/article_detail.html", {"article": article, "can_edit": can_edit})


def _form(request: HttpRequest, **kwargs) -> ArticleForm:
    user = request.user
    data = request.POST if request.method == "POST" else None
    return ArticleForm(
        data, sites=selectors.editable_sites(user), allow_global=user.is_helpdesk_admin, **kwargs
    )


@login_required
def article_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff_member:
        raise PermissionDenied("Only engineers and admins write KB articles.")
    form = _form(request)
    if request.method == "POST" and form.is_valid():
        article = services.article_create(author=request.user, **form.cleaned_data)
        messages.success(request, "Article saved.")
        return redirect("knowledge:article_detail", article.pk)
    return render(request, "knowledge/article_form.html", {"form": form, "article": None})


@login_required
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = selectors.article_get_for_user(request.user, pk)
    if not selectors.can_edit_article(request.user, article):
        raise PermissionDenied("Only admins edit global articles.")
    initial = {
        "title": article.title,
        "body": article.body,
        "site": article.site,
        "category": article.category,
        "state": article.state,
    }
    form = _form(request, initial=initial)
    form.fields["site"].disabled = True  # moving an article between sites is not an edit
    if request.method == "POST" and form.is_valid():
        data = {key: value for key, value in form.cleaned_data.items() if key != "site"}
        services.article_update(article=article, **data)
        messages.success(request, "Article saved.")
        return redirect("knowledge:article_detail", article.pk)
    return render(request, "knowledge/article_form.html", {"form": form, "article": article})


def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_staff_member:
        raise PermissionDenied("Only engineers and admins review KB drafts.")


@login_required
def draft_list(request: HttpRequest) -> HttpResponse:
    """The review queue: proposed drafts (and near-duplicate flags) of the sites the user covers."""
    _staff_only(request)
    drafts = selectors.article_drafts_for_user(request.user)
    return render(request, "knowledge/draft_list.html", {"drafts": drafts})


@login_required
def draft_review(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    draft = selectors.article_draft_get_for_user(request.user, pk)
    initial = {"title": draft.title, "body": draft.body, "category": draft.category}
    form = ArticleDraftForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_draft_publish(draft=draft, reviewer=request.user, **form.cleaned_data)
        except services.DraftAlreadyReviewed as error:
            messages.error(request, str(error))
            return redirect("knowledge:draft_list")
        messages.success(request, "Draft published.")
        return redirect("knowledge:article_detail", article.pk)
    return render(request, "knowledge/draft_form.html", {"form": form, "draft": draft})


@require_POST
@login_required
def draft_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    draft = selectors.article_draft_get_for_user(request.user, pk)
    try:
        services.article_draft_dismiss(draft=draft, reviewer=request.user)
        messages.success(request, "Draft dismissed; this cluster will not be proposed again.")
    except services.DraftAlreadyReviewed as error:
        messages.error(request, str(error))
    return redirect("knowledge:draft_list")
