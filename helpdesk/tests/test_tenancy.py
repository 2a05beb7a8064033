import pytest
from django.http import Http404

from helpdesk.models import Site, User
from helpdesk.services import site_create, user_create
from helpdesk.tenancy import can_see_site, get_for_user_or_404, scope_to_site, scope_to_user, visible_sites
from knowledge.models import Article


@pytest.fixture
def articles(site_a, site_b):
    return {
        "a": Article.objects.create(site=site_a, title="VPN at Alder", slug="vpn", body="..."),
        "b": Article.objects.create(site=site_b, title="VPN at Birchwood", slug="vpn", body="..."),
        "global": Article.objects.create(site=None, title="Reset your password", slug="reset", body="..."),
    }


def test_it_shows_a_customer_only_their_site(customer_a, site_a, site_b):
    assert list(visible_sites(customer_a)) == [site_a]
    assert can_see_site(customer_a, site_a)
    assert not can_see_site(customer_a, site_b)


def test_it_shows_an_engineer_only_the_sites_they_cover(engineer_a, site_a, site_b):
    assert list(visible_sites(engineer_a)) == [site_a]
    engineer_a.profile.covered_sites.add(site_b)
    assert set(visible_sites(engineer_a)) == {site_a, site_b}


def test_it_shows_an_admin_every_site(admin_user, site_a, site_b):
    assert set(visible_sites(admin_user)) == {site_a, site_b}


def test_it_hides_inactive_sites_from_customers_and_engineers(customer_a, engineer_a, site_a):
    assert list(visible_sites(customer_a)) == list(visible_sites(engineer_a)) == [site_a]
    Site.objects.filter(pk=site_a.pk).update(is_active=False)
    assert not visible_sites(customer_a).exists()
    assert not visible_sites(engineer_a).exists()


def test_it_gives_anonymous_and_disabled_users_nothing(customer_a, site_a):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_sites(AnonymousUser()).exists()
    assert list(visible_sites(customer_a)) == [site_a]  # the same user, still active, sees their site
    customer_a.is_active = False
    assert not visible_sites(customer_a).exists()


def test_it_scopes_rows_to_the_user_and_keeps_global_rows_only_when_asked(customer_b, articles):
    scoped = scope_to_user(Article.objects.all(), customer_b)
    assert list(scoped) == [articles["b"]]
    with_global = scope_to_user(Article.objects.all(), customer_b, shared=True)
    assert set(with_global) == {articles["b"], articles["global"]}


def test_it_scopes_rows_to_one_site(site_a, articles):
    assert set(scope_to_site(Article.objects.all(), site_a, shared=True)) == {
        articles["a"],
        articles["global"],
    }
    assert list(scope_to_site(Article.objects.all(), site_a.pk)) == [articles["a"]]


def test_it_answers_404_for_another_sites_object(customer_a, articles):
    assert get_for_user_or_404(Article.objects.all(), customer_a, pk=articles["a"].pk) == articles["a"]
    with pytest.raises(Http404):
        get_for_user_or_404(Article.objects.all(), customer_a, pk=articles["b"].pk)


def test_it_refuses_a_customer_without_a_site(db):
    with pytest.raises(ValueError, match=r"A customer belongs to a site\."):
        user_create(username="lost", password=None, role=User.Role.CUSTOMER)


def test_it_gives_every_new_user_a_profile(db):
    site = site_create(name="Cedar School", slug="cedar", kind="school")
    user = user_create(username="carol", password=None, role=User.Role.CUSTOMER, site=site)
    assert user.profile.capacity == 8
    assert user.display_name == "carol"
