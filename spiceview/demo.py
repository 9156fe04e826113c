"""spiceview-demo: a real Xspice server with a few X clients, shown in the spiceview viewer.

Everything runs on 127.0.0.1 and is stopped by PID when the viewer exits, on Ctrl+C or on SIGTERM.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

GREETING = (
    "Hello from spiceview!\n\n"
    "This terminal, the logo, the eyes and the picture\n"
    "run in an Xspice server on 127.0.0.1.\n"
)


def _size(text: str) -> tuple[int, int]:
    w, _, h = text.lower().partition("x")
    return int(w), int(h)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="spiceview-demo", description=__doc__)
    p.add_argument("--size", type=_size, default=None, help="guest screen size, e.g. 1280x800")
    p.add_argument("--image-compression", choices=["off", "auto_glz", "auto_lz", "quic", "glz", "lz"])
    p.add_argument("--no-viewer", action="store_true", help="only run the server; Ctrl+C stops it")
    return p.parse_args(argv)


def _populate(server: object) -> None:
    """Start the demo's X clients; a missing tool only loses its window."""
    from spiceview_lab import scenes

    parts = [
        ("xlogo", lambda: scenes.show_logo(server, 20, 20, 200)),
        ("xeyes", lambda: scenes.show_eyes(server, 240, 20, 150)),
        ("xterm", lambda: scenes.show_text(server, GREETING, 20, 260, cols=52, rows=8)),
        ("display", lambda: scenes.show_image(server, scenes.make_photo(320, 240), 460, 260)),
    ]
    for tool, start in parts:
        if shutil.which(tool) is None:
            print(f"spiceview-demo: {tool} not found, skipping its window", file=sys.stderr)
            continue
        try:
            start()
        except (OSError, RuntimeError, TimeoutError) as e:
            print(f"spiceview-demo: {tool} did not start: {e}", file=sys.stderr)


def _find_lab() -> bool:
    """The lab (spiceview_lab) lives beside the package in a checkout and is not installed with spiceview."""
    if importlib.util.find_spec("spiceview_lab") is not None:
        return True
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "spiceview_lab" / "__init__.py").is_file():
        sys.path.insert(0, str(checkout))
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if shutil.which("Xspice") is None:
        print("spiceview-demo needs Xspice: install the Debian/Ubuntu package xserver-xspice", file=sys.stderr)
        return 1
    if not _find_lab():
        print(
            "spiceview-demo runs from a checkout of spiceview: it uses the lab, which is not installed", file=sys.stderr
        )
        return 1
    from spiceview_lab.xspice import XspiceError, XspiceServer

    # SIGTERM becomes SystemExit so the finally below stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    server = XspiceServer(size=args.size, image_compression=args.image_compression)
    try:
        try:
            server.start()
        except XspiceError as e:
            print(f"spiceview-demo: Xspice did not start: {e}", file=sys.stderr)
            return 1
        _populate(server)
        print(f"Xspice on display {server.display}: {server.uri}", flush=True)
        if args.no_viewer:
            print("Connect a SPICE client to it; Ctrl+C stops the server.", flush=True)
            while server.alive():
                time.sleep(0.5)
            print("spiceview-demo: the server exited", file=sys.stderr)
            return 1
        return subprocess.call([sys.executable, "-m", "spiceview", server.uri])
    except KeyboardInterrupt:
        return 130
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
