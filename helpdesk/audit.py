"""The audit trail of the admin pages: one write (`audit_record`) every admin service calls inside its
own transaction, and one read scoped like everything else (`audit_entries_for_user`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import models

from helpdesk.models import AuditEntry, Site, User


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict:
    """The named fields of a row as JSON-safe values (a foreign key as its id, many-to-many as sorted
    ids), so before/after can be compared and stored."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(getattr(instance, name).values_list("pk", flat=True)) if instance.pk else []
            continue
        value = getattr(instance, field.attname)
        if isinstance(value, (datetime, date)):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, (list, tuple)):
            value = list(value)
        elif value is not None and not isinstance(value, (str, int, float, bool, dict)):
            value = str(value)
        values[name] = value
    return values


def audit_record(
    *,
    actor: User | None,
    action: str,
    instance: models.Model,
    site: Site | None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry | None:
    """Record one change; a "changed" whose before and after are equal records nothing. Only the fields
    that differ are kept on a change, so the trail reads as a diff."""
    before, after = dict(before or {}), dict(after or {})
    if action == "changed":
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        if not changed:
            return None
        before = {key: before.get(key) for key in sorted(changed)}
        after = {key: after.get(key) for key in sorted(changed)}
    return AuditEntry.objects.create(
        site=site,
        actor=actor,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk or ""),
        object_repr=str(instance)[:200],
        before=before,
        after=after,
    )


def audit_entries_for_user(user: User, *, site: Site | None = None):
    """Entries an admin may read: all of them (or one site's). Anyone else reads nothing here."""
    if not user.is_helpdesk_admin:
        return AuditEntry.objects.none()
    entries = AuditEntry.objects.select_related("actor", "site")
    return entries.filter(site=site) if site is not None else entries
