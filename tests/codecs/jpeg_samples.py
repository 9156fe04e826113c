"""Test JPEGs made with PyAV's own MJPEG encoder (no files from elsewhere)."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np


def encode_jpeg(rgb: np.ndarray, pix_fmt: str = "yuvj420p", quality: int = 4) -> bytes:
    """(H, W, 3) R,G,B to a baseline JPEG; `quality` is FFmpeg's qscale (lower is better)."""
    h, w = rgb.shape[:2]
    ctx = av.CodecContext.create("mjpeg", "w")
    ctx.width, ctx.height, ctx.pix_fmt = w, h, pix_fmt
    ctx.time_base = Fraction(1, 25)
    ctx.qmin = ctx.qmax = quality
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(format=pix_fmt)
    packets = ctx.encode(frame) + ctx.encode(None)
    return bytes(packets[0])


def photo_like(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 127 // max(w + h - 2, 1)], -1)
    img = img + rng.integers(-12, 12, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)
