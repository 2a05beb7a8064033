"""The people pages: admins only (404 for anyone else), every change audited, engineer-only fields kept
to engineers, and deactivation that blocks login while keeping the person's history."""

import pytest

from conftest import PASSWORD
from helpdesk.models import AuditEntry, User
from people.services import invitation_create
from testing.factories import category, ticket_in_state

pytestmark = pytest.mark.django_db


def people_urls(person: User, invitation_id: int) -> list[str]:
    base = "/manage/people/"
    return [
        base,
        f"{base}invite/",
        f"{base}{person.pk}/",
        f"{base}{person.pk}/deactivate/",
        f"{base}{person.pk}/reactivate/",
        f"{base}invitations/{invitation_id}/resend/",
    ]


@pytest.mark.parametrize("outsider", ["customer_a", "engineer_a", "engineer_b"])
def test_it_answers_404_to_anyone_but_an_admin(request, client, admin_user, customer_a, site_a, outsider):
    invitation = invitation_create(actor=admin_user, email="x@alder.example", role="customer", site=site_a)
    client.force_login(request.getfixturevalue(outsider))
    for url in people_urls(customer_a, invitation.invitation.pk):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"role": "admin", "email": "me@example.com"}).status_code == 404, url
    customer_a.refresh_from_db()
    assert (customer_a.role, customer_a.is_active) == ("customer", True)


def test_it_sends_strangers_to_log_in(client, customer_a):
    response = client.get("/manage/people/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_lists_people_by_role_site_and_search(
    login, admin_user, customer_a, customer_b, engineer_a, engineer_b
):
    admin = login(admin_user)

    def names(**query) -> set[str]:
        html = admin.get("/manage/people/", query).content.decode()
        return {name for name in ("alice", "bob", "erin", "evan", "ada") if f"{name}</span>" in html}

    assert names() == {"alice", "bob", "erin", "evan", "ada"}
    assert names(role="engineer") == {"erin", "evan"}
    assert names(site=customer_a.site_id) == {"alice", "erin"}
    assert names(role="customer", site=customer_b.site_id) == {"bob"}
    assert names(q="archer") == {"alice"}
    assert names(q="birchwood.example") == {"bob"}


def test_it_never_shows_django_flags_or_permissions(login, admin_user, engineer_a, customer_a):
    admin = login(admin_user)
    for person in (engineer_a, customer_a, admin_user):
        html = admin.get(f"/manage/people/{person.pk}/").content.decode()
        for word in ("Superuser", "Staff status", "superuser", "is_staff", "ermissions"):
            assert word not in html, (person.username, word)


def test_it_shows_engineer_fields_to_engineers_only(login, admin_user, engineer_a, customer_a):
    admin = login(admin_user)
    engineer_page = admin.get(f"/manage/people/{engineer_a.pk}/").content.decode()
    customer_page = admin.get(f"/manage/people/{customer_a.pk}/").content.decode()
    assert '<div data-for-role="engineer">' in engineer_page
    assert '<div data-for-role="engineer" hidden>' in customer_page
    assert '<div data-for-role="customer">' in customer_page


def test_it_audits_role_coverage_and_expertise_edits(login, admin_user, engineer_a, site_a, site_b):
    category("network"), category("printers"), category("email")
    response = login(admin_user).post(
        f"/manage/people/{engineer_a.pk}/",
        {
            "role": "engineer",
            "covered_sites": [site_a.pk, site_b.pk],
            "expertise": ["email", "network"],
            "capacity": "5",
            "is_available": "",
        },
    )
    assert response.status_code == 302
    profile = User.objects.get(pk=engineer_a.pk).profile
    assert sorted(profile.covered_sites.values_list("pk", flat=True)) == sorted([site_a.pk, site_b.pk])
    assert (profile.expertise, profile.capacity, profile.is_available) == (["email", "network"], 5, False)
    entry = AuditEntry.objects.get(action="changed", object_id=str(engineer_a.pk))
    assert entry.actor == admin_user and entry.object_type == "helpdesk.user"
    assert entry.before == {
        "covered_sites": [site_a.pk],
        "expertise": ["network", "printers"],
        "capacity": 8,
        "is_available": True,
    }
    assert entry.after == {
        "covered_sites": sorted([site_a.pk, site_b.pk]),
        "expertise": ["email", "network"],
        "capacity": 5,
        "is_available": False,
    }


def test_it_refuses_expertise_outside_the_categories(login, admin_user, engineer_a, site_a):
    response = login(admin_user).post(
        f"/manage/people/{engineer_a.pk}/",
        {"role": "engineer", "covered_sites": [site_a.pk], "expertise": ["astrology"], "capacity": "8"},
    )
    assert response.status_code == 422
    assert not AuditEntry.objects.exists()


def test_it_ignores_engineer_fields_for_a_customer_and_audits_the_role_change(
    login, admin_user, engineer_a, site_b
):
    category("network")
    response = login(admin_user).post(
        f"/manage/people/{engineer_a.pk}/",
        {"role": "customer", "site": site_b.pk, "capacity": "not a number", "expertise": ["network"]},
    )
    assert response.status_code == 302
    erin = User.objects.get(pk=engineer_a.pk)
    assert (erin.role, erin.site, erin.profile.capacity) == ("customer", site_b, 8)
    assert (list(erin.profile.covered_sites.all()), erin.profile.expertise) == ([], [])
    entry = AuditEntry.objects.get(action="changed")
    assert (entry.before["role"], entry.after["role"]) == ("engineer", "customer")
    assert entry.site == site_b


def test_it_makes_an_admin_and_back(login, admin_user, engineer_a):
    admin = login(admin_user)
    admin.post(f"/manage/people/{engineer_a.pk}/", {"role": "admin"})
    assert User.objects.get(pk=engineer_a.pk).is_helpdesk_admin
    admin.post(f"/manage/people/{engineer_a.pk}/", {"role": "engineer", "capacity": "8"})
    erin = User.objects.get(pk=engineer_a.pk)
    assert (erin.is_helpdesk_admin, erin.is_staff, erin.is_superuser) == (False, False, False)


def test_it_refuses_an_admin_changing_their_own_role_or_deactivating_themselves(login, admin_user):
    admin = login(admin_user)
    changed = admin.post(f"/manage/people/{admin_user.pk}/", {"role": "customer"})
    assert "You cannot change your own role" in changed.content.decode()
    refused = admin.post(f"/manage/people/{admin_user.pk}/deactivate/", follow=True)
    assert "You cannot deactivate your own account" in refused.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.is_helpdesk_admin


def test_deactivation_blocks_login_and_keeps_the_history(client, admin_user, customer_a, engineer_a, site_a):
    ticket = ticket_in_state("in_progress", site=site_a, requester=customer_a, assignee=engineer_a)
    ticket.comments.create(site=site_a, author=customer_a, body="Still jammed.")
    client.force_login(customer_a)  # Alice was logged in before she was deactivated
    alice_session = client.cookies["sessionid"].value

    client.force_login(admin_user)
    done = client.post(f"/manage/people/{customer_a.pk}/deactivate/", follow=True)
    assert "they can no longer log in; their history stays" in done.content.decode()
    alice = User.objects.get(pk=customer_a.pk)
    assert not alice.is_active
    assert ticket.comments.filter(author=alice).count() == 1
    assert type(ticket).objects.get(pk=ticket.pk).requester == alice
    entry = AuditEntry.objects.get(action="deactivated")
    assert (entry.before, entry.after, entry.site) == ({"is_active": True}, {"is_active": False}, site_a)

    client.logout()
    assert not client.login(username="alice", password=PASSWORD)
    refused = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    client.cookies["sessionid"] = alice_session
    assert client.get("/tickets/")["Location"].startswith("/accounts/login/")  # her session no longer counts

    client.force_login(admin_user)
    client.post(f"/manage/people/{customer_a.pk}/reactivate/")
    assert AuditEntry.objects.filter(action="reactivated").exists()
    client.logout()
    assert client.login(username="alice", password=PASSWORD)
