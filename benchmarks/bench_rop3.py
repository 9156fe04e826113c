"""ROP3 throughput on a 1920x1080 block: destination megabytes per second for a few codes and both brushes.

Run from the repository root after building the extensions in place:

    PYTHONPATH=. python3 benchmarks/bench_rop3.py [--repeat N] [--width W --height H]

MB/s counts the destination block once (W * H * 4 bytes, 10**6 bytes to the MB) per call; each call also reads
the source and the pattern where the code uses them. The destination is a view into a slightly wider surface, as
the canvas passes it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from spiceview.canvas.rop3 import rop3_pattern, rop3_solid, uses_source

CODES = {
    0xCC: "SRCCOPY",
    0xF0: "PATCOPY",
    0x5A: "PATINVERT",
    0x66: "SRCINVERT",
    0xC0: "MERGECOPY",
    0xB8: "PSDPxax",
    0xE2: "DSPDxax",
    0x1B: "SDPSxaxn",
}


def median_time(call: Callable[[], None], repeat: int) -> float:
    call()  # warm up caches and page in the arrays
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    rng = np.random.default_rng(1)
    w, h = args.width, args.height
    surface = rng.integers(0, 256, (h, w + 16, 4), dtype=np.uint8)
    dst = surface[:, 8 : 8 + w]
    src = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    tile = rng.integers(0, 256, (8, 8, 4), dtype=np.uint8)
    megabytes = w * h * 4 / 1e6

    print(f"{w}x{h}, median of {args.repeat} calls")
    print(f"{'code':>6} {'name':<10} {'solid MB/s':>11} {'pattern MB/s':>13}")
    for code, name in CODES.items():
        operand = src if uses_source(code) else None
        solid = median_time(lambda c=code, s=operand: rop3_solid(dst, s, 0x00A0B0C0, c), args.repeat)
        pattern = median_time(lambda c=code, s=operand: rop3_pattern(dst, s, tile, 3, 5, c), args.repeat)
        print(f"  0x{code:02X} {name:<10} {megabytes / solid:11.0f} {megabytes / pattern:13.0f}")


if __name__ == "__main__":
    main()
