import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import dj_database_url
import pytest
from django.conf import settings
from django.db import connection

from helpdesk.database import DatabaseUnavailable, verify_database


def test_it_has_pgvector_and_answers_a_nearest_neighbour_query(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        assert cursor.fetchone() is not None
        cursor.execute("CREATE TEMP TABLE probe (id int, embedding vector(3))")
        cursor.execute("INSERT INTO probe VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0.9,0.1,0]')")
        cursor.execute("SELECT id FROM probe ORDER BY embedding <=> '[1,0,0]' LIMIT 2")
        assert [row[0] for row in cursor.fetchall()] == [1, 3]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_explains_an_unreachable_database_in_one_line():
    result = run_manage("migrate", DATABASE_URL="postgresql://nobody:secret@127.0.0.1:1/nowhere")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: cannot connect to PostgreSQL at 127.0.0.1:1/nowhere")
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr


def test_it_refuses_a_database_url_that_is_not_postgresql():
    result = run_manage("migrate", DATABASE_URL="sqlite:///tmp/helpdesk.db")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: DATABASE_URL must be a postgresql:// URL to a server with the pgvector extension (got sqlite://...)."
    )


PLAIN_POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture
def postgres_without_pgvector():
    """Debian's PostgreSQL 15 (which has no pgvector here) started over TCP in a temp folder."""
    if not (PLAIN_POSTGRES_BIN / "initdb").exists():
        pytest.skip("Debian's postgresql-15 is not installed: no server without pgvector to test against")
    as_postgres_user = ["runuser", "-u", "pgserver", "--"] if os.geteuid() == 0 else []
    # Its own folder under /tmp: pytest's tmp_path is private to root, and the server runs as another user.
    tmp_path = Path(tempfile.mkdtemp(prefix="plain-postgres-"))
    tmp_path.chmod(0o777)
    data, port = tmp_path / "data", free_port()
    subprocess.run(
        [*as_postgres_user, PLAIN_POSTGRES_BIN / "initdb", "-D", data, "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {tmp_path} -c listen_addresses=127.0.0.1"
    subprocess.run(
        [
            *as_postgres_user,
            PLAIN_POSTGRES_BIN / "pg_ctl",
            "-D",
            data,
            "-o",
            options,
            "-l",
            tmp_path / "log",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    subprocess.run(
        [*as_postgres_user, PLAIN_POSTGRES_BIN / "pg_ctl", "-D", data, "-m", "fast", "stop"],
        capture_output=True,
    )
    shutil.rmtree(tmp_path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_reports_a_server_without_pgvector_in_one_line(postgres_without_pgvector):
    with pytest.raises(DatabaseUnavailable, match="has no pgvector extension"):
        verify_database(dj_database_url.parse(postgres_without_pgvector))
    result = run_manage("migrate", DATABASE_URL=postgres_without_pgvector)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    where = postgres_without_pgvector.removeprefix("postgresql://postgres@")
    assert lines[0].startswith(f"error: PostgreSQL at {where} has no pgvector extension. Install pgvector")
