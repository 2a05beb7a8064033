"""Bulk actions on the queue: each ticket goes through the single action's service, so the permission
checks and the audit events are the single action's; another site's ticket is never changed or named."""

import pytest
from django.urls import reverse

from helpdesk.models import User
from helpdesk.services import user_create
from tickets.errors import TicketError
from tickets.models import Ticket, TicketEvent
from tickets.queue import BULK_MAX_TICKETS, BulkAction, tickets_bulk_apply


def bulk(client, tickets, change, next_query=""):
    return client.post(
        reverse("tickets:queue_bulk"),
        {"tickets": [t.pk for t in tickets], "change": change, "next": next_query},
        follow=True,
    )


def texts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_bulk_assign_records_the_same_events_as_single_assigns(login, make_ticket, engineer_a):
    first, second = make_ticket(), make_ticket("triaged")
    response = bulk(login(engineer_a), [first, second], f"assign:{engineer_a.pk}", "sort=due")

    assert response.redirect_chain[-1][0] == reverse("tickets:queue") + "?sort=due"
    assert texts(response) == [f"Updated 2 tickets: #{first.pk}, #{second.pk}."]
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert (ticket.assignee, ticket.state) == (engineer_a, "assigned")
        events = ticket.events.filter(kind__in=[TicketEvent.Kind.ASSIGNED, TicketEvent.Kind.TRANSITION])
        assert [(e.kind, e.actor) for e in events] == [("assigned", engineer_a), ("transition", engineer_a)]


def test_bulk_state_priority_and_category_changes(login, make_ticket, engineer_a, printers):
    tickets = [make_ticket("assigned", assignee=engineer_a) for _ in range(2)]
    client = login(engineer_a)
    bulk(client, tickets, "state:in_progress")
    bulk(client, tickets, "priority:urgent")
    bulk(client, tickets, f"category:{printers.pk}")
    for ticket in tickets:
        ticket.refresh_from_db()
        assert (ticket.state, ticket.priority, ticket.category) == ("in_progress", "urgent", printers)
        changed = ticket.events.filter(kind=TicketEvent.Kind.FIELD_CHANGED).values_list("field", flat=True)
        assert sorted(changed) == ["category", "priority"]


def test_a_refused_ticket_is_named_and_the_others_still_change(login, make_ticket, engineer_a):
    open_one, closed = make_ticket(), make_ticket("closed")
    response = bulk(login(engineer_a), [open_one, closed], f"assign:{engineer_a.pk}")
    assert texts(response) == [
        f"Updated 1 ticket: #{open_one.pk}.",
        f"#{closed.pk} was not changed: Only open tickets can be assigned; reopen it first.",
    ]
    closed.refresh_from_db()
    assert closed.assignee is None


def test_an_engineer_never_changes_another_sites_ticket(login, make_ticket, site_b, customer_b, engineer_b):
    alder = make_ticket()
    birch = make_ticket(site=site_b, requester=customer_b)
    response = bulk(login(engineer_b), [alder, birch], "priority:urgent")
    assert texts(response) == [
        f"Updated 1 ticket: #{birch.pk}.",
        "1 of the ticked tickets could not be found.",
    ]
    alder.refresh_from_db()
    assert (
        alder.priority == "normal" and not alder.events.filter(kind=TicketEvent.Kind.FIELD_CHANGED).exists()
    )
    assert str(alder.pk) not in " ".join(texts(response)).replace(f"#{birch.pk}", "")


def test_a_bulk_merge_keeps_the_oldest_ticked_ticket(login, make_ticket, engineer_a, site_b, customer_b):
    oldest, copy, other_copy = (make_ticket("triaged", title=f"Printer jams {n}") for n in range(3))
    birch = make_ticket(site=site_b, requester=customer_b)
    response = bulk(login(engineer_a), [copy, oldest, other_copy, birch], "merge:oldest")

    assert texts(response) == [
        f"Updated 2 tickets: #{copy.pk}, #{other_copy.pk}.",
        "1 of the ticked tickets could not be found.",
    ]
    for merged in (copy, other_copy):
        merged.refresh_from_db()
        assert (merged.state, merged.merged_into_id) == ("closed", oldest.pk)
    assert oldest.events.filter(kind=TicketEvent.Kind.MERGED).count() == 2
    birch.refresh_from_db()
    assert birch.state == "new" and birch.merged_into_id is None


def test_a_bulk_merge_needs_two_tickets(login, make_ticket, engineer_a):
    response = bulk(login(engineer_a), [make_ticket()], "merge:oldest")
    assert texts(response) == ["Tick at least two tickets to merge."]


def test_an_assignee_must_cover_each_tickets_site(
    make_ticket, site_a, site_b, customer_b, admin_user, engineer_b
):
    alder = make_ticket()
    birch = make_ticket(site=site_b, requester=customer_b)
    result = tickets_bulk_apply(
        actor=admin_user, ticket_ids=[alder.pk, birch.pk], action=BulkAction.ASSIGN, assignee=engineer_b
    )
    assert result.changed == [birch.pk]
    assert result.refused == [(alder.pk, f"Evan Ellis does not cover {site_a.name}.")]


def test_a_customer_cannot_bulk_change_even_their_own_tickets(login, make_ticket, customer_a, colleague_a):
    mine = make_ticket()
    theirs = make_ticket(requester=colleague_a)
    assert login(customer_a).post(reverse("tickets:queue_bulk"), {"tickets": [mine.pk]}).status_code == 403
    # Below the page, the service gives a customer the single action's refusal and never a colleague's ticket.
    result = tickets_bulk_apply(
        actor=customer_a, ticket_ids=[mine.pk, theirs.pk], action=BulkAction.PRIORITY, priority="urgent"
    )
    assert result.changed == [] and result.not_found == 1
    assert result.refused == [(mine.pk, "Only engineers covering this site can edit the ticket.")]
    assert set(Ticket.objects.values_list("priority", flat=True)) == {"normal"}


def test_an_engineer_outside_the_site_cannot_be_chosen_on_the_page(
    login, make_ticket, engineer_a, engineer_b
):
    ticket = make_ticket()
    response = bulk(login(engineer_a), [ticket], f"assign:{engineer_b.pk}")
    assert any("Select a valid choice" in text for text in texts(response))
    ticket.refresh_from_db()
    assert ticket.assignee is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"change": "priority:high"}, "Tick at least one ticket."),
        ({"tickets": ["1"]}, "Choose a change to make."),
        (
            {"tickets": ["x"], "change": "priority:high"},
            "Select a valid choice. x is not one of the available choices.",
        ),
    ],
)
def test_bad_bulk_input_is_a_sentence(login, engineer_a, data, message):
    response = login(engineer_a).post(reverse("tickets:queue_bulk"), data, follow=True)
    assert response.status_code == 200 and message in texts(response)


def test_a_bulk_action_is_capped(engineer_a):
    with pytest.raises(TicketError, match=f"at most {BULK_MAX_TICKETS}"):
        tickets_bulk_apply(
            actor=engineer_a,
            ticket_ids=list(range(1, BULK_MAX_TICKETS + 2)),
            action="priority",
            priority="low",
        )


def test_an_inactive_engineer_is_not_offered(login, site_a, engineer_a):
    gone = user_create(username="gone", password=None, role=User.Role.ENGINEER, covered_sites=[site_a])
    User.objects.filter(pk=gone.pk).update(is_active=False)
    form = login(engineer_a).get(reverse("tickets:queue")).context["bulk_form"]
    assert [user.username for user in form.engineers.values()] == ["erin"]
