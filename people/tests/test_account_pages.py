"""The product's account pages (templates/registration/, the invitation page) and the links in their
emails: built from HELPDESK_BASE_URL, whatever Host header the request carried."""

import re

import pytest
from django.core import mail

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def permissive_hosts(settings):
    """A deployment that accepts any Host header: what a forged Host could do to the emailed links."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.HELPDESK_BASE_URL = "https://help.example"


def test_the_password_reset_link_names_the_base_url_not_the_host(client, customer_a, permissive_hosts):
    client.post("/accounts/password_reset/", {"email": "alice@alder.example"}, HTTP_HOST="evil.example")
    [message] = mail.outbox
    assert re.search(r"^https://help\.example/accounts/reset/\S+/$", message.body, flags=re.MULTILINE)
    assert "evil.example" not in message.body


def test_the_invitation_link_names_the_base_url_not_the_host(client, admin_user, site_a, permissive_hosts):
    client.force_login(admin_user)
    client.post(
        "/manage/people/invite/",
        {"email": "nina@msp.example", "role": "engineer", "covered_sites": [site_a.pk]},
        HTTP_HOST="evil.example",
    )
    [message] = mail.outbox
    assert re.search(r"^https://help\.example/accounts/invitation/\S+/$", message.body, flags=re.MULTILINE)
    assert "evil.example" not in message.body


def test_the_password_change_pages_are_the_products(client, customer_a):
    client.force_login(customer_a)
    form = client.get("/accounts/password_change/")
    new = "another-long-passphrase-for-alice"
    done = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )
    for page in (form, done):
        html = page.content.decode()
        assert page.status_code == 200
        assert "Grounded Helpdesk" in html
        assert "Django administration" not in html and "Django site admin" not in html
    assert "Your password was changed" in done.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.check_password(new)
