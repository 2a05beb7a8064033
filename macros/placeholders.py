"""The fixed set of placeholders a macro's text may use, checked when it is saved and filled when applied.

Filling is a plain substitution of known names, never `str.format`: a macro's author must not reach
attributes of the objects behind the values, and a brace the check let through stays as typed rather than
failing at apply time.
"""

from __future__ import annotations

import re

from helpdesk.models import User
from tickets.models import Ticket

PLACEHOLDERS = {
    "requester_first_name": "the requester's first name",
    "requester_name": "the requester's full name",
    "ticket_id": "the ticket number",
    "ticket_title": "the ticket's subject",
    "site_name": "the ticket's site",
    "engineer_first_name": "your first name (whoever applies the macro)",
    "engineer_name": "your full name",
}
_TOKEN = re.compile(r"\{([^{}]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    """The `{...}` tokens of `text` that are not placeholders, in order, once each."""
    found = [name for name in _TOKEN.findall(text) if name not in PLACEHOLDERS]
    return list(dict.fromkeys(found))


def _first_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.first_name or user.display_name


def placeholder_values(*, ticket: Ticket, engineer: User) -> dict[str, str]:
    requester = ticket.requester
    return {
        "requester_first_name": _first_name(requester),
        "requester_name": requester.display_name,
        "ticket_id": str(ticket.pk),
        "ticket_title": ticket.title,
        "site_name": ticket.site.name,
        "engineer_first_name": _first_name(engineer),
        "engineer_name": engineer.display_name,
    }


def fill(text: str, values: dict[str, str]) -> str:
    return _TOKEN.sub(lambda match: values.get(match.group(1), match.group(0)), text)
