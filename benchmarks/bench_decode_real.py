"""Decode throughput (MB/s of decoded 4-byte pixels, one core) on images a real Xspice compressed.

For each compression (QUIC, LZ, GLZ, LZ4) an Xspice at 1920x1080 is recorded by spiceview
(`--record-images`) while a full-screen photo, then a desktop-like scene (terminals full of text, logos,
a small picture) is drawn. The largest image of that type in each recording is then decoded repeatedly
(GLZ: after replaying the images it refers to into a fresh window).

    python3 benchmarks/bench_decode_real.py [--repeat 15] [--modes quic,lz,glz,lz4]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import _checkout  # noqa: F401 - first: the lab is imported from the checkout

from spiceview.canvas.recorder import read_manifest
from spiceview.codecs.glz import GlzWindow, decode_glz
from spiceview.codecs.lz import decode_lz
from spiceview.codecs.lz4 import decode_lz4
from spiceview.codecs.quic import decode_quic
from spiceview_lab.scenes import hide_cursor, make_photo, show_image, show_text, wait_idle
from spiceview_lab.xspice import XspiceServer

RESULTS = Path(__file__).parent / "results" / "decode_real.md"
MODES = {
    "quic": ({"image_compression": "quic"}, [], "QUIC"),
    "lz": ({"image_compression": "lz"}, [], "LZ_RGB"),
    "glz": ({"image_compression": "glz"}, [], "GLZ_RGB"),
    "lz4": ({"image_compression": "auto_glz"}, ["--preferred-compression", "lz4"], "LZ4"),
}
TEXT = "".join(f"{i:4d}  the quick brown fox jumps over the lazy dog; 0123456789 {{}}[]()<>\n" for i in range(60))


def draw_photo(server: XspiceServer) -> None:
    show_image(server, make_photo(1920, 1080, seed=7), 0, 0, title="photo")


def draw_desktop(server: XspiceServer) -> None:
    for i, (x, y) in enumerate([(0, 0), (960, 0), (0, 540), (960, 540)]):
        show_text(server, TEXT, x, y, cols=118, rows=33, title=f"term{i}")
    show_image(server, make_photo(320, 240, seed=3), 800, 420, title="pic")


def record(mode: str, scene: str, out: Path) -> None:
    server_opts, viewer_opts, _ = MODES[mode]
    with XspiceServer(size=(1920, 1080), **server_opts) as server:
        viewer = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "spiceview",
                "--screenshot",
                str(out / "shot.png"),
                "--delay-ms",
                "8000",
                "--record-images",
                str(out / "rec"),
                *viewer_opts,
                server.uri,
            ]
        )
        time.sleep(1.0)
        (draw_photo if scene == "photo" else draw_desktop)(server)
        hide_cursor(server.display)
        wait_idle(server.display)
        viewer.wait(60)


def bench(folder: Path, kind: str, repeat: int) -> tuple[float, int, int, int]:
    """(best seconds, median seconds, coded bytes, pixels) for the recorded image with the most coded data."""
    entries = read_manifest(folder)
    candidates = [e for e in entries if e["type"] == kind]
    if not candidates:
        raise SystemExit(f"no {kind} image recorded in {folder}")
    # The image carrying the most data is the drawn scene (the first, full-screen one is a blank screen).
    big = max(candidates, key=lambda e: (folder / e["file"]).stat().st_size)
    data = (folder / big["file"]).read_bytes()
    earlier = [(folder / e["file"]).read_bytes() for e in entries if e["type"] == "GLZ_RGB" and e["seq"] < big["seq"]]
    times = []
    for _ in range(repeat):
        if kind == "GLZ_RGB":
            window = GlzWindow(1 << 24)
            for blob in earlier:
                decode_glz(blob, window)
            start = time.perf_counter()
            decode_glz(data, window)
        elif kind == "QUIC":
            start = time.perf_counter()
            decode_quic(data)
        elif kind == "LZ_RGB":
            start = time.perf_counter()
            decode_lz(data)
        else:
            start = time.perf_counter()
            decode_lz4(data, big["width"], big["height"])
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), len(data), big["width"] * big["height"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--modes", default="quic,lz,glz,lz4")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes.split(","):
            for scene in ("photo", "desktop"):
                out = Path(tmp) / f"{mode}-{scene}"
                out.mkdir()
                record(mode, scene, out)
                best, med, coded, pixels = bench(out / "rec", MODES[mode][2], args.repeat)
                rows.append((mode, scene, pixels, coded, best, med))
    lines = [
        f"## {date.today()} - {platform.node()} ({platform.machine()}), best/median of {args.repeat}, one core",
        "",
        "| codec | scene | largest image | coded | best | MB/s (best) | MB/s (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, scene, pixels, coded, best, med in rows:
        mb = pixels * 4 / 1e6
        lines.append(
            f"| {mode} | {scene} | {pixels / 1e6:.2f} Mpx | {coded / 1e6:.2f} MB | {best * 1000:.1f} ms "
            f"| {mb / best:.0f} | {mb / med:.0f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_record:
        with RESULTS.open("a") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
