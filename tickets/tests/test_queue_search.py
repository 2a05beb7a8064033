"""The queue's search, sorts, keyset pages and saved views, on the page and in the API, with their
cross-site stories: site B's engineer never finds site A's tickets, a customer never a colleague's."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.services import api_token_create
from tickets.models import SavedView, Ticket
from tickets.queue import keyset_page, ticket_search
from tickets.selectors import tickets_visible_to
from tickets.services import comment_create

URL = "/api/v1/tickets"


@pytest.fixture
def api():
    def _api(user) -> Client:
        return Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='tests').secret}"})

    return _api


def queue_titles(client, **params) -> list[str]:
    response = client.get(reverse("tickets:queue"), params)
    assert response.status_code == 200
    return [ticket.title for ticket in response.context["page"].object_list]


def api_ids(client, **params) -> list[int]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# search


def test_it_finds_tickets_by_title_description_and_comment_words(login, make_ticket, engineer_a, customer_a):
    by_title = make_ticket(title="Outlook keeps asking for the password")
    by_description = make_ticket(title="Mail problem", description="The VPN client drops every few minutes")
    by_comment = make_ticket(title="Slow laptop")
    comment_create(ticket=by_comment, author=customer_a, body="The scanner firmware was updated yesterday")
    make_ticket(title="Printer jams")
    client = login(engineer_a)

    assert queue_titles(client, q="passwords") == [by_title.title]  # stemmed: password ~ passwords
    assert queue_titles(client, q="vpn dropping") == [by_description.title]
    assert queue_titles(client, q="firmware") == [by_comment.title]
    assert queue_titles(client, q='"scanner firmware" -printer') == [by_comment.title]
    assert queue_titles(client, q=f"#{by_title.pk}") == [by_title.title]


def test_engineers_never_find_another_sites_tickets(
    login, make_ticket, site_b, customer_b, engineer_a, engineer_b, api
):
    make_ticket(title="Alder VPN outage")
    birch = make_ticket(title="Birchwood VPN outage", site=site_b, requester=customer_b)

    assert queue_titles(login(engineer_b), q="vpn", state="all") == [birch.title]
    assert api_ids(api(engineer_b), q="vpn") == [birch.pk]
    # Asking for site A by id or by ticket number finds nothing either.
    alder = Ticket.objects.get(title="Alder VPN outage")
    assert api_ids(api(engineer_b), q=f"#{alder.pk}") == []
    assert queue_titles(login(engineer_b), q=f"{alder.pk}", state="all") == []


def test_customers_find_only_their_own_tickets_and_never_by_internal_notes(
    api, make_ticket, customer_a, colleague_a, engineer_a
):
    mine = make_ticket(title="My monitor flickers")
    make_ticket(title="Colleague's monitor flickers", requester=colleague_a)
    noted = make_ticket(title="Docking station")
    comment_create(ticket=noted, author=engineer_a, body="Vendor RMA number 7781 requested", is_internal=True)

    assert api_ids(api(customer_a), q="monitor") == [mine.pk]
    assert api_ids(api(customer_a), q="RMA") == []
    assert api_ids(api(colleague_a), q="docking") == []
    assert api_ids(api(engineer_a), q="RMA") == [noted.pk]


def test_the_search_runs_in_one_sql_query_with_the_site_scope(
    make_ticket, engineer_b, django_assert_num_queries
):
    make_ticket(title="Alder VPN outage")
    tickets = ticket_search(tickets_visible_to(engineer_b), user=engineer_b, q="vpn")
    with django_assert_num_queries(1) as captured:
        assert list(tickets) == []
    sql = captured.captured_queries[0]["sql"]
    assert "to_tsvector" in sql and "websearch_to_tsquery" in sql and 'tickets_ticket"."site_id" IN' in sql


# sorts and keyset pages


def test_it_sorts_by_created_updated_priority_and_sla_due(login, api, make_ticket, engineer_a):
    now = timezone.now()
    low = make_ticket(title="Low", priority="low", resolution_due_at=now + timedelta(hours=1))
    urgent = make_ticket(title="Urgent", priority="urgent", resolution_due_at=now + timedelta(hours=5))
    normal = make_ticket(title="Normal", priority="normal", resolution_due_at=None)
    Ticket.objects.filter(pk=low.pk).update(updated_at=now + timedelta(minutes=5))
    client, staff = login(engineer_a), api(engineer_a)

    expected = {
        "created": ["Normal", "Urgent", "Low"],
        "updated": ["Low", "Normal", "Urgent"],
        "priority": ["Urgent", "Normal", "Low"],
        "due": ["Low", "Urgent", "Normal"],  # no due time sorts last
    }
    by_title = {"Low": low.pk, "Urgent": urgent.pk, "Normal": normal.pk}
    for sort, titles in expected.items():
        assert queue_titles(client, sort=sort) == titles, sort
        assert api_ids(staff, sort=sort) == [by_title[title] for title in titles], sort


@pytest.mark.parametrize("sort", ["created", "updated", "priority", "due"])
def test_keyset_pages_visit_every_ticket_once_in_order(make_ticket, engineer_a, sort):
    now = timezone.now()
    priorities = ["low", "normal", "high", "urgent"]
    for index in range(7):
        make_ticket(
            title=f"T{index}",
            priority=priorities[index % 4],
            resolution_due_at=None if index % 3 == 0 else now + timedelta(hours=index % 2),
        )
    tickets = tickets_visible_to(engineer_a)
    whole = [t.pk for t in keyset_page(tickets, sort=sort, after=None, size=100).object_list]
    seen, after = [], None
    while True:
        page = keyset_page(tickets, sort=sort, after=after, size=3)
        seen += [t.pk for t in page.object_list]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == whole and len(seen) == 7


def test_the_queue_pages_with_a_cursor_and_a_ticket_created_meanwhile_does_not_shift_them(
    login, make_ticket, engineer_a
):
    for index in range(27):
        make_ticket(title=f"Ticket {index:02d}")
    client = login(engineer_a)
    first = client.get(reverse("tickets:queue"))
    assert len(first.context["page"].object_list) == 25
    cursor = first.context["page"].next_cursor
    assert f"after={cursor}" in first.content.decode()
    make_ticket(title="Arrived meanwhile")
    assert queue_titles(client, after=cursor) == ["Ticket 01", "Ticket 00"]


@pytest.mark.parametrize(
    "params", [{"after": "not-a-cursor"}, {"after": "WyJkdWUiLDEsMV0", "sort": "created"}]
)
def test_a_bad_cursor_is_a_sentence_and_the_first_page(login, make_ticket, engineer_a, params):
    make_ticket(title="Only one")
    response = login(engineer_a).get(reverse("tickets:queue"), params)
    assert response.status_code == 200
    assert "That page link is not valid for this sort any more" in response.content.decode()
    assert [t.title for t in response.context["page"].object_list] == ["Only one"]


def test_an_unknown_sort_is_a_sentence_on_the_page_and_a_422_in_the_api(login, api, make_ticket, engineer_a):
    make_ticket(title="Only one")
    response = login(engineer_a).get(reverse("tickets:queue"), {"sort": "cheapest"})
    assert response.status_code == 200
    assert (
        "Unknown sort cheapest: choose one of created, updated, priority, due." in response.content.decode()
    )
    assert [t.title for t in response.context["page"].object_list] == ["Only one"]
    assert api(engineer_a).get(URL, {"sort": "cheapest"}).status_code == 422
    assert api(engineer_a).get(URL, {"q": "x" * 201}).status_code == 422


def test_due_today_keeps_open_tickets_due_before_midnight(login, make_ticket, engineer_a):
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    make_ticket(title="Due tonight", resolution_due_at=midnight - timedelta(minutes=1))
    make_ticket(title="Due tomorrow", resolution_due_at=midnight + timedelta(minutes=1))
    make_ticket("resolved", title="Done", resolution_due_at=midnight - timedelta(minutes=1))
    assert queue_titles(login(engineer_a), due_today="on", state="all") == ["Due tonight"]


# saved views


def test_an_engineer_saves_opens_and_deletes_a_view(login, make_ticket, engineer_a):
    make_ticket(
        title="Mine, due tonight", assignee=engineer_a, state="assigned", resolution_due_at=timezone.now()
    )
    make_ticket(title="Not mine")
    client = login(engineer_a)
    response = client.post(
        reverse("tickets:saved_view_create"),
        {"name": "My open, due today", "query": "mine=on&due_today=on&sort=due&after=abc"},
    )
    view = SavedView.objects.get(owner=engineer_a)
    assert view.query == "mine=on&due_today=on&sort=due"  # a saved view starts at its first page
    assert response.url == reverse("tickets:queue") + "?" + view.query
    page = client.get(response.url)
    assert f'href="?{view.query.replace("&", "&amp;")}"' in page.content.decode()
    assert [t.title for t in page.context["page"].object_list] == ["Mine, due tonight"]

    client.post(reverse("tickets:saved_view_create"), {"name": "My open, due today", "query": "mine=on"})
    assert SavedView.objects.get(owner=engineer_a).query == "mine=on"  # the same name replaces it
    client.post(reverse("tickets:saved_view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_saved_views_are_their_owners_only(login, engineer_a, engineer_b, customer_a):
    view = SavedView.objects.create(owner=engineer_a, name="Secret filter", query="q=payroll")
    other = login(engineer_b)
    assert "Secret filter" not in other.get(reverse("tickets:queue")).content.decode()
    assert other.post(reverse("tickets:saved_view_delete", args=[view.pk])).status_code == 404
    assert other.post(reverse("tickets:saved_view_delete", args=[view.pk + 1000])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    customer = login(customer_a)
    assert customer.post(reverse("tickets:saved_view_create"), {"name": "x"}).status_code == 403


def test_naming_another_sites_id_is_a_sentence_and_shows_none_of_its_tickets(
    login, make_ticket, site_a, engineer_b
):
    make_ticket(title="Alder ticket")
    response = login(engineer_b).get(reverse("tickets:queue"), {"site": site_a.pk, "state": "all"})
    assert "Select a valid choice" in response.content.decode()
    assert list(response.context["page"].object_list) == []


def test_a_searched_sorted_queue_costs_the_same_queries_for_3_or_25_tickets(
    login, make_ticket, engineer_a, customer_a, django_assert_max_num_queries
):
    client = login(engineer_a)
    params = {"q": "printer", "sort": "priority", "state": "all"}

    def add(count):
        for index in range(count):
            ticket = make_ticket(title=f"Printer {index}", assignee=engineer_a)
            comment_create(ticket=ticket, author=customer_a, body="still jams")

    def cost() -> int:
        with django_assert_max_num_queries(15) as captured:
            assert client.get(reverse("tickets:queue"), params).status_code == 200
        return len(captured.captured_queries)

    add(3)
    few = cost()
    add(22)
    assert cost() == few
