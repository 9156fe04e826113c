"""Free TCP ports and free X display numbers on this machine."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from pathlib import Path

HOST = "127.0.0.1"
X11_UNIX = Path("/tmp/.X11-unix")
# Our own reservations, so parallel test workers never pick the same display between "it is free" and
# "Xorg has taken its lock". flock() locks vanish with their process: no stale reservations.
RESERVATION_DIR = Path("/tmp/spiceview-lab-locks")
DISPLAY_RANGE = range(40, 600)


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports free on 127.0.0.1 (all bound at once, so the kernel can't repeat one)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (someone else may still take it: retry on bind errors)."""
    return free_ports(1)[0]


def listen_on_free_port(host: str = HOST, *, blocking: bool = True) -> socket.socket:
    """A listening TCP socket on the kernel's choice of free port (nobody can take it between check and bind);
    its port is `getsockname()[1]`. The lab's proxies listen so."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))
    listener.listen(16)
    listener.setblocking(blocking)
    return listener


def port_accepts(port: int, host: str = HOST, timeout: float = 0.2) -> bool:
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def lock_path(n: int) -> Path:
    return Path(f"/tmp/.X{n}-lock")


def lock_pid(n: int) -> int | None:
    """The PID written in /tmp/.X<n>-lock, or None if there is no readable lock."""
    try:
        return int(lock_path(n).read_text().strip())
    except (OSError, ValueError):
        return None


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _unix_listeners() -> set[str]:
    """Paths (abstract ones start with '@') of listening unix sockets, from /proc/net/unix."""
    names: set[str] = set()
    try:
        with open("/proc/net/unix") as f:
            next(f, None)
            for line in f:
                parts = line.split()
                if len(parts) >= 8:
                    names.add(parts[7])
    except OSError:
        pass
    return names


def display_in_use(n: int) -> bool:
    """True if display :n has a lock, a socket file, or a listener (unix or TCP 6000+n)."""
    if lock_path(n).exists() or (X11_UNIX / f"X{n}").exists():
        return True
    sock = f"/tmp/.X11-unix/X{n}"
    if {sock, "@" + sock} & _unix_listeners():
        return True
    return 6000 + n < 65536 and port_accepts(6000 + n)


def clean_stale_display(n: int) -> bool:
    """Remove the lock and socket of display :n if the PID in its lock is gone; True if removed.

    A killed X server leaves both behind; we never touch a display whose owner may still be alive.
    """
    pid = lock_pid(n)
    if pid is None or pid_exists(pid):
        return False
    if f"@/tmp/.X11-unix/X{n}" in _unix_listeners():
        return False  # someone listens anyway: not stale
    for p in (lock_path(n), X11_UNIX / f"X{n}"):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    return True


class DisplayReservation:
    """An X display number held for this process (flock); release() or process exit frees it."""

    def __init__(self, number: int, fd: int) -> None:
        self.number = number
        self._fd: int | None = fd

    @property
    def display(self) -> str:
        return f":{self.number}"

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock; the file stays (harmless, reused)
            self._fd = None

    def __del__(self) -> None:
        self.release()


def reserve_display(candidates: range = DISPLAY_RANGE) -> DisplayReservation:
    """Reserve the first display number that is free, cleaning stale locks of dead servers on the way."""
    RESERVATION_DIR.mkdir(mode=0o1777, exist_ok=True)
    for n in candidates:
        fd = os.open(RESERVATION_DIR / f"display-{n}", os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if display_in_use(n):
            clean_stale_display(n)
        if not display_in_use(n):
            return DisplayReservation(n, fd)
        os.close(fd)
    raise RuntimeError(f"no free X display in {candidates}")


def free_display(candidates: range = DISPLAY_RANGE) -> int:
    """A display number free right now (unreserved: prefer reserve_display() when starting a server)."""
    r = reserve_display(candidates)
    n = r.number
    r.release()
    return n
