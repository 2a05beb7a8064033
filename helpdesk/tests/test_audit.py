import pytest

from helpdesk.audit import audit_entries_for_user, audit_record, snapshot
from helpdesk.models import AuditEntry, Site

pytestmark = pytest.mark.django_db


def test_it_records_only_the_fields_that_changed(admin_user, site_a):
    before = snapshot(site_a, ["name", "is_active", "slug"])
    site_a.name = "Renamed"
    site_a.save()
    entry = audit_record(
        actor=admin_user,
        action="changed",
        instance=site_a,
        site=site_a,
        before=before,
        after=snapshot(site_a, ["name", "is_active", "slug"]),
    )
    assert entry.before == {"name": before["name"]}
    assert entry.after == {"name": "Renamed"}
    assert entry.object_type == "helpdesk.site"
    assert entry.object_id == str(site_a.pk)


def test_it_records_nothing_for_a_change_that_changed_nothing(admin_user, site_a):
    same = snapshot(site_a, ["name"])
    assert (
        audit_record(
            actor=admin_user, action="changed", instance=site_a, site=site_a, before=same, after=same
        )
        is None
    )
    assert not AuditEntry.objects.exists()


def test_only_admins_read_the_trail(admin_user, engineer_a, customer_a, site_a, site_b):
    audit_record(
        actor=admin_user, action="created", instance=site_a, site=site_a, after={"name": site_a.name}
    )
    audit_record(
        actor=admin_user, action="created", instance=site_b, site=site_b, after={"name": site_b.name}
    )
    assert audit_entries_for_user(admin_user).count() == 2
    assert [e.site for e in audit_entries_for_user(admin_user, site=site_b)] == [site_b]
    assert not audit_entries_for_user(engineer_a).exists()
    assert not audit_entries_for_user(customer_a).exists()


def test_the_trail_outlives_the_site(admin_user):
    site = Site.objects.create(name="Gone Ltd", slug="gone")
    audit_record(actor=admin_user, action="created", instance=site, site=site, after={"name": "Gone Ltd"})
    site.delete()
    entry = AuditEntry.objects.get()
    assert entry.site is None
    assert entry.object_repr == "Gone Ltd"
