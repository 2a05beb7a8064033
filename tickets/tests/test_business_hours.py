"""SLA due times count a site's business hours, in its time zone, when it has set them
(administration's site page); a site without hours keeps the round-the-clock due times."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from tickets.selectors import business_deadline, sla_due_times
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(site_a):
    """Alder works 09:00-17:00 London time, Monday to Friday."""
    site_a.time_zone = "Europe/London"
    site_a.business_hours_start, site_a.business_hours_end = time(9), time(17)
    site_a.business_days = [0, 1, 2, 3, 4]
    site_a.save()
    return site_a


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_it_counts_round_the_clock_without_business_hours(site_a):
    start = utc(2026, 12, 4, 16, 0)  # a Friday
    assert sla_due_times(site=site_a, priority="urgent", start=start) == (
        utc(2026, 12, 4, 16, 30),
        utc(2026, 12, 4, 20, 0),
    )


def test_it_carries_the_rest_over_the_weekend(office):
    # Friday 16:00 London (UTC in winter): one hour left that day, the other three on Monday morning.
    assert business_deadline(site=office, start=utc(2026, 12, 4, 16, 0), minutes=240) == utc(
        2026, 12, 7, 12, 0
    )


def test_it_starts_the_clock_when_the_office_opens(office):
    # Saturday night: nothing counts until Monday 09:00.
    assert business_deadline(site=office, start=utc(2026, 12, 5, 23, 0), minutes=30) == utc(
        2026, 12, 7, 9, 30
    )


def test_it_reads_the_hours_in_the_sites_time_zone(office):
    # In July London is UTC+1: 09:00 local opens at 08:00 UTC.
    assert business_deadline(site=office, start=utc(2026, 7, 6, 6, 0), minutes=60) == utc(2026, 7, 6, 9, 0)


def test_a_new_tickets_due_times_follow_the_hours(office, customer_a):
    ticket = ticket_create(site=office, requester=customer_a, title="Printer", description="Jammed.")
    assert ticket.first_response_due_at == business_deadline(
        site=office, start=ticket.created_at, minutes=240
    )
