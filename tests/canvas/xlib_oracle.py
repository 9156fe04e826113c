"""A tiny ctypes Xlib client: draw polylines on a pixmap of a real X server and read the pixels back.

The X server's mi/fb line code is what spice-common's lines.c was ported from, so it is an independent oracle for
stroke rasterisation: zero-width solid lines (fb's Bresenham with mi's bias and clipping) and, for dashed strokes,
line width 1 LineOnOffDash (miWideDash, the code the reference's zero-width dash kludge calls).
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence

import numpy as np

GXcopy = 3
GXxor = 6
LineSolid = 0
LineOnOffDash = 1
CapNotLast = 0
JoinMiter = 0
ZPixmap = 2
CoordModeOrigin = 0


class XPoint(ctypes.Structure):
    _fields_ = [("x", ctypes.c_short), ("y", ctypes.c_short)]


class XImage(ctypes.Structure):
    # Only the leading fields are read; the struct is never allocated from Python.
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_ubyte)),
        ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int),
        ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
    ]


_ulong = ctypes.c_ulong
_vp = ctypes.c_void_p


def _load() -> ctypes.CDLL:
    x = ctypes.CDLL("libX11.so.6")
    x.XOpenDisplay.restype = _vp
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x.XCloseDisplay.argtypes = [_vp]
    x.XDefaultScreen.argtypes = [_vp]
    x.XRootWindow.restype = _ulong
    x.XRootWindow.argtypes = [_vp, ctypes.c_int]
    x.XDefaultDepth.argtypes = [_vp, ctypes.c_int]
    x.XCreatePixmap.restype = _ulong
    x.XCreatePixmap.argtypes = [_vp, _ulong, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint]
    x.XFreePixmap.argtypes = [_vp, _ulong]
    x.XCreateGC.restype = _vp
    x.XCreateGC.argtypes = [_vp, _ulong, _ulong, _vp]
    x.XFreeGC.argtypes = [_vp, _vp]
    x.XSetForeground.argtypes = [_vp, _vp, _ulong]
    x.XSetFunction.argtypes = [_vp, _vp, ctypes.c_int]
    x.XSetLineAttributes.argtypes = [_vp, _vp, ctypes.c_uint, ctypes.c_int, ctypes.c_int, ctypes.c_int]
    x.XSetDashes.argtypes = [_vp, _vp, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    x.XFillRectangle.argtypes = [_vp, _ulong, _vp, ctypes.c_int, ctypes.c_int, ctypes.c_uint, ctypes.c_uint]
    x.XDrawLines.argtypes = [_vp, _ulong, _vp, ctypes.POINTER(XPoint), ctypes.c_int, ctypes.c_int]
    x.XSync.argtypes = [_vp, ctypes.c_int]
    x.XGetImage.restype = ctypes.POINTER(XImage)
    x.XGetImage.argtypes = [_vp, _ulong, ctypes.c_int, ctypes.c_int, ctypes.c_uint, ctypes.c_uint, _ulong, ctypes.c_int]
    x.XDestroyImage.argtypes = [ctypes.POINTER(XImage)]
    return x


class XOracle:
    """One connection and one pixmap of width x height; draw() returns the pixmap after a batch of polylines."""

    def __init__(self, display: str, width: int, height: int) -> None:
        self.x = _load()
        self.dpy = self.x.XOpenDisplay(display.encode())
        if not self.dpy:
            raise RuntimeError(f"cannot open X display {display}")
        screen = self.x.XDefaultScreen(self.dpy)
        root = self.x.XRootWindow(self.dpy, screen)
        depth = self.x.XDefaultDepth(self.dpy, screen)
        self.width, self.height = width, height
        self.pixmap = self.x.XCreatePixmap(self.dpy, root, width, height, depth)
        self.gc = self.x.XCreateGC(self.dpy, self.pixmap, 0, None)

    def close(self) -> None:
        if self.dpy:
            self.x.XFreeGC(self.dpy, self.gc)
            self.x.XFreePixmap(self.dpy, self.pixmap)
            self.x.XCloseDisplay(self.dpy)
            self.dpy = None

    def draw(
        self,
        polylines: Sequence[np.ndarray],
        *,
        function: int = GXcopy,
        dashes: bytes | None = None,
        dash_offset: int = 0,
    ) -> np.ndarray:
        """Clear to 0, draw each polyline with its own XDrawLines (pixel 1), return a (height, width) uint32 array.

        Solid: line width 0. Dashed: line width 1, LineOnOffDash (what the reference's zero-width dash does).
        Coordinates must fit X's 16 bits.
        """
        x, dpy, gc = self.x, self.dpy, self.gc
        x.XSetFunction(dpy, gc, GXcopy)
        x.XSetForeground(dpy, gc, 0)
        x.XFillRectangle(dpy, self.pixmap, gc, 0, 0, self.width, self.height)
        x.XSetForeground(dpy, gc, 1)
        x.XSetFunction(dpy, gc, function)
        if dashes is None:
            x.XSetLineAttributes(dpy, gc, 0, LineSolid, CapNotLast, JoinMiter)
        else:
            x.XSetLineAttributes(dpy, gc, 1, LineOnOffDash, CapNotLast, JoinMiter)
            x.XSetDashes(dpy, gc, dash_offset, bytes(dashes), len(dashes))
        for line in polylines:
            pts = np.asarray(line, dtype=np.int64).reshape(-1, 2)
            if len(pts) == 0:
                continue
            if np.abs(pts).max() > 32767:
                raise ValueError("X coordinates are 16-bit")
            arr = (XPoint * len(pts))(*[XPoint(int(a), int(b)) for a, b in pts])
            x.XDrawLines(dpy, self.pixmap, gc, arr, len(pts), CoordModeOrigin)
        x.XSync(dpy, 0)
        img = x.XGetImage(dpy, self.pixmap, 0, 0, self.width, self.height, 0xFFFFFFFF, ZPixmap)
        if not img:
            raise RuntimeError("XGetImage failed")
        try:
            im = img.contents
            if im.bits_per_pixel != 32:
                raise RuntimeError(f"unexpected {im.bits_per_pixel} bits per pixel")
            raw = ctypes.string_at(im.data, im.bytes_per_line * im.height)
            rows = np.frombuffer(raw, dtype=np.uint32).reshape(im.height, im.bytes_per_line // 4)
            return rows[:, : self.width].copy() & 0xFFFFFF
        finally:
            x.XDestroyImage(img)
