"""The one place that decides which sites a user may see.

Every selector of tenant data narrows its queryset with `scope_to_user` (or `scope_to_site`), so a
customer never sees another site's rows and an engineer sees only the sites they cover. Objects fetched
for a user come from `get_for_user_or_404`: another site's id answers 404, never 403, so existence
does not leak. The admins' pages are behind `admin_only`, with the same 404 for everyone else.
"""

from __future__ import annotations

from functools import wraps
from typing import TypeVar

from django.contrib.auth.decorators import login_required
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from helpdesk.models import Site, User

M = TypeVar("M", bound=Model)


def visible_sites(user: User) -> QuerySet[Site]:
    if not user.is_authenticated or not user.is_active:
        return Site.objects.none()
    if user.is_helpdesk_admin:
        return Site.objects.all()
    if user.is_engineer:
        return Site.objects.filter(engineer_profiles__user=user, is_active=True)
    return Site.objects.filter(pk=user.site_id, is_active=True)


def access_site(user: User, site_id: int | None, *, among: QuerySet[Site] | None = None) -> Site:
    """The site a caller names, when they may see it (`among` narrows the choice, e.g. to the sites they
    may edit): the one resolver of "the caller's site" for pages and the API. An unknown id and another
    tenant's id answer the same 404."""
    site = (
        (among if among is not None else visible_sites(user)).filter(pk=site_id).first() if site_id else None
    )
    if site is None:
        raise Http404("No such site.")
    return site


def covers_site(user: User, site_id: int) -> bool:
    """An engineer who covers this (active) site: the same rule as `visible_sites`, so an engineer never
    acts on a site they cannot see."""
    return user.is_engineer and visible_sites(user).filter(pk=site_id).exists()


def can_see_site(user: User, site: Site | int | None) -> bool:
    site_id = site.pk if isinstance(site, Site) else site
    return site_id is not None and visible_sites(user).filter(pk=site_id).exists()


def scope_to_user(queryset: QuerySet[M], user: User, *, site_field: str = "site", shared: bool = False):
    """Rows of `queryset` whose site the user may see; `shared=True` also keeps site-less (global) rows."""
    condition = Q(**{f"{site_field}__in": visible_sites(user).values("pk")})
    if shared:
        condition |= Q(**{f"{site_field}__isnull": True})
    return queryset.filter(condition)


def scope_to_site(queryset: QuerySet[M], site: Site | int, *, site_field: str = "site", shared: bool = False):
    """Rows of one site (plus global rows with `shared=True`): for code that already holds a site."""
    site_id = site.pk if isinstance(site, Site) else site
    condition = Q(**{site_field: site_id})
    if shared:
        condition |= Q(**{f"{site_field}__isnull": True})
    return queryset.filter(condition)


def get_for_user_or_404(queryset: QuerySet[M], user: User, *, site_field: str = "site", **lookup) -> M:
    try:
        return scope_to_user(queryset, user, site_field=site_field).get(**lookup)
    except queryset.model.DoesNotExist as error:
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.") from error


def admin_only(view):
    """A page for admins alone: anyone else logged in gets the 404 of a page that does not exist."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_helpdesk_admin:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper
