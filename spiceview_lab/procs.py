"""Start processes in their own session and stop them by PID (never by name)."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from spiceview_lab.ports import port_accepts


class LabProcessError(RuntimeError):
    """A lab process died or did not come up in time."""


def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen:
    """Start argv in a new session (a terminal's Ctrl+C must not kill it behind our back: we stop it).

    Output goes to `log` (appended) or is discarded.
    """
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115 (child keeps it)
    try:
        return subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        if log is not None:
            out.close()


def start_time(pid: int) -> int | None:
    """The kernel start time of pid (field 22 of /proc/PID/stat), to detect PID reuse; None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _state_and_ppid(pid: int) -> tuple[str, int] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def is_running(pid: int, started: int | None = None) -> bool:
    """True if pid exists, is not a zombie and (if given) still has the same start time."""
    st = _state_and_ppid(pid)
    if st is None or st[0] in ("Z", "X"):
        return False
    return started is None or start_time(pid) == started


def children(pid: int) -> list[int]:
    """Direct children of pid, found by scanning /proc (works without CONFIG_PROC_CHILDREN)."""
    kids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            st = _state_and_ppid(int(entry.name))
            if st is not None and st[1] == pid:
                kids.append(int(entry.name))
    return sorted(kids)


def signal_pid(pid: int, sig: int, started: int | None = None) -> bool:
    """Send sig to pid unless it is gone or was reused by another process; True if sent."""
    if not is_running(pid, started):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
        return True
    return False


def wait_gone(pid: int, timeout: float, started: int | None = None) -> bool:
    """Wait until pid is gone (or a zombie: its parent reaps it); True if it went."""
    deadline = time.monotonic() + timeout
    while is_running(pid, started):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def stop_pid(pid: int, *, started: int | None = None, timeout: float = 5.0) -> None:
    """SIGTERM, wait, then SIGKILL a process that is not our child (e.g. Xorg under the Xspice wrapper)."""
    if signal_pid(pid, signal.SIGTERM, started) and not wait_gone(pid, timeout, started):
        signal_pid(pid, signal.SIGKILL, started)
        wait_gone(pid, 2.0, started)


def stop_child(proc: subprocess.Popen, *, timeout: float = 5.0, sig: int = signal.SIGTERM) -> int | None:
    """Stop a Popen child by its PID (SIGTERM then SIGKILL) and reap it; returns its exit code."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
    return proc.returncode


def tail(path: Path | None, lines: int = 40) -> str:
    """The last lines of a log file (for error messages)."""
    if path is None:
        return ""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def wait_for_port(
    port: int,
    *,
    timeout: float,
    alive: Callable[[], bool] | None = None,
    what: str = "server",
    log: Path | None = None,
) -> float:
    """Wait until 127.0.0.1:port accepts TCP; raise LabProcessError (with the log tail) on death/timeout.

    Returns the seconds waited.
    """
    t0 = time.monotonic()
    while not port_accepts(port):
        if alive is not None and not alive():
            raise LabProcessError(f"{what} died before port {port} opened; log tail:\n{tail(log)}")
        if time.monotonic() - t0 > timeout:
            raise LabProcessError(f"{what}: port {port} not open after {timeout:.0f} s; log:\n{tail(log)}")
        time.sleep(0.05)
    return time.monotonic() - t0


# Servers still running at interpreter exit (an exception escaped, sys.exit in the demo...) get stopped.
_live: dict[int, object] = {}


def register(server: object) -> None:
    """Track an object with stop() so it is stopped at interpreter exit if nobody else did."""
    _live[id(server)] = server


def unregister(server: object) -> None:
    _live.pop(id(server), None)


@atexit.register
def _stop_all() -> None:
    for server in list(_live.values()):
        with contextlib.suppress(Exception):
            server.stop()  # type: ignore[attr-defined]
    _live.clear()
