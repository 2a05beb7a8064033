"""Fixtures for the chat: indexed resolved tickets (its uvicorn servers are `testing.asgi`)."""

from __future__ import annotations

import pytest

from knowledge.services import document_index_ticket
from testing.factories import resolved_printer_ticket


@pytest.fixture
def indexed_ticket(site_a, customer_a):
    """A resolved printer ticket of site A, indexed with the real local embedder."""
    ticket = resolved_printer_ticket(site=site_a, requester=customer_a)
    document_index_ticket(ticket=ticket)
    return ticket
