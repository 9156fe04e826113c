"""Waiting in a test while Qt runs: the event loop turned until a condition holds (spiceview's windows in-process)."""

from __future__ import annotations

import time
from collections.abc import Callable


def pump(qt_application, done: Callable[[], object], timeout: float, what: str) -> object:  # noqa: ANN001
    """Process Qt events until done() is true (and return its value); AssertionError naming `what` after timeout s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        qt_application.processEvents()
        value = done()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
