"""Video latency: a video frame shown in the guest until the viewer's window shows it. spiceview beside
remote-viewer (spice-gtk) on the same Xspice, streaming every video region as MJPEG, with no sound playing.

In the guest, mpv plays a 320x240 clip (ffmpeg's moving testsrc2 pattern, so the server keeps it a video stream)
that turns white for three frames once a second. Each viewer gets a fresh Xvfb. The clip's area is found on both
screens while it is white; then a loop reads a 16x16 patch from its middle on the guest's root window and in the
viewer's window (XGetImage, about 0.2 ms each) and notes when each turns white. A flash's latency is the time from
the guest's onset to the viewer's next onset; flashes a viewer never showed are counted as missed.

spice-gtk shows each stream frame at the multimedia time the server stamped on it, which Xspice sets 400 ms
ahead of the clock it gives clients (measured in spiceview: +400 ms on every frame), whether or not sound plays.
spiceview holds frames for their time only while the guest's sound is playing (lip-sync), and otherwise shows
them as they arrive.

    python3 benchmarks/bench_video_latency.py [--seconds 20] [--viewers remote-viewer,spiceview]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import _checkout  # noqa: F401 - first: the lab is imported from the checkout
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_input_roundtrip import REPO, find_window, viewer_argv  # noqa: E402

from spiceview_lab import procs, xinput  # noqa: E402
from spiceview_lab.media import make_clip  # noqa: E402
from spiceview_lab.scenes import hide_cursor  # noqa: E402
from spiceview_lab.xspice import XspiceServer  # noqa: E402
from spiceview_lab.xvfb import XvfbServer  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "video_latency.md"
CLIP_SIZE = (320, 240)
CLIP_AT = (40, 40)
WHITE = 200  # a patch whose mean is above this is the flash


def make_flash_clip(path: Path, seconds: int) -> None:
    flash = "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(t\\,1)\\,0.12)'"
    make_clip(path, f"testsrc2=size={CLIP_SIZE[0]}x{CLIP_SIZE[1]}:rate=25,{flash}", seconds, timeout=120)


def white_box(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """The bounding box (x, y, w, h) of the white pixels, if they look like the flashed clip."""
    white = (image[..., :3] >= 250).all(axis=-1)
    ys, xs = np.nonzero(white)
    if len(xs) < CLIP_SIZE[0] * CLIP_SIZE[1] // 2:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def find_flash(display: xinput.XDisplay, window: int, timeout: float) -> tuple[int, int]:
    """The middle of the clip on this window, found while it is white."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        box = white_box(xinput.get_image(display, window))
        if box is not None:
            x, y, w, h = box
            return x + w // 2, y + h // 2
        time.sleep(0.02)
    raise RuntimeError("the flashing clip never showed")


def onsets(seconds: float, probes: list[tuple[xinput.XDisplay, int, tuple[int, int]]]) -> list[list[float]]:
    """For each probe (display, window, middle), the times its patch turned white."""
    found: list[list[float]] = [[] for _ in probes]
    bright = [False] * len(probes)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for i, (display, window, (mx, my)) in enumerate(probes):
            patch = xinput.get_image(display, window, (mx - 8, my - 8, 16, 16))
            now = time.monotonic()
            is_white = float(patch[..., :3].mean()) > WHITE
            if is_white and not bright[i]:
                found[i].append(now)
            bright[i] = is_white
    return found


def latencies(guest: list[float], viewer: list[float]) -> tuple[list[float], int]:
    """Each guest flash paired with the viewer's next onset (within 0.9 s: before the next flash)."""
    times, missed = [], 0
    for g in guest:
        later = [v for v in viewer if 0 <= v - g < 0.9]
        if later:
            times.append(later[0] - g)
        else:
            missed += 1
    return times, missed


def run_viewer(viewer: str, server: XspiceServer, seconds: float) -> dict[str, object]:
    with XvfbServer(1280, 1024) as xvfb:
        env = {"QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        log = xvfb.tmpdir / f"{viewer}.log" if xvfb.tmpdir else None
        argv = viewer_argv(viewer, server.uri)
        if viewer == "spiceview":
            argv.insert(-1, "--spice-disable-audio")
        proc = xvfb.run_client(argv, env=env, log=log)
        try:
            wid = int(find_window(xvfb, proc, 30))
            with xinput.XDisplay(xvfb.display) as d, xinput.XDisplay(server.display) as g:
                guest_mid = find_flash(g, g.root, 10)
                viewer_mid = find_flash(d, wid, 20)
                time.sleep(1.0)
                guest_on, viewer_on = onsets(seconds, [(g, g.root, guest_mid), (d, wid, viewer_mid)])
        finally:
            procs.stop_child(proc)
    times, missed = latencies(guest_on, viewer_on)
    return {"viewer": viewer, "times": times, "missed": missed, "flashes": len(guest_on)}


def table(results: list[dict[str, object]], seconds: float) -> str:
    lines = [
        "# Video latency: guest frame to viewer window (Xspice, MJPEG stream, no sound)",
        "",
        f"{date.today()}, {platform.machine()}, {os.cpu_count()} CPUs, CPython {platform.python_version()}; "
        f"{seconds:.0f} s per viewer, a flash a second; benchmarks/bench_video_latency.py",
        "",
        "| viewer | flashes | shown | missed | median ms | min ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        times = [t * 1000 for t in r["times"]]  # type: ignore[attr-defined]
        if times:
            stats = f"{statistics.median(times):.0f} | {min(times):.0f} | {max(times):.0f}"
        else:
            stats = "- | - | -"
        lines.append(f"| {r['viewer']} | {r['flashes']} | {len(times)} | {r['missed']} | {stats} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--viewers", default="remote-viewer,spiceview")
    ap.add_argument("--no-record", action="store_true", help="print only; do not append to results/")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "flash.mp4"
        make_flash_clip(clip, 10)
        results = []
        for viewer in args.viewers.split(","):
            with XspiceServer(size=(1024, 768), streaming_video="all", video_codecs="spice:mjpeg") as server:
                hide_cursor(server.display)
                player = server.run_client(
                    [
                        "mpv",
                        "--vo=x11",
                        "--ao=null",
                        "--loop=inf",
                        "--no-osc",
                        "--no-border",
                        f"--geometry=+{CLIP_AT[0]}+{CLIP_AT[1]}",
                        str(clip),
                    ]
                )
                try:
                    results.append(run_viewer(viewer, server, args.seconds))
                finally:
                    procs.stop_child(player)
    report = table(results, args.seconds)
    print(report)
    if not args.no_record:
        RESULTS.parent.mkdir(exist_ok=True)
        with RESULTS.open("a") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    main()
