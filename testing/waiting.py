"""Waiting in tests on an event, never on the clock.

A test that sleeps a fixed time or asserts "within N seconds" measures the machine as much as the code
and flakes on a busy one. `wait_until` polls the condition the test really waits for; its ceiling only
stops a test that would otherwise hang, so it is generous (a minute) and never part of what is asserted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

CEILING_SECONDS = 60.0


def wait_until(condition: Callable[[], T], *, what: str, ceiling: float = CEILING_SECONDS) -> T:
    """Poll `condition` until it returns something truthy and return that; fail after `ceiling` seconds."""
    deadline = time.monotonic() + ceiling
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {ceiling:g} s waiting for {what}")
        time.sleep(0.1)
