"""The admin insights page's time on the demo data, on a database of its own (never the dev one).

    .venv/bin/python bench/insights.py                    # prepare once, then time every page 20 times
    .venv/bin/python bench/insights.py --repeat 50 --reset

1. creates (or reuses) the database `bench_insights` on the embedded server, migrates it, loads the demo
   data, indexes it and runs the daily KB drafts job, so the page has clusters to rank;
2. times GET of the insights page (all sites and one site; the last 30 days and the last 365 days) and
   its CSV export in-process with Django's test client (no network, no server), counting the queries;
3. times the admin overview and the chat insights pages in the same run, as the baseline.
Prints one JSON line per page: median and 90th percentile in milliseconds, and the queries per request.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bench_database_url(name: str, *, reset: bool) -> str:
    """A database of its own on the embedded server (started if needed), as a DATABASE_URL."""
    from urllib.parse import quote

    import psycopg

    from helpdesk.database import embedded_database_config

    config = embedded_database_config(Path(os.environ.get("HELPDESK_VAR_DIR", ROOT / "var")) / "pgdata")
    if name == config["NAME"]:
        raise SystemExit(f"refusing to benchmark the development database {name!r}")
    with psycopg.connect(
        host=config["HOST"], port=config["PORT"], user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reset:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or reset:
            connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@{quote(config['HOST'], safe='')}:{config['PORT']}/{name}"


def prepare() -> None:
    from django.core.management import call_command

    from demo.loader import demo_load
    from knowledge.tasks import article_drafts_propose
    from tickets.models import Ticket

    call_command("migrate", interactive=False, verbosity=0)
    if not Ticket.objects.exists():
        demo_load()
        call_command("reindex", "--no-progress", verbosity=0)
        article_drafts_propose()


def timed(client, url: str, params: dict, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)  # warm: templates, URL resolver, first connection
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url, params)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {
        "url": url,
        "params": params,
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(statistics.quantiles(times, n=10)[-1], 1),
        "queries": len(queries.captured_queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="bench_insights")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = bench_database_url(args.database, reset=args.reset)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone

    from helpdesk.models import Site, User

    prepare()
    client = Client()
    client.force_login(User.objects.filter(role=User.Role.ADMIN).order_by("pk").first())
    today = timezone.localdate()
    site = Site.objects.order_by("name").first()
    pages = []
    for days in (30, 365):
        start = f"{today - timedelta(days=days - 1):%Y-%m-%d}"
        for chosen in ("", site.pk):
            params = {"site": chosen, "start": start, "end": f"{today:%Y-%m-%d}"}
            pages.append(("/insights/", params))
        pages.append(("/insights/export.csv", {"start": start, "end": f"{today:%Y-%m-%d}"}))
    pages += [("/tickets/overview/", {}), ("/chat/insights/", {})]
    for url, params in pages:
        sys.stdout.write(json.dumps(timed(client, url, params, args.repeat)) + "\n")


if __name__ == "__main__":
    main()
