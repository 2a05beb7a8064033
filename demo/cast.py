"""Who and what the demo data is about: categories, the five client sites with their own IT, the people.

The content is fixtures/demo/source/cast.json. Each site's `it` dict fills the slots of the problem
archetypes (`{printer}`, `{vpn}`, ...). A slot whose value is a list is drawn once per ticket, so a
ticket's description and its resolution name the same device. Each engineer covers two or three sites;
one is on leave (`"is_available": false`). The first customer listed for a site is its usual contact.
"""

from __future__ import annotations

from typing import Any

from demo.source import source_read

_CAST = source_read("cast")

CATEGORIES: list[tuple[str, str, str]] = [
    (c["slug"], c["name"], c["description"]) for c in _CAST["categories"]
]
CATEGORY_SLUGS = [slug for slug, _, _ in CATEGORIES]
SITES: list[dict[str, Any]] = _CAST["sites"]
ADMIN: dict[str, str] = _CAST["admin"]
ENGINEERS: list[dict[str, Any]] = _CAST["engineers"]
# Customers per site: (first, last, job).
CUSTOMERS: dict[str, list[tuple[str, str, str]]] = {
    slug: [(p["first_name"], p["last_name"], p["job"]) for p in people]
    for slug, people in _CAST["customers"].items()
}
