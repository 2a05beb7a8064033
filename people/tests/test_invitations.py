"""Invitations: an admin invites by email, the link works once and for a limited time, and only its hash
is stored; the invitee sets a password the product's validators accept and is logged in."""

import re
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from helpdesk.models import AuditEntry, User
from people.models import Invitation
from people.services import invitation_create

pytestmark = pytest.mark.django_db

PASSPHRASE = "a-long-fresh-passphrase-for-the-helpdesk"
INVITE = "/manage/people/invite/"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.HELPDESK_BASE_URL = "https://help.example/"


def link_in(message) -> str:
    [path] = re.findall(r"https://help\.example(/accounts/invitation/\S+/)", message.body)
    return path


def accept(client, path, *, name="Nina Newcomer", password=PASSPHRASE):
    return client.post(path, {"display_name": name, "new_password1": password, "new_password2": password})


def test_it_invites_an_engineer_whose_link_works_once(client, login, admin_user, site_a, site_b):
    admin = login(admin_user)
    response = admin.post(
        INVITE, {"email": "Nina@MSP.example", "role": "engineer", "covered_sites": [site_a.pk]}
    )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["nina@msp.example"]
    assert "engineer covering Alder & Finch LLP" in message.body
    path = link_in(message)
    admin.logout()

    page = client.get(path)
    assert page.status_code == 200
    assert "Your username is <strong>nina@msp.example</strong>" in page.content.decode()
    welcomed = accept(client, path)

    assert welcomed.status_code == 302
    nina = User.objects.get(username="nina@msp.example")
    assert (nina.role, nina.email, nina.display_name) == ("engineer", "nina@msp.example", "Nina Newcomer")
    assert list(nina.profile.covered_sites.all()) == [site_a]
    assert nina.check_password(PASSPHRASE)
    assert int(client.session["_auth_user_id"]) == nina.pk
    invitation = Invitation.objects.get()
    assert (invitation.user, invitation.used_at is not None) == (nina, True)
    assert AuditEntry.objects.filter(action="joined", object_id=str(nina.pk), actor=nina).exists()

    client.logout()
    again = client.get(path)
    assert again.status_code == 410
    assert "This invitation link was used already." in again.content.decode()
    assert accept(client, path, name="Mallory").status_code == 410
    assert User.objects.filter(email__iexact="nina@msp.example").count() == 1


def test_it_stores_only_a_hash_of_the_token(admin_user, site_a):
    invitation_create(actor=admin_user, email="cara@alder.example", role="customer", site=site_a)
    token = link_in(mail.outbox[0]).rstrip("/").rpartition("/")[2]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == Invitation.hash_token(token) != token
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_invitation")
        assert token not in repr(cursor.fetchall())


def test_it_makes_an_invited_customer_a_customer_of_the_chosen_site(client, admin_user, site_a):
    invitation_create(actor=admin_user, email="cara@alder.example", role="customer", site=site_a)
    assert accept(client, link_in(mail.outbox[0]), name="Cara Client").status_code == 302
    cara = User.objects.get(username="cara@alder.example")
    assert (cara.role, cara.site) == ("customer", site_a)
    assert list(cara.profile.covered_sites.all()) == []


def test_it_refuses_an_expired_link(client, admin_user, site_a):
    invitation_create(actor=admin_user, email="late@alder.example", role="customer", site=site_a)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    path = link_in(mail.outbox[0])
    page = client.get(path)
    assert page.status_code == 410
    assert "This invitation link has expired. Ask your helpdesk admin for a new one." in page.content.decode()
    assert accept(client, path).status_code == 410
    assert not User.objects.filter(username="late@alder.example").exists()


def test_it_answers_an_unknown_link_in_a_sentence(client, db):
    page = client.get("/accounts/invitation/not-a-real-token/")
    assert page.status_code == 404
    assert "This invitation link is not valid." in page.content.decode()


def test_it_judges_the_password_with_the_products_validators(client, admin_user, site_a):
    invitation_create(actor=admin_user, email="weak@alder.example", role="customer", site=site_a)
    path = link_in(mail.outbox[0])
    weak = accept(client, path, password="password")
    assert weak.status_code == 422
    assert "This password is too common." in weak.content.decode()
    like_the_address = accept(client, path, password="weak@alder.example")
    assert "The password is too similar to the" in like_the_address.content.decode()
    assert not User.objects.filter(username="weak@alder.example").exists()
    assert Invitation.objects.get().used_at is None


def test_a_new_invitation_replaces_the_pending_one(client, admin_user, site_a):
    invitation_create(actor=admin_user, email="twice@alder.example", role="customer", site=site_a)
    invitation_create(actor=admin_user, email="twice@alder.example", role="customer", site=site_a)
    first, second = (link_in(message) for message in mail.outbox)
    assert client.get(first).status_code == 404
    assert Invitation.objects.count() == 1
    assert AuditEntry.objects.filter(action="invited").count() == 2
    assert accept(client, second).status_code == 302


def test_it_refuses_to_invite_an_address_that_has_an_account(login, admin_user, customer_a, site_a):
    response = login(admin_user).post(
        INVITE, {"email": "ALICE@alder.example", "role": "customer", "site": site_a.pk}
    )
    assert response.status_code == 422
    assert (
        "alice@alder.example already has an account: edit that person instead." in response.content.decode()
    )
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_it_asks_for_the_sites_the_role_needs(login, admin_user):
    admin = login(admin_user)
    customer = admin.post(INVITE, {"email": "c@example.com", "role": "customer"})
    engineer = admin.post(INVITE, {"email": "e@example.com", "role": "engineer"})
    assert "Choose the site this customer belongs to." in customer.content.decode()
    assert "Choose at least one site this engineer covers." in engineer.content.decode()
    assert not Invitation.objects.exists()


def test_it_keeps_the_invitation_when_the_mail_server_is_down(login, admin_user, site_a, settings):
    with socket.socket() as probe:  # a port nobody listens on: the connection is refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    admin = login(admin_user)
    response = admin.post(
        INVITE, {"email": "down@alder.example", "role": "customer", "site": site_a.pk}, follow=True
    )
    assert "is saved, but the email could not be sent: send it again." in response.content.decode()
    invitation = Invitation.objects.get()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    resent = admin.post(f"/manage/people/invitations/{invitation.pk}/resend/", follow=True)
    assert "Invitation sent to down@alder.example." in resent.content.decode()
    assert len(mail.outbox) == 1
    assert Invitation.objects.get().token_hash != invitation.token_hash
    assert AuditEntry.objects.filter(action="re-sent", object_id=str(invitation.pk)).exists()
