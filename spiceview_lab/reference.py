"""spice-gtk's spicy-screenshot (package spice-client-gtk) as the reference client for picture checks."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from spiceview_lab.pixels import load_ppm

# spice-gtk chatter that says nothing about the connection (no GStreamer audio elements here).
_NOISE = ("Failed to create pipeline", "G_IS_OBJECT")


class ReferenceClientError(RuntimeError):
    """spicy-screenshot could not connect or got no picture (message: its relevant stderr lines)."""


def spicy_screenshot(
    *,
    port: int | None = None,
    tls_port: int | None = None,
    password: str | None = None,
    ca_file: Path | None = None,
    host: str = "127.0.0.1",
    out: Path | None = None,
    timeout: float = 30.0,
) -> np.ndarray:
    """Connect with spicy-screenshot and return the first display as (H, W, 4) B,G,R,0xFF.

    TLS: spicy-screenshot has no --spice-ca-file; OpenSSL's SSL_CERT_FILE makes it trust ca_file
    (and hostname verification against 127.0.0.1 stays on).
    """
    argv = ["spicy-screenshot", "-h", host]
    if port is not None:
        argv += ["-p", str(port)]
    if tls_port is not None:
        argv += ["-s", str(tls_port)]
    if password is not None:
        argv += ["-w", password]
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}  # it needs no X display
    if ca_file is not None:
        env["SSL_CERT_FILE"] = str(ca_file)
    with tempfile.TemporaryDirectory(prefix="spiceview-spicy-") as d:
        path = out or Path(d) / "shot.ppm"
        res = subprocess.run([*argv, "-o", str(path)], capture_output=True, text=True, env=env, timeout=timeout, cwd=d)
        if res.returncode != 0 or not path.exists():
            lines = [ln for ln in res.stderr.splitlines() if ln.strip() and not any(n in ln for n in _NOISE)]
            raise ReferenceClientError(f"spicy-screenshot failed ({res.returncode}): " + "\n".join(lines[-6:]))
        return load_ppm(path)
