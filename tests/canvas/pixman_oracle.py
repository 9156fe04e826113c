"""A small ctypes shim over the system's libpixman-1, used as the oracle for spiceview.canvas.composite.

Only the calls the SPICE reference client makes for DRAW_COMPOSITE are wrapped: create a bits image over a buffer
we own, set transform / filter / repeat / component alpha, and pixman_image_composite32.

Pictures are given the way spiceview.canvas.composite takes them: (H, W, 4) uint8 B,G,R,A arrays for the 32-bit
formats and (H, W) uint8 arrays for a8 and a1 (a1 as 0 / nonzero bytes, packed here into pixman's 1-bit rows).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from dataclasses import dataclass

import numpy as np

# PIXMAN_FORMAT(bpp, type, a, r, g, b) = bpp << 24 | type << 16 | a << 12 | r << 8 | g << 4 | b
FORMATS = {
    "a8r8g8b8": (32 << 24) | (2 << 16) | (8 << 12) | (8 << 8) | (8 << 4) | 8,
    "x8r8g8b8": (32 << 24) | (2 << 16) | (0 << 12) | (8 << 8) | (8 << 4) | 8,
    "a8": (8 << 24) | (1 << 16) | (8 << 12),
    "a1": (1 << 24) | (1 << 16) | (1 << 12),
}


class _Transform(ctypes.Structure):
    _fields_ = [("matrix", (ctypes.c_int32 * 3) * 3)]


def load() -> ctypes.CDLL | None:
    """The library, or None when it is not installed."""
    for name in ("libpixman-1.so.0", ctypes.util.find_library("pixman-1")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        _declare(lib)
        return lib
    return None


def _declare(lib: ctypes.CDLL) -> None:
    vp = ctypes.c_void_p
    lib.pixman_image_create_bits.restype = vp
    lib.pixman_image_create_bits.argtypes = [ctypes.c_uint32, ctypes.c_int, ctypes.c_int, vp, ctypes.c_int]
    lib.pixman_image_unref.restype = ctypes.c_int
    lib.pixman_image_unref.argtypes = [vp]
    lib.pixman_image_set_transform.restype = ctypes.c_int
    lib.pixman_image_set_transform.argtypes = [vp, ctypes.POINTER(_Transform)]
    lib.pixman_image_set_filter.restype = ctypes.c_int
    lib.pixman_image_set_filter.argtypes = [vp, ctypes.c_int, vp, ctypes.c_int]
    lib.pixman_image_set_repeat.restype = None
    lib.pixman_image_set_repeat.argtypes = [vp, ctypes.c_int]
    lib.pixman_image_set_component_alpha.restype = None
    lib.pixman_image_set_component_alpha.argtypes = [vp, ctypes.c_int]
    lib.pixman_image_composite32.restype = None
    lib.pixman_image_composite32.argtypes = [ctypes.c_int, vp, vp, vp] + [ctypes.c_int32] * 8
    lib.pixman_version_string.restype = ctypes.c_char_p
    lib.pixman_version_string.argtypes = []


@dataclass
class OraclePicture:
    pixels: np.ndarray
    format: str
    transform: tuple[int, ...] | None = None
    filter: int = 3  # NEAREST
    repeat: int = 0
    component_alpha: bool = False


class Pixman:
    """pixman_image_composite32 on numpy arrays; every buffer is copied into pixman's row layout first."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib

    @property
    def version(self) -> str:
        return self.lib.pixman_version_string().decode()

    def _bits(self, pixels: np.ndarray, fmt: str) -> np.ndarray:
        """A buffer of uint32 rows (pixman wants 4-byte aligned row strides)."""
        h, w = pixels.shape[:2]
        if fmt in ("a8r8g8b8", "x8r8g8b8"):
            return np.ascontiguousarray(pixels).view(np.uint32).reshape(h, w).copy()
        if fmt == "a8":
            words = (w + 3) // 4
            buf = np.zeros((h, words * 4), dtype=np.uint8)
            buf[:, :w] = pixels
            return buf.view(np.uint32)
        if fmt == "a1":
            words = (w + 31) // 32
            bits = np.zeros((h, words * 32), dtype=np.uint8)
            bits[:, :w] = pixels != 0
            packed = np.packbits(bits, axis=1, bitorder="little")  # pixel x -> bit x % 8 of byte x // 8
            return np.ascontiguousarray(packed).view(np.uint32)
        raise ValueError(fmt)

    def _image(self, pic: OraclePicture, keep: list[object]) -> int:
        buf = self._bits(pic.pixels, pic.format)
        keep.append(buf)
        h, w = pic.pixels.shape[:2]
        img = self.lib.pixman_image_create_bits(FORMATS[pic.format], w, h, buf.ctypes.data, buf.strides[0])
        if not img:
            raise MemoryError("pixman_image_create_bits failed")
        if pic.transform is not None:
            t = _Transform()
            m = [int(np.int32(np.uint32(v & 0xFFFFFFFF))) for v in pic.transform]
            rows = ((m[0], m[1], m[2]), (m[3], m[4], m[5]), (0, 0, 0x10000))
            for i in range(3):
                for j in range(3):
                    t.matrix[i][j] = rows[i][j]
            self.lib.pixman_image_set_transform(img, ctypes.byref(t))
        self.lib.pixman_image_set_filter(img, pic.filter, None, 0)
        self.lib.pixman_image_set_repeat(img, pic.repeat)
        if pic.component_alpha:
            self.lib.pixman_image_set_component_alpha(img, 1)
        return img

    def composite(
        self,
        op: int,
        src: OraclePicture,
        mask: OraclePicture | None,
        dest: np.ndarray,
        dest_format: str,
        src_x: int,
        src_y: int,
        mask_x: int,
        mask_y: int,
    ) -> np.ndarray:
        """A new (h, w, 4) array: dest after pixman_image_composite32(op, ..., 0, 0, w, h)."""
        keep: list[object] = []
        h, w = dest.shape[:2]
        dbuf = self._bits(dest, dest_format)
        images = []
        try:
            d = self.lib.pixman_image_create_bits(FORMATS[dest_format], w, h, dbuf.ctypes.data, dbuf.strides[0])
            images.append(d)
            s = self._image(src, keep)
            images.append(s)
            m = None
            if mask is not None:
                m = self._image(mask, keep)
                images.append(m)
            self.lib.pixman_image_composite32(op, s, m, d, src_x, src_y, mask_x, mask_y, 0, 0, w, h)
        finally:
            for img in images:
                self.lib.pixman_image_unref(img)
        return dbuf.view(np.uint8).reshape(h, w, 4).copy()


def oracle_or_skip() -> Pixman:
    """The oracle; pytest.skip when the library is missing (pytest.fail when CI=true)."""
    import pytest

    lib = load()
    if lib is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("libpixman-1.so.0 is required in CI")
        pytest.skip("libpixman-1.so.0 is not installed")
    return Pixman(lib)
