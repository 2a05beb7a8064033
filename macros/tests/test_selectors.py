import pytest

from macros.models import Macro, MacroUse
from macros.selectors import can_edit_macro, macro_suggestions, macros_for_ticket, macros_for_user
from testing.factories import PRINTER_HISTORY, indexed_history, new_ticket

pytestmark = pytest.mark.django_db


def test_it_shows_staff_their_sites_macros_and_the_global_ones_and_customers_none(
    macro_a, macro_b, global_macro, engineer_a, engineer_b, admin_user, customer_a
):
    assert set(macros_for_user(engineer_a)) == {macro_a, global_macro}
    assert set(macros_for_user(engineer_b)) == {macro_b, global_macro}
    assert set(macros_for_user(admin_user)) == {macro_a, macro_b, global_macro}
    assert list(macros_for_user(customer_a)) == []


def test_it_offers_on_a_ticket_only_its_sites_active_macros_and_the_global_ones(
    ticket_a, macro_a, macro_b, global_macro, admin_user
):
    Macro.objects.create(site=ticket_a.site, name="Retired", body="Old.", is_active=False)
    assert set(macros_for_ticket(ticket=ticket_a, user=admin_user)) == {macro_a, global_macro}


def test_it_lets_staff_edit_their_sites_macros_and_admins_the_global_ones(
    macro_a, global_macro, engineer_a, engineer_b, admin_user, customer_a
):
    assert can_edit_macro(engineer_a, macro_a)
    assert not can_edit_macro(engineer_b, macro_a)
    assert not can_edit_macro(engineer_a, global_macro)
    assert can_edit_macro(admin_user, global_macro)
    assert not can_edit_macro(customer_a, macro_a)


@pytest.fixture
def printer_history(site_a, customer_a):
    network = [("VPN keeps disconnecting", "The VPN drops every few minutes at home.", "Updated the client.")]
    return indexed_history(
        site=site_a, requester=customer_a, rows={"printers": PRINTER_HISTORY, "network": network}
    )


def _used(macro, tickets, engineer):
    for ticket in tickets:
        MacroUse.objects.create(macro=macro, ticket=ticket, site_id=ticket.site_id, used_by=engineer)


def test_it_suggests_the_macros_used_on_similar_tickets_with_the_reason(
    site_a, customer_a, engineer_a, printer_history, macro_a, global_macro
):
    spooler = Macro.objects.create(site=site_a, name="Restart spooler", body="Restarting the spooler.")
    vpn = Macro.objects.create(site=site_a, name="VPN client", body="Update the VPN client.")
    printers, network = printer_history[:4], printer_history[4:]
    _used(spooler, printers[:3], engineer_a)
    _used(macro_a, printers[:1], engineer_a)
    _used(vpn, network, engineer_a)
    ticket = new_ticket(site_a, customer_a, "Printer queue stuck", "Print jobs stay stuck in the queue.")
    suggestions = macro_suggestions(ticket=ticket, user=engineer_a)
    assert [s.macro for s in suggestions][:2] == [spooler, macro_a]
    assert suggestions[0].reason == "used on 3 similar tickets"
    assert suggestions[1].reason == "used on 1 similar ticket"
    assert len(suggestions) <= 3


def test_it_never_suggests_another_sites_macro_or_counts_another_sites_uses(
    site_a, site_b, customer_a, customer_b, engineer_a, engineer_b, printer_history, macro_b
):
    b_history = indexed_history(site=site_b, requester=customer_b, rows={"printers": PRINTER_HISTORY})
    _used(macro_b, b_history, engineer_b)
    ticket = new_ticket(site_a, customer_a, "Printer queue stuck", "Print jobs stay stuck in the queue.")
    assert macro_suggestions(ticket=ticket, user=engineer_a) == []
    b_ticket = new_ticket(site_b, customer_b, "Printer queue stuck", "Print jobs stay stuck in the queue.")
    assert macro_suggestions(ticket=b_ticket, user=engineer_a) == []  # not an engineer of site B
    assert [s.macro for s in macro_suggestions(ticket=b_ticket, user=engineer_b)] == [macro_b]
