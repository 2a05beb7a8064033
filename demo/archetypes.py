"""The recurring problems behind the demo tickets.

An archetype is one real-world fault: how customers phrase it (several titles, several descriptions in
different words), the category and usual priority, and how the MSP fixes it. The fix is written per site
where the sites differ, so the same problem at the same site is always fixed the same way; that is what
grounded triage and reply drafts should learn from. `steps` are self-help steps (used by the chat
assistant when it deflects and by the KB); `question`/`answer` a clarifying exchange on the ticket.

The archetypes are fixtures/demo/source/archetypes.json, in the order the generator draws from them.
Slot values shared by several archetypes are written once under `slot_sets` and named by an
archetype's `slots`: problems on a shop floor (`shop_floor`) happen in a shop, on a till, not at head
office.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from demo.source import source_read


@dataclass(frozen=True)
class Archetype:
    key: str
    category: str
    priority: str
    titles: tuple[str, ...]
    descriptions: tuple[str, ...]
    resolution: dict[str, str]
    sites: tuple[str, ...] = ()
    weight: float = 1.0
    hours: tuple[float, float] = (1.0, 30.0)
    steps: tuple[str, ...] = ()
    question: str = ""
    answer: str = ""
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Titles and descriptions describe different sub-problems: the n-th title goes with the n-th description.
    paired: bool = False

    def resolution_for(self, site_slug: str) -> str:
        return self.resolution.get(site_slug) or self.resolution["*"]


_TUPLES = ("titles", "descriptions", "sites", "hours", "steps")


def _slots(value: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {slot: tuple(choices) for slot, choices in value.items()}


def archetypes_read() -> list[Archetype]:
    """The archetypes of the content file, with lists as the tuples the frozen dataclass holds."""
    data = source_read("archetypes")
    slot_sets = {name: _slots(value) for name, value in data["slot_sets"].items()}
    archetypes = []
    for row in data["archetypes"]:
        kwargs: dict[str, Any] = {k: tuple(v) if k in _TUPLES else v for k, v in row.items()}
        slots = kwargs.pop("slots", {})
        kwargs["slots"] = slot_sets[slots] if isinstance(slots, str) else _slots(slots)
        archetypes.append(Archetype(**kwargs))
    return archetypes


ARCHETYPES: list[Archetype] = archetypes_read()
ARCHETYPES_BY_KEY = {archetype.key: archetype for archetype in ARCHETYPES}
