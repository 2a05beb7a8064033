"""The embedded database killed with -9 (power cut, OOM killer): the next start recovers, or says what to do.

Each test runs its own temporary embedded server (never var/) in a folder the `pgserver` user can use.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from django.conf import settings

WRITE_AND_COUNT = """
import sys
from pathlib import Path
import psycopg
from helpdesk.database import embedded_database_config
config = embedded_database_config(Path(sys.argv[1]))
with psycopg.connect(host=config["HOST"], port=config["PORT"], user="postgres", dbname=config["NAME"],
                     autocommit=True) as connection:
    connection.execute("CREATE TABLE IF NOT EXISTS probe (note text)")
    if sys.argv[2] == "write":
        connection.execute("INSERT INTO probe VALUES ('committed before the crash')")
    print(connection.execute("SELECT count(*) FROM probe").fetchone()[0])
"""


def run(*args: str, var_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HELPDESK_VAR_DIR": str(var_dir), "PYTHONPATH": str(settings.BASE_DIR)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


def wait_until_gone(pid: int) -> None:
    deadline = time.monotonic() + 60
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.2)  # a killed postmaster is a zombie until init reaps it
    assert not psutil.pid_exists(pid)


@pytest.fixture
def var_dir():
    path = Path(tempfile.mkdtemp(prefix="helpdesk-crash-"))
    path.chmod(0o777)
    yield path
    pid_file = path / "pgdata" / "postmaster.pid"
    if pid_file.exists():
        pid = postmaster_pid(path / "pgdata")
        if psutil.pid_exists(pid) and "postgres" in psutil.Process(pid).name():
            os.kill(pid, signal.SIGINT)
            wait_until_gone(pid)
    shutil.rmtree(path, ignore_errors=True)


def test_it_recovers_committed_data_after_the_postmaster_is_killed(var_dir):
    pgdata = var_dir / "pgdata"
    first = run("-c", WRITE_AND_COUNT, str(pgdata), "write", var_dir=var_dir)
    assert first.stdout.strip() == "1", first.stderr
    pid = postmaster_pid(pgdata)
    os.kill(pid, signal.SIGKILL)
    wait_until_gone(pid)

    check = run("manage.py", "check", "--database", "default", var_dir=var_dir)
    assert check.returncode == 0, check.stderr
    assert postmaster_pid(pgdata) != pid
    assert "automatic recovery in progress" in (pgdata / "log").read_text()
    again = run("-c", WRITE_AND_COUNT, str(pgdata), "read", var_dir=var_dir)
    assert again.stdout.strip() == "1", again.stderr


def test_it_says_what_to_do_when_a_stale_pid_file_points_at_another_process(var_dir):
    pgdata = var_dir / "pgdata"
    assert run("-c", WRITE_AND_COUNT, str(pgdata), "write", var_dir=var_dir).returncode == 0
    pid_file = pgdata / "postmaster.pid"
    stale = pid_file.read_text()
    pid = postmaster_pid(pgdata)
    os.kill(pid, signal.SIGKILL)
    wait_until_gone(pid)
    # After a reboot the old pid may belong to any live process: here, this test's own.
    pid_file.write_text(stale.replace(str(pid), str(os.getpid()), 1))

    result = run("manage.py", "check", "--database", "default", var_dir=var_dir)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert str(pid_file) in lines[0]
    pid_file.unlink()
