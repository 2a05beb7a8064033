"""A customer's reply after the reopen window opens a follow-up ticket instead of reopening the old one."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from integrations.services import api_token_create
from tickets.errors import ActionNotAllowed
from tickets.models import Comment, Ticket, TicketEvent
from tickets.services import comment_create


@pytest.fixture(autouse=True)
def window(settings):
    settings.TICKET_REOPEN_WINDOW_DAYS = 7
    return 7


def days_ago(days):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def old_resolved(make_ticket, engineer_a, printers):
    return make_ticket("resolved", assignee=engineer_a, resolved_at=days_ago(8), category=printers)


def test_a_reply_after_the_window_opens_a_linked_follow_up(old_resolved, customer_a, printers):
    follow_up = comment_create(ticket=old_resolved, author=customer_a, body="  It is jamming again.  ")
    assert isinstance(follow_up, Ticket)
    old_resolved.refresh_from_db()
    assert old_resolved.state == "resolved" and not Comment.objects.filter(ticket=old_resolved).exists()
    assert (follow_up.state, follow_up.follow_up_of, follow_up.requester) == ("new", old_resolved, customer_a)
    assert follow_up.description == "It is jamming again."
    assert follow_up.title == f"Follow-up to #{old_resolved.pk}: {old_resolved.title}"
    assert follow_up.category == printers and follow_up.site_id == old_resolved.site_id
    [on_new] = follow_up.events.filter(kind=TicketEvent.Kind.FOLLOW_UP)
    [on_old] = old_resolved.events.filter(kind=TicketEvent.Kind.FOLLOW_UP)
    assert on_new.data == {"follow_up_of": old_resolved.pk} and "more than 7 days" in on_new.message
    assert on_old.data == {"follow_up": follow_up.pk} and on_old.actor == customer_a


def test_a_reply_within_the_window_still_reopens(make_ticket, customer_a, engineer_a):
    ticket = make_ticket("resolved", assignee=engineer_a, resolved_at=days_ago(6))
    comment = comment_create(ticket=ticket, author=customer_a, body="Still happening.")
    ticket.refresh_from_db()
    assert isinstance(comment, Comment) and ticket.state == "in_progress"
    assert Ticket.objects.count() == 1


def test_an_engineer_reply_after_the_window_is_a_plain_reply(old_resolved, engineer_a):
    comment = comment_create(ticket=old_resolved, author=engineer_a, body="Checking in.")
    old_resolved.refresh_from_db()
    assert isinstance(comment, Comment) and old_resolved.state == "resolved"
    assert Ticket.objects.count() == 1


def test_a_closed_ticket_follows_up_after_the_window_and_refuses_within_it(make_ticket, customer_a):
    recent = make_ticket("closed", closed_at=days_ago(2))
    with pytest.raises(ActionNotAllowed, match="closed"):
        comment_create(ticket=recent, author=customer_a, body="Again")
    old = make_ticket("closed", closed_at=days_ago(30))
    follow_up = comment_create(ticket=old, author=customer_a, body="Again")
    assert isinstance(follow_up, Ticket) and follow_up.follow_up_of == old


def test_a_colleague_cannot_follow_up_someone_elses_ticket(old_resolved, colleague_a, engineer_b):
    for outsider in (colleague_a, engineer_b):
        with pytest.raises(ActionNotAllowed):
            comment_create(ticket=old_resolved, author=outsider, body="Me too")
    assert Ticket.objects.count() == 1


def test_the_page_takes_the_customer_to_the_follow_up_and_links_both(
    login, old_resolved, customer_a, engineer_a
):
    response = login(customer_a).post(
        f"/tickets/{old_resolved.pk}/reply/", {"body": "Jams again."}, follow=True
    )
    follow_up = Ticket.objects.get(follow_up_of=old_resolved)
    assert response.redirect_chain[-1][0] == f"/tickets/{follow_up.pk}/"
    assert f"so your reply opened follow-up #{follow_up.pk}." in response.content.decode()
    client = login(engineer_a)
    new_page = client.get(f"/tickets/{follow_up.pk}/").content.decode()
    assert f'Follow-up to <a href="/tickets/{old_resolved.pk}/">' in new_page
    old_page = client.get(f"/tickets/{old_resolved.pk}/").content.decode()
    assert f'Followed up in <a href="/tickets/{follow_up.pk}/">' in old_page
    customer = login(customer_a)
    assert (
        f'Follow-up to <a href="/tickets/{old_resolved.pk}/">'
        in customer.get(f"/tickets/{follow_up.pk}/").content.decode()
    )
    assert (
        f'Followed up in <a href="/tickets/{follow_up.pk}/">'
        in customer.get(f"/tickets/{old_resolved.pk}/").content.decode()
    )


def test_the_api_answers_with_the_follow_up(old_resolved, customer_a):
    client = Client(headers={"Authorization": f"Bearer {api_token_create(user=customer_a, name='t').secret}"})
    response = client.post(
        f"/api/v1/tickets/{old_resolved.pk}/comments", {"body": "Jams again."}, "application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    follow_up = Ticket.objects.get(follow_up_of=old_resolved)
    assert body["follow_up"]["id"] == follow_up.pk and f"follow-up #{follow_up.pk}" in body["detail"]
    detail = client.get(f"/api/v1/tickets/{follow_up.pk}").json()
    assert detail["follow_up_of_id"] == old_resolved.pk
