"""Near-duplicate tickets: found in the worker after a ticket is saved, flagged on both tickets.

Open tickets are not in the retrieval index (it holds resolved and closed cases only), so a new ticket is
compared with its site's open tickets of the last DUPLICATE_WINDOW_DAYS by embedding both with the
site's embedder (`retrieval.embedders.get_embedder`) and taking the cosine similarity of the vectors
(they are L2-normalised, so it is a dot product). A pair at or above DUPLICATE_THRESHOLD is flagged.

The threshold is calibrated on the demo data, where every ticket carries its `archetype`: two tickets of
one site created within DUPLICATE_WINDOW_DAYS of each other are a known duplicate when they share an
archetype. `calibrate` prints precision and recall for each candidate threshold; the rule that picks
the number is stated in `choose_threshold` and the table is in docs/duplicates.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations

import numpy as np
from django.db import transaction
from django.db.models import Q

from helpdesk.models import User
from helpdesk.tenancy import scope_to_user
from retrieval.embedders import Embedder, get_embedder
from tickets.models import OPEN_STATES, DuplicateFlag, Ticket, TicketEvent
from tickets.selectors import ticket_text

logger = logging.getLogger(__name__)

# Chosen by `choose_threshold` on the demo data (docs/duplicates.md): re-run
# `manage.py duplicates_calibrate` after changing the embedder or the ticket text.
DUPLICATE_THRESHOLD = 0.50
DUPLICATE_WINDOW_DAYS = 3
# The precision a flag must have on the known duplicates: an engineer should rarely open a false one.
TARGET_PRECISION = 0.8


def _similarities(embedder: Embedder, text: str, others: list[str]) -> np.ndarray:
    vectors = embedder.embed([text, *others])
    return vectors[1:] @ vectors[0]


def duplicate_candidates(
    *, ticket: Ticket, embedder: Embedder | None = None, threshold: float = DUPLICATE_THRESHOLD
) -> list[tuple[Ticket, float]]:
    """Open tickets of the ticket's own site, created within the window around it, whose text is at
    least `threshold` similar to it; most similar first."""
    window = timedelta(days=DUPLICATE_WINDOW_DAYS)
    others = list(
        Ticket.objects.filter(
            site_id=ticket.site_id,
            state__in=OPEN_STATES,
            merged_into__isnull=True,
            created_at__gte=ticket.created_at - window,
            created_at__lte=ticket.created_at + window,
        )
        .exclude(pk=ticket.pk)
        .order_by("pk")
    )
    if not others:
        return []
    scores = _similarities(embedder or get_embedder(), ticket_text(ticket), [ticket_text(t) for t in others])
    found = [(other, float(score)) for other, score in zip(others, scores, strict=True) if score >= threshold]
    return sorted(found, key=lambda pair: -pair[1])


@transaction.atomic
def ticket_duplicates_detect(*, ticket_id: int, embedder: Embedder | None = None) -> list[DuplicateFlag]:
    """Flag the open near-duplicates of one ticket on both tickets; safe to run twice (one flag a pair)."""
    ticket = Ticket.objects.filter(pk=ticket_id, state__in=OPEN_STATES, merged_into__isnull=True).first()
    if ticket is None:
        return []
    flags = []
    for other, similarity in duplicate_candidates(ticket=ticket, embedder=embedder):
        first, second = sorted((ticket, other), key=lambda t: t.pk)
        flag, created = DuplicateFlag.objects.get_or_create(
            ticket=first,
            duplicate=second,
            defaults={
                "site_id": ticket.site_id,
                "similarity": round(similarity, 4),
                "same_requester": first.requester_id == second.requester_id,
            },
        )
        flags.append(flag)
        if not created:
            continue
        for this, that in ((first, second), (second, first)):
            TicketEvent.objects.create(
                ticket=this,
                site_id=this.site_id,
                kind=TicketEvent.Kind.DUPLICATE_FLAGGED,
                by_assistant=True,
                message=f"May be a duplicate of #{that.pk} {that.title} (similarity {similarity:.2f})",
                data={"duplicate_of": that.pk, "similarity": round(similarity, 4), "flag_id": flag.pk},
            )
    return flags


def open_duplicates_for(*, ticket: Ticket, user: User) -> list[dict]:
    """The open tickets flagged as near-duplicates of this one, as the user may see them, most similar
    first: what the engineer's ticket page offers to merge."""
    if not user.is_staff_member or ticket.state not in OPEN_STATES:
        return []
    flags = scope_to_user(
        DuplicateFlag.objects.filter(Q(ticket=ticket) | Q(duplicate=ticket)), user
    ).select_related("ticket", "duplicate")
    found = []
    for flag in flags.order_by("-similarity", "pk"):
        other = flag.duplicate if flag.ticket_id == ticket.pk else flag.ticket
        if other.state in OPEN_STATES and other.merged_into_id is None:
            found.append(
                {"ticket": other, "similarity": flag.similarity, "same_requester": flag.same_requester}
            )
    return found


# --- Calibration on the demo data


@dataclass(frozen=True)
class CalibrationRow:
    threshold: float
    flagged: int
    true_flags: int
    known: int

    @property
    def precision(self) -> float:
        return self.true_flags / self.flagged if self.flagged else 1.0

    @property
    def recall(self) -> float:
        return self.true_flags / self.known if self.known else 1.0


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def labelled_pairs(
    rows: list[dict], *, embedder: Embedder, window_days: int = DUPLICATE_WINDOW_DAYS
) -> list[tuple[float, bool]]:
    """(similarity, known duplicate) for every pair of one site's tickets created within the window;
    a pair is a known duplicate when both tickets have the same archetype."""
    texts = [f"{row['title']}\n\n{row['description']}" for row in rows]
    vectors = embedder.embed(texts)
    window = timedelta(days=window_days)
    pairs = []
    for i, j in combinations(range(len(rows)), 2):
        a, b = rows[i], rows[j]
        if a["site"] != b["site"] or abs(_moment(a["created_at"]) - _moment(b["created_at"])) > window:
            continue
        pairs.append((float(vectors[i] @ vectors[j]), a["archetype"] == b["archetype"]))
    return pairs


def calibrate(pairs: list[tuple[float, bool]], thresholds: list[float]) -> list[CalibrationRow]:
    known = sum(is_duplicate for _, is_duplicate in pairs)
    table = []
    for threshold in thresholds:
        flagged = [is_duplicate for score, is_duplicate in pairs if score >= threshold]
        table.append(CalibrationRow(threshold, len(flagged), sum(flagged), known))
    return table


def choose_threshold(table: list[CalibrationRow], *, target_precision: float = TARGET_PRECISION) -> float:
    """The rule: the lowest threshold whose precision on the known duplicates reaches the target (so
    as many duplicates as possible are caught while at most one flag in five is wrong); the highest
    threshold tried when none reaches it."""
    good = [row.threshold for row in table if row.flagged and row.precision >= target_precision]
    return min(good) if good else max(row.threshold for row in table)
