"""The production release steps work: collectstatic with the hashed, compressed storage."""

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings


def test_it_collects_static_files_under_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "helpdesk.example",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "vendor/bootstrap/bootstrap.min.css" in manifest
    assert any((tmp_path / "static" / "vendor" / "bootstrap").glob("bootstrap.min.*.css.gz"))


def q_cluster(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "Q_RETRY", "Q_TIMEOUT"}}
    result = subprocess.run(
        [sys.executable, "-c", "import json, config.settings as s; print(json.dumps(s.Q_CLUSTER))"],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_it_uses_the_database_broker_unless_redis_is_configured():
    default = q_cluster()
    assert default["orm"] == "default" and "redis" not in default
    assert default["retry"] > default["timeout"]
    redis = q_cluster(REDIS_URL="redis://redis.internal:6379/0", Q_RETRY="30", Q_TIMEOUT="20")
    assert redis["redis"] == "redis://redis.internal:6379/0" and "orm" not in redis
    assert (redis["retry"], redis["timeout"]) == (30, 20)
