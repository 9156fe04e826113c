"""LabXServer: what every lab X server shares (Xvfb, Xorg with the dummy driver, Xspice).

Its display name, the environment its X clients get, those clients (started with run_client, stopped by PID),
and the display number it reserved, given back when it stops.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from spiceview_lab import procs
from spiceview_lab.ports import DisplayReservation, clean_stale_display
from spiceview_lab.x11 import clean_env


class LabXServer:
    def __init__(self) -> None:
        self.display_number: int | None = None
        self.tmpdir: Path | None = None
        self.clients: list[subprocess.Popen] = []
        self._reservation: DisplayReservation | None = None

    @property
    def display(self) -> str:
        if self.display_number is None:
            raise RuntimeError(f"{type(self).__name__} not started")
        return f":{self.display_number}"

    @property
    def env(self) -> dict[str, str]:
        """Environment for X clients of this display (no leftovers of the test's own, DISPLAY set)."""
        return {**clean_env(), "DISPLAY": self.display}

    def run_client(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, log: Path | None = None
    ) -> subprocess.Popen:
        """Start an X client on this display (tracked: stopped by PID in stop())."""
        assert self.tmpdir is not None
        if log is None:
            log = self.tmpdir / f"client-{len(self.clients)}-{Path(argv[0]).name}.log"
        proc = procs.spawn(argv, env={**self.env, **(env or {})}, log=log)
        self.clients.append(proc)
        return proc

    def _stop_clients(self) -> None:
        for proc in reversed(self.clients):  # the last started may lean on the earlier ones
            procs.stop_child(proc, timeout=2.0)
        self.clients.clear()

    def _release_display(self) -> None:
        """After the server process is gone: its lock files (if stale) and the reserved number."""
        if self.display_number is not None:
            clean_stale_display(self.display_number)
        if self._reservation is not None:
            self._reservation.release()
            self._reservation = None
