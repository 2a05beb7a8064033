"""Password reset: throttled per address and per account in the database, in the product's own pages."""

import re

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db

RESET = "/accounts/password_reset/"
ACCOUNT_LIMIT, ADDRESS_LIMIT = 3, 6


@pytest.fixture(autouse=True)
def reset_limits(settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "password_reset_account": (ACCOUNT_LIMIT, 3600),
        "password_reset_address": (ADDRESS_LIMIT, 3600),
    }


def request_reset(client, email, address="203.0.113.7"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


def test_it_throttles_reset_emails_per_account_whatever_the_spelling_or_address(client, customer_a):
    limit = ACCOUNT_LIMIT
    spellings = ["alice@alder.example", "ALICE@alder.example", " Alice@Alder.Example "]
    for index in range(limit):
        response = request_reset(client, spellings[index % len(spellings)], address=f"198.51.100.{index}")
        assert response.status_code == 302
    refused = request_reset(client, "Alice@Alder.example", address="192.0.2.50")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many password reset requests for this email address." in refused.content.decode()
    assert len(mail.outbox) == limit
    # A fullwidth letter in the domain is the same account to Django's reset form (NFKC).
    assert request_reset(client, "alice@\uff41lder.example", address="192.0.2.51").status_code == 429


def test_it_throttles_reset_requests_per_client_address(client, customer_a):
    limit = ADDRESS_LIMIT
    for index in range(limit):
        assert request_reset(client, f"nobody{index}@example.com").status_code == 302
    refused = request_reset(client, "alice@alder.example")

    assert refused.status_code == 429
    assert "Too many password reset requests from your network address." in refused.content.decode()
    assert mail.outbox == []
    assert request_reset(client, "alice@alder.example", address="198.51.100.1").status_code == 302
    assert len(mail.outbox) == 1


def test_it_refuses_unknown_and_known_addresses_alike(client, customer_a):
    # The throttle counts what was typed, so it says nothing about which addresses have an account.
    for _ in range(ACCOUNT_LIMIT):
        request_reset(client, "nobody@example.com", address="198.51.100.9")
    assert request_reset(client, "nobody@example.com", address="192.0.2.1").status_code == 429


def test_it_renders_every_reset_page_in_the_product_templates(client, customer_a):
    form = client.get(RESET)
    done = client.get(request_reset(client, "alice@alder.example")["Location"])
    email = mail.outbox[0]
    [link] = re.findall(r"https?://\S+(/accounts/reset/\S+/)", email.body)
    confirm = client.get(link, follow=True)
    new_password = {
        "new_password1": "a-brand-new-long-passphrase-42",
        "new_password2": "a-brand-new-long-passphrase-42",
    }
    complete = client.post(confirm.redirect_chain[-1][0], new_password, follow=True)

    for page in (form, done, confirm, complete):
        html = page.content.decode()
        assert page.status_code == 200
        assert "Grounded Helpdesk" in html
        assert "Django administration" not in html
        assert "Django site admin" not in html
    assert 'href="/accounts/login/"' in complete.content.decode()
    assert "Grounded Helpdesk" in email.subject
    assert "Grounded Helpdesk" in email.body


def test_it_says_so_when_a_reset_link_is_no_longer_valid(client, customer_a):
    page = client.get("/accounts/reset/MQ/set-password/", follow=True)
    html = page.content.decode()
    assert "This password reset link is no longer valid" in html
    assert "Django administration" not in html
