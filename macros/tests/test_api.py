import pytest
from django.test import Client

from integrations.services import api_token_create
from macros.models import MacroUse
from testing.factories import indexed_history, new_ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/macros"


@pytest.fixture
def api():
    def _api(user) -> Client:
        return Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='tests').secret}"})

    return _api


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {macro["name"] for macro in response.json()}


def test_it_lists_each_users_macros_and_none_to_customers(
    api, engineer_a, admin_user, customer_a, site_b, macro_a, macro_b, global_macro
):
    assert names(api(engineer_a).get(URL)) == {"Printer fixed", "Need more detail"}
    assert names(api(admin_user).get(URL)) == {"Printer fixed", "Birchwood hello", "Need more detail"}
    assert names(api(admin_user).get(URL, {"site": site_b.pk})) == {"Birchwood hello", "Need more detail"}
    assert api(engineer_a).get(URL, {"site": site_b.pk}).status_code == 404
    assert api(customer_a).get(URL).status_code == 403
    body = api(engineer_a).get(URL).json()
    printer = next(macro for macro in body if macro["name"] == "Printer fixed")
    assert (printer["set_category"], printer["add_tags"]) == ("printers", ["printer", "hardware"])


def test_it_applies_a_macro_and_answers_404_across_sites(
    api, engineer_a, engineer_b, customer_a, ticket_a, macro_a, macro_b
):
    assert (
        api(engineer_b)
        .post(f"{URL}/{macro_a.pk}/apply", {"ticket": ticket_a.pk}, "application/json")
        .status_code
        == 404
    )
    assert (
        api(engineer_a)
        .post(f"{URL}/{macro_b.pk}/apply", {"ticket": ticket_a.pk}, "application/json")
        .status_code
        == 404
    )
    assert (
        api(customer_a)
        .post(f"{URL}/{macro_a.pk}/apply", {"ticket": ticket_a.pk}, "application/json")
        .status_code
        == 403
    )
    response = api(engineer_a).post(f"{URL}/{macro_a.pk}/apply", {"ticket": ticket_a.pk}, "application/json")
    assert response.status_code == 201, response.content
    use = MacroUse.objects.get()
    assert response.json()["id"] == use.pk and use.used_by == engineer_a
    ticket_a.refresh_from_db()
    assert ticket_a.state == "waiting_on_customer"


def test_it_refuses_an_illegal_move_with_409(api, engineer_a, make_new_ticket, macro_a):
    ticket = make_new_ticket()
    response = api(engineer_a).post(f"{URL}/{macro_a.pk}/apply", {"ticket": ticket.pk}, "application/json")
    assert response.status_code == 409
    assert response.json()["detail"] == "A ticket cannot go from New to Waiting on customer."
    assert not MacroUse.objects.exists()


def test_it_lists_no_suggestions_for_a_ticket_without_similar_uses(
    api, engineer_a, engineer_b, ticket_a, macro_a
):
    response = api(engineer_a).get(f"{URL}/tickets/{ticket_a.pk}/suggestions")
    assert (response.status_code, response.json()) == (200, [])
    assert api(engineer_b).get(f"{URL}/tickets/{ticket_a.pk}/suggestions").status_code == 404


def test_it_lists_a_tickets_suggestions_with_the_reason(api, site_a, customer_a, engineer_a, macro_a):
    past = indexed_history(
        site=site_a,
        requester=customer_a,
        rows={"printers": [("Printer queue stuck", "Print jobs stay stuck in the queue.", "Restarted it.")]},
    )
    MacroUse.objects.create(macro=macro_a, ticket=past[0], site=site_a, used_by=engineer_a)
    ticket = new_ticket(site_a, customer_a, "Print queue stuck", "Print jobs stay stuck in the queue.")
    response = api(engineer_a).get(f"{URL}/tickets/{ticket.pk}/suggestions")
    assert response.status_code == 200, response.content
    [suggestion] = response.json()
    assert (suggestion["macro"]["id"], suggestion["tickets"], suggestion["reason"]) == (
        macro_a.pk,
        1,
        "used on 1 similar ticket",
    )
