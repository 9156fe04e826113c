"""Presenting a 1920x1080 guest surface: software (RedScreen, QPainter) vs OpenGL (GLRedScreen), frames per second.

Two workloads on a 1920x1080 xRGB surface shown 1:1 in a top-level window on Xvfb:
  full   every pixel changes every frame (video, a full-screen redraw): invalidate the whole monitor;
  small  eight 64x32 rectangles change per frame (typing, a clock, a cursor blinking): invalidate just those.
Per frame the timed part is what the viewer does: `invalidate()` of the changed rectangles, then the event loop
until the widget has painted (software: QPainter over just those rectangles; GL: paintGL uploads the changed
rectangles with glTexSubImage2D and redraws the whole quad, then Qt composes the window through GL), then
`QGuiApplication.sync()` (an X round trip: the frame has reached the X server). Writing the new pixels into the
surface happens before the clock starts (it is the decoder's cost, the same for both).

Each renderer runs in its own process (a window with a QOpenGLWidget is composed through OpenGL as a whole).
Under Xvfb, OpenGL is Mesa's llvmpipe, a software rasteriser on the CPU, and the result reaches the X server by
XPutImage: the numbers are indicative only; a real GPU changes the GL column completely.

    python3 benchmarks/bench_presentation.py [--frames 200] [--out results.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import _checkout  # noqa: F401 - first: the lab is imported from the checkout

WIDTH, HEIGHT = 1920, 1080
SMALL = (64, 32, 8)  # width, height, count of the changed rectangles per frame in the small workload


def child(renderer: str, frames: int) -> dict[str, object]:
    import numpy as np
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from spiceview.canvas.surface import Surface
    from spiceview.protocol.constants import SurfaceFmt
    from spiceview.ui.gl_screen import GLRedScreen
    from spiceview.ui.red_screen import RedScreen

    class CountedGL(GLRedScreen):
        paints = 0

        def paintGL(self) -> None:  # noqa: N802 - Qt API
            super().paintGL()
            self.paints += 1

    class CountedSoftware(RedScreen):
        paints = 0

        def paintEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
            super().paintEvent(event)
            self.paints += 1

    app = QApplication([sys.argv[0]])
    surface = Surface(0, WIDTH, HEIGHT, SurfaceFmt.FMT_32_xRGB, primary=True)
    rng = np.random.default_rng(1)
    pictures = [rng.integers(0, 256, (HEIGHT, WIDTH, 4), dtype=np.uint8) for _ in range(2)]
    surface.pixels[...] = pictures[0]
    screen: CountedGL | CountedSoftware = CountedGL() if renderer == "gl" else CountedSoftware()
    screen.set_surface(surface)
    screen.resize(screen.sizeHint())
    screen.move(0, 0)
    screen.show()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        app.processEvents()
        handle = screen.windowHandle()
        if handle is not None and handle.isExposed():
            break
        time.sleep(0.01)
    for _ in range(20):
        app.processEvents()
    info: dict[str, object] = {"renderer": renderer}
    if isinstance(screen, GLRedScreen):
        context = screen.context()
        screen.makeCurrent()
        info["gl"] = f"{context.functions().glGetString(0x1F01)}; {context.functions().glGetString(0x1F02)}"
        screen.doneCurrent()
        info["fallback"] = screen.software_fallback

    def run(workload: str) -> dict[str, float]:
        times: list[float] = []
        uploads_before = dict(screen.uploads) if isinstance(screen, GLRedScreen) else None
        w, h, count = SMALL
        for i in range(frames):
            if workload == "full":
                surface.pixels[...] = pictures[i % 2]
                rects = [QRect(0, 0, WIDTH, HEIGHT)]
            else:
                rects = []
                for _ in range(count):
                    x, y = int(rng.integers(0, WIDTH - w)), int(rng.integers(0, HEIGHT - h))
                    surface.pixels[y : y + h, x : x + w] = pictures[(i + 1) % 2][y : y + h, x : x + w]
                    rects.append(QRect(x, y, w, h))
            paints = screen.paints
            start = time.perf_counter()
            for rect in rects:
                screen.invalidate(rect.x(), rect.y(), rect.width(), rect.height())
            while screen.paints == paints:  # as in the viewer: the event loop paints what invalidate() asked for
                app.processEvents()
            QGuiApplication.sync()
            times.append(time.perf_counter() - start)
        result = {
            "median_ms": statistics.median(times) * 1000,
            "mean_ms": statistics.fmean(times) * 1000,
            "p90_ms": sorted(times)[int(0.9 * (len(times) - 1))] * 1000,
        }
        if uploads_before is not None:
            result["uploaded_px_per_frame"] = (screen.uploads["pixels"] - uploads_before["pixels"]) / frames
        return result

    run("small")  # warm up (first uploads, shader compile, caches)
    info["full"] = run("full")
    info["small"] = run("small")
    screen.close()
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    parser.add_argument("--child", choices=["software", "gl"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.frames)))
        return

    from spiceview_lab.xvfb import XvfbServer

    results = {}
    with XvfbServer(2048, 1280) as display:
        for renderer in ("software", "gl"):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", renderer, "--frames", str(args.frames)],
                env={**display.env, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(Path(__file__).parent.parent)},
                capture_output=True,
                text=True,
                timeout=1200,
            )
            if proc.returncode != 0:
                raise SystemExit(f"{renderer} failed:\n{proc.stdout}\n{proc.stderr}")
            results[renderer] = json.loads(proc.stdout.strip().splitlines()[-1])

    gl = results["gl"]
    lines = [
        f"# Presentation of a {WIDTH}x{HEIGHT} surface: software vs OpenGL",
        "",
        f"{date.today()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs; Xvfb, OpenGL: {gl.get('gl')}. {args.frames} frames each.",
        "Under Xvfb the GL renderer is Mesa llvmpipe (CPU rasterisation, frames sent to the X server by XPutImage):",
        "the numbers are indicative only; with a GPU the GL column would be very different.",
        "",
        "| workload | renderer | median ms/frame | p90 ms | frames/s (1/mean) | GL upload px/frame |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for workload, label in (("full", "full frame changes"), ("small", f"{SMALL[2]} x {SMALL[0]}x{SMALL[1]} changes")):
        for renderer in ("software", "gl"):
            r = results[renderer][workload]
            uploaded = f"{r['uploaded_px_per_frame']:.0f}" if "uploaded_px_per_frame" in r else "-"
            lines.append(
                f"| {label} | {renderer} | {r['median_ms']:.2f} | {r['p90_ms']:.2f} | {1000 / r['mean_ms']:.0f} "
                f"| {uploaded} |"
            )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
