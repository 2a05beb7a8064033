"""The admin pages' cast is the project's (an admin, site A's customer and engineer, site B's) plus the
resolved history triage learns from."""

import pytest
from django.test import Client

from testing.factories import triage_history


@pytest.fixture
def history(site_a, customer_a):
    return triage_history(site=site_a, requester=customer_a)


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def site_form():
    """The site page's fields as a browser posts them: Cedar Dental, every setting filled; `changes`
    replace fields (None leaves one out)."""

    def build(**changes) -> dict:
        data = {
            "name": "Cedar Dental",
            "slug": "cedar-dental",
            "kind": "clinic",
            "contact_name": "Cora Cedar",
            "contact_email": "cora@cedar.example",
            "is_active": "on",
            "addresses": "support@cedar.example",
            "time_zone": "Europe/London",
            "business_hours_start": "08:30",
            "business_hours_end": "17:30",
            "business_days": ["0", "1", "2", "3", "4"],
            "assistant_enabled": "on",
            "auto_triage_enabled": "on",
            "auto_triage_confidence": "0.8",
            "sla_urgent_first": "15",
            "sla_urgent_resolution": "120",
        }
        data.update(changes)
        return {key: value for key, value in data.items() if value is not None}

    return build
