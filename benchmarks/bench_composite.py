"""DRAW_COMPOSITE throughput on a 1920x1080 block: destination megabytes per second for the common cases.

Run from the repository root after building the extensions in place:

    PYTHONPATH=. python3 benchmarks/bench_composite.py [--repeat N] [--width W --height H] [--no-pixman]

MB/s counts the destination block once (W * H * 4 bytes, 10**6 bytes to the MB) per call. The destination is a
view into a slightly wider x8r8g8b8 surface, as the canvas passes it. The source is premultiplied ARGB with a
third of it opaque, a sixth clear and the rest translucent; the a8 mask has clear, opaque and partial runs.
When libpixman-1 is installed, the same calls through pixman_image_composite32 (no copies) are timed beside
ours for scale: pixman has hand-written SSE2 loops for these cases.
"""

from __future__ import annotations

import argparse
import ctypes
import statistics
import time
from collections.abc import Callable

import numpy as np

from spiceview.canvas.composite import Filter, Op, Picture, Repeat, composite

F1 = 0x10000
PIXMAN_FORMATS = {"a8r8g8b8": 0x20028888, "x8r8g8b8": 0x20020888, "a8": 0x08018000}


def median_time(call: Callable[[], None], repeat: int) -> float:
    call()  # warm up caches and page in the arrays
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class _PixmanTransform(ctypes.Structure):
    _fields_ = [("matrix", (ctypes.c_int32 * 3) * 3)]


class PixmanRunner:
    """The same composite through libpixman-1, on images wrapping our arrays (nothing copied)."""

    def __init__(self) -> None:
        self.lib = ctypes.CDLL("libpixman-1.so.0")
        self.lib.pixman_image_create_bits.restype = ctypes.c_void_p
        self.lib.pixman_image_create_bits.argtypes = [ctypes.c_uint32, ctypes.c_int, ctypes.c_int]
        self.lib.pixman_image_create_bits.argtypes += [ctypes.c_void_p, ctypes.c_int]
        for name in ("pixman_image_set_repeat", "pixman_image_set_component_alpha"):
            getattr(self.lib, name).argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.lib.pixman_image_set_filter.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
        self.lib.pixman_image_set_transform.argtypes = [ctypes.c_void_p, ctypes.POINTER(_PixmanTransform)]
        self.lib.pixman_image_composite32.argtypes = [ctypes.c_int] + [ctypes.c_void_p] * 3 + [ctypes.c_int32] * 8
        self.images: list[int] = []

    def image(self, pixels: np.ndarray, fmt: str, pic: Picture | None = None) -> int:
        h, w = pixels.shape[:2]
        img = self.lib.pixman_image_create_bits(PIXMAN_FORMATS[fmt], w, h, pixels.ctypes.data, pixels.strides[0])
        if pic is not None:
            self.lib.pixman_image_set_repeat(img, int(pic.repeat))
            self.lib.pixman_image_set_filter(img, int(pic.filter), None, 0)
            self.lib.pixman_image_set_component_alpha(img, int(pic.component_alpha))
            if pic.transform is not None:
                t = _PixmanTransform()
                rows = (pic.transform[:3], pic.transform[3:], (0, 0, F1))
                for i in range(3):
                    for j in range(3):
                        t.matrix[i][j] = rows[i][j]
                self.lib.pixman_image_set_transform(img, ctypes.byref(t))
        self.images.append(img)
        return img

    def call(self, op: int, src: Picture, mask: Picture | None, dest: np.ndarray) -> Callable[[], None]:
        s = self.image(src.pixels, src.format, src)
        m = self.image(mask.pixels, mask.format, mask) if mask is not None else None
        d = self.image(dest, "x8r8g8b8")
        h, w = dest.shape[:2]
        return lambda: self.lib.pixman_image_composite32(op, s, m, d, 0, 0, 0, 0, 0, 0, w, h)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-pixman", action="store_true", help="do not time libpixman-1 alongside")
    args = parser.parse_args()

    rng = np.random.default_rng(1)
    w, h = args.width, args.height
    surface = rng.integers(0, 256, (h, w + 16, 4), dtype=np.uint8)
    dest = surface[:, 8 : 8 + w]
    argb = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    argb[..., :3] = (argb[..., :3].astype(np.uint16) * argb[..., 3:4] // 255).astype(np.uint8)
    argb[: h // 3, :, 3] = 255
    argb[h // 3 : h // 2] = 0
    a8 = rng.integers(0, 256, (h, w), dtype=np.uint8)
    a8[: h // 4] = 0
    a8[h // 4 : h // 2] = 255
    ca = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    solid = np.array([[[0x40, 0x80, 0xC0, 0xFF]]], dtype=np.uint8)
    megabytes = w * h * 4 / 1e6

    src = Picture(argb, "a8r8g8b8")
    text = Picture(solid, "a8r8g8b8", repeat=Repeat.NORMAL)
    cases: list[tuple[str, int, Picture, Picture | None]] = [
        ("OVER argb -> xrgb", Op.OVER, src, None),
        ("OVER argb + a8 mask -> xrgb", Op.OVER, src, Picture(a8, "a8")),
        ("OVER solid + a8 mask (text)", Op.OVER, text, Picture(a8, "a8")),
        ("OVER solid + CA mask (LCD text)", Op.OVER, text, Picture(ca, "a8r8g8b8", component_alpha=True)),
        ("SRC argb -> xrgb", Op.SRC, src, None),
        ("ADD argb -> xrgb", Op.ADD, src, None),
        ("IN argb -> xrgb", Op.IN, src, None),
        (
            "OVER argb, bilinear 0.75x",
            Op.OVER,
            Picture(argb, "a8r8g8b8", (0xC000, 0, 0, 0, 0xC000, 0), Filter.BILINEAR),
            None,
        ),
        (
            "OVER argb, nearest 1.5x",
            Op.OVER,
            Picture(argb, "a8r8g8b8", (0x18000, 0, 0, 0, 0x18000, 0), Filter.NEAREST),
            None,
        ),
        ("CONJOINT_OVER (float)", Op.CONJOINT_OVER, src, None),
    ]

    runner = None
    if not args.no_pixman:
        try:
            runner = PixmanRunner()
        except OSError:
            runner = None

    print(f"{w}x{h} x8r8g8b8 destination, median of {args.repeat} calls")
    print(f"{'case':<34} {'spiceview MB/s':>15}" + (f" {'pixman MB/s':>12}" if runner else ""))
    for name, op, s, m in cases:
        ours = median_time(lambda o=op, s=s, m=m: composite(o, s, m, dest, "x8r8g8b8", 0, 0, 0, 0), args.repeat)
        line = f"{name:<34} {megabytes / ours:15.0f}"
        if runner is not None:
            theirs = median_time(runner.call(op, s, m, dest), args.repeat)
            line += f" {megabytes / theirs:12.0f}"
        print(line)


if __name__ == "__main__":
    main()
