"""`spiceview --screenshot`: connect without a window, wait for a complete frame of display 0, save a PNG.

A frame is complete once the primary surface exists, the server has sent MARK (the initial screen is all
there), and nothing has been drawn for `settle_ms`. A screen that never stops changing (a blinking text cursor,
a clock, a video) is captured anyway once it has had SETTLE_LIMIT_FACTOR x `settle_ms` (at least
MIN_SETTLE_LIMIT_S) to settle, and -v says so. With `delay_ms` the session stays connected that long
first, drawing whatever the server sends live.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..channels.signals import wait_for_events
from ..channels.spice_session import SpiceSession

if TYPE_CHECKING:
    from ..channels.display_channel import DisplayChannel

POLL_MS = 10
SETTLE_LIMIT_FACTOR = 5
MIN_SETTLE_LIMIT_S = 1.5
log = logging.getLogger(__name__)


@dataclass
class ScreenshotResult:
    ok: bool
    message: str
    seconds: float = 0.0


class ScreenshotTaker:
    def __init__(self, client: SpiceSession, path: str, settle_ms: int, delay_ms: int, timeout_s: float) -> None:
        self.client = client
        self.path = path
        self.settle = settle_ms / 1000.0
        self.delay = delay_ms / 1000.0
        self.timeout = timeout_s
        self.settle_limit = max(MIN_SETTLE_LIMIT_S, SETTLE_LIMIT_FACTOR * self.settle)
        self.result: ScreenshotResult | None = None
        self._announced = False
        self._start = 0.0
        self._waiting_since: float | None = None  # when the frame was complete and the delay over
        client.session_closed.connect(self._on_closed)
        # MARK wakes the wait at once (the frame is complete), rather than at the next poll: 5 ms on average of a
        # one-shot screenshot's whole run.
        client.display_added.connect(self._on_display)

    def run(self) -> ScreenshotResult:
        """Connect, look every POLL_MS (or as soon as the session signals something), until done."""
        self._start = time.monotonic()
        self.client.link_display_early = True  # while this thread loads the display's modules
        self.client.connect_session()
        load_display_modules()
        while self.result is None:
            wait_for_events(POLL_MS / 1000)
            if self.result is None:
                self._poll()
        return self.result

    def _on_display(self, display: DisplayChannel) -> None:
        display.marked.connect(self._on_marked)

    def _on_marked(self) -> None:
        pass  # delivered to this thread: the wait in run() returns and polls

    def _display0(self) -> DisplayChannel | None:
        for display in self.client.displays():
            if display.channel_id == 0:
                return display
        return None

    def _poll(self) -> None:
        now = time.monotonic()
        elapsed = now - self._start
        display = self._display0()
        if display is not None and display.error:
            self._finish(False, f"display channel failed: {display.error}")
            return
        surface = display.primary if display is not None else None
        ready = display is not None and surface is not None and display.mark_event.is_set()
        if ready and not self._announced:
            # Scripts that draw while connected wait for this line (spiceview -v) before they start.
            self._announced = True
            log.info("first frame of display 0 received after %.3f s", elapsed)
        if display is not None and surface is not None and ready and elapsed >= self.delay:
            if self._waiting_since is None:
                self._waiting_since = now
            settled = now - display.last_draw >= self.settle
            waited = now - self._waiting_since
            if settled or waited >= self.settle_limit:
                from ..canvas.png import write_png

                write_png(surface.rgb_copy(), self.path)
                how = "" if settled else f"; the screen kept changing, captured after {waited:.1f} s of it"
                self._finish(True, f"wrote {self.path} ({surface.width}x{surface.height}){how}")
                return
        if elapsed > self.timeout + self.delay:
            why = "no display channel" if display is None else "no complete frame"
            self._finish(False, f"timed out after {self.timeout:.0f} s: {why}")

    def _on_closed(self, error: str) -> None:
        if self.result is None:
            self._finish(False, error or "the server closed the session")

    def _finish(self, ok: bool, message: str) -> None:
        if self.result is not None:
            return
        self.result = ScreenshotResult(ok, message, time.monotonic() - self._start)


def load_display_modules() -> None:
    """Import the display channel's modules (numpy, the canvas, the codecs: ~60 ms, half of the imports) while the
    main channel links, then the first display (SpiceSession.link_display_early): the server spends ~10 ms of
    each link making an RSA key, and more on the first screen."""
    # The import holds the interpreter lock; the channel thread's few steps should not wait 5 ms for each turn.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        from ..canvas import png  # noqa: F401
        from ..channels import display_channel  # noqa: F401
    finally:
        sys.setswitchinterval(interval)


def take_screenshot(
    client: SpiceSession, path: str, settle_ms: int = 300, delay_ms: int = 0, timeout_s: float = 30.0
) -> ScreenshotResult:
    taker = ScreenshotTaker(client, path, settle_ms, delay_ms, timeout_s)
    try:
        return taker.run()
    finally:
        client.disconnect_session()
        client.wait_all(3000)
