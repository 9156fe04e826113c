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


# The fourth byte of a B,G,R,X pixel seen as one native word, whatever the host's byte order.
X_MASK = np.array([0, 0, 0, 0xFF], np.uint8).view(np.uint32)[0]


@dataclass(slots=True)
class DecodedImage:
    """A decoded image; `pixels` is always top-down, whatever the wire order was.

    `x_undefined`: an XRGB32 image whose X bytes are not 0xFF (pixels shared with the GLZ window, which must
    keep them as decoded). Whoever reads it takes `opaque()`, or sets X while copying (one pass, no copy kept).
    """

    width: int
    height: int
    format: PixelFormat
    pixels: np.ndarray
    x_undefined: bool = False

    def __post_init__(self) -> None:
        want = (self.height, self.width) if self.format is PixelFormat.A8 else (self.height, self.width, 4)
        if self.pixels.shape != want or self.pixels.dtype != np.uint8:
            raise ValueError(f"pixels {self.pixels.shape}/{self.pixels.dtype} do not match {want}")

    def opaque(self) -> DecodedImage:
        """This image with X = 0xFF everywhere (itself when it already is)."""
        if not self.x_undefined:
            return self
        pixels = np.empty_like(self.pixels)
        np.bitwise_or(self.pixels.view(np.uint32), X_MASK, out=pixels.view(np.uint32))
        return DecodedImage(self.width, self.height, self.format, pixels)
