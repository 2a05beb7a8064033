"""The admin pages: sites (email-in, hours, SLA targets, AI settings, incident types), categories,
tags and the audit trail. Admins only: anyone else gets the same 404 as chat insights, so the pages
do not even say they exist."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from administration import selectors, services
from administration.forms import CategoryForm, IncidentTypeForm, SiteForm
from chat.safety import DEFAULTS_BY_SLUG
from helpdesk.audit import audit_entries_for_user
from helpdesk.forms import saved_through
from helpdesk.models import Site
from helpdesk.tenancy import access_site, admin_only
from tickets.models import Category


@admin_only
def site_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "administration/site_list.html",
        {"sites": selectors.sites_for_admin(user=request.user)},
    )


def _site_form(request: HttpRequest, site: Site | None) -> HttpResponse:
    rows = selectors.sla_rows(site=site)
    if request.method == "POST":
        form = SiteForm(request.POST, site=site, sla_rows=rows)
        if form.is_valid():
            saved = {}

            def save():
                saved["site"] = services.site_save(
                    actor=request.user,
                    site=site,
                    fields=form.site_fields(),
                    addresses=form.cleaned_data["addresses"],
                    sla=form.sla(),
                )

            if saved_through(form, save):
                messages.success(request, f"Saved {saved['site'].name}.")
                return redirect("administration:site_edit", site_id=saved["site"].pk)
    else:
        initial = (
            SiteForm.initial_for(site, selectors.support_addresses(site=site))
            if site
            else {
                "is_active": True,
                "assistant_enabled": True,
                "auto_triage_enabled": True,
                "business_days": ["0", "1", "2", "3", "4"],
            }
        )
        form = SiteForm(initial=initial, site=site, sla_rows=rows)
    curve = selectors.triage_curve(site=site) if site else None
    return render(
        request,
        "administration/site_form.html",
        {"form": form, "site": site, "curve": curve},
    )


@admin_only
def site_create(request: HttpRequest) -> HttpResponse:
    return _site_form(request, None)


@admin_only
def site_edit(request: HttpRequest, site_id: int) -> HttpResponse:
    return _site_form(request, access_site(request.user, site_id))


@admin_only
def incident_list(request: HttpRequest, site_id: int) -> HttpResponse:
    site = access_site(request.user, site_id)
    return render(
        request,
        "administration/incident_list.html",
        {"site": site, "rows": selectors.incident_rows(site=site)},
    )


def _incident_form(request: HttpRequest, site: Site, slug: str | None) -> HttpResponse:
    builtin = DEFAULTS_BY_SLUG.get(slug) if slug else None
    row = selectors.incident_type_row(site=site, slug=slug) if slug else None
    if slug and builtin is None and row is None:
        raise Http404("No such incident type.")
    if request.method == "POST":
        form = IncidentTypeForm(request.POST, site=site, builtin=builtin)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            chosen = fields.pop("slug", slug)
            if slug is None and (
                chosen in DEFAULTS_BY_SLUG or selectors.incident_type_row(site=site, slug=chosen)
            ):
                form.add_error(
                    "slug",
                    f"{chosen} already exists on this site: edit it from the list.",
                )
            elif saved_through(
                form,
                lambda: services.incident_type_save(
                    actor=request.user, site=site, slug=chosen, fields=fields
                ),
            ):
                messages.success(request, f"Saved the incident type {chosen}.")
                return redirect("administration:incident_list", site_id=site.pk)
    else:
        initial = {"enabled": True}
        if row is not None:
            initial = {name: getattr(row, name) for name in services.INCIDENT_FIELDS}
        form = IncidentTypeForm(initial=initial, site=site, builtin=builtin)
    return render(
        request,
        "administration/incident_form.html",
        {"form": form, "site": site, "slug": slug, "builtin": builtin, "row": row},
    )


@admin_only
def incident_create(request: HttpRequest, site_id: int) -> HttpResponse:
    return _incident_form(request, access_site(request.user, site_id), None)


@admin_only
def incident_edit(request: HttpRequest, site_id: int, incident_slug: str) -> HttpResponse:
    return _incident_form(request, access_site(request.user, site_id), incident_slug)


@admin_only
@require_POST
def incident_reset(request: HttpRequest, site_id: int, incident_slug: str) -> HttpResponse:
    site = access_site(request.user, site_id)
    services.incident_type_reset(actor=request.user, site=site, slug=incident_slug)
    messages.success(request, f"{incident_slug} is back to its built-in version on {site.name}.")
    return redirect("administration:incident_list", site_id=site.pk)


@admin_only
def category_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "administration/category_list.html",
        {"categories": selectors.categories_with_use()},
    )


def _category_form(request: HttpRequest, category: Category | None) -> HttpResponse:
    if request.method == "POST":
        form = CategoryForm(request.POST, category=category)
        if form.is_valid() and saved_through(
            form,
            lambda: services.category_save(actor=request.user, category=category, fields=form.cleaned_data),
        ):
            messages.success(request, "Saved the category.")
            return redirect("administration:category_list")
    else:
        initial = {name: getattr(category, name) for name in services.CATEGORY_FIELDS} if category else {}
        form = CategoryForm(initial=initial, category=category)
    return render(
        request,
        "administration/category_form.html",
        {"form": form, "category": category},
    )


@admin_only
def category_create(request: HttpRequest) -> HttpResponse:
    return _category_form(request, None)


@admin_only
def category_edit(request: HttpRequest, category_id: int) -> HttpResponse:
    return _category_form(request, get_object_or_404(Category, pk=category_id))


def _chosen_site(request: HttpRequest) -> Site | None:
    site_id = request.GET.get("site", "")
    return access_site(request.user, int(site_id)) if site_id.isdigit() else None


@admin_only
def tag_list(request: HttpRequest) -> HttpResponse:
    sites = selectors.sites_for_admin(user=request.user)
    site = _chosen_site(request) or sites.first()
    tags = selectors.tags_for_site(site=site) if site else []
    return render(
        request,
        "administration/tag_list.html",
        {"sites": sites, "site": site, "tags": tags},
    )


@admin_only
def audit_log(request: HttpRequest) -> HttpResponse:
    site = _chosen_site(request)
    page = Paginator(audit_entries_for_user(request.user, site=site), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "administration/audit_log.html",
        {
            "page": page,
            "site": site,
            "sites": selectors.sites_for_admin(user=request.user),
            "querystring": f"site={site.pk}" if site else "",
        },
    )
