"""Impact cues: the requester's own words saying that more than one person, or their work, is stopped.

Triage reads them on every new ticket, whatever its channel (chat, email, web, API). They can only raise
the priority, and never touch one a human chose: an engineer knows more than a phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tickets.models import Priority

# What a cue raises a ticket to (a ticket already at or above it is left alone).
IMPACT_PRIORITY = Priority.HIGH
PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]

_CANT = r"(?:can ?not|can't|cant|unable to|are unable to|is unable to)"
IMPACT_PATTERNS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # several people, other colleagues, many users, a few of us ...
        r"\b(?:several|many|multiple|other|a few|a lot of|lots of|more) "
        r"(?:people|persons|users|colleagues|coworkers|co-workers|employees|staff|of us)\b",
        r"\b(?:everyone|everybody|all users|all staff)\b",
        r"\b(?:the )?(?:whole|entire) (?:office|floor|team|department|building|company|site|branch)\b",
        r"\b(?:all|none) of us\b",
        r"\b(?:nobody|no one|no-one) (?:can|is able|here can|in the office)\b",
        rf"\b{_CANT} (?:do (?:any|my|our) )?work\b",
        r"\bwork is (?:blocked|stopped)\b",
    )
]


@dataclass(frozen=True)
class ImpactCue:
    """A cue found in the requester's words: the sentence it was in, for the reason shown to engineers."""

    quote: str

    def reason(self, priority: str) -> str:
        return f"Priority raised to {priority}: the customer wrote '{self.quote}'"


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def impact_cue(text: str) -> ImpactCue | None:
    """The first sentence of `text` that says others are affected or work is stopped, if any."""
    for sentence in _sentences(text.replace("\u2019", "'")):
        if any(pattern.search(sentence) for pattern in IMPACT_PATTERNS):
            quote = sentence.rstrip(".!;, ")
            return ImpactCue(quote=quote if len(quote) <= 160 else quote[:157].rstrip() + "...")
    return None


def raised_priority(current: str) -> str | None:
    """The priority a cue raises `current` to; None when `current` is already as high or higher."""
    if PRIORITY_ORDER.index(Priority(current)) >= PRIORITY_ORDER.index(IMPACT_PRIORITY):
        return None
    return IMPACT_PRIORITY.value
