"""The SPICE guest agent for an Xspice display: spice-vdagentd + spice-vdagent on the driver's sockets."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from spiceview_lab.procs import LabProcessError, spawn, stop_child, tail
from spiceview_lab.xspice_conf import VdagentPaths


def _wait(ready: Callable[[], bool], alive: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if not alive():
            raise LabProcessError(f"{what} died; log tail:\n{tail(log)}")
        if time.monotonic() > deadline:
            raise LabProcessError(f"{what} not ready in {timeout:.0f} s; log tail:\n{tail(log)}")
        time.sleep(0.02)


def _running(proc: subprocess.Popen) -> Callable[[], bool]:
    return lambda: proc.poll() is None


class Vdagent:
    """spice-vdagentd and spice-vdagent for one Xspice display; files under workdir.

    Started after Xorg listens on paths.virtio and made the paths.uinput FIFO. Both run with -d: their
    logs (vdagentd_log, vdagent_log) are how tests see that a client reached the agent.
    """

    def __init__(self, paths: VdagentPaths, workdir: Path, display: str) -> None:
        self.paths = paths
        self.udcs = workdir / "vdagent.udcs"
        self.transfer_dir = workdir / "transfer"
        self.vdagentd_log = workdir / "vdagentd.log"
        self.vdagent_log = workdir / "vdagent.log"
        self.display = display
        self.vdagentd: subprocess.Popen | None = None
        self.vdagent: subprocess.Popen | None = None

    def start(self, env: dict[str, str], server_alive: Callable[[], bool], timeout: float = 10.0) -> None:
        self.transfer_dir.mkdir(exist_ok=True)
        virtio = self.paths.virtio
        _wait(virtio.exists, server_alive, timeout, f"Xspice (waiting for {virtio})", self.vdagentd_log)
        self.vdagentd = spawn(
            [
                "spice-vdagentd",
                "-d",
                "-f",
                "-x",
                "-X",
                "-S",
                str(self.udcs),
                "-s",
                str(self.paths.virtio),
                "-u",
                str(self.paths.uinput),
            ],
            env=env,
            log=self.vdagentd_log,
        )
        _wait(self.udcs.exists, _running(self.vdagentd), timeout, "spice-vdagentd", self.vdagentd_log)
        # No session bus here: keep GIO from trying dbus-launch.
        agent_env = {**env, "DISPLAY": self.display, "DBUS_SESSION_BUS_ADDRESS": "disabled:"}
        self.vdagent = spawn(
            [
                "spice-vdagent",
                "-d",
                "-x",
                "-s",
                str(self.paths.virtio),
                "-S",
                str(self.udcs),
                "-f",
                str(self.transfer_dir),
                "-o",
                "0",
            ],
            env=agent_env,
            log=self.vdagent_log,
        )
        # vdagentd opens the virtio socket once an X session agent reported its resolution; only then does
        # the server tell clients that an agent is there.
        _wait(
            lambda: "opening vdagent virtio channel" in self.vdagentd_log.read_text(errors="replace"),
            lambda: self.alive() and server_alive(),
            timeout,
            "spice-vdagent(d)",
            self.vdagentd_log,
        )
        if "Fatal error opening" in self.vdagentd_log.read_text(errors="replace"):
            raise LabProcessError(f"spice-vdagentd could not open {virtio}:\n{tail(self.vdagentd_log)}")

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in (self.vdagentd, self.vdagent))

    def stop(self) -> None:
        # Agent first (it is the vdagentd client), then the daemon.
        for proc in (self.vdagent, self.vdagentd):
            if proc is not None:
                stop_child(proc, timeout=3.0)

    def client_seen(self) -> bool:
        """True once a SPICE client's connection reached spice-vdagentd through the server."""
        return self.vdagentd_log.exists() and "New client connected" in self.vdagentd_log.read_text(errors="replace")
