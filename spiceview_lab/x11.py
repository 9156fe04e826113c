"""Small X11 facts shared by the servers: a clean environment and 'the server answers' checks."""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Callable

from spiceview_lab.procs import LabProcessError

# Variables that must not leak from the caller into our servers and clients: the Xspice driver's
# environment beats its xorg.conf, and a Wayland session would steer toolkits away from our DISPLAY.
_DROP_PREFIXES = ("XSPICE_", "QXL_")
_DROP = {"WAYLAND_DISPLAY", "XAUTHORITY", "DISPLAY"}


def clean_env(base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    return {k: v for k, v in env.items() if k not in _DROP and not k.startswith(_DROP_PREFIXES)}


def x_answers(number: int, timeout: float = 1.0) -> bool:
    """True if display :number accepts an X11 connection setup (no auth) over its unix socket."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(f"/tmp/.X11-unix/X{number}")
            # Setup request: little endian, protocol 11.0, no authorization.
            s.sendall(struct.pack("<BxHHHHxx", ord("l"), 11, 0, 0, 0))
            status = s.recv(1)
            return status == b"\x01"
    except OSError:
        return False


def wait_x_ready(number: int, *, timeout: float, alive: Callable[[], bool] | None = None) -> float:
    """Wait until display :number answers; raise LabProcessError if alive() turns False or on timeout."""
    t0 = time.monotonic()
    while not x_answers(number):
        if alive is not None and not alive():
            raise LabProcessError(f"X server :{number} died before answering")
        if time.monotonic() - t0 > timeout:
            raise LabProcessError(f"X server :{number} did not answer in {timeout:.0f} s")
        time.sleep(0.05)
    return time.monotonic() - t0
