import os
import subprocess
import sys

from django.conf import settings


def import_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SECRET_KEY", "DJANGO_DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_production_without_a_secret_key():
    result = import_settings(DJANGO_DEBUG="false", ALLOWED_HOSTS="helpdesk.example")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_it_refuses_production_without_allowed_hosts():
    result = import_settings(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_it_starts_in_production_mode_when_configured():
    result = import_settings(
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 50, ALLOWED_HOSTS="helpdesk.example"
    )
    assert result.returncode == 0, result.stderr


def test_it_rejects_a_malformed_boolean():
    result = import_settings(DJANGO_DEBUG="maybe")
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def test_it_rejects_a_number_that_is_not_one_with_a_sentence():
    for value in ("lots", "-5", "0"):
        result = import_settings(CHAT_MESSAGE_MAX_LENGTH=value)
        assert result.returncode != 0
        assert f"CHAT_MESSAGE_MAX_LENGTH must be a positive whole number, got '{value}'" in result.stderr
    assert import_settings(CHAT_FEED_POLL_SECONDS="0.25").returncode == 0
    assert (
        "CHAT_FEED_POLL_SECONDS must be a positive number"
        in import_settings(CHAT_FEED_POLL_SECONDS="x").stderr
    )


def test_each_product_setting_has_its_default_in_settings_only():
    """No module falls back to its own default (`getattr(settings, NAME, default)`): one place to read."""
    offenders = []
    for path in settings.BASE_DIR.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        if "getattr(settings," in path.read_text():
            offenders.append(str(path.relative_to(settings.BASE_DIR)))
    assert offenders == []
