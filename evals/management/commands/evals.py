"""`manage.py evals run|check|export|cleanup`: the eval suite's one entry point (docs/evals.md)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evals.datasets.loader import DatasetError
from evals.report import check_against_baseline, check_against_best_baseline, console_table
from evals.runner import SUITES, EvalsError, RunOptions, run_evals

DEFAULT_BASELINE = Path(__file__).resolve().parents[2] / "accepted" / "it-helpdesk.json"


class Command(BaseCommand):
    help = "Score triage, retrieval and replies on a dataset beside baselines; check or export datasets."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Run the suites on a dataset in throwaway sites and write a report.")
        run.add_argument(
            "--dataset", required=True, help="Dataset folder (meta.json, documents/queries.jsonl)"
        )
        run.add_argument(
            "--suite", default=",".join(SUITES), help="Comma-separated: triage,retrieval,replies"
        )
        run.add_argument(
            "--provider", choices=["offline", "openai"], default=None, help="Default: AI_PROVIDER"
        )
        run.add_argument("--out", default=None, help="Report folder (default var/evals/<run id>/)")
        run.add_argument("--compare", default=None, help="A previous report.json to show deltas against")
        run.add_argument("--limit", type=int, default=None, help="At most N queries per site (quick runs)")
        run.add_argument("--split", default=None, help="Only queries of this split (e.g. dev, test)")
        run.add_argument("--no-progress", action="store_true", help="No progress bars")
        run.add_argument(
            "--tickets-as-chats",
            action="store_true",
            help="Load every past ticket as a closed chat (a site whose history is conversations)",
        )
        run.add_argument("--cassette", default=None, help="openai: recording to replay (default per dataset)")
        run.add_argument("--record", action="store_true", help="openai: record the cassette (needs a key)")

        check = sub.add_parser("check", help="Fail when a headline score fell below the accepted baseline.")
        check.add_argument("--report", required=True)
        check.add_argument("--baseline", default=str(DEFAULT_BASELINE))
        check.add_argument(
            "--tolerance", type=float, default=None, help="Default: the baseline file's, or 0.02"
        )

        export = sub.add_parser("export", help="Write a dataset from a real site's history.")
        export.add_argument("--site", required=True, help="Site slug")
        export.add_argument("--out", required=True)

        sub.add_parser("cleanup", help="Delete throwaway eval sites a killed run left behind.")

    def handle(self, *args, action, **options):
        return getattr(self, f"handle_{action}")(**options)

    def handle_run(
        self,
        *,
        dataset,
        suite,
        provider,
        out,
        compare,
        limit,
        split,
        no_progress,
        cassette,
        record,
        tickets_as_chats=False,
        **_,
    ):
        suites = [name.strip() for name in suite.split(",") if name.strip()]
        unknown = set(suites) - set(SUITES)
        if unknown or not suites:
            raise CommandError(f"--suite takes {', '.join(SUITES)}; got {suite!r}")
        options = RunOptions(
            dataset=Path(dataset),
            suites=suites,
            provider=provider,
            out=Path(out) if out else None,
            compare=Path(compare) if compare else None,
            limit=limit,
            split=split,
            progress=not no_progress,
            cassette=Path(cassette) if cassette else None,
            record=record,
            tickets_as_chats=tickets_as_chats,
        )
        try:
            report = run_evals(options, echo=self.stdout.write)
        except (DatasetError, EvalsError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(console_table(report))
        self.stdout.write(f"\nReport: {report['run']['out']}/report.html ({report['run']['duration_s']} s)")
        violations = report["details"]["isolation"]["violations"]
        if violations:
            raise CommandError(
                f"Isolation violated: {violations} result(s) or citation(s) from another site."
            )

    def handle_check(self, *, report, baseline, tolerance, **_):
        try:
            current = json.loads(Path(report).read_text(encoding="utf-8"))
            accepted = json.loads(Path(baseline).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise CommandError(f"Cannot read report or baseline: {error}") from error
        tolerance = accepted.get("tolerance", 0.02) if tolerance is None else tolerance
        failures = check_against_baseline(current, accepted, tolerance) + check_against_best_baseline(
            current, accepted.get("best_baseline_tolerance", 0.0)
        )
        if failures:
            raise CommandError("Eval regression:\n  " + "\n  ".join(failures))
        self.stdout.write(
            f"OK: {len(accepted.get('scores', {}))} headline scores within {tolerance} of {baseline}, "
            "none below the best baseline of the same run"
        )

    def handle_export(self, *, site, out, **_):
        from evals.export import export_site

        summary = export_site(site_slug=site, out=Path(out))
        self.stdout.write(
            f"Wrote {summary['documents']} documents and {summary['queries']} queries to {out} "
            f"({', '.join(f'{k}: {v}' for k, v in summary['query_sources'].items()) or 'no queries'})"
        )

    def handle_cleanup(self, **_):
        from evals.sandbox import Sandbox, leftover_sites

        sites = list(leftover_sites())
        for site in sites:
            Sandbox(run_id="cleanup", sites={site.slug: site}).destroy()
        self.stdout.write(f"Removed {len(sites)} leftover eval site(s).")
