"""Derive the retrieval cut-off from the demo data: `manage.py calibrate_cutoff`.

Reads the demo tickets and chats from JSON and embeds them with the local embedder; needs no database rows
and never reads the eval set. The rule and the distributions are described in `retrieval.calibration`.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from retrieval.calibration import (
    DEMO_CONVERSATIONS,
    DEMO_TICKETS,
    KEEP_ANSWERABLE,
    PERCENTILES,
    best_balanced_accuracy,
    calibrate,
    percentiles,
)
from retrieval.embedders import EmbedderUnavailable, get_embedder


class Command(BaseCommand):
    help = "Choose the cosine cut-off of similar_cases from the demo tickets (keeps 95% of answerable ones)."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=Path, default=DEMO_TICKETS, help="Demo tickets JSON")
        parser.add_argument("--conversations", type=Path, default=DEMO_CONVERSATIONS, help="Demo chats JSON")

    def handle(self, *args, tickets=DEMO_TICKETS, conversations=DEMO_CONVERSATIONS, **options):
        try:
            embedder = get_embedder("local")
        except EmbedderUnavailable as error:
            raise CommandError(str(error)) from error
        found, cutoff = calibrate(embedder, tickets, conversations)
        self.stdout.write(f"{embedder.model_name}, {tickets.name} + {conversations.name}, leave-one-out\n")
        header = " ".join(f"{'p' + str(p):>5}" for p in PERCENTILES)
        self.stdout.write(f"{'distribution':<21} {'n':>4} {header}")
        rows = [(f"answerable {s}", v) for s, v in found.answerable.items()]
        rows.append(("answerable (all)", found.positives()))
        rows += [(f"not covered {s}", v) for s, v in found.not_covered.items()]
        rows += [("off-topic", found.off_topic), ("not covered+off-topic", found.negatives())]
        for name, values in rows:
            cells = " ".join(f"{v:>5.3f}" for v in percentiles(values).values())
            self.stdout.write(f"{name:<21} {len(values):>4} {cells}")
        balanced = best_balanced_accuracy(found.positives(), found.negatives())
        self.stdout.write(
            f"\ncut-off {cutoff.value:.2f} (highest keeping >= {KEEP_ANSWERABLE:.0%} of answerable): "
            f"answerable kept {cutoff.kept:.3f}, not covered + off-topic dropped {cutoff.dropped:.3f}, "
            f"balanced accuracy {cutoff.balanced_accuracy:.3f}\n"
            f"for comparison, max balanced accuracy {balanced.balanced_accuracy:.3f} at {balanced.value:.2f} "
            f"(kept {balanced.kept:.3f}, dropped {balanced.dropped:.3f})"
        )
