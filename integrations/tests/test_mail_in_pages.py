"""The held-email page: engineers of the site see and file or discard its held mail; nobody else can."""

import pytest

from integrations.models import InboundMail, SupportAddress
from integrations.services import mail_receive

pytestmark = pytest.mark.django_db

PAGE = "/integrations/mail/held/"
STRANGER = (
    b"From: Eve <eve@elsewhere.example>\r\nTo: support@alder.example\r\nSubject: Wi-Fi password?\r\n"
    b"Message-ID: <eve-1@elsewhere.example>\r\n\r\nWhat is the guest Wi-Fi password?\r\n"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def held(site_a):
    SupportAddress.objects.create(site=site_a, address="support@alder.example")
    return mail_receive(raw=STRANGER)[0]


def test_it_lists_held_mail_with_sender_subject_and_reason_to_the_sites_engineer(
    login, held, customer_a, engineer_a
):
    page = login(engineer_a).get(PAGE).content.decode()

    assert "eve@elsewhere.example" in page
    assert "Wi-Fi password?" in page
    assert "is not a customer of Alder &amp; Finch LLP" in page
    assert f'value="{customer_a.pk}"' in page


def test_it_files_held_mail_as_a_ticket_for_the_chosen_customer(login, held, site_a, colleague_a, engineer_a):
    response = login(engineer_a).post(f"{PAGE}{held.pk}/file/", {"requester": colleague_a.pk})

    held.refresh_from_db()
    assert held.status == InboundMail.Status.TICKET
    assert (held.ticket.site, held.ticket.requester, held.handled_by) == (site_a, colleague_a, engineer_a)
    assert held.ticket.description == "What is the guest Wi-Fi password?"
    assert response.status_code == 302 and response["Location"] == f"/tickets/{held.ticket.pk}/"
    assert "eve@elsewhere.example" not in login(engineer_a).get(PAGE).content.decode()


def test_it_refuses_to_file_for_a_customer_of_another_site(login, held, customer_b, engineer_a):
    response = login(engineer_a).post(f"{PAGE}{held.pk}/file/", {"requester": customer_b.pk}, follow=True)

    assert "Choose the customer of this site the ticket is for." in response.content.decode()
    nonsense = login(engineer_a).post(f"{PAGE}{held.pk}/file/", {"requester": "alice"}, follow=True)
    assert "Choose the customer of this site the ticket is for." in nonsense.content.decode()
    held.refresh_from_db()
    assert held.status == InboundMail.Status.HELD


def test_it_discards_held_mail_and_keeps_it_on_record(login, held, engineer_a):
    login(engineer_a).post(f"{PAGE}{held.pk}/discard/")

    held.refresh_from_db()
    assert held.status == InboundMail.Status.DISCARDED
    assert held.reason.endswith("Discarded by Erin Engel.")
    assert login(engineer_a).post(f"{PAGE}{held.pk}/discard/").status_code == 404


def test_staff_of_another_site_and_customers_get_404(login, held, customer_a, engineer_b):
    other = login(engineer_b)
    assert "eve@elsewhere.example" not in other.get(PAGE).content.decode()
    assert other.post(f"{PAGE}{held.pk}/file/", {"requester": customer_a.pk}).status_code == 404
    assert other.post(f"{PAGE}{held.pk}/discard/").status_code == 404
    customer = login(customer_a)
    assert customer.get(PAGE).status_code == 404
    assert customer.post(f"{PAGE}{held.pk}/discard/").status_code == 404
    held.refresh_from_db()
    assert held.status == InboundMail.Status.HELD


def test_an_admin_sees_mail_sent_to_no_sites_address(login, admin_user, site_a):
    record, _ = mail_receive(raw=STRANGER.replace(b"support@alder.example", b"sales@nowhere.example"))

    page = login(admin_user).get(PAGE).content.decode()

    assert "It was not sent to any site&#x27;s support address." in page
    assert record.site is None


def test_it_sends_anonymous_visitors_to_log_in(client):
    assert client.get(PAGE).status_code == 302
