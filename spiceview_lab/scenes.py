"""Real drawing in an X display (Xspice or Xvfb): pictures, text, shapes, and 'wait until it is still'.

Every function takes a server object (XspiceServer, XvfbServer): its run_client() tracks the clients so
they are stopped with the server.
"""

from __future__ import annotations

import shlex
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Protocol

import numpy as np

from spiceview_lab import xwd
from spiceview_lab.pixels import bgrx_from_rgb, save_ppm

FONT = "DejaVu Sans Mono"  # package fonts-dejavu-core
# An all-zero 16x16 XBM: as cursor and mask it is an invisible pointer.
BLANK_XBM = (
    "#define blank_width 16\n#define blank_height 16\n"
    "static unsigned char blank_bits[] = {\n" + ", ".join(["0x00"] * 32) + "};\n"
)


class XServer(Protocol):
    display: str

    @property
    def tmpdir(self) -> Path | None: ...

    def run_client(self, argv: list[str], **kw: object) -> subprocess.Popen: ...


def _x(display: str, *argv: str, timeout: float = 10.0) -> str:
    res = subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "DISPLAY": display},
    )
    if res.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} on {display} failed: {res.stderr.strip()}")
    return res.stdout


def _workdir(server: XServer) -> Path:
    return server.tmpdir if server.tmpdir is not None else Path(tempfile.mkdtemp(prefix="spiceview-scene-"))


def screen_size(display: str) -> tuple[int, int]:
    w, h = _x(display, "xdotool", "getdisplaygeometry").split()
    return int(w), int(h)


def hide_cursor(display: str, park: tuple[int, int] | None = None) -> None:
    """Blank the root window's cursor and park the pointer over the root (default: bottom-right pixel).

    Xspice draws the X pointer into the picture it sends while xwd leaves it out; pointer over a client
    window would show that window's own cursor, so park it where no window is.
    """
    with tempfile.TemporaryDirectory(prefix="spiceview-cursor-") as d:
        xbm = Path(d) / "blank.xbm"
        xbm.write_text(BLANK_XBM)
        _x(display, "xsetroot", "-cursor", str(xbm), str(xbm))
    if park is None:
        w, h = screen_size(display)
        park = (w - 1, h - 1)
    # Not `mousemove --sync`: it waits for a motion event, which never comes if the pointer is already there.
    _x(display, "xdotool", "mousemove", str(park[0]), str(park[1]))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        where = dict(kv.split(":") for kv in _x(display, "xdotool", "getmouselocation").split()[:2])
        if (int(where["x"]), int(where["y"])) == park:
            return
        time.sleep(0.02)
    raise RuntimeError(f"the pointer of {display} did not move to {park}")


def wait_mapped(display: str, title: str, timeout: float = 15.0) -> str:
    """Wait until a visible window named exactly title exists; returns its window id."""
    deadline = time.monotonic() + timeout
    while True:
        res = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "DISPLAY": display},
        )
        if res.returncode == 0 and res.stdout.split():
            return res.stdout.split()[0]
        if time.monotonic() > deadline:
            raise TimeoutError(f"no visible window {title!r} on {display} after {timeout:.0f} s")
        time.sleep(0.05)


def wait_idle(display: str, *, interval: float = 0.1, stable: int = 2, timeout: float = 15.0) -> np.ndarray:
    """Wait until `stable` consecutive xwd captures `interval` s apart are equal; returns the last one."""
    deadline = time.monotonic() + timeout
    last = xwd.capture(display)
    same = 1
    while same < stable:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{display} kept changing for {timeout:.0f} s")
        time.sleep(interval)
        cur = xwd.capture(display)
        same = same + 1 if np.array_equal(cur, last) else 1
        last = cur
    return last


# -- content -----------------------------------------------------------------------------------------


def make_photo(width: int = 320, height: int = 240, seed: int = 1) -> np.ndarray:
    """A photo-like test picture (BGRX): smooth gradients, sensor-like noise, soft and hard shapes.

    Lossy codecs (JPEG, QUIC) and smooth/hard edges both get exercised; deterministic for a seed.
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / max(1, width - 1), y / max(1, height - 1)
    r = 200 * u + 40 * np.sin(6 * v)
    g = 60 + 150 * v * (1 - 0.5 * u)
    b = 180 - 120 * u * v + 30 * np.cos(9 * u)
    img = np.stack([r, g, b], axis=-1)
    # A soft sun and a hard-edged box.
    d2 = (x - 0.7 * width) ** 2 + (y - 0.3 * height) ** 2
    sun = np.exp(-d2 / (2 * (0.12 * min(width, height)) ** 2))[..., None]
    img = img * (1 - sun) + np.array([255, 230, 120]) * sun
    x0, x1, y0, y1 = int(0.1 * width), int(0.35 * width), int(0.55 * height), int(0.9 * height)
    img[y0:y1, x0:x1] = (30, 90, 200)
    img += rng.normal(0, 6, img.shape)
    return bgrx_from_rgb(np.clip(img, 0, 255).astype(np.uint8))


def show_image(server: XServer, img: np.ndarray, x: int = 0, y: int = 0, title: str = "lab-image") -> subprocess.Popen:
    """Show a BGRX/RGB picture at (x, y) with ImageMagick `display` (no window manager: exact spot)."""
    path = save_ppm(img, _workdir(server) / f"{title}.ppm")
    proc = server.run_client(["display", "-title", title, "-geometry", f"+{x}+{y}", "-borderwidth", "0", str(path)])
    wait_mapped(server.display, title)
    return proc


def show_text(
    server: XServer,
    text: str,
    x: int = 0,
    y: int = 0,
    cols: int = 60,
    rows: int = 10,
    font_size: int = 12,
    title: str = "lab-text",
) -> subprocess.Popen:
    """An xterm with Xft text (DejaVu Sans Mono) printing text, then idling (cursor solid, no blink)."""
    script = 'printf "%s" "$1"; exec sleep infinity'
    proc = server.run_client(
        [
            "xterm",
            "-fa",
            FONT,
            "-fs",
            str(font_size),
            "-geometry",
            f"{cols}x{rows}+{x}+{y}",
            "-T",
            title,
            "-bw",
            "0",
            "+bc",
            "-e",
            "sh",
            "-c",
            script,
            "sh",
            text,
        ],
        env={"LC_ALL": "C.UTF-8"},
    )
    wait_mapped(server.display, title)
    return proc


def show_logo(server: XServer, x: int = 0, y: int = 0, size: int = 200, title: str = "lab-logo") -> subprocess.Popen:
    """xlogo drawn with RENDER (antialiased polygons)."""
    proc = server.run_client(["xlogo", "-render", "-title", title, "-geometry", f"{size}x{size}+{x}+{y}"])
    wait_mapped(server.display, title)
    return proc


def show_eyes(server: XServer, x: int = 0, y: int = 0, size: int = 150, title: str = "lab-eyes") -> subprocess.Popen:
    """xeyes: shapes that redraw when the pointer moves."""
    proc = server.run_client(["xeyes", "-title", title, "-geometry", f"{size}x{size}+{x}+{y}"])
    wait_mapped(server.display, title)
    return proc


def standard_scene(server: XServer, greeting: str = "Hello from spiceview's lab!\n") -> np.ndarray:
    """Logo, eyes, a terminal with text and a photo; cursor hidden; returns the settled xwd capture."""
    show_logo(server, 20, 20, 200)
    show_eyes(server, 240, 20, 150)
    show_text(server, greeting, 20, 260, cols=48, rows=8)
    show_image(server, make_photo(320, 240), 420, 260)
    hide_cursor(server.display)
    return wait_idle(server.display)
