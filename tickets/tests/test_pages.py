"""The pages: the portal and queue flows, 404 for every page and action across sites, no N+1 on lists."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from tickets.models import Attachment, Comment, Review, Ticket, TicketEvent
from tickets.services import attachment_add, comment_create, review_create

TICKET_ACTIONS = [
    ("get", "tickets:detail", {}),
    ("post", "tickets:reply", {"body": "hi"}),
    ("post", "tickets:transition", {"to_state": "cancelled"}),
    ("post", "tickets:assign", {"assignee": ""}),
    ("post", "tickets:assign_me", {}),
    ("post", "tickets:edit", {"priority": "urgent", "tags": "x"}),
    ("post", "tickets:review", {"rating": "5"}),
]


@pytest.fixture
def site_a_ticket(make_ticket, engineer_a):
    ticket = make_ticket("resolved", assignee=engineer_a)
    attachment_add(
        ticket=ticket, uploaded_by=engineer_a, upload=SimpleUploadedFile("a.txt", b"site A secret")
    )
    return ticket


@pytest.mark.parametrize(("method", "name", "data"), TICKET_ACTIONS)
@pytest.mark.parametrize("outsider", ["customer_b", "engineer_b", "colleague_a"])
def test_every_ticket_page_and_action_answers_404_to_outsiders(
    request, client, site_a_ticket, outsider, method, name, data
):
    client.force_login(request.getfixturevalue(outsider))
    events_before = TicketEvent.objects.count()
    response = getattr(client, method)(reverse(name, args=[site_a_ticket.pk]), data)
    assert response.status_code == 404
    assert TicketEvent.objects.count() == events_before
    assert not Review.objects.exists()
    site_a_ticket.refresh_from_db()
    assert (site_a_ticket.state, site_a_ticket.priority) == ("resolved", "normal")


# The pair of the test above: the same requests by the ticket's own people reach the ticket and act.
INSIDER = {"tickets:reply": "customer_a", "tickets:review": "customer_a"}


@pytest.mark.parametrize(("method", "name", "data"), TICKET_ACTIONS)
def test_every_ticket_page_and_action_reaches_the_ticket_for_its_own_people(
    request, client, site_a_ticket, method, name, data
):
    client.force_login(request.getfixturevalue(INSIDER.get(name, "engineer_a")))
    response = getattr(client, method)(reverse(name, args=[site_a_ticket.pk]), data)
    assert response.status_code in (200, 302), response.status_code
    if method == "get":
        assert site_a_ticket.title in response.content.decode()


@pytest.mark.parametrize("outsider", ["customer_b", "engineer_b", "colleague_a"])
def test_attachments_answer_404_across_sites(request, client, site_a_ticket, outsider):
    client.force_login(request.getfixturevalue(outsider))
    attachment = Attachment.objects.get()
    assert client.get(reverse("tickets:attachment", args=[attachment.pk])).status_code == 404


@pytest.mark.parametrize("insider", ["customer_a", "engineer_a"])
def test_attachments_answer_their_own_site(request, client, site_a_ticket, insider):
    client.force_login(request.getfixturevalue(insider))
    response = client.get(reverse("tickets:attachment", args=[Attachment.objects.get().pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"site A secret"


def test_internal_attachments_answer_404_to_the_requester(login, make_ticket, customer_a, engineer_a):
    ticket = make_ticket()
    internal = attachment_add(
        ticket=ticket, uploaded_by=engineer_a, upload=SimpleUploadedFile("n.txt", b"x"), is_internal=True
    )
    public = attachment_add(
        ticket=ticket, uploaded_by=engineer_a, upload=SimpleUploadedFile("p.txt", b"hello")
    )
    client = login(customer_a)
    assert client.get(reverse("tickets:attachment", args=[internal.pk])).status_code == 404
    response = client.get(reverse("tickets:attachment", args=[public.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"
    assert "attachment;" in response["Content-Disposition"]


def test_other_sites_never_show_in_the_queue_or_portal(
    login, make_ticket, engineer_a, customer_a, engineer_b, customer_b, site_a
):
    make_ticket(title="Alder secret printer")
    for user in (engineer_b, customer_b):
        client = login(user)
        page = client.get(reverse("tickets:queue" if user.is_staff_member else "tickets:portal"))
        assert page.status_code == 200
        assert b"Alder secret printer" not in page.content
    filtered = login(engineer_b).get(reverse("tickets:queue"), {"site": site_a.pk, "state": "all"})
    assert b"Alder secret printer" not in filtered.content
    # Site A's engineer and the requester see it on the same pages.
    for user, name in ((engineer_a, "tickets:queue"), (customer_a, "tickets:portal")):
        assert b"Alder secret printer" in login(user).get(reverse(name)).content
    own_filter = login(engineer_a).get(reverse("tickets:queue"), {"site": site_a.pk, "state": "all"})
    assert b"Alder secret printer" in own_filter.content


def test_role_pages_refuse_the_wrong_role(login, customer_a, engineer_a, make_ticket):
    ticket = make_ticket()
    assert login(customer_a).get(reverse("tickets:queue")).status_code == 403
    assert login(customer_a).post(reverse("tickets:assign_me", args=[ticket.pk])).status_code == 403
    assert login(engineer_a).get(reverse("tickets:admin_overview")).status_code == 403
    assert login(engineer_a).get(reverse("tickets:create")).status_code == 403


def test_a_customer_opens_a_ticket_in_the_portal(login, customer_a, django_capture_on_commit_callbacks):
    client = login(customer_a)
    assert client.get(reverse("tickets:create")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tickets:create"),
            {
                "title": "Scanner offline",
                "description": "Shows error 5",
                "attachments": SimpleUploadedFile("e.txt", b"5"),
            },
        )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.pk])
    assert (ticket.site, ticket.requester, ticket.attachments.count()) == (customer_a.site, customer_a, 1)
    page = client.get(response["Location"])
    assert b"Scanner offline" in page.content
    assert b"e.txt" in page.content
    assert ticket.first_response_due_at is not None
    promise = page.content.decode().split('data-testid="sla-promise"')[1].split("</p>")[0]
    assert "We aim to send you a first answer by" in promise
    assert date_format(timezone.localtime(ticket.first_response_due_at), "M j, Y H:i") in promise


def test_the_portal_shows_field_errors_and_refused_files(login, customer_a):
    client = login(customer_a)
    empty = client.post(reverse("tickets:create"), {"title": "", "description": ""})
    assert empty.status_code == 200
    assert b"This field is required." in empty.content
    fake = client.post(
        reverse("tickets:create"),
        {
            "title": "Photo",
            "description": "see",
            "attachments": SimpleUploadedFile("cat.png", b"not an image"),
        },
    )
    assert b"cat.png is not a valid image." in fake.content
    assert not Ticket.objects.exists()


def test_an_engineer_works_a_ticket_through_to_resolved(login, make_ticket, engineer_a, customer_a):
    ticket = make_ticket()
    client = login(engineer_a)
    detail = reverse("tickets:detail", args=[ticket.pk])
    assert client.get(detail).status_code == 200
    client.post(reverse("tickets:assign_me", args=[ticket.pk]))
    client.post(reverse("tickets:transition", args=[ticket.pk]), {"to_state": "in_progress"})
    client.post(reverse("tickets:reply", args=[ticket.pk]), {"body": "Toner sensor", "is_internal": "on"})
    refused = client.post(
        reverse("tickets:transition", args=[ticket.pk]), {"to_state": "resolved"}, follow=True
    )
    assert b"A resolution note is required to resolve a ticket." in refused.content
    client.post(
        reverse("tickets:transition", args=[ticket.pk]), {"to_state": "resolved", "note": "New roller"}
    )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee, ticket.resolution) == ("resolved", engineer_a, "New roller")
    page = client.get(detail)
    assert b"Toner sensor" in page.content
    customer_page = login(customer_a).get(detail)
    assert b"New roller" in customer_page.content
    assert b"Toner sensor" not in customer_page.content
    assert b"How did we do?" in customer_page.content


def test_an_illegal_move_is_a_clear_message(login, make_ticket, engineer_a):
    ticket = make_ticket()
    response = login(engineer_a).post(
        reverse("tickets:transition", args=[ticket.pk]), {"to_state": "closed"}, follow=True
    )
    assert b"A ticket cannot go from New to Closed." in response.content


def test_the_customer_rates_once(login, make_ticket, customer_a, engineer_a):
    ticket = make_ticket("resolved", assignee=engineer_a)
    client = login(customer_a)
    client.post(reverse("tickets:review", args=[ticket.pk]), {"rating": "4", "comment": "Thanks"})
    again = client.post(reverse("tickets:review", args=[ticket.pk]), {"rating": "1"}, follow=True)
    assert b"already been rated" in again.content
    assert Review.objects.get().rating == 4


def _many_tickets(make_ticket, engineer_a, printers, count):
    for index in range(count):
        ticket = make_ticket("in_progress", assignee=engineer_a, category=printers, title=f"Ticket {index}")
        comment_create(ticket=ticket, author=engineer_a, body="working on it")


def _count_queries(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("who", "url_name"), [("engineer_a", "tickets:queue"), ("customer_a", "tickets:portal")]
)
def test_lists_cost_the_same_queries_for_3_or_25_tickets(
    request, login, make_ticket, engineer_a, printers, django_assert_max_num_queries, who, url_name
):
    client = login(request.getfixturevalue(who))
    url = reverse(url_name)
    _many_tickets(make_ticket, engineer_a, printers, 3)
    few = _count_queries(client, url, django_assert_max_num_queries, 15)
    _many_tickets(make_ticket, engineer_a, printers, 22)
    many = _count_queries(client, url, django_assert_max_num_queries, 15)
    assert few == many


def test_the_ticket_page_does_not_grow_queries_with_the_conversation(
    login, make_ticket, engineer_a, customer_a, django_assert_max_num_queries
):
    ticket = make_ticket("in_progress", assignee=engineer_a)
    client = login(engineer_a)
    url = reverse("tickets:detail", args=[ticket.pk])
    comment_create(ticket=ticket, author=customer_a, body="first")
    few = _count_queries(client, url, django_assert_max_num_queries, 30)
    for index in range(15):
        comment_create(ticket=ticket, author=engineer_a if index % 2 else customer_a, body=f"reply {index}")
    many = _count_queries(client, url, django_assert_max_num_queries, 30)
    assert few == many
    assert Comment.objects.count() == 16


def test_the_queue_filters_and_counts_overdue(login, make_ticket, engineer_a, site_a):
    past = timezone.now() - timedelta(hours=1)
    make_ticket(title="Late one", first_response_due_at=past)
    make_ticket(title="On time one")
    client = login(engineer_a)
    response = client.get(reverse("tickets:queue"), {"overdue": "on"})
    assert response.context["counts"]["overdue"] == 1
    assert [t.title for t in response.context["page"].object_list] == ["Late one"]
    assert response.context["page"].object_list[0].is_overdue is True
    mine = client.get(reverse("tickets:queue"), {"mine": "on"})
    assert list(mine.context["page"].object_list) == []


def test_the_admin_overview_counts_per_site_and_csat(
    login, admin_user, make_ticket, engineer_a, customer_a, site_a
):
    make_ticket()
    rated = make_ticket("resolved", assignee=engineer_a)
    review_create(ticket=rated, author=customer_a, rating=4)
    response = login(admin_user).get(reverse("tickets:admin_overview"))
    assert response.status_code == 200
    row = next(row for row in response.context["sites"] if row["site"] == site_a)
    assert (row["open"], row["unassigned"], row["csat"]["average"]) == (1, 1, 4.0)
    assert response.context["csat_by_engineer"][0]["engineer"] == engineer_a.pk


def test_pages_render_on_an_empty_database(login, customer_a, engineer_a, admin_user):
    assert b"You have no tickets yet." in login(customer_a).get(reverse("tickets:portal")).content
    assert b"No tickets match." in login(engineer_a).get(reverse("tickets:queue")).content
    assert (
        b"Every open ticket has an engineer."
        in login(admin_user).get(reverse("tickets:admin_overview")).content
    )
