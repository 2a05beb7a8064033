"""Print the precision and recall of duplicate flags on the demo data's known duplicates, per threshold,
and the threshold that `tickets.duplicates.choose_threshold`'s rule picks (docs/duplicates.md)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from retrieval.embedders import get_embedder
from tickets.duplicates import (
    DUPLICATE_WINDOW_DAYS,
    TARGET_PRECISION,
    calibrate,
    choose_threshold,
    labelled_pairs,
)

DEMO_TICKETS = Path(settings.BASE_DIR) / "fixtures" / "demo" / "tickets.json"


class Command(BaseCommand):
    help = "Calibrate the near-duplicate threshold on the demo tickets (pairs of one archetype)."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=Path, default=DEMO_TICKETS)
        parser.add_argument("--window-days", type=int, default=DUPLICATE_WINDOW_DAYS)

    def handle(self, *args, tickets: Path, window_days: int, **options):
        rows = json.loads(tickets.read_text())
        pairs = labelled_pairs(rows, embedder=get_embedder(), window_days=window_days)
        thresholds = [round(0.40 + 0.05 * step, 2) for step in range(11)]
        table = calibrate(pairs, thresholds)
        known = table[0].known
        self.stdout.write(
            f"{len(pairs)} pairs of one site's tickets created within {window_days} days; "
            f"{known} share an archetype (the known duplicates)."
        )
        self.stdout.write("| threshold | flagged | true flags | precision | recall |")
        self.stdout.write("| --- | --- | --- | --- | --- |")
        for row in table:
            self.stdout.write(
                f"| {row.threshold:.2f} | {row.flagged} | {row.true_flags} "
                f"| {row.precision:.2f} | {row.recall:.2f} |"
            )
        chosen = choose_threshold(table)
        self.stdout.write(
            f"Rule: the lowest threshold with precision >= {TARGET_PRECISION:.2f}: {chosen:.2f}"
        )
