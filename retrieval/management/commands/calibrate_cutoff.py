"""Derive the retrieval cut-off from the demo data: `manage.py calibrate_cutoff [--tickets PATH]`.

Reads the demo tickets from JSON and embeds them with the local embedder; needs no database rows and
never reads the eval set. The rule and the three distributions are described in `retrieval.calibration`.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from retrieval.calibration import DEMO_TICKETS, GRID, PERCENTILES, calibrate, percentiles
from retrieval.embedders import EmbedderUnavailable, get_embedder


class Command(BaseCommand):
    help = "Choose the cosine cut-off of similar_cases by balanced accuracy on the demo tickets."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=Path, default=DEMO_TICKETS, help="Demo tickets JSON")

    def handle(self, *args, tickets=DEMO_TICKETS, **options):
        try:
            embedder = get_embedder("local")
        except EmbedderUnavailable as error:
            raise CommandError(str(error)) from error
        found, cutoff = calibrate(embedder, tickets)
        header = " ".join(f"{'p' + str(p):>5}" for p in PERCENTILES)
        self.stdout.write(f"{embedder.model_name}, demo tickets {tickets}\n")
        self.stdout.write(f"{'distribution':<13} {'n':>4} {header}")
        for name, values in (
            ("answerable", found.answerable),
            ("not covered", found.not_covered),
            ("off-topic", found.off_topic),
        ):
            cells = " ".join(f"{v:>5.3f}" for v in percentiles(values).values())
            self.stdout.write(f"{name:<13} {len(values):>4} {cells}")
        self.stdout.write(
            f"\ncut-off {cutoff.value:.2f}: balanced accuracy {cutoff.balanced_accuracy:.3f}, "
            f"answerable kept {cutoff.kept:.3f}, not covered + off-topic dropped {cutoff.dropped:.3f} "
            f"(grid {GRID[0]:.2f}..{GRID[-1]:.2f} step 0.01)"
        )
