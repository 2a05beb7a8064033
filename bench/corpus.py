"""A realistic corpus for the load benchmarks, built once and kept as a template database.

    .venv/bin/python bench/corpus.py                       # builds bench_corpus_v1_2000 unless it exists
    .venv/bin/python bench/corpus.py --tickets-per-site 500 --rebuild

The demo data set (demo.loader: 5 sites, their people, ~470 resolved tickets, chats, KB articles), then
more resolved tickets written by the demo generator's own text helpers (its archetypes, slots, phrases,
typos and resolutions) up to `--tickets-per-site` per site, all indexed with the real local embedder
(`manage.py reindex --site`, one process per site in parallel). Embedding ~10k tickets takes minutes,
so the result is kept: it is built as `<name>_building` and renamed when complete, and the benchmarks
copy it (`CREATE DATABASE ... TEMPLATE`, seconds) for every run. Change CORPUS_VERSION when what is
built changes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

CORPUS_VERSION = 1
SEED = 20261202


def _server():
    from helpdesk.database import embedded_database_config

    return embedded_database_config(Path(os.environ.get("HELPDESK_VAR_DIR", BASE_DIR / "var")) / "pgdata")


def admin_connection():
    """An autocommit connection to the embedded server's `postgres` database (started if needed)."""
    import psycopg

    config = _server()
    return psycopg.connect(
        host=config["HOST"], port=config["PORT"], user="postgres", dbname="postgres", autocommit=True
    )


def database_url(name: str) -> str:
    config = _server()
    if name == config["NAME"]:
        raise SystemExit(f"refusing to benchmark the development database {name!r}")
    return f"postgresql://postgres@{quote(config['HOST'], safe='')}:{config['PORT']}/{name}"


def corpus_name(tickets_per_site: int) -> str:
    return f"bench_corpus_v{CORPUS_VERSION}_{tickets_per_site}"


def _exists(connection, name: str) -> bool:
    return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def corpus_ensure(*, tickets_per_site: int, rebuild: bool = False) -> str:
    """The template database's name, building it (in a child process with its own settings) if missing."""
    name = corpus_name(tickets_per_site)
    with admin_connection() as connection:
        if rebuild:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if _exists(connection, name):
            return name
        building = f"{name}_building"
        connection.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{building}"')
    env = {**os.environ, "DATABASE_URL": database_url(building), "DJANGO_SETTINGS_MODULE": "config.settings"}
    command = [sys.executable, __file__, "--fill", building, "--tickets-per-site", str(tickets_per_site)]
    subprocess.run(command, cwd=BASE_DIR, env=env, check=True)
    with admin_connection() as connection:
        connection.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return name


def database_from_corpus(*, name: str, corpus: str) -> str:
    """A fresh database `name` copied from the corpus template; returns its DATABASE_URL."""
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{corpus}"')
    return database_url(name)


def _more_tickets(tickets_per_site: int) -> int:
    """Resolved tickets written by the demo generator's helpers until every site has `tickets_per_site`."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from demo.generate import Generator
    from helpdesk.models import Site, User
    from tickets.models import Category, Ticket, TicketState

    generator = Generator(seed=SEED)
    rng = random.Random(SEED)
    categories = {category.slug: category for category in Category.objects.all()}
    now = timezone.now()
    made = 0
    for site in Site.objects.filter(slug__in=generator.sites):
        have = Ticket.objects.filter(site=site, state=TicketState.RESOLVED).count()
        people = {user.username: user for user in User.objects.filter(site=site, role=User.Role.CUSTOMER)}
        customers = [person for person in generator.customers[site.slug] if person["username"] in people]
        tickets = []
        for archetype in generator._plan(site.slug, max(tickets_per_site - have, 0)):
            requester = rng.choice(customers)
            slots = generator._slots(site.slug, archetype, requester)
            index = rng.randrange(len(archetype.titles))
            resolved_at = now - timedelta(days=rng.uniform(1, 720))
            ticket = Ticket(
                site=site,
                requester=people[requester["username"]],
                title=archetype.titles[index].format_map(slots)[:200],
                description=generator._description(archetype, slots, site.slug, index),
                category=categories.get(archetype.category),
                priority=archetype.priority,
                state=TicketState.RESOLVED,
                resolution=generator._resolution(archetype, slots, site.slug),
                resolved_at=resolved_at,
            )
            tickets.append(ticket)
        Ticket.objects.bulk_create(tickets, batch_size=500)
        made += len(tickets)
    return made


def _fill(tickets_per_site: int) -> None:
    """Load, then index each site in a process of its own (in parallel), then the global KB."""
    import django

    django.setup()
    from django.core.management import call_command

    from demo.loader import demo_load
    from helpdesk.models import Site
    from knowledge.services import index_site

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    demo_load()
    made = _more_tickets(tickets_per_site)
    manage = [sys.executable, str(BASE_DIR / "manage.py"), "reindex", "--no-progress", "--site"]
    indexing = [
        subprocess.Popen([*manage, slug], cwd=BASE_DIR)
        for slug in Site.objects.values_list("slug", flat=True)
    ]
    if any(process.wait() for process in indexing):
        raise SystemExit("indexing a site failed")
    stats = index_site(site=None)
    sys.stderr.write(
        f"corpus: {made} tickets added to the demo set; the last pass indexed {stats.indexed} documents "
        f"(global KB); {time.monotonic() - started:.0f} s in all\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets-per-site", type=int, default=2000)
    parser.add_argument("--rebuild", action="store_true", help="drop the kept corpus and build it again")
    parser.add_argument("--fill", metavar="DATABASE", help=argparse.SUPPRESS)
    options = parser.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if options.fill:
        _fill(options.tickets_per_site)
        return
    name = corpus_ensure(tickets_per_site=options.tickets_per_site, rebuild=options.rebuild)
    sys.stdout.write(f"{name}\n")


if __name__ == "__main__":
    main()
