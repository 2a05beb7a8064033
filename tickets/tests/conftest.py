"""Tickets in any state for the lifecycle, assignment and page tests, the indexed history that triage and
drafts learn from; uploads land in a temporary folder."""

import pytest

from testing.factories import ticket_in_state, triage_history
from tickets.models import Category


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

    def _make(state="new", *, site=None, requester=None, **fields):
        return ticket_in_state(state, site=site or site_a, requester=requester or customer_a, **fields)

    return _make


@pytest.fixture
def history(site_a, customer_a):
    """Resolved printer and network tickets of site A, indexed for real (test_classifier has its own)."""
    return triage_history(site=site_a, requester=customer_a)
