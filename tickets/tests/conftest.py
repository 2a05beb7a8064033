"""Tickets in any state for the lifecycle, assignment and page tests; uploads land in a temporary folder."""

import pytest
from django.utils import timezone

from tickets.models import Category, Ticket
from tickets.services import ticket_create


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def printers(db):
    # Seeded by a data migration, but a browser test's transactional flush may have emptied the table.
    return Category.objects.get_or_create(slug="printers", defaults={"name": "Printers"})[0]


@pytest.fixture
def make_ticket(site_a, customer_a):
    """A ticket of site A put straight into a state (setup only; the services are what tests exercise)."""

    def _make(
        state="new", *, assignee=None, site=None, requester=None, title="Printer jams on floor 2", **fields
    ):
        ticket = ticket_create(
            site=site or site_a,
            requester=requester or customer_a,
            title=title,
            description="Paper jams every morning on the second floor printer.",
        )
        now = timezone.now()
        extra = {"state": state, "assignee": assignee, **fields}
        if state == "closed":
            extra.setdefault("closed_at", now)
        if state in ("resolved", "closed"):
            extra.setdefault("resolved_at", now)
            extra.setdefault("resolution", "Replaced the pickup roller.")
        Ticket.objects.filter(pk=ticket.pk).update(**extra)
        ticket.refresh_from_db()
        return ticket

    return _make
