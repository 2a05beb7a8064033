"""Merging a duplicate into its survivor: what moves, what each timeline says, who is told, and who may."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from helpdesk.models import User
from helpdesk.services import user_create
from integrations.services import api_token_create
from knowledge.services import document_index_ticket
from retrieval.models import Document
from tickets.errors import ActionNotAllowed, InvalidTransition, TicketError
from tickets.merging import ticket_merge
from tickets.models import Attachment, Comment, Ticket, TicketEvent
from tickets.services import attachment_add, comment_create

URL = "/api/v1/tickets"


@pytest.fixture
def pair(make_ticket, customer_a, engineer_a):
    """Two open tickets of site A about the same jam; the copy already has a reply, a note and a file."""
    survivor = make_ticket("in_progress", assignee=engineer_a, title="Printer jams on floor 2")
    copy = make_ticket("new", title="Floor 2 printer jamming again")
    comment_create(ticket=copy, author=customer_a, body="It jams on every second page.")
    comment_create(ticket=copy, author=engineer_a, body="Same as the roller case?", is_internal=True)
    attachment_add(ticket=copy, uploaded_by=customer_a, upload=SimpleUploadedFile("jam.txt", b"page 2"))
    mail.outbox.clear()
    return copy, survivor


@pytest.fixture
def api():
    def _api(user) -> Client:
        return Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='t').secret}"})

    return _api


def unchanged(copy: Ticket) -> bool:
    copy.refresh_from_db()
    return (
        copy.state == "new"
        and copy.merged_into_id is None
        and Comment.objects.filter(ticket=copy).count() == 2
        and Attachment.objects.filter(ticket=copy).count() == 1
        and not TicketEvent.objects.filter(kind=TicketEvent.Kind.MERGED).exists()
    )


def test_it_moves_the_conversation_and_closes_the_copy_with_a_link(
    pair, engineer_a, customer_a, django_capture_on_commit_callbacks
):
    copy, survivor = pair
    with django_capture_on_commit_callbacks(execute=True):
        assert ticket_merge(source=copy, target=survivor, actor=engineer_a) == survivor
    copy.refresh_from_db()
    assert (copy.state, copy.merged_into, copy.closed_at is not None) == ("closed", survivor, True)
    assert f"Merged into #{survivor.pk}" in copy.resolution
    assert Comment.objects.filter(ticket=survivor).count() == 2
    assert Attachment.objects.filter(ticket=survivor).count() == 1
    assert not Comment.objects.filter(ticket=copy).exists()
    source_event = copy.events.get(kind=TicketEvent.Kind.MERGED)
    target_event = survivor.events.get(kind=TicketEvent.Kind.MERGED)
    assert source_event.data == {"merged_into": survivor.pk, "comments": 2, "attachments": 1}
    assert target_event.data == {"merged_from": copy.pk, "comments": 2, "attachments": 1}
    assert f"#{copy.pk}" in target_event.message and target_event.actor == engineer_a
    closed = copy.events.filter(kind=TicketEvent.Kind.TRANSITION).latest("pk")
    assert (closed.old_value, closed.new_value, closed.data) == ("new", "closed", {"transition": "merge"})
    [email] = mail.outbox  # the requester is told once, and nobody else is mailed
    assert email.to == [customer_a.email]
    assert f"Merged into #{survivor.pk}" in email.subject and f"/tickets/{survivor.pk}/" in email.body


def test_it_refuses_tickets_of_two_sites_even_for_an_admin(
    pair, admin_user, site_b, customer_b, django_capture_on_commit_callbacks
):
    copy, _ = pair
    other = Ticket.objects.create(site=site_b, requester=customer_b, title="Jam", description="Jams.")
    refused = pytest.raises(ActionNotAllowed, match="two different sites")
    with django_capture_on_commit_callbacks(execute=True), refused:
        ticket_merge(source=copy, target=other, actor=admin_user)
    assert unchanged(copy) and not mail.outbox


def test_it_refuses_an_engineer_covering_both_sites_a_cross_site_merge(pair, site_a, site_b, customer_b):
    copy, _ = pair
    both = user_create(username="bea", password="x", role=User.Role.ENGINEER, covered_sites=[site_a, site_b])
    other = Ticket.objects.create(site=site_b, requester=customer_b, title="Jam", description="Jams.")
    with pytest.raises(ActionNotAllowed, match="two different sites"):
        ticket_merge(source=copy, target=other, actor=both)
    assert unchanged(copy)


def test_it_refuses_customers_and_other_sites_engineers(pair, customer_a, engineer_b):
    copy, survivor = pair
    for actor in (customer_a, engineer_b):
        with pytest.raises(ActionNotAllowed, match="Only engineers covering this site"):
            ticket_merge(source=copy, target=survivor, actor=actor)
    assert unchanged(copy)


def test_it_refuses_a_closed_survivor_and_the_ticket_itself(pair, engineer_a):
    copy, survivor = pair
    with pytest.raises(TicketError, match="into itself"):
        ticket_merge(source=copy, target=copy, actor=engineer_a)
    Ticket.objects.filter(pk=survivor.pk).update(state="resolved")
    with pytest.raises(InvalidTransition, match=f"#{survivor.pk} is not open"):
        ticket_merge(source=copy, target=survivor, actor=engineer_a)
    assert unchanged(copy)


def test_it_refuses_merging_a_ticket_twice(pair, engineer_a, make_ticket):
    copy, survivor = pair
    ticket_merge(source=copy, target=survivor, actor=engineer_a)
    with pytest.raises(InvalidTransition, match=f"#{copy.pk} is not open"):
        ticket_merge(source=copy, target=make_ticket("new", title="Third"), actor=engineer_a)


def test_a_customer_cannot_write_on_a_merged_ticket_that_was_closed(pair, engineer_a, customer_a):
    copy, survivor = pair
    ticket_merge(source=copy, target=survivor, actor=engineer_a)
    with pytest.raises(ActionNotAllowed, match="closed"):
        comment_create(ticket=copy, author=customer_a, body="Any news?")
    assert Ticket.objects.count() == 2  # no follow-up either: the work continues on the survivor


# API


def test_the_api_merges_for_an_engineer_of_the_site(api, pair, engineer_a):
    copy, survivor = pair
    response = api(engineer_a).post(f"{URL}/{copy.pk}/merge", {"target_id": survivor.pk}, "application/json")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == survivor.pk
    detail = api(engineer_a).get(f"{URL}/{copy.pk}").json()
    assert (detail["state"], detail["merged_into_id"]) == ("closed", survivor.pk)


def test_the_api_answers_404_to_another_sites_engineer_and_403_to_a_customer(
    api, pair, engineer_b, customer_a
):
    copy, survivor = pair
    body = {"target_id": survivor.pk}
    assert api(engineer_b).post(f"{URL}/{copy.pk}/merge", body, "application/json").status_code == 404
    response = api(customer_a).post(f"{URL}/{copy.pk}/merge", body, "application/json")
    assert response.status_code == 403
    assert "Only engineers and admins can merge tickets." in response.json()["detail"]
    assert unchanged(copy)


def test_the_api_answers_404_for_a_target_of_a_site_the_engineer_does_not_cover(
    api, pair, engineer_a, site_b, customer_b
):
    copy, _ = pair
    other = Ticket.objects.create(site=site_b, requester=customer_b, title="Jam", description="Jams.")
    response = api(engineer_a).post(f"{URL}/{copy.pk}/merge", {"target_id": other.pk}, "application/json")
    assert response.status_code == 404
    assert unchanged(copy)


def test_the_api_refuses_a_cross_site_merge_with_403(api, pair, admin_user, site_b, customer_b):
    copy, _ = pair
    other = Ticket.objects.create(site=site_b, requester=customer_b, title="Jam", description="Jams.")
    response = api(admin_user).post(f"{URL}/{copy.pk}/merge", {"target_id": other.pk}, "application/json")
    assert response.status_code == 403
    assert "two different sites" in response.json()["detail"]
    assert unchanged(copy)


# The ticket page


def test_the_page_merges_and_shows_the_link_on_both_tickets(login, pair, engineer_a):
    copy, survivor = pair
    client = login(engineer_a)
    response = client.post(f"/tickets/{copy.pk}/merge/", {"target": survivor.pk})
    assert response.status_code == 302 and response.url == f"/tickets/{survivor.pk}/"
    survivor_page = client.get(response.url).content.decode()
    assert f"#{copy.pk} Floor 2 printer jamming again</a> was merged into this ticket" in survivor_page
    assert "It jams on every second page." in survivor_page
    copy_page = client.get(f"/tickets/{copy.pk}/").content.decode()
    assert f'Merged into <a href="/tickets/{survivor.pk}/">' in copy_page


def test_the_page_shows_a_refusal_as_a_sentence(login, pair, engineer_a):
    copy, _ = pair
    response = login(engineer_a).post(f"/tickets/{copy.pk}/merge/", {"target": copy.pk}, follow=True)
    assert "A ticket cannot be merged into itself." in response.content.decode()
    assert unchanged(copy)


def test_the_page_answers_404_to_another_sites_engineer_and_403_to_a_customer(
    client, pair, engineer_b, customer_a
):
    copy, survivor = pair
    client.force_login(engineer_b)
    assert client.post(f"/tickets/{copy.pk}/merge/", {"target": survivor.pk}).status_code == 404
    client.force_login(customer_a)
    assert client.post(f"/tickets/{copy.pk}/merge/", {"target": survivor.pk}).status_code == 403
    assert unchanged(copy)


def test_the_merged_copy_is_no_past_case_of_its_own(pair, engineer_a):
    copy, survivor = pair
    ticket_merge(source=copy, target=survivor, actor=engineer_a)
    copy.refresh_from_db()
    document_index_ticket(ticket=copy)
    assert not Document.objects.filter(source_type="ticket", source_id=copy.pk).exists()


def test_a_customer_sees_where_their_merged_request_went_without_a_colleagues_link(
    login, make_ticket, customer_a, colleague_a, engineer_a
):
    mine = make_ticket("new", title="Printer jams on floor 2")
    theirs = make_ticket("in_progress", requester=colleague_a, assignee=engineer_a, title="Floor 2 jams")
    ticket_merge(source=mine, target=theirs, actor=engineer_a)
    page = login(customer_a).get(f"/tickets/{mine.pk}/").content.decode()
    assert "merged with another report of the same problem" in page
    assert f'href="/tickets/{theirs.pk}/"' not in page
