"""The tickets API, endpoint by endpoint, each with its cross-site story (site B must get 404s).

Callers authenticate with real personal API tokens, as scripts would.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from integrations.services import api_token_create
from knowledge.tasks import index_ticket
from tickets.models import Comment, Ticket, TicketEvent
from tickets.services import comment_create
from tickets.triage import triage_ticket

URL = "/api/v1/tickets"


@pytest.fixture
def api():
    """A test client that calls the API with a personal token of `user`."""

    def _api(user) -> Client:
        secret = api_token_create(user=user, name="tests").secret
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return _api


def not_found(response) -> bool:
    return response.status_code == 404 and response.json() == {"detail": "Not found.", "errors": []}


# list


def test_it_lists_only_the_callers_own_tickets_for_a_customer(api, make_ticket, customer_a, colleague_a):
    mine = make_ticket()
    make_ticket(requester=colleague_a, title="Colleague's laptop")

    body = api(customer_a).get(URL).json()

    assert body["count"] == 1
    assert [item["id"] for item in body["items"]] == [mine.pk]


def test_it_lists_no_tickets_of_another_site(
    api, make_ticket, engineer_a, customer_a, engineer_b, customer_b, site_a
):
    ticket = make_ticket()

    assert api(engineer_b).get(URL).json() == {"items": [], "count": 0}
    assert api(customer_b).get(URL, {"site": site_a.pk}).json() == {"items": [], "count": 0}
    # The same requests by site A's engineer and the requester do list it: the empty lists are the filter.
    for user in (engineer_a, customer_a):
        assert [item["id"] for item in api(user).get(URL).json()["items"]] == [ticket.pk]
        assert [item["id"] for item in api(user).get(URL, {"site": site_a.pk}).json()["items"]] == [ticket.pk]


def test_it_filters_orders_and_paginates_the_list(api, make_ticket, engineer_a, printers):
    old = make_ticket(title="First", priority="high")
    middle = make_ticket(title="Second", assignee=engineer_a, state="assigned", category=printers)
    new = make_ticket(title="Third", state="resolved")
    staff = api(engineer_a)

    def ids(**params):
        return [item["id"] for item in staff.get(URL, params).json()["items"]]

    assert ids() == [new.pk, middle.pk, old.pk]
    assert ids(ordering="created_at") == [old.pk, middle.pk, new.pk]
    assert ids(state="resolved") == [new.pk]
    assert ids(priority="high") == [old.pk]
    assert ids(category="printers") == [middle.pk]
    assert ids(assigned_to_me="true") == [middle.pk]
    page = staff.get(URL, {"page": 2, "page_size": 2}).json()
    assert page == {"items": page["items"], "count": 3}
    assert [item["id"] for item in page["items"]] == [old.pk]


def test_it_filters_overdue_tickets(api, make_ticket, engineer_a):
    from django.utils import timezone

    late = make_ticket(resolution_due_at=timezone.now() - timezone.timedelta(hours=1))
    make_ticket(title="On time")

    items = api(engineer_a).get(URL, {"overdue": "true"}).json()["items"]

    assert [(item["id"], item["is_overdue"]) for item in items] == [(late.pk, True)]


def test_it_answers_422_with_field_errors_for_bad_filters(api, customer_a):
    response = api(customer_a).get(URL, {"state": "exploded", "page": 0})

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Validation failed."
    assert {tuple(error["loc"][-1:]) for error in body["errors"]} == {("state",), ("page",)}
    assert all(set(error) == {"loc", "msg", "type"} for error in body["errors"])


# create


def test_it_opens_a_ticket_for_the_customers_own_site(api, customer_a, site_a):
    response = api(customer_a).post(
        URL,
        {"title": " VPN drops ", "description": "Every hour the VPN disconnects.", "priority": "high"},
        content_type="application/json",
    )

    assert response.status_code == 201
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert (ticket.site, ticket.requester, ticket.source, ticket.state) == (site_a, customer_a, "api", "new")
    assert (body["title"], body["priority"], body["triage"], body["review"]) == (
        "VPN drops",
        "high",
        None,
        None,
    )
    assert ticket.events.filter(kind=TicketEvent.Kind.CREATED).exists()


def test_it_answers_404_when_a_customer_names_another_site(api, customer_a, site_a, site_b):
    client = api(customer_a)
    response = client.post(
        URL, {"title": "x", "description": "y", "site_id": site_b.pk}, content_type="application/json"
    )

    assert not_found(response)
    assert not Ticket.objects.exists()
    own = client.post(
        URL, {"title": "x", "description": "y", "site_id": site_a.pk}, content_type="application/json"
    )
    assert own.status_code == 201
    assert list(Ticket.objects.values_list("site", flat=True)) == [site_a.pk]


def test_it_lets_engineers_open_tickets_only_for_covered_sites(api, engineer_a, engineer_b, site_a):
    payload = {"title": "Switch down", "description": "Core switch rebooted", "site_id": site_a.pk}

    assert api(engineer_a).post(URL, payload, content_type="application/json").status_code == 201
    assert not_found(api(engineer_b).post(URL, payload, content_type="application/json"))
    missing_site = api(engineer_a).post(
        URL, {"title": "x", "description": "y"}, content_type="application/json"
    )
    assert missing_site.status_code == 422
    assert missing_site.json()["errors"][0]["loc"] == ["body", "site_id"]


def test_it_answers_422_with_field_errors_for_a_bad_ticket(api, customer_a):
    response = api(customer_a).post(
        URL, {"title": "   ", "priority": "whenever", "category": "nope"}, content_type="application/json"
    )

    assert response.status_code == 422
    fields = {error["loc"][-1] for error in response.json()["errors"]}
    assert fields == {"title", "description", "priority"}


def test_it_answers_422_for_an_unknown_category_and_400_for_broken_json(api, customer_a):
    client = api(customer_a)
    unknown = client.post(
        URL, {"title": "x", "description": "y", "category": "astrology"}, content_type="application/json"
    )
    broken = client.post(URL, "{not json", content_type="application/json")

    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "category"]
    assert broken.status_code == 400
    assert set(broken.json()) == {"detail", "errors"}


# read


def test_it_reads_a_ticket_and_hides_it_from_other_sites(
    api, make_ticket, customer_a, customer_b, engineer_a, engineer_b
):
    ticket = make_ticket()

    body = api(customer_a).get(f"{URL}/{ticket.pk}").json()

    assert (body["id"], body["site_id"], body["requester"]["display_name"]) == (
        ticket.pk,
        ticket.site_id,
        "Alice Archer",
    )
    assert not_found(api(customer_b).get(f"{URL}/{ticket.pk}"))
    assert not_found(api(engineer_b).get(f"{URL}/{ticket.pk}"))
    assert not_found(api(customer_a).get(f"{URL}/{ticket.pk + 1000}"))
    assert api(engineer_a).get(f"{URL}/{ticket.pk}").json()["id"] == ticket.pk  # site A's engineer does


def test_it_shows_the_ai_triage_result_on_the_ticket(api, make_ticket, customer_a, engineer_a):
    ticket = make_ticket()
    triage_ticket(ticket_id=ticket.pk)
    event = ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    ticket.refresh_from_db()

    staff_view = api(engineer_a).get(f"{URL}/{ticket.pk}").json()
    customer_view = api(customer_a).get(f"{URL}/{ticket.pk}").json()

    assert staff_view["triage"]["confidence"] == event.data.get("confidence")
    assert (
        staff_view["triage"]["needs_human"] == ticket.needs_human_triage == staff_view["needs_human_triage"]
    )
    assert staff_view["triage"]["sources"] == event.data.get("sources", [])
    assert customer_view["triage"]["sources"] == []
    assert customer_view["triage"]["message"] == event.message


# update


def test_it_lets_the_covering_engineer_edit_allowed_fields(api, make_ticket, engineer_a, printers):
    ticket = make_ticket()

    response = api(engineer_a).patch(
        f"{URL}/{ticket.pk}",
        {"priority": "urgent", "category": "printers", "tags": ["Floor-2"]},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert (response.json()["priority"], response.json()["category"], response.json()["tags"]) == (
        "urgent",
        "printers",
        ["floor-2"],
    )
    assert ticket.events.filter(kind=TicketEvent.Kind.FIELD_CHANGED).count() == 3


def test_it_refuses_edits_by_customers_and_other_sites(api, make_ticket, customer_a, engineer_a, engineer_b):
    ticket = make_ticket()

    refused = api(customer_a).patch(
        f"{URL}/{ticket.pk}", {"priority": "urgent"}, content_type="application/json"
    )

    assert refused.status_code == 403
    assert not_found(
        api(engineer_b).patch(f"{URL}/{ticket.pk}", {"priority": "urgent"}, content_type="application/json")
    )
    ticket.refresh_from_db()
    assert ticket.priority == "normal"
    edit = api(engineer_a).patch(f"{URL}/{ticket.pk}", {"priority": "high"}, content_type="application/json")
    assert (edit.status_code, edit.json()["priority"]) == (200, "high")


# transitions


def test_it_moves_a_ticket_along_the_lifecycle(api, make_ticket, engineer_a):
    ticket = make_ticket("assigned", assignee=engineer_a)

    response = api(engineer_a).post(
        f"{URL}/{ticket.pk}/transitions", {"to_state": "in_progress"}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["state"] == "in_progress"


def test_it_answers_409_for_an_illegal_transition(api, make_ticket, engineer_a):
    ticket = make_ticket()
    client = api(engineer_a)

    skip = client.post(
        f"{URL}/{ticket.pk}/transitions", {"to_state": "closed"}, content_type="application/json"
    )
    ticket = make_ticket("in_progress", assignee=engineer_a)
    no_note = client.post(
        f"{URL}/{ticket.pk}/transitions", {"to_state": "resolved"}, content_type="application/json"
    )

    assert skip.status_code == 409
    assert skip.json() == {"detail": "A ticket cannot go from New to Closed.", "errors": []}
    assert no_note.status_code == 409


def test_it_hides_transitions_of_other_sites(api, make_ticket, engineer_a, engineer_b):
    ticket = make_ticket()
    cancel = {"to_state": "cancelled"}

    response = api(engineer_b).post(f"{URL}/{ticket.pk}/transitions", cancel, content_type="application/json")

    assert not_found(response)
    ticket.refresh_from_db()
    assert ticket.state == "new"
    own = api(engineer_a).post(f"{URL}/{ticket.pk}/transitions", cancel, content_type="application/json")
    assert (own.status_code, own.json()["state"]) == (200, "cancelled")


# assign


def test_it_assigns_by_hand_and_automatically(api, make_ticket, engineer_a):
    by_hand = make_ticket()
    auto = make_ticket(title="Auto")
    client = api(engineer_a)

    manual = client.post(
        f"{URL}/{by_hand.pk}/assign", {"assignee_id": engineer_a.pk}, content_type="application/json"
    )
    automatic = client.post(f"{URL}/{auto.pk}/assign", {}, content_type="application/json")

    assert (manual.json()["assignee"]["id"], manual.json()["state"]) == (engineer_a.pk, "assigned")
    assert automatic.json()["assignee"]["id"] == engineer_a.pk


def test_it_refuses_assignment_to_someone_not_covering_the_site(
    api, make_ticket, engineer_a, engineer_b, customer_a
):
    ticket = make_ticket()

    outsider = api(engineer_a).post(
        f"{URL}/{ticket.pk}/assign", {"assignee_id": engineer_b.pk}, content_type="application/json"
    )
    by_customer = api(customer_a).post(f"{URL}/{ticket.pk}/assign", {}, content_type="application/json")
    cross_site = api(engineer_b).post(f"{URL}/{ticket.pk}/assign", {}, content_type="application/json")

    assert outsider.status_code == 422
    assert outsider.json()["errors"][0]["loc"] == ["body", "assignee_id"]
    assert by_customer.status_code == 403
    assert not_found(cross_site)
    own = api(engineer_a).post(f"{URL}/{ticket.pk}/assign", {}, content_type="application/json")
    assert (own.status_code, own.json()["assignee"]["id"]) == (200, engineer_a.pk)


# comments


def test_it_hides_internal_notes_from_customers(api, make_ticket, customer_a, engineer_a):
    ticket = make_ticket("assigned", assignee=engineer_a)
    comment_create(ticket=ticket, author=engineer_a, body="Probably the roller", is_internal=True)
    comment_create(ticket=ticket, author=engineer_a, body="We are on it")

    customer_bodies = [c["body"] for c in api(customer_a).get(f"{URL}/{ticket.pk}/comments").json()]
    staff_bodies = [c["body"] for c in api(engineer_a).get(f"{URL}/{ticket.pk}/comments").json()]

    assert customer_bodies == ["We are on it"]
    assert staff_bodies == ["Probably the roller", "We are on it"]


def test_it_adds_replies_and_refuses_internal_notes_from_customers(api, make_ticket, customer_a):
    ticket = make_ticket()
    client = api(customer_a)

    reply = client.post(
        f"{URL}/{ticket.pk}/comments", {"body": "Still jamming"}, content_type="application/json"
    )
    note = client.post(
        f"{URL}/{ticket.pk}/comments", {"body": "psst", "is_internal": True}, content_type="application/json"
    )

    assert reply.status_code == 201
    assert reply.json()["author"]["id"] == customer_a.pk
    assert note.status_code == 403
    assert list(Comment.objects.values_list("body", flat=True)) == ["Still jamming"]


def test_it_hides_comments_of_other_sites(api, make_ticket, customer_a, customer_b):
    ticket = make_ticket()
    comment_create(ticket=ticket, author=customer_a, body="Still jamming")
    client = api(customer_b)

    assert not_found(client.get(f"{URL}/{ticket.pk}/comments"))
    assert not_found(
        client.post(f"{URL}/{ticket.pk}/comments", {"body": "hi"}, content_type="application/json")
    )
    assert [c["body"] for c in api(customer_a).get(f"{URL}/{ticket.pk}/comments").json()] == ["Still jamming"]


# attachments


def test_it_uploads_and_downloads_an_attachment_safely(api, make_ticket, customer_a):
    ticket = make_ticket()
    client = api(customer_a)

    upload = client.post(
        f"{URL}/{ticket.pk}/attachments",
        {"file": SimpleUploadedFile("error.log", b"<script>alert(1)</script>\n", content_type="text/html")},
    )
    assert upload.status_code == 201
    meta = upload.json()
    download = client.get(meta["download_url"])

    assert (meta["name"], meta["content_type"], meta["size"]) == ("error.log", "text/plain", 26)
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="error.log"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert download["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content) == b"<script>alert(1)</script>\n"
    assert [item["id"] for item in client.get(f"{URL}/{ticket.pk}/attachments").json()] == [meta["id"]]


def test_it_refuses_a_disguised_upload_with_a_field_error(api, make_ticket, customer_a):
    ticket = make_ticket()

    response = api(customer_a).post(
        f"{URL}/{ticket.pk}/attachments", {"file": SimpleUploadedFile("photo.png", b"not a png at all")}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "file"]


def test_it_hides_attachments_of_other_sites(
    api, make_ticket, customer_a, customer_b, engineer_a, engineer_b
):
    ticket = make_ticket()
    meta = (
        api(customer_a)
        .post(f"{URL}/{ticket.pk}/attachments", {"file": SimpleUploadedFile("a.txt", b"hello")})
        .json()
    )
    outsider = api(customer_b)

    assert not_found(outsider.get(meta["download_url"]))
    assert not_found(api(engineer_b).get(meta["download_url"]))
    assert not_found(outsider.get(f"{URL}/{ticket.pk}/attachments"))
    assert not_found(
        outsider.post(f"{URL}/{ticket.pk}/attachments", {"file": SimpleUploadedFile("b.txt", b"hi")})
    )
    # Site A's engineer reaches the same file and list.
    staff = api(engineer_a)
    assert b"".join(staff.get(meta["download_url"]).streaming_content) == b"hello"
    assert [item["id"] for item in staff.get(f"{URL}/{ticket.pk}/attachments").json()] == [meta["id"]]


# similar cases and AI


def test_it_finds_similar_resolved_cases_of_the_same_site(
    api, make_ticket, engineer_a, customer_a, engineer_b
):
    past = make_ticket(
        "resolved", title="Printer jams every morning", resolution="Replaced the pickup roller."
    )
    index_ticket(past.pk)
    ticket = make_ticket(title="Printer on floor 2 jams")

    cases = api(engineer_a).get(f"{URL}/{ticket.pk}/similar").json()

    assert cases[0]["key"] == f"ticket:{past.pk}"
    assert all(case["site_id"] in (ticket.site_id, None) for case in cases)
    assert api(customer_a).get(f"{URL}/{ticket.pk}/similar").status_code == 403
    assert not_found(api(engineer_b).get(f"{URL}/{ticket.pk}/similar"))


def test_it_runs_ai_triage_on_request(api, make_ticket, engineer_a, customer_a, engineer_b):
    ticket = make_ticket()

    assert not_found(api(engineer_b).post(f"{URL}/{ticket.pk}/ai/categorize"))
    assert api(customer_a).post(f"{URL}/{ticket.pk}/ai/categorize").status_code == 403
    response = api(engineer_a).post(f"{URL}/{ticket.pk}/ai/categorize")

    assert response.status_code == 200
    event = ticket.events.get(kind=TicketEvent.Kind.AI_TRIAGE)
    assert response.json()["message"] == event.message
    assert response.json()["provider"] == event.data.get("provider")


def test_it_answers_409_when_a_person_already_triaged_the_ticket(api, make_ticket, engineer_a):
    ticket = make_ticket("assigned", assignee=engineer_a)

    response = api(engineer_a).post(f"{URL}/{ticket.pk}/ai/categorize")

    assert response.status_code == 409
    assert not ticket.events.filter(kind=TicketEvent.Kind.AI_TRIAGE).exists()


def test_it_drafts_a_grounded_reply(api, make_ticket, engineer_a, customer_a, engineer_b):
    past = make_ticket(
        "resolved", title="Printer jams every morning", resolution="Replaced the pickup roller."
    )
    index_ticket(past.pk)
    ticket = make_ticket(title="Printer on floor 2 jams")

    assert not_found(api(engineer_b).post(f"{URL}/{ticket.pk}/ai/draft"))
    assert api(customer_a).post(f"{URL}/{ticket.pk}/ai/draft").status_code == 403
    response = api(engineer_a).post(f"{URL}/{ticket.pk}/ai/draft")

    assert response.status_code == 200
    draft = response.json()
    assert draft["body"]
    event = TicketEvent.objects.get(pk=draft["event_id"], ticket=ticket, kind=TicketEvent.Kind.AI_DRAFT)
    assert [source["key"] for source in draft["sources"]] == [
        key for key in event.data["sources"] if key in {s["key"] for s in draft["sources"]}
    ]


# audit trail and CSAT


def test_it_shows_the_audit_trail_to_staff_only(api, make_ticket, engineer_a, customer_a, engineer_b):
    ticket = make_ticket()

    kinds = [event["kind"] for event in api(engineer_a).get(f"{URL}/{ticket.pk}/events").json()]

    assert kinds == ["created"]
    assert api(customer_a).get(f"{URL}/{ticket.pk}/events").status_code == 403
    assert not_found(api(engineer_b).get(f"{URL}/{ticket.pk}/events"))


def test_it_takes_one_csat_rating_from_the_requester(api, make_ticket, customer_a, customer_b, engineer_a):
    ticket = make_ticket("resolved", assignee=engineer_a)
    client = api(customer_a)

    first = client.post(
        f"{URL}/{ticket.pk}/review", {"rating": 5, "comment": "Fast!"}, content_type="application/json"
    )
    again = client.post(f"{URL}/{ticket.pk}/review", {"rating": 1}, content_type="application/json")

    assert first.status_code == 201
    assert api(customer_a).get(f"{URL}/{ticket.pk}").json()["review"]["rating"] == 5
    assert again.status_code == 409
    assert not_found(
        api(customer_b).post(f"{URL}/{ticket.pk}/review", {"rating": 1}, content_type="application/json")
    )


def test_it_refuses_a_rating_out_of_range_or_too_early(api, make_ticket, customer_a):
    client = api(customer_a)
    open_ticket = make_ticket()

    out_of_range = client.post(
        f"{URL}/{open_ticket.pk}/review", {"rating": 6}, content_type="application/json"
    )
    too_early = client.post(f"{URL}/{open_ticket.pk}/review", {"rating": 4}, content_type="application/json")

    assert out_of_range.status_code == 422
    assert out_of_range.json()["errors"][0]["loc"][-1] == "rating"
    assert too_early.status_code == 409


def test_it_lists_the_categories(api, customer_a):
    slugs = [category["slug"] for category in api(customer_a).get(f"{URL}/categories").json()]

    assert "printers" in slugs
