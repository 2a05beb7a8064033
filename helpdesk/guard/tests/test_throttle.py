from datetime import timedelta

import pytest
from django.urls import reverse

from conftest import PASSWORD
from helpdesk.guard.models import LoginFailure


def attempt(client, username, password, address="203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_it_refuses_an_account_after_five_failures_even_with_the_right_password(client, customer_a):
    for _ in range(5):
        assert attempt(client, "alice", "wrong-password").status_code == 200
    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed logins for this account. Try again in 15 minutes" in response.text
    assert not logged_in(client)


@pytest.mark.django_db
def test_it_counts_the_username_whatever_its_case_and_from_any_address(client, customer_a):
    for index in range(5):
        attempt(client, "ALICE" if index % 2 else "alice", "wrong-password", address=f"198.51.100.{index}")
    response = attempt(client, "alice", PASSWORD, address="192.0.2.99")
    assert response.status_code == 429
    assert not logged_in(client)


@pytest.mark.django_db
def test_it_refuses_an_address_that_tries_many_usernames(client, customer_a):
    for index in range(20):
        attempt(client, f"guess{index}", "wrong-password")
    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins from your network address" in response.text
    assert not logged_in(client)
    other_address = attempt(client, "alice", PASSWORD, address="198.51.100.1")
    assert other_address.status_code == 302
    assert logged_in(client)


@pytest.mark.django_db
def test_it_forgets_an_accounts_failures_after_a_successful_login(client, customer_a):
    for _ in range(4):
        attempt(client, "alice", "wrong-password")
    assert attempt(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "alice", "wrong-password")
    assert attempt(client, "alice", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_it_lets_the_account_in_again_once_the_failures_age_out(client, customer_a):
    for _ in range(5):
        attempt(client, "alice", "wrong-password")
    assert attempt(client, "alice", PASSWORD).status_code == 429
    LoginFailure.objects.update(created_at=LoginFailure.objects.first().created_at - timedelta(minutes=16))
    assert attempt(client, "alice", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_it_keeps_the_counts_in_the_database_without_readable_usernames(client, customer_a):
    attempt(client, "my-secret-password-typed-as-username", "wrong-password")
    keys = list(LoginFailure.objects.values_list("scope", "key"))
    assert sorted(scope for scope, _ in keys) == ["address", "username"]
    assert all(len(key) == 64 and "secret" not in key for _, key in keys)


@pytest.mark.django_db
def test_it_keeps_the_throttled_form_usable(client, customer_a):
    for _ in range(5):
        attempt(client, "alice", "wrong-password")
    response = attempt(client, "alice", "wrong-password")
    assert 'value="alice"' in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text
    # A refused attempt is not itself counted, so waiting out the window is enough.
    assert LoginFailure.objects.filter(scope="username").count() == 5


@pytest.mark.django_db
def test_it_locks_the_account_whatever_unicode_spelling_of_the_username_is_used(client, customer_a):
    # The login form applies NFKC, so each of these reaches the account "alice".
    spellings = ["alice", "\uff41lice", "\uff21\uff2c\uff29\uff23\uff25", "al\u2170ce", "ALICE"]
    for spelling in spellings:
        assert attempt(client, spelling, "wrong-password").status_code == 200
    for spelling in spellings:
        response = attempt(client, spelling, PASSWORD, address="192.0.2.99")
        assert response.status_code == 429, spelling
    assert not logged_in(client)


@pytest.mark.django_db
def test_it_refuses_a_look_alike_username_once_the_account_is_locked(client, customer_a):
    for _ in range(5):
        attempt(client, "alice", "wrong-password")
    response = attempt(client, "\uff41lice", PASSWORD, address="192.0.2.99")
    assert response.status_code == 429
    assert not logged_in(client)
