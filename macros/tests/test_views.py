import pytest
from django.urls import reverse

from macros.models import Macro, MacroUse
from tickets.models import Comment

pytestmark = pytest.mark.django_db


def _apply(client, ticket, macro):
    return client.post(reverse("macros:apply", args=[ticket.pk]), {"macro": macro.pk}, follow=True)


def test_it_lists_an_engineers_site_and_global_macros_only(login, engineer_a, macro_a, macro_b, global_macro):
    response = login(engineer_a).get(reverse("macros:list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Printer fixed" in content and "Need more detail" in content
    assert "Birchwood hello" not in content
    assert reverse("macros:edit", args=[macro_a.pk]) in content
    assert reverse("macros:edit", args=[global_macro.pk]) not in content  # global: admins edit it


def test_it_keeps_customers_out_of_the_macro_pages(login, customer_a, macro_a, ticket_a):
    client = login(customer_a)
    assert client.get(reverse("macros:list")).status_code == 403
    assert client.get(reverse("macros:create")).status_code == 403
    assert client.get(reverse("macros:edit", args=[macro_a.pk])).status_code == 403
    response = client.post(reverse("macros:apply", args=[ticket_a.pk]), {"macro": macro_a.pk})
    assert response.status_code == 403
    assert "Printer fixed" not in client.get(reverse("tickets:detail", args=[ticket_a.pk])).content.decode()


def test_it_creates_a_site_macro_and_refuses_an_unknown_placeholder_with_a_sentence(
    login, engineer_a, site_a
):
    client = login(engineer_a)
    data = {"name": "Greeting", "site": site_a.pk, "body": "Hi {first_name}", "is_active": "on"}
    response = client.post(reverse("macros:create"), data)
    assert response.status_code == 200
    assert "Unknown placeholder {first_name}: use one of {requester_first_name}" in response.content.decode()
    assert not Macro.objects.exists()
    data["body"] = "Hi {requester_first_name}"
    data["add_tags"] = "Greeting, first-contact"
    response = client.post(reverse("macros:create"), data)
    assert response.status_code == 302
    macro = Macro.objects.get()
    assert (macro.site, macro.add_tags, macro.created_by) == (
        site_a,
        ["first-contact", "greeting"],
        engineer_a,
    )


def test_it_lets_an_engineer_write_neither_global_macros_nor_another_sites(login, engineer_a, site_b):
    client = login(engineer_a)
    for site in ("", site_b.pk):
        response = client.post(reverse("macros:create"), {"name": "Sneaky", "site": site, "body": "Hi"})
        assert response.status_code == 200
    assert not Macro.objects.exists()


def test_it_edits_site_macros_for_their_staff_and_global_ones_for_admins(
    login, engineer_a, admin_user, macro_a, macro_b, global_macro
):
    client = login(engineer_a)
    assert client.get(reverse("macros:edit", args=[macro_b.pk])).status_code == 404
    assert client.get(reverse("macros:edit", args=[global_macro.pk])).status_code == 403
    response = client.post(
        reverse("macros:edit", args=[macro_a.pk]),
        {"name": "Printer fixed!", "body": "Fixed, {requester_first_name}.", "set_priority": "low"},
    )
    assert response.status_code == 302
    macro_a.refresh_from_db()
    assert (macro_a.name, macro_a.set_priority, macro_a.site_id) == ("Printer fixed!", "low", macro_a.site_id)
    client = login(admin_user)
    response = client.post(
        reverse("macros:edit", args=[global_macro.pk]), {"name": "Detail", "body": "More?"}
    )
    assert response.status_code == 302


def test_it_applies_a_macro_from_the_ticket_page(login, engineer_a, ticket_a, macro_a):
    client = login(engineer_a)
    page = client.get(reverse("tickets:detail", args=[ticket_a.pk])).content.decode()
    assert 'data-testid="macros"' in page and "Printer fixed" in page
    response = _apply(client, ticket_a, macro_a)
    assert "Macro “Printer fixed” applied." in response.content.decode()
    ticket_a.refresh_from_db()
    assert ticket_a.state == "waiting_on_customer"
    assert MacroUse.objects.get().used_by == engineer_a


def test_it_answers_404_across_sites(login, engineer_a, engineer_b, ticket_a, macro_a, macro_b):
    assert _apply(login(engineer_b), ticket_a, macro_a).status_code == 404
    assert _apply(login(engineer_a), ticket_a, macro_b).status_code == 404
    assert not MacroUse.objects.exists()


def test_it_says_why_a_macro_was_not_applied(login, engineer_a, make_new_ticket, macro_a):
    ticket = make_new_ticket()
    response = _apply(login(engineer_a), ticket, macro_a)
    assert (
        "The macro “Printer fixed” was not applied: A ticket cannot go from New to Waiting on customer."
        in (response.content.decode())
    )
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_it_says_a_macro_must_do_something(login, engineer_a, site_a):
    response = login(engineer_a).post(reverse("macros:create"), {"name": "Nothing", "site": site_a.pk})
    assert response.status_code == 200
    assert "A macro needs a reply text or at least one field change." in response.content.decode()
    assert not Macro.objects.exists()
