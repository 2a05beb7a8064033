"""Derive the KB-draft clustering threshold from the demo data's labelled archetypes.

Rule (stated before the number): the cluster line is the lowest cosine similarity at which at least 90%
of the same-site pairs of resolved demo tickets above it share an archetype. The table also shows, per
threshold, the recall of same-archetype pairs and what average-linkage clustering makes of each site.
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand

from knowledge import drafting
from retrieval.embedders import get_embedder

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo" / "tickets.json"
TARGET_PRECISION = 0.9


class Command(BaseCommand):
    help = "Print the same- vs different-archetype similarity table of the demo tickets and the threshold."

    def handle(self, *args, **options):
        rows = [
            r
            for r in json.loads(FIXTURE.read_text())
            if r["state"] in ("resolved", "closed") and r["resolution"]
        ]
        vectors = drafting._embed(
            [drafting.case_text(r["title"], r["description"], r["resolution"]) for r in rows], get_embedder()
        )
        pairs = [
            (float(vectors[i] @ vectors[j]), rows[i]["archetype"] == rows[j]["archetype"])
            for i, j in combinations(range(len(rows)), 2)
            if rows[i]["site"] == rows[j]["site"]
        ]
        same_total = sum(same for _, same in pairs)
        self.stdout.write(
            f"{len(rows)} resolved tickets, {len(pairs)} same-site pairs, {same_total} same-archetype"
        )
        self.stdout.write("threshold  pairs>=  precision  recall  clusters>=3  pure-clusters  tickets-in")
        chosen = None
        for threshold in np.arange(0.40, 0.86, 0.05):
            above = [same for sim, same in pairs if sim >= threshold]
            precision = sum(above) / len(above) if above else 1.0
            recall = sum(above) / same_total if same_total else 0.0
            clusters = pure = covered = 0
            for site in sorted({r["site"] for r in rows}):
                idx = [i for i, r in enumerate(rows) if r["site"] == site]
                labels = drafting.cluster_labels(vectors[idx], similarity=float(threshold))
                for label, size in Counter(labels.tolist()).items():
                    if size < drafting.MIN_CLUSTER_SIZE:
                        continue
                    members = [rows[idx[k]]["archetype"] for k in np.flatnonzero(labels == label)]
                    clusters += 1
                    covered += size
                    pure += Counter(members).most_common(1)[0][1] / size >= TARGET_PRECISION
            if chosen is None and precision >= TARGET_PRECISION:
                chosen = round(float(threshold), 2)
            self.stdout.write(
                f"{threshold:9.2f}  {len(above):7d}  {precision:9.3f}  {recall:6.3f}  "
                f"{clusters:11d}  {pure:13d}  {covered:10d}"
            )
        self.stdout.write(f"chosen threshold (lowest with precision >= {TARGET_PRECISION}): {chosen}")
