"""Scaling a source image to its destination size the way the reference canvas asks pixman to.

The reference sets a transform scale(src/dst) + translate(src area origin) on the whole source image and
composites with SRC, NEAREST or GOOD (bilinear) filtering and no repeat. Doing the same through
spiceview.canvas.composite gives the same pixels, edges included.
"""

from __future__ import annotations

import numpy as np

from .composite import Filter, Op, Picture, Repeat, composite


def scale_area(
    pixels: np.ndarray, fmt: str, area: tuple[int, int, int, int], width: int, height: int, nearest: bool
) -> np.ndarray:
    """The source area (x0, y0, x1, y1) of `pixels` scaled to width x height, in the source's format."""
    x0, y0, x1, y1 = area
    fsx = ((x1 - x0) * 65536) // width
    fsy = ((y1 - y0) * 65536) // height
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
            0,
            0,
            0,
            0,
        )
        return np.ascontiguousarray(out32[..., 3])
    out = np.zeros((height, width, 4), dtype=np.uint8)
    composite(Op.SRC, picture, None, out, "a8r8g8b8" if fmt == "a8r8g8b8" else "x8r8g8b8", 0, 0, 0, 0)
    return out
