"""Writing surfaces as PNG through Cairo (no GUI toolkit needed)."""

from __future__ import annotations

import cairo
import numpy as np


def write_png(rgb: np.ndarray, path: str) -> None:
    """Write an (H, W, 3) uint8 R, G, B array as an opaque 8-bit PNG."""
    height, width = rgb.shape[:2]
    buf = np.empty((height, width, 4), dtype=np.uint8)
    buf[..., 0] = rgb[..., 2]
    buf[..., 1] = rgb[..., 1]
    buf[..., 2] = rgb[..., 0]
    buf[..., 3] = 0xFF
    surface = cairo.ImageSurface.create_for_data(
        memoryview(buf).cast("B"), cairo.FORMAT_RGB24, width, height, width * 4
    )
    surface.write_to_png(path)
