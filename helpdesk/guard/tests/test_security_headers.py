"""Every page carries the security headers, and no template holds inline code the CSP would block."""

import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines

from testing.pages import page_urls

NONCE = re.compile(r"'nonce-([^']+)'")


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP blocks: <script>/<style> without a src and the right nonce, style=
    attributes and on...= event handlers (a nonce never covers those two)."""

    def __init__(self, nonce: str | None):
        super().__init__()
        self.nonce = nonce
        self.offenders: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        executable = "src" not in attributes and attributes.get("type") != "application/json"
        if tag == "script" and executable and (self.nonce is None or attributes.get("nonce") != self.nonce):
            self.offenders.append(f"<script> without src or nonce: {self.get_starttag_text()}")
        if tag == "style" and (self.nonce is None or attributes.get("nonce") != self.nonce):
            self.offenders.append(f"<style> without nonce: {self.get_starttag_text()}")
        for name in attributes:
            if name == "style" or name.startswith("on"):
                self.offenders.append(f"inline {name}= attribute: {self.get_starttag_text()}")


def inline_code(html: str, nonce: str | None) -> list[str]:
    finder = InlineCodeFinder(nonce)
    finder.feed(html)
    return finder.offenders


def template_files() -> list[Path]:
    folders = {Path(folder) for engine in engines.all() for folder in engine.template_dirs}
    project = Path(settings.BASE_DIR)
    return sorted(
        path
        for folder in folders
        if project in folder.parents or folder == project
        if ".venv" not in folder.parts
        for path in folder.rglob("*.html")
    )


def test_it_finds_inline_code_that_the_policy_blocks():
    nonce = "abc"
    html = (
        '<script>alert(1)</script><script nonce="abc">ok()</script><script src="/static/a.js"></script>'
        '<style>p{}</style><p style="color:red" onclick="x()">'
    )
    assert len(inline_code(html, nonce)) == 4
    assert inline_code('<script nonce="abc">ok()</script><style nonce="abc">p{}</style>', nonce) == []


def test_it_keeps_every_template_free_of_inline_code_without_a_nonce():
    offenders = {}
    for path in template_files():
        source = path.read_text()
        # The nonce a template prints is the request's; stand in a fixed one to parse the markup.
        found = inline_code(source.replace("{{ request.csp_nonce }}", "NONCE"), "NONCE")
        if found:
            offenders[str(path.relative_to(settings.BASE_DIR))] = found
    assert template_files(), "no project templates found"
    assert offenders == {}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "customer_a", "engineer_a", "admin_user"])
def test_it_serves_every_page_with_a_policy_that_its_markup_satisfies(client, request, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    checked = 0
    for url in page_urls():
        response = client.get(url, follow=True)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy, url
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, url
        if "text/html" not in response.headers.get("Content-Type", "") or response.status_code >= 400:
            continue
        nonce = NONCE.search(policy).group(1)
        assert inline_code(response.content.decode(), nonce) == [], url
        checked += 1
    assert checked > 0


@pytest.mark.django_db
def test_it_sends_a_fresh_nonce_and_the_other_security_headers(client):
    first, second = client.get("/accounts/login/"), client.get("/accounts/login/")
    nonces = {NONCE.search(response["Content-Security-Policy"]).group(1) for response in (first, second)}
    assert len(nonces) == 2
    policy = first["Content-Security-Policy"]
    for directive in ("script-src 'self' 'nonce-", "object-src 'none'", "frame-ancestors 'none'"):
        assert directive in policy
    assert first["X-Frame-Options"] == "DENY"
    assert first["X-Content-Type-Options"] == "nosniff"
    assert first["Referrer-Policy"] == "same-origin"
    assert "camera=()" in first["Permissions-Policy"]
    assert client.get("/healthz")["Content-Security-Policy"].startswith("default-src 'self'")


def test_it_passes_the_deployment_checklist_under_production_settings():
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "helpdesk.example",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
