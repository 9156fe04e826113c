"""Decoded video frames kept in their Y'CbCr planes until they are drawn (see _yuv.pyx for why).

A `YuvPicture` stands where a B,G,R,0xFF array would: `draw` converts a region of it straight into the
destination rows, `to_bgrx` makes the whole array for callers that need one (frames kept for lip-sync, scaled
streams). The planes are FFmpeg's own memory, kept alive by the frame object the picture holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from ._yuv import convert

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12

# FFmpeg pixel formats converted here: (horizontal, vertical) chroma subsampling as shifts, full range or not
# (the "j" formats are JPEG's full range whatever the frame says). Others go through FFmpeg's scaler.
PLANAR_FORMATS = {
    "yuv420p": (1, 1, False),
    "yuvj420p": (1, 1, True),
    "yuv422p": (1, 0, False),
    "yuvj422p": (1, 0, True),
    "yuv444p": (0, 0, False),
    "yuvj444p": (0, 0, True),
}
# FFmpeg's AVColorSpace values that mean BT.709; everything else (BT.601 in its names, unspecified) is treated
# as BT.601, as FFmpeg's scaler does by default.
BT709 = {1}
FULL_RANGE = 2  # AVCOL_RANGE_JPEG


@cache
def color_matrix(bt709: bool, full_range: bool) -> tuple[int, int, int, int, int, int]:
    """(y_mul, y_add, cr_r, cb_g, cr_g, cb_b) scaled by 2**16: B,G,R = Y * y_mul + y_add + (C - 128) terms.

    y_add carries the luma offset and the rounding half; red uses Cr, blue Cb, green both.
    """
    kr, kb = (0.2126, 0.0722) if bt709 else (0.299, 0.114)
    kg = 1.0 - kr - kb
    y_scale, y_off, c_scale = (1.0, 0, 1.0) if full_range else (255 / 219, 16, 255 / 224)
    one = 1 << 16
    y_mul = round(y_scale * one)
    return (
        y_mul,
        (one >> 1) - y_off * y_mul,
        round(2 * (1 - kr) * c_scale * one),
        round(-2 * kb * (1 - kb) / kg * c_scale * one),
        round(-2 * kr * (1 - kr) / kg * c_scale * one),
        round(2 * (1 - kb) * c_scale * one),
    )


@dataclass(frozen=True, eq=False)
class YuvPicture:
    width: int
    height: int
    y: np.ndarray  # (rows, line size) uint8 views of the frame's planes
    u: np.ndarray
    v: np.ndarray
    shift_x: int
    shift_y: int
    coefficients: tuple[int, int, int, int, int, int]
    owner: object  # the decoder's frame: its planes must outlive these views

    def draw(self, dst: np.ndarray, src_x: int, src_y: int, flip: bool) -> None:
        """Convert the dst-sized region at (src_x, src_y) into `dst` ((h, w) uint32 B,G,R,X words, rows maybe
        strided). `flip`: the picture is bottom-up (region rows counted from the shown top)."""
        convert(
            self.y, self.u, self.v, self.shift_x, self.shift_y, self.width, self.height, self.coefficients,
            dst, src_x, src_y, flip,
        )  # fmt: skip

    def to_bgrx(self) -> np.ndarray:
        """The whole picture as (H, W, 4) B,G,R,0xFF, top row first as coded."""
        out = np.empty((self.height, self.width, 4), np.uint8)
        self.draw(out.view(np.uint32)[..., 0], 0, 0, False)
        return out


def yuv_picture(frame: object, format_name: str, width: int, height: int, colorspace: int, color_range: int,
                planes: Sequence[tuple[Buffer, int]]) -> YuvPicture | None:  # fmt: skip
    """A picture over a decoded frame's planes ((buffer, line size) each), or None for a format not handled here."""
    layout = PLANAR_FORMATS.get(format_name)
    if layout is None or len(planes) < 3:
        return None
    shift_x, shift_y, full = layout
    rows = (height, (height + shift_y) >> shift_y, (height + shift_y) >> shift_y)
    views = []
    for (buffer, line_size), n in zip(planes[:3], rows, strict=True):
        flat = np.frombuffer(buffer, np.uint8)  # type: ignore[call-overload]  # any buffer; the stubs list a few
        if line_size <= 0 or flat.size < line_size * n:
            return None
        views.append(flat[: line_size * n].reshape(n, line_size))
    coefficients = color_matrix(colorspace in BT709, full or color_range == FULL_RANGE)
    luma, blue, red = views
    return YuvPicture(width, height, luma, blue, red, shift_x, shift_y, coefficients, frame)
