"""Personal API tokens end with the password: whoever changes it (profile, reset, admin) revokes them."""

import re

import pytest
from django.core import mail
from django.test import Client

from conftest import PASSWORD
from integrations.services import api_token_create, service_token_create

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-long-passphrase-42"


def me(issued):
    # A fresh client: the browser session that changed the password stays signed in.
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {issued.secret}"}).status_code


def test_it_revokes_personal_tokens_when_the_password_is_changed_on_the_profile(login, customer_a):
    issued = api_token_create(user=customer_a, name="laptop")
    client = login(customer_a)
    page = client.get("/profile/").content.decode()
    assert "revokes your personal API tokens" in page

    response = client.post(
        "/profile/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert "Your personal API tokens were revoked" in response.content.decode()
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert me(issued) == 401


def test_it_revokes_personal_tokens_when_the_password_is_reset(client, customer_a):
    issued = api_token_create(user=customer_a, name="laptop")
    client.post("/accounts/password_reset/", {"email": "alice@alder.example"})
    [link] = re.findall(r"https?://\S+(/accounts/reset/\S+/)", mail.outbox[0].body)
    form = client.get(link, follow=True)
    assert "revokes your personal API tokens" in form.content.decode()

    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert me(issued) == 401


def test_it_keeps_other_peoples_and_service_tokens(customer_a, customer_b, site_a):
    own = api_token_create(user=customer_a, name="laptop")
    colleague = api_token_create(user=customer_b, name="bobs")
    service = service_token_create(site=site_a, name="crm", created_by=customer_a)

    customer_a.set_password(NEW_PASSWORD)
    customer_a.save()

    for issued in (own, colleague, service):
        issued.token.refresh_from_db()
    assert own.token.revoked_at is not None
    assert colleague.token.revoked_at is None
    assert service.token.revoked_at is None


def test_it_keeps_tokens_when_the_user_is_saved_without_a_new_password(customer_a):
    issued = api_token_create(user=customer_a, name="laptop")
    customer_a.first_name = "Alicia"
    customer_a.save()
    assert customer_a.check_password(PASSWORD)
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None
