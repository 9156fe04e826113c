"""Surfaces: numpy pixel buffers that Cairo (drawing) and QImage (presentation) see without copies."""

from __future__ import annotations

import threading

import cairo
import numpy as np

from ..protocol.constants import SurfaceFmt
from .errors import DrawError

# Refuse surfaces larger than this many pixels (16384 x 16384): more is hostile, not a real screen.
MAX_SURFACE_PIXELS = 1 << 28
MAX_SURFACE_SIDE = 1 << 15


class Surface:
    """One SPICE surface. 32-bit and 16-bit formats are kept as 32-bit B,G,R,X/A; A8 and A1 as 8-bit."""

    def __init__(self, surface_id: int, width: int, height: int, fmt: int, primary: bool = False) -> None:
        if not (0 < width <= MAX_SURFACE_SIDE and 0 < height <= MAX_SURFACE_SIDE):
            raise DrawError(f"surface {surface_id}: absurd size {width}x{height}")
        if width * height > MAX_SURFACE_PIXELS:
            raise DrawError(f"surface {surface_id}: {width}x{height} is too large")
        try:
            self.format = SurfaceFmt(fmt)
        except ValueError:
            raise DrawError(f"surface {surface_id}: unknown format {fmt}") from None
        if self.format is SurfaceFmt.INVALID:
            raise DrawError(f"surface {surface_id}: invalid format")
        self.id = surface_id
        self.width = width
        self.height = height
        self.primary = primary
        # Drawing happens on the channel thread, presentation on the GUI thread: hold this to see whole draws.
        self.lock = threading.RLock()
        if self.is_alpha_only:
            stride = cairo.ImageSurface.format_stride_for_width(cairo.FORMAT_A8, width)
            self._storage = np.zeros((height, stride), dtype=np.uint8)
            self.pixels = self._storage[:, :width]
            self.cairo_format = cairo.FORMAT_A8
        else:
            self._storage = np.zeros((height, width, 4), dtype=np.uint8)
            self.pixels = self._storage
            self.cairo_format = cairo.FORMAT_ARGB32 if self.has_alpha else cairo.FORMAT_RGB24
        self._cairo: cairo.ImageSurface | None = None

    @property
    def is_alpha_only(self) -> bool:
        return self.format in (SurfaceFmt.FMT_8_A, SurfaceFmt.FMT_1_A)

    @property
    def has_alpha(self) -> bool:
        return self.format is SurfaceFmt.FMT_32_ARGB

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        return 0, 0, self.width, self.height

    @property
    def stride(self) -> int:
        return self._storage.strides[0]

    @property
    def storage(self) -> np.ndarray:
        """The whole buffer including row padding (what Cairo and QImage wrap)."""
        return self._storage

    def cairo_surface(self) -> cairo.ImageSurface:
        """A Cairo surface over the same memory; call `mark_dirty()` on it after numpy writes."""
        if self._cairo is None:
            data = memoryview(self._storage).cast("B")  # type: ignore[arg-type]  # numpy's stubs lack __buffer__
            self._cairo = cairo.ImageSurface.create_for_data(
                data, self.cairo_format, self.width, self.height, self.stride
            )
        return self._cairo

    def rgb_copy(self) -> np.ndarray:
        """(H, W, 3) uint8 R, G, B: what a screenshot shows."""
        with self.lock:
            if self.is_alpha_only:
                a = np.array(self.pixels)
                return np.stack([a, a, a], axis=-1)
            return np.ascontiguousarray(self.pixels[:, :, 2::-1])
