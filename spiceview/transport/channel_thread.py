"""Each channel's I/O loop runs on its own plain thread.

A plain thread rather than a QThread: the loop is Python (selectors, sockets) and runs no Qt event loop, so
nothing Qt offers a thread would be used. What must reach the GUI leaves the loop as a signal
(channels/signals.py), delivered on the thread that listens.
"""

from __future__ import annotations

import threading

from .channel_loop import ChannelLoop


class ChannelThread:
    def __init__(self, loop: ChannelLoop, name: str) -> None:
        self.loop = loop
        self.name = name
        self._thread = threading.Thread(target=loop.run, name=f"spice-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout_ms: int) -> bool:
        """Wait for the loop to end; True when it has (or never started)."""
        if self._thread.ident is None:
            return True
        self._thread.join(timeout_ms / 1000)
        return not self._thread.is_alive()

    def is_finished(self) -> bool:
        return self._thread.ident is None or not self._thread.is_alive()
