"""Scaling a source image to its destination size: nearest neighbour in numpy, bilinear through Cairo."""

from __future__ import annotations

import cairo
import numpy as np


def scale_image(pixels: np.ndarray, width: int, height: int, nearest: bool) -> np.ndarray:
    src_h, src_w = pixels.shape[:2]
    if nearest or pixels.ndim == 2:
        # Sample each destination pixel's centre, as pixman's nearest filter does.
        ys = ((np.arange(height) + 0.5) * src_h / height).astype(np.intp).clip(0, src_h - 1)
        xs = ((np.arange(width) + 0.5) * src_w / width).astype(np.intp).clip(0, src_w - 1)
        return pixels[np.ix_(ys, xs)]
    src = np.ascontiguousarray(pixels)
    src_surface = cairo.ImageSurface.create_for_data(
        memoryview(src).cast("B"), cairo.FORMAT_ARGB32, src_w, src_h, src.strides[0]
    )
    out = np.zeros((height, width, 4), dtype=np.uint8)
    dst_surface = cairo.ImageSurface.create_for_data(
        memoryview(out).cast("B"), cairo.FORMAT_ARGB32, width, height, out.strides[0]
    )
    ctx = cairo.Context(dst_surface)
    ctx.set_operator(cairo.OPERATOR_SOURCE)
    ctx.scale(width / src_w, height / src_h)
    ctx.set_source_surface(src_surface, 0, 0)
    pattern = ctx.get_source()
    pattern.set_filter(cairo.FILTER_BILINEAR)
    pattern.set_extend(cairo.EXTEND_PAD)
    ctx.paint()
    dst_surface.flush()
    return out
