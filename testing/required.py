"""With REQUIRE_ALL_TESTS=1 (`.ci/run` sets it) a skipped test is a failure: CI must run every test.

A skip says "this machine lacks something" (Debian's postgresql-15, say). On a developer's machine that is
a hint; in CI it would hide a test that never ran, so there it fails with the skip's own reason.
"""

from __future__ import annotations

import os

import pytest


def required() -> bool:
    return os.environ.get("REQUIRE_ALL_TESTS", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and required() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"REQUIRE_ALL_TESTS is set, so this skip fails the run: {reason}"
    return report
