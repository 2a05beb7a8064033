"""Playwright fixtures for browser tests: Debian's Chromium (never a downloaded browser) against live_server.

Use `browser_page` (a fresh context and page per test, pointed at the live server) and `screenshot(name)`
to save numbered PNGs under test-artifacts/<test name>/. A last screenshot is saved when the test ends,
pass or fail. Mark such tests with @pytest.mark.browser. `page_for` opens a page logged in as a user on a
server of chat's `asgi_server` fixture.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
UNSAFE_CHARACTERS = re.compile(r"[^\w.-]+")


def _flushed_without_post_migrate(item) -> bool:
    """A serialized-rollback test's flush skips post_migrate, so nothing (not even content types) is put
    back until the next such test; a plain transactional flush re-creates content types itself."""
    marker = item.get_closest_marker("django_db")
    serialized = marker is not None and bool(marker.kwargs.get("serialized_rollback"))
    return serialized or "django_db_serialized_rollback" in getattr(item, "fixturenames", ())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush, put back the rows migrations seeded (categories...).

    pytest-django reloads them only at the start of the next serialized-rollback test, so a kept test
    database (--reuse-db) would otherwise start later sessions without them. The serialized copy exists
    when the session holds a test asking for it (every browser test does, through browser_page).
    """
    result = yield
    if _flushed_without_post_migrate(item):
        from django.db import connection
        from pytest_django.plugin import blocking_manager_key

        contents = getattr(connection, "_test_serialized_contents", None)
        # After the session's last test the test database is gone and the connection points at the
        # real one again: never load the migrated rows there.
        on_test_database = connection.settings_dict["NAME"] == connection.creation._get_test_db_name()
        if contents and on_test_database:
            with item.config.stash[blocking_manager_key].unblock():
                connection.creation.deserialize_db_from_string(contents)
    return result


@pytest.fixture
def chromium_browser(monkeypatch):
    """Chromium for one test. Playwright's sync API runs an event loop in this thread while it lives, and
    the test's own ORM calls stay synchronous, so Django's async-safety guard stands down until it stops.
    """
    from playwright.sync_api import sync_playwright

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run scripts/ensure_chromium (apt-get install chromium)."
        )
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts_dir(request) -> Path:
    folder = ARTIFACTS / UNSAFE_CHARACTERS.sub("_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser_page(django_db_serialized_rollback, live_server, chromium_browser, artifacts_dir):
    """A page at the live server's address: `page.goto("/tickets/")` works with relative URLs.

    live_server needs a transactional database, whose teardown empties every table; the serialized
    rollback puts back what migrations seeded (categories...) so later tests still find it.
    """
    context = chromium_browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    page.screenshot(path=str(artifacts_dir / "final.png"), full_page=True)
    context.close()


@pytest.fixture
def screenshot(browser_page, artifacts_dir):
    """Save a numbered full-page screenshot of the browser page: screenshot("ticket-created")."""
    taken = []

    def _take(name: str) -> Path:
        taken.append(name)
        path = artifacts_dir / f"{len(taken):02d}-{UNSAFE_CHARACTERS.sub('_', name)}.png"
        browser_page.screenshot(path=str(path), full_page=True)
        return path

    return _take


def page_for(chromium_browser, server, user):
    """A page of its own browser context, logged in as `user` on `server` (an `asgi_server()`)."""
    context = chromium_browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    context.add_cookies([{"name": "sessionid", "value": server.login(user), "url": server.url}])
    return context.new_page()
