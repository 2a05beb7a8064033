"""Reads for the admin pages: sites with their email-in addresses, each site's SLA targets beside the
defaults they override, its incident types beside the built-ins, the tags its tickets use."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Prefetch

from chat.models import IncidentType
from chat.safety import DEFAULTS_BY_SLUG, IncidentSpec
from chat.selectors import incident_types_for_site
from helpdesk.models import Site, User
from helpdesk.tenancy import visible_sites
from integrations.models import SupportAddress
from retrieval.embedders import model_name_for
from tickets.models import Category, Priority, SLATarget, Ticket, TriageModel
from tickets.selectors import BUILTIN_SLA_MINUTES


def sites_for_admin(*, user: User):
    """Every site an admin may manage (all of them), with its email-in addresses."""
    return visible_sites(user).prefetch_related(
        Prefetch("support_addresses", queryset=SupportAddress.objects.order_by("address"))
    )


def support_addresses(*, site: Site) -> list[str]:
    return list(
        SupportAddress.objects.filter(site=site).order_by("address").values_list("address", flat=True)
    )


@dataclass(frozen=True)
class SLARow:
    """One priority's targets: the site's own row (None when it follows the default) and the default."""

    priority: str
    label: str
    first_response: int | None
    resolution: int | None
    default_first_response: int
    default_resolution: int
    default_source: str  # "default row" (an SLATarget without a site) or "built-in" (tickets.selectors)


def sla_defaults() -> dict[str, tuple[int, int, str]]:
    """Per priority: the default (first response, resolution) minutes and where they come from, the
    same order of precedence tickets.selectors.sla_targets_for applies below a site's own row."""
    rows = {row.priority: row for row in SLATarget.objects.filter(site__isnull=True)}
    defaults = {}
    for priority in Priority.values:
        row = rows.get(priority)
        if row is not None:
            defaults[priority] = (
                row.first_response_minutes,
                row.resolution_minutes,
                "default row",
            )
        else:
            defaults[priority] = (*BUILTIN_SLA_MINUTES[Priority(priority)], "built-in")
    return defaults


def sla_rows(*, site: Site | None) -> list[SLARow]:
    own = {row.priority: row for row in SLATarget.objects.filter(site=site)} if site is not None else {}
    rows = []
    for priority, (first, resolution, source) in sla_defaults().items():
        row = own.get(priority)
        rows.append(
            SLARow(
                priority=priority,
                label=Priority(priority).label,
                first_response=row.first_response_minutes if row else None,
                resolution=row.resolution_minutes if row else None,
                default_first_response=first,
                default_resolution=resolution,
                default_source=source,
            )
        )
    return rows


@dataclass(frozen=True)
class IncidentRow:
    """An incident type as the site's detection uses it: the built-in (None for a site's own type), the
    site's row (None when untouched) and the effective version (None when disabled)."""

    slug: str
    builtin: IncidentSpec | None
    row: IncidentType | None
    effective: IncidentSpec | None


def incident_rows(*, site: Site) -> list[IncidentRow]:
    rows = {row.slug: row for row in IncidentType.objects.filter(site=site)}
    effective = {spec.slug: spec for spec in incident_types_for_site(site=site)}
    slugs = [*DEFAULTS_BY_SLUG, *sorted(set(rows) - set(DEFAULTS_BY_SLUG))]
    return [
        IncidentRow(slug, DEFAULTS_BY_SLUG.get(slug), rows.get(slug), effective.get(slug)) for slug in slugs
    ]


def incident_type_row(*, site: Site, slug: str) -> IncidentType | None:
    return IncidentType.objects.filter(site=site, slug=slug).first()


def categories_with_use():
    """Categories are global (tickets.Category has no site): every site's tickets share them."""
    return Category.objects.annotate(tickets=Count("ticket")).order_by("name")


def tags_for_site(*, site: Site) -> list[tuple[str, int]]:
    """The free-form tags (tickets.Ticket.tags) a site's tickets carry, most used first. Triage only
    ever suggests tags the site already uses (tickets.selectors.tags_the_site_uses)."""
    counts = Counter(
        tag for tags in Ticket.objects.filter(site=site).values_list("tags", flat=True) for tag in tags
    )
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def triage_curve(*, site: Site) -> dict | None:
    """What the site's own history says about a stricter bar: its triage classifier's coverage-accuracy
    curve on held-out tickets (tickets.classifier), from the default 0.5 up. None before the site has a
    classifier (the neighbour vote's majority rule decides alone)."""
    model = TriageModel.objects.filter(site=site, embedding_model=model_name_for()).first()
    if model is None:
        return None
    rows = [row for row in model.calibration.get("coverage_accuracy", []) if row["threshold"] >= 0.5]
    return {"examples": model.examples, "trained_at": model.trained_at, "rows": rows}
