"""What an image decoder hands back: pixels in the canvas' native layout."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np


class PixelFormat(Enum):
    """Pixel layouts a decoder can produce (all top-down, rows packed, no padding)."""

    XRGB32 = "xrgb32"  # (H, W, 4) uint8, bytes B, G, R, X: Cairo RGB24 / QImage RGB32 on little endian
    ARGB32 = "argb32"  # (H, W, 4) uint8, bytes B, G, R, A, premultiplied like Cairo ARGB32
    A8 = "a8"  # (H, W) uint8 alpha / gray


@dataclass(slots=True)
class DecodedImage:
    """A decoded image; `pixels` is always top-down, whatever the wire order was."""

    width: int
    height: int
    format: PixelFormat
    pixels: np.ndarray

    def __post_init__(self) -> None:
        want = (self.height, self.width) if self.format is PixelFormat.A8 else (self.height, self.width, 4)
        if self.pixels.shape != want or self.pixels.dtype != np.uint8:
            raise ValueError(f"pixels {self.pixels.shape}/{self.pixels.dtype} do not match {want}")
