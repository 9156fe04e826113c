"""Canvas throughput on a 1920x1080 surface beside the memory-copy limit (numpy copyto of the same buffer).

    python3 benchmarks/bench_canvas.py [--repeat 20]

Fill (solid, PUT), fill with XOR, copy (a cached 1920x1080 image, PUT), copy with a ROP, scaled copy
(bilinear, 960x540 -> 1920x1080), composite OVER (ARGB onto xRGB), composite OVER with an a8 mask. Each is one
full-surface command through Canvas, as the display channel calls it. Ratio = command time / copyto time.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from datetime import date
from pathlib import Path

import numpy as np

from spiceview.canvas.caches import PaletteCache, PixmapCache
from spiceview.canvas.canvas import Canvas
from spiceview.canvas.images import ImageResolver
from spiceview.codecs.image import DecodedImage, PixelFormat
from spiceview.protocol.constants import (
    BrushType,
    ClipType,
    CompositeFlags,
    ImageType,
    Ropd,
    ScaleMode,
    SurfaceFlags,
    SurfaceFmt,
)
from spiceview.protocol.messages import display as d
from spiceview.protocol.messages import types as t

W, H = 1920, 1080
RESULTS = Path(__file__).parent / "results" / "canvas.md"


def timed(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    pixmaps = PixmapCache()
    canvas = Canvas(ImageResolver(pixmaps, PaletteCache(), lambda sid: None))
    canvas.resolver.surface_lookup = canvas.surfaces.get
    surface = canvas.create_surface(0, W, H, SurfaceFmt.FMT_32_xRGB, SurfaceFlags.PRIMARY)
    photo = rng.integers(0, 256, (H, W, 4), dtype=np.uint8)
    argb = photo.copy()
    argb[..., :3] = np.minimum(argb[..., :3], argb[..., 3:])
    pixmaps.put(1, DecodedImage(W, H, PixelFormat.XRGB32, photo))
    pixmaps.put(2, DecodedImage(W, H, PixelFormat.ARGB32, argb))
    pixmaps.put(3, DecodedImage(W // 2, H // 2, PixelFormat.XRGB32, np.ascontiguousarray(photo[: H // 2, : W // 2])))
    pixmaps.put(4, DecodedImage(W, H, PixelFormat.A8, rng.integers(0, 256, (H, W), dtype=np.uint8)))
    full = t.Rect.cls(top=0, left=0, bottom=H, right=W)
    base = t.DisplayBase.cls(surface_id=0, box=full, clip=t.Clip.cls(type=ClipType.NONE))

    def cached(image_id: int, w: int = W, h: int = H):
        return t.Image.cls(id=image_id, type=ImageType.FROM_CACHE, width=w, height=h)

    def fill(rop: int):
        brush = t.Brush.cls(type=BrushType.SOLID, color=0x123456)
        return lambda: canvas.fill(base, d.Fill.cls(brush=brush, rop_descriptor=rop, mask=t.QMask.cls()))

    def copy(image_id: int, rop: int, area=full, w: int = W, h: int = H):
        msg = d.Copy.cls(
            src_bitmap=cached(image_id, w, h),
            src_area=area,
            rop_descriptor=rop,
            scale_mode=ScaleMode.INTERPOLATE,
            mask=t.QMask.cls(),
        )
        return lambda: canvas.copy(base, msg)

    def over(mask: bool):
        flags = 0x03 | (CompositeFlags.HAS_MASK if mask else 0)
        msg = d.Composite.cls(flags=flags, src_bitmap=cached(2), mask_bitmap=cached(4) if mask else None)
        return lambda: canvas.composite(base, msg)

    buffer_mb = W * H * 4 / 1e6
    scratch = np.empty_like(surface.pixels)
    limit = timed(lambda: np.copyto(scratch, photo), args.repeat)
    cases = {
        "fill solid (PUT)": fill(Ropd.OP_PUT),
        "fill solid (XOR)": fill(Ropd.OP_XOR),
        "copy (PUT)": copy(1, Ropd.OP_PUT),
        "copy (AND, inverted source)": copy(1, Ropd.OP_AND | Ropd.INVERS_SRC),
        "copy scaled 2x (bilinear)": copy(
            3, Ropd.OP_PUT, t.Rect.cls(top=0, left=0, bottom=H // 2, right=W // 2), W // 2, H // 2
        ),
        "composite OVER": over(False),
        "composite OVER + a8 mask": over(True),
    }
    lines = [
        f"## {date.today()} - {platform.node()} ({platform.machine()}), {W}x{H} xRGB surface, median of {args.repeat}",
        "",
        f"memory-copy limit (numpy copyto of {buffer_mb:.1f} MB): {limit * 1000:.2f} ms = {buffer_mb / limit:.0f} MB/s",
        "",
        "| command | time | MB/s of surface | time / copyto |",
        "|---|---|---|---|",
    ]
    for name, fn in cases.items():
        seconds = timed(fn, args.repeat)
        lines.append(f"| {name} | {seconds * 1000:.2f} ms | {buffer_mb / seconds:.0f} | {seconds / limit:.1f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_record:
        with RESULTS.open("a") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
