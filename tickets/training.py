"""Where a site's triage model finds labelled examples beyond its own tickets.

Tickets sit below chat and may not import it, yet a site's categorized closed conversations teach its
classifier too; so an app whose rows carry a category registers them here from its AppConfig.ready
(`register_example_source`), and `tickets.classifier` reads the site's tickets first and then each source
in the order it was registered. This module stays free of scikit-learn so registering costs nothing at
start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    """One labelled past case as a new one would be asked: whole, and by its title alone."""

    text: str
    title: str
    label: str


@dataclass(frozen=True)
class ExampleSource:
    """`examples(site=)`: the site's labelled rows of one kind, in a stable order.
    `changed_since(site=, since=)`: how many of them are new or relabelled after `since`, or every
    candidate row when `since` is None (a site with no model yet)."""

    examples: Callable[..., list[Example]]
    changed_since: Callable[..., int]


_SOURCES: dict[str, ExampleSource] = {}


def register_example_source(
    name: str, *, examples: Callable[..., list[Example]], changed_since: Callable[..., int]
) -> None:
    """Add a kind of labelled example under `name` (its count is kept with the model as
    `training_set[name]`); registering a name again replaces it."""
    _SOURCES[name] = ExampleSource(examples, changed_since)


def example_sources() -> dict[str, ExampleSource]:
    return dict(_SOURCES)
