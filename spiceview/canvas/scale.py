"""Scaling a source image to its destination size the way the reference canvas asks pixman to.

The reference sets a transform scale(src/dst) + translate(src area origin) on the whole source image and
composites with SRC, NEAREST or GOOD (bilinear) filtering and no repeat. Doing the same through
spiceview.canvas.composite gives the same pixels, edges included.
"""

from __future__ import annotations

import numpy as np


def scale_area(
    pixels: np.ndarray,
    fmt: str,
    area: tuple[int, int, int, int],
    width: int,
    height: int,
    nearest: bool,
    window: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """The source area (x0, y0, x1, y1) of `pixels` scaled to width x height, in the source's format.

    `window` (x0, y0, x1, y1 within the width x height result): compute only that part. A server chooses the
    destination size; only the part that lands on a surface may cost memory and time.
    """
    from .composite import Filter, Op, Picture, Repeat, composite  # its kernels load with the first scaled draw

    x0, y0, x1, y1 = area
    fsx = ((x1 - x0) * 65536) // width
    fsy = ((y1 - y0) * 65536) // height
    wx0, wy0, wx1, wy1 = window if window is not None else (0, 0, width, height)
    width, height = wx1 - wx0, wy1 - wy0
    transform = (fsx, 0, x0 << 16, 0, fsy, y0 << 16)
    picture = Picture(pixels, fmt, transform, Filter.NEAREST if nearest else Filter.GOOD, Repeat.NONE)
    if pixels.ndim == 2:
        out32 = np.zeros((height, width, 4), dtype=np.uint8)
        full = np.zeros(pixels.shape + (4,), dtype=np.uint8)
        full[..., 3] = pixels
        composite(
            Op.SRC,
            Picture(full, "a8r8g8b8", transform, picture.filter, Repeat.NONE),
            None,
            out32,
            "a8r8g8b8",
            wx0,
            wy0,
            0,
            0,
        )
        return np.ascontiguousarray(out32[..., 3])
    out = np.zeros((height, width, 4), dtype=np.uint8)
    composite(Op.SRC, picture, None, out, "a8r8g8b8" if fmt == "a8r8g8b8" else "x8r8g8b8", wx0, wy0, 0, 0)
    return out
