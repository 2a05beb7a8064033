"""Macros of site A, site B and global, and a ticket of site A that an engineer is working on."""

import pytest

from macros.models import Macro
from testing.factories import category, ticket_in_state


@pytest.fixture
def ticket_a(site_a, customer_a, engineer_a):
    return ticket_in_state("in_progress", site=site_a, requester=customer_a, assignee=engineer_a)


@pytest.fixture
def macro_a(site_a, engineer_a):
    return Macro.objects.create(
        site=site_a,
        name="Printer fixed",
        body="Hi {requester_first_name}, ticket #{ticket_id} at {site_name} is fixed. {engineer_first_name}",
        set_state="waiting_on_customer",
        set_category=category("printers"),
        set_priority="high",
        add_tags=["printer", "hardware"],
        created_by=engineer_a,
    )


@pytest.fixture
def macro_b(site_b, engineer_b):
    return Macro.objects.create(site=site_b, name="Birchwood hello", body="Hello from Birchwood.")


@pytest.fixture
def global_macro(admin_user):
    return Macro.objects.create(site=None, name="Need more detail", body="Could you send a screenshot?")


@pytest.fixture
def make_new_ticket(site_a, customer_a):
    def _make(**fields):
        return ticket_in_state("new", site=site_a, requester=customer_a, **fields)

    return _make
