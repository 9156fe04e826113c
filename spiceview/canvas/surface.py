"""Surfaces: numpy pixel buffers that Cairo (drawing) and QImage (presentation) see without copies."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..codecs.image import X_MASK
from ..protocol.constants import SurfaceFmt
from .errors import DrawError

if TYPE_CHECKING:
    import mmap

    import cairo

Box = tuple[int, int, int, int]
# Where a primary surface keeps its pixels, given their size in bytes (zeroed): the viewer's is memory the X server
# can read (ui/x11_shm.py). Anything with the buffer protocol would do; an mmap is what there is.
PixelMemory = Callable[[int], "mmap.mmap"]


@dataclass(frozen=True, slots=True)
class _Pending:
    box: Box
    pixel: np.ndarray | None = None  # a solid fill's 4-byte value
    picture: np.ndarray | None = None  # (H, W, 4), the whole surface
    set_x: bool = False


# Refuse surfaces larger than this many pixels (16384 x 16384): more is hostile, not a real screen.
MAX_SURFACE_PIXELS = 1 << 28
MAX_SURFACE_SIDE = 1 << 15


class Surface:
    """One SPICE surface. 32-bit and 16-bit formats are kept as 32-bit B,G,R,X/A; A8 and A1 as 8-bit."""

    def __init__(
        self,
        surface_id: int,
        width: int,
        height: int,
        fmt: int,
        primary: bool = False,
        memory: PixelMemory | None = None,
    ) -> None:
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
        self.memory: mmap.mmap | None = None  # where the pixels are when not numpy's own memory
        self._storage: np.ndarray
        if self.is_alpha_only:
            import cairo  # only here and for drawing through Cairo: a session that never does need not load it

            stride = cairo.ImageSurface.format_stride_for_width(cairo.FORMAT_A8, width)
            self._storage = np.zeros((height, stride), dtype=np.uint8)
            self._pixels = self._storage[:, :width]
        else:
            if memory is not None:
                self.memory = memory(height * width * 4)
                self._storage = np.frombuffer(self.memory, np.uint8, height * width * 4).reshape(height, width, 4)
            else:
                self._storage = np.zeros((height, width, 4), dtype=np.uint8)
            self._pixels = self._storage
        self._cairo: cairo.ImageSurface | None = None
        # What a surface holds but has not drawn yet: a solid fill of a box (off-screen surfaces), or a whole
        # picture (an image's own pixels, which never change). It is drawn when the pixels are next looked at,
        # or never if a later command replaces it first; a picture is read straight from the image meanwhile,
        # by drawing commands and by the presentation of a primary surface (which asks `pending_picture()`
        # before it reads the memory it wraps). A feh picture (fill, picture, copy to the screen) is then no
        # pass at all until the window repaints.
        self._pending: _Pending | None = None

    @property
    def pixels(self) -> np.ndarray:
        """The pixels (rows x columns [x 4 bytes]); a view into `storage`."""
        if self._pending is not None:
            self._draw_pending()
        return self._pixels

    def shares_memory(self, array: np.ndarray) -> bool:
        """Whether `array` may be these pixels (without drawing anything pending to find out)."""
        return bool(np.may_share_memory(array, self._storage))

    def defer_fill(self, box: Box, pixel: np.ndarray) -> None:
        """Fill `box` with one 4-byte pixel value, when the pixels are next looked at."""
        with self.lock:
            self.overwritten(box)
            if self._pending is not None:
                self._draw_pending()
            self._pending = _Pending(box, pixel=pixel)

    def defer_picture(self, picture: np.ndarray, set_x: bool) -> None:
        """The whole surface becomes `picture` (its X bytes set to 0xFF if `set_x`), which must never change."""
        with self.lock:
            self._pending = _Pending(self.bounds, picture=picture, set_x=set_x)

    def pending_picture(self) -> tuple[np.ndarray, bool] | None:
        """(the picture, whether its X bytes are still to be set) when the surface is one not drawn yet."""
        pending = self._pending
        if pending is None or pending.picture is None:
            return None
        return pending.picture, pending.set_x

    def overwritten(self, box: Box) -> None:
        """Every byte of `box` is about to be replaced: anything pending inside it need never be drawn."""
        pending = self._pending
        if pending is not None:
            x0, y0, x1, y1 = pending.box
            if box[0] <= x0 and box[1] <= y0 and x1 <= box[2] and y1 <= box[3]:
                self._pending = None

    def _draw_pending(self) -> None:
        with self.lock:
            pending, self._pending = self._pending, None
            if pending is None:
                return
            x0, y0, x1, y1 = pending.box
            words = self._pixels[y0:y1, x0:x1].view(np.uint32)
            if pending.pixel is not None:
                words[...] = pending.pixel.view(np.uint32)[0]
            elif pending.picture is not None:
                source = pending.picture.view(np.uint32)
                if pending.set_x:
                    np.bitwise_or(source, X_MASK, out=words)
                else:
                    words[...] = source

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
    def pixels_shape(self) -> tuple[int, ...]:
        return self._pixels.shape

    @property
    def stride(self) -> int:
        return self._storage.strides[0]

    @property
    def storage(self) -> np.ndarray:
        """The whole buffer including row padding (what Cairo and QImage wrap)."""
        if self._pending is not None:
            self._draw_pending()
        return self._storage

    def cairo_surface(self) -> cairo.ImageSurface:
        """A Cairo surface over the same memory; call `mark_dirty()` on it after numpy writes."""
        if self._pending is not None:
            self._draw_pending()
        if self._cairo is None:
            import cairo

            if self.is_alpha_only:
                fmt = cairo.FORMAT_A8
            else:
                fmt = cairo.FORMAT_ARGB32 if self.has_alpha else cairo.FORMAT_RGB24
            data = memoryview(self._storage).cast("B")  # type: ignore[arg-type]  # numpy's stubs lack __buffer__
            self._cairo = cairo.ImageSurface.create_for_data(data, fmt, self.width, self.height, self.stride)
        return self._cairo

    def rgb_copy(self) -> np.ndarray:
        """(H, W, 3) uint8 R, G, B: what a screenshot shows."""
        with self.lock:
            if self.is_alpha_only:
                a = np.array(self.pixels)
                return np.stack([a, a, a], axis=-1)
            # Channel by channel: numpy copies a reversed channel axis (pixels[..., 2::-1]) element by element,
            # five times slower (6.6 against 1.4 ms for a 1024x768 screen).
            rgb = np.empty((self.height, self.width, 3), np.uint8)
            for i in range(3):
                rgb[..., i] = self.pixels[..., 2 - i]
            return rgb
