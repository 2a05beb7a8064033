"""The admin pages: admins only (404 for everyone else), what they show, and the audit of every change."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chat.safety import DEFAULTS_BY_SLUG
from chat.selectors import incident_types_for_site
from helpdesk.models import AuditEntry, Site
from integrations.models import SupportAddress
from retrieval.embedders import model_name_for
from testing.factories import article, category, new_ticket
from tickets.models import Category, SLATarget, TriageModel

pytestmark = pytest.mark.django_db


def admin_urls(site, slug="phishing", category_id=1) -> list[str]:
    return [
        reverse("administration:site_list"),
        reverse("administration:site_create"),
        reverse("administration:site_edit", args=[site.pk]),
        reverse("administration:incident_list", args=[site.pk]),
        reverse("administration:incident_create", args=[site.pk]),
        reverse("administration:incident_edit", args=[site.pk, slug]),
        reverse("administration:incident_reset", args=[site.pk, slug]),
        reverse("administration:category_list"),
        reverse("administration:category_create"),
        reverse("administration:category_edit", args=[category_id]),
        reverse("administration:tag_list"),
        reverse("administration:audit_log"),
    ]


@pytest.mark.parametrize("who", ["customer_a", "engineer_a", "engineer_b"])
def test_it_answers_404_to_everyone_but_admins(request, who, site_a, site_form):
    client = Client()
    client.force_login(request.getfixturevalue(who))
    printers = category("printers")
    for url in admin_urls(site_a, category_id=printers.pk):
        assert client.get(url).status_code == 404, url
        assert client.post(url, site_form()).status_code == 404, url
    assert not Site.objects.filter(slug="cedar-dental").exists()
    assert not AuditEntry.objects.exists()


def test_it_sends_the_anonymous_to_log_in(site_a):
    response = Client().get(reverse("administration:site_edit", args=[site_a.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_it_shows_the_effective_sla_defaults_beside_each_field(admin_client, site_a):
    SLATarget.objects.create(site=None, priority="high", first_response_minutes=90, resolution_minutes=600)
    SLATarget.objects.create(
        site=site_a,
        priority="urgent",
        first_response_minutes=20,
        resolution_minutes=180,
    )
    page = admin_client.get(reverse("administration:site_edit", args=[site_a.pk])).content.decode()
    assert "Default: 240 min (4 h, built-in)" in page  # normal first response: tickets.selectors
    assert "Default: 90 min (1 h 30 min, default row)" in page  # high: the default row overrides it
    assert 'name="sla_urgent_first" value="20"' in page  # the site's own row fills its field
    assert 'name="sla_normal_first" min="1" class="form-control" placeholder="240"' in page


def test_it_creates_a_site_with_email_in_sla_and_ai_settings_audited(admin_client, admin_user, site_form):
    response = admin_client.post(reverse("administration:site_create"), site_form())
    site = Site.objects.get(slug="cedar-dental")
    assert response.status_code == 302 and response.url == reverse("administration:site_edit", args=[site.pk])
    assert (site.time_zone, str(site.business_hours_start), site.business_days) == (
        "Europe/London",
        "08:30:00",
        [0, 1, 2, 3, 4],
    )
    assert site.assistant_enabled and site.auto_triage_enabled and site.auto_triage_confidence == 0.8
    assert list(SupportAddress.objects.filter(site=site).values_list("address", flat=True)) == [
        "support@cedar.example"
    ]
    assert list(SLATarget.objects.filter(site=site).values_list("priority", "first_response_minutes")) == [
        ("urgent", 15)
    ]
    entries = AuditEntry.objects.filter(site=site, actor=admin_user)
    assert set(entries.values_list("action", "object_type")) == {
        ("created", "helpdesk.site"),
        ("created", "integrations.supportaddress"),
        ("created", "tickets.slatarget"),
    }
    assert entries.get(object_type="helpdesk.site").after["auto_triage_confidence"] == 0.8


def test_it_audits_only_what_changed(admin_client, admin_user, site_a, site_form):
    url = reverse("administration:site_edit", args=[site_a.pk])
    admin_client.post(
        url,
        site_form(
            name=site_a.name,
            slug=site_a.slug,
            sla_urgent_first=None,
            sla_urgent_resolution=None,
        ),
    )
    AuditEntry.objects.all().delete()
    data = site_form(
        name=site_a.name,
        slug=site_a.slug,
        auto_triage_confidence="0.9",
        sla_urgent_first=None,
        sla_urgent_resolution=None,
    )
    assert admin_client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.before, entry.after) == (
        "changed",
        {"auto_triage_confidence": 0.8},
        {"auto_triage_confidence": 0.9},
    )


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"auto_triage_confidence": "0.3"}, "greater than or equal to 0.5"),
        ({"sla_urgent_resolution": None}, "Urgent: give both targets"),
        (
            {"sla_urgent_resolution": "10"},
            "resolution cannot be due before the first response",
        ),
        ({"business_hours_end": "07:00"}, "Business hours end after they start."),
        ({"addresses": "not-an-address"}, "not-an-address is not an email address."),
        ({"slug": "alder-finch"}, "Another site already uses this short name."),
    ],
)
def test_it_refuses_bad_input_with_a_sentence(admin_client, site_a, changes, sentence, site_form):
    response = admin_client.post(reverse("administration:site_create"), site_form(**changes))
    assert response.status_code == 200 and sentence in response.content.decode()
    assert not Site.objects.filter(name="Cedar Dental").exists()


def test_it_keeps_nothing_when_an_address_belongs_to_another_site(admin_client, site_a, site_form):
    SupportAddress.objects.create(site=site_a, address="support@cedar.example")
    response = admin_client.post(reverse("administration:site_create"), site_form())
    assert "support@cedar.example already files mail to another site" in response.content.decode()
    assert not Site.objects.filter(slug="cedar-dental").exists() and not AuditEntry.objects.exists()


def test_it_falls_back_to_the_default_sla_when_a_priority_is_cleared(admin_client, site_a, site_form):
    url = reverse("administration:site_edit", args=[site_a.pk])
    admin_client.post(url, site_form(name=site_a.name, slug=site_a.slug))
    assert SLATarget.objects.filter(site=site_a).count() == 1
    admin_client.post(
        url,
        site_form(
            name=site_a.name,
            slug=site_a.slug,
            sla_urgent_first="",
            sla_urgent_resolution="",
        ),
    )
    assert not SLATarget.objects.filter(site=site_a).exists()
    assert AuditEntry.objects.filter(action="deleted", object_type="tickets.slatarget", site=site_a).exists()


def test_it_lists_builtin_incident_types_and_edits_this_sites_version(
    admin_client, admin_user, site_a, site_b
):
    listing = admin_client.get(reverse("administration:incident_list", args=[site_a.pk])).content.decode()
    for spec in DEFAULTS_BY_SLUG.values():
        assert spec.name in listing
    edit = reverse("administration:incident_edit", args=[site_a.pk, "phishing"])
    assert DEFAULTS_BY_SLUG["phishing"].steps.splitlines()[0] in admin_client.get(edit).content.decode()
    admin_client.post(edit, {"steps": "Call Alder's IT desk on 555-0100 now.", "enabled": "on"})
    phishing = next(spec for spec in incident_types_for_site(site=site_a) if spec.slug == "phishing")
    assert phishing.steps == "Call Alder's IT desk on 555-0100 now."
    assert phishing.prototypes == DEFAULTS_BY_SLUG["phishing"].prototypes  # blank keeps the built-in's
    untouched = next(spec for spec in incident_types_for_site(site=site_b) if spec.slug == "phishing")
    assert untouched.steps == DEFAULTS_BY_SLUG["phishing"].steps
    admin_client.post(edit, {"enabled": ""})
    assert "phishing" not in {spec.slug for spec in incident_types_for_site(site=site_a)}
    admin_client.post(reverse("administration:incident_reset", args=[site_a.pk, "phishing"]))
    assert "phishing" in {spec.slug for spec in incident_types_for_site(site=site_a)}
    actions = list(AuditEntry.objects.filter(site=site_a).order_by("pk").values_list("action", flat=True))
    assert actions == ["created", "changed", "deleted"]


def test_an_incident_type_gives_a_published_article_of_its_site_never_another_sites(
    admin_client, site_a, site_b
):
    own = article(site=site_a, title="Clicked a phishing link", body="Change your password now.")
    shared = article(site=None, title="Phishing: first steps", body="Report it to the desk.")
    draft = article(site=site_a, title="Draft phishing", body="Not yet.", state="draft")
    foreign = article(site=site_b, title="Birchwood phishing", body="Call Birchwood IT.")
    edit = reverse("administration:incident_edit", args=[site_a.pk, "phishing"])

    page = admin_client.get(edit).content.decode()
    assert own.title in page and shared.title in page
    assert draft.title not in page and foreign.title not in page
    refused = admin_client.post(edit, {"article": foreign.pk, "enabled": "on"})
    assert "Select a valid choice" in refused.content.decode()
    admin_client.post(edit, {"article": own.pk, "enabled": "on"})

    phishing = next(spec for spec in incident_types_for_site(site=site_a) if spec.slug == "phishing")
    assert phishing.article_id == own.pk
    entry = AuditEntry.objects.get(site=site_a, action="created")
    assert entry.after["article"] == own.pk


def test_it_adds_a_sites_own_incident_type(admin_client, site_a):
    url = reverse("administration:incident_create", args=[site_a.pk])
    refused = admin_client.post(url, {"slug": "usb-found", "name": "Found USB stick", "enabled": "on"})
    assert "A new incident type needs a name, example reports and steps." in refused.content.decode()
    admin_client.post(
        url,
        {
            "slug": "usb-found",
            "name": "Found USB stick",
            "prototypes": "I found a USB stick in the car park and plugged it in",
            "steps": "Unplug it and do not open any file on it.",
            "enabled": "on",
        },
    )
    assert "usb-found" in {spec.slug for spec in incident_types_for_site(site=site_a)}
    again = admin_client.post(url, {"slug": "phishing", "name": "x", "prototypes": "y", "steps": "z"})
    assert "phishing already exists on this site" in again.content.decode()


def test_it_edits_categories_globally_audited(admin_client, admin_user):
    admin_client.post(reverse("administration:category_create"), {"slug": "cctv", "name": "CCTV"})
    cctv = Category.objects.get(slug="cctv")
    admin_client.post(reverse("administration:category_edit", args=[cctv.pk]), {"name": "Cameras"})
    cctv.refresh_from_db()
    assert (cctv.slug, cctv.name) == ("cctv", "Cameras")
    entry = AuditEntry.objects.get(action="changed")
    assert (entry.site, entry.before, entry.after) == (
        None,
        {"name": "CCTV"},
        {"name": "Cameras"},
    )
    taken = admin_client.post(reverse("administration:category_create"), {"slug": "cctv", "name": "Again"})
    assert "already exists" in taken.content.decode()


def test_it_shows_one_sites_tags_at_a_time(admin_client, site_a, site_b, customer_a, customer_b):
    new_ticket(site_a, customer_a).__class__.objects.filter(site=site_a).update(tags=["alder-only"])
    new_ticket(site_b, customer_b).__class__.objects.filter(site=site_b).update(tags=["birch-only"])
    page = admin_client.get(reverse("administration:tag_list"), {"site": site_a.pk}).content.decode()
    assert "alder-only" in page and "birch-only" not in page


def test_the_audit_log_filters_by_site(admin_client, site_a, site_b, site_form):
    for site in (site_a, site_b):
        url = reverse("administration:site_edit", args=[site.pk])
        admin_client.post(
            url,
            site_form(name=site.name, slug=site.slug, addresses=f"help@{site.slug}.example"),
        )
    everything = admin_client.get(reverse("administration:audit_log")).content.decode()
    assert "help@alder-finch.example" in everything and "help@birchwood.example" in everything
    filtered = admin_client.get(reverse("administration:audit_log"), {"site": site_a.pk}).content.decode()
    assert "help@alder-finch.example" in filtered and "help@birchwood.example" not in filtered


def test_it_shows_the_sites_own_coverage_accuracy_curve_beside_the_threshold(admin_client, site_a):
    curve = [
        {"threshold": t, "coverage": 1.0 - t / 2, "accuracy": 0.8 + t / 10} for t in (0.0, 0.5, 0.7, 0.9)
    ]
    TriageModel.objects.create(
        site=site_a,
        embedding_model=model_name_for(),
        model=b"",
        examples=42,
        categories=3,
        regression_share=0.5,
        calibration={"coverage_accuracy": curve},
        trained_at=timezone.now(),
    )
    page = admin_client.get(reverse("administration:site_edit", args=[site_a.pk])).content.decode()
    assert "This site's own history (42 resolved tickets" in page
    assert "≥ 0.7" in page and "≥ 0.0" not in page  # only bars from the default up
