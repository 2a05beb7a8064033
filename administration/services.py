"""Writes of the admin pages: sites (with their email-in addresses, SLA targets and AI settings),
incident types and categories. Each is one transaction that records what changed in the audit trail
(helpdesk.audit), so the trail and the change commit or roll back together."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from chat.models import IncidentType
from helpdesk.audit import audit_record, snapshot
from helpdesk.models import Site, User
from integrations.models import SupportAddress
from tickets.models import Category, SLATarget

SITE_FIELDS = (
    "name",
    "slug",
    "kind",
    "contact_name",
    "contact_email",
    "contact_phone",
    "is_active",
    "time_zone",
    "business_hours_start",
    "business_hours_end",
    "business_days",
    "assistant_enabled",
    "auto_triage_enabled",
    "auto_triage_confidence",
)
SLA_FIELDS = ("priority", "first_response_minutes", "resolution_minutes")
INCIDENT_FIELDS = ("slug", "name", "prototypes", "key_terms", "steps", "enabled", "article")
CATEGORY_FIELDS = ("slug", "name", "description")


def _save_audited(
    *, actor: User, row, fields: dict, tracked: tuple[str, ...], site: Site | None, clean: bool
):
    """Set the fields, save, and record "created" or what "changed" (only the fields that differ)."""
    created = row.pk is None
    before = {} if created else snapshot(row, tracked)
    for name, value in fields.items():
        setattr(row, name, value)
    if clean:
        row.full_clean()
    row.save()
    audit_record(
        actor=actor,
        action="created" if created else "changed",
        instance=row,
        site=site,
        before=before,
        after=snapshot(row, tracked),
    )
    return row


def _delete_audited(*, actor: User, row, before: dict, site: Site | None) -> None:
    audit_record(actor=actor, action="deleted", instance=row, site=site, before=before)
    row.delete()


@transaction.atomic
def site_save(
    *,
    actor: User,
    site: Site | None,
    fields: dict,
    addresses: list[str],
    sla: dict[str, tuple[int, int] | None],
) -> Site:
    """Create a site or change one: its own fields, the addresses its email-in is filed from
    (integrations.SupportAddress, the table mail_in routes by) and its SLA overrides per priority
    (None: follow the default)."""
    site = site or Site()
    _save_audited(actor=actor, row=site, fields=fields, tracked=SITE_FIELDS, site=site, clean=False)
    _addresses_set(actor=actor, site=site, addresses=addresses)
    for priority, targets in sla.items():
        _sla_set(actor=actor, site=site, priority=priority, targets=targets)
    return site


def _addresses_set(*, actor: User, site: Site, addresses: list[str]) -> None:
    wanted = {address.lower(): address for address in addresses}
    taken = SupportAddress.objects.filter(address__in=list(wanted.values())).exclude(site=site)
    if taken.exists():
        raise ValidationError(
            {"addresses": f"{taken.first().address} already files mail to another site; choose another."}
        )
    for row in SupportAddress.objects.filter(site=site):
        if row.address.lower() not in wanted:
            _delete_audited(actor=actor, row=row, before={"address": row.address}, site=site)
        else:
            wanted.pop(row.address.lower())
    for address in wanted.values():
        row = SupportAddress.objects.create(site=site, address=address)
        audit_record(
            actor=actor,
            action="created",
            instance=row,
            site=site,
            after={"address": address},
        )


def _sla_set(*, actor: User, site: Site, priority: str, targets: tuple[int, int] | None) -> None:
    row = SLATarget.objects.filter(site=site, priority=priority).first()
    if targets is None:
        if row is not None:
            _delete_audited(actor=actor, row=row, before=snapshot(row, SLA_FIELDS), site=site)
        return
    first_response, resolution = targets
    _save_audited(
        actor=actor,
        row=row or SLATarget(site=site, priority=priority),
        fields={"first_response_minutes": first_response, "resolution_minutes": resolution},
        tracked=SLA_FIELDS,
        site=site,
        clean=False,
    )


@transaction.atomic
def incident_type_save(*, actor: User, site: Site, slug: str, fields: dict) -> IncidentType:
    """A site's version of an incident type: an override of a built-in (blank fields keep the
    built-in's text), a disabled built-in, or a type of the site's own."""
    row = IncidentType.objects.filter(site=site, slug=slug).first() or IncidentType(site=site, slug=slug)
    return _save_audited(actor=actor, row=row, fields=fields, tracked=INCIDENT_FIELDS, site=site, clean=True)


@transaction.atomic
def incident_type_reset(*, actor: User, site: Site, slug: str) -> None:
    """Drop a site's version: a built-in goes back to its default text, a site's own type is removed."""
    row = IncidentType.objects.filter(site=site, slug=slug).first()
    if row is None:
        return
    _delete_audited(actor=actor, row=row, before=snapshot(row, INCIDENT_FIELDS), site=site)


@transaction.atomic
def category_save(*, actor: User, category: Category | None, fields: dict) -> Category:
    """Categories are global: the audit entry has no site, and only admins read it."""
    return _save_audited(
        actor=actor, row=category or Category(), fields=fields, tracked=CATEGORY_FIELDS, site=None, clean=True
    )
