"""SPICE cursor shapes (the cursor channel's INIT/SET `Cursor`) and the client's cursor cache. No Qt here.

Data layouts (the bytes after the CursorHeader; rows top to bottom, no padding other than noted):

=========  ======================================================================================================
ALPHA      width*height little-endian u32 ARGB, premultiplied (Xspice copies the X server's ARGB cursor bits,
           which XFixesGetCursorImage returns unchanged)
MONO       AND plane then XOR plane, 1 bit per pixel, most significant bit first, rows padded to whole bytes
COLOR4     rows of ceil(width/2) bytes (high nibble first), then 16 u32 palette entries (0x00RRGGBB), then the
           AND mask (1 bit per pixel, rows padded to bytes, as MONO)
COLOR8     width*height index bytes, 256 palette entries, AND mask
COLOR16    width*height little-endian u16 x1r5g5b5, AND mask
COLOR24    width*height B,G,R byte triplets, AND mask
COLOR32    width*height little-endian u32 0x??RRGGBB (the top byte is not used), AND mask
=========  ======================================================================================================

These are what the Windows XPDM QXL driver writes (the only producer of the COLOR types) and what the old spice
client checked before decoding. spice-gtk reads the COLOR masks as one unpadded bit string and COLOR4 nibbles by
linear pixel index, which agrees with the row-padded layout only when the width is a multiple of 8.

Pixel meaning, as Windows pointers: AND=0 paints the colour (MONO: XOR=0 black, XOR=1 white); AND=1 with
XOR/colour 0 leaves the screen alone; AND=1 with XOR=1 (MONO) or colour white (COLOR types) inverts the screen.
AND=1 with another colour (screen XOR colour) is shown transparent, as spice-gtk does.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..protocol.constants import CursorFlags, CursorType
from ..protocol.messages.classes import Cursor, CursorHeader

# QEMU's own cursor code refuses sprites larger than this ("modern hardware uses 512x512"); spice-gtk has no
# limit, but nothing real comes close (Xspice's driver hands X cursors over 64x64 back to software).
MAX_CURSOR_SIDE = 512

_BYTES_PER_PIXEL = {CursorType.COLOR16: 2, CursorType.COLOR24: 3, CursorType.COLOR32: 4}

# Stand-ins for inverting pixels where a platform cannot invert, as spice-gtk draws them. COLOR types: a
# checkerboard of a mostly opaque dark grey and a faint light grey (spice-gtk's straight-alpha 0xc0303030 and
# 0x30505050), here premultiplied, B,G,R,A. MONO: white, plus a black outline for pure-XOR cursors (below).
_CHECKER_DARK = np.array([36, 36, 36, 0xC0], np.uint8)
_CHECKER_LIGHT = np.array([15, 15, 15, 0x30], np.uint8)


class CursorError(ValueError):
    """A cursor that cannot be shown: bad size, short data, unknown type, or a cache miss."""


@dataclass(eq=False)
class CursorShape:
    """A decoded pointer image. Arrays are read-only: shapes are shared through the cache.

    argb: (H, W, 4) uint8, B,G,R,A premultiplied, ready for QImage.Format_ARGB32_Premultiplied or Cairo ARGB32:
        the image to show where the platform cannot invert. It is exact except at `invert_mask` pixels, which hold
        a visible stand-in, and, for MONO cursors whose AND plane is all ones (pure XOR shapes such as the
        classic I-beam), the transparent pixels around the inverted ones, which are made black (spice-gtk's
        "edge highlight") so the shape shows on white too.
    invert_mask: (H, W) bool, pixels that invert the screen under them; None when no pixel does.
    mono: for MONO cursors, (bitmap, mask) bool planes in the X11/Qt QBitmap cursor convention: mask=1 bitmap=1
        black, mask=1 bitmap=0 white, mask=0 bitmap=0 transparent, mask=0 bitmap=1 inverts (Qt honours this
        on Windows). They are exact: bitmap = not (AND xor XOR), mask = not AND.
    kind / unique: the header's cursor type and cache id.
    A cursor sent with no pixels (width or height 0: the Windows driver's "transparent pointer") decodes to a
    1x1 fully transparent shape with `empty` set, so a frontend needs no special case to show no pointer.
    """

    width: int
    height: int
    hot_x: int
    hot_y: int
    argb: np.ndarray
    invert_mask: np.ndarray | None = None
    mono: tuple[np.ndarray, np.ndarray] | None = None
    kind: int = CursorType.ALPHA
    unique: int = 0
    empty: bool = False

    @property
    def nbytes(self) -> int:
        n = self.argb.nbytes
        if self.invert_mask is not None:
            n += self.invert_mask.nbytes
        if self.mono is not None:
            n += self.mono[0].nbytes + self.mono[1].nbytes
        return n

    def over(self, background: np.ndarray) -> np.ndarray:
        """The cursor drawn exactly over `background` ((H, W, 4) B,G,R,A premultiplied), inversion included.

        For a frontend that draws the pointer itself (server mouse mode) and can therefore invert.
        """
        bg = np.asarray(background, np.uint8)
        if bg.shape != self.argb.shape:
            raise ValueError(f"background is {bg.shape}, the cursor {self.argb.shape}")
        out = bg.copy()
        if self.mono is not None:
            bitmap, mask = self.mono
            and_bits = ~mask
            xor_bits = ~bitmap ^ and_bits
            rgb = out[..., :3]
            rgb[~and_bits] = 0
            rgb[xor_bits] ^= 0xFF
            return out
        src = self.argb.astype(np.uint32)
        keep = 255 - src[..., 3:4]
        out[:] = src + (bg.astype(np.uint32) * keep + 127) // 255
        if self.invert_mask is not None:
            inv = self.invert_mask
            out[inv, :3] = 255 - bg[inv, :3]
            out[inv, 3] = bg[inv, 3]
        return out


def _int_field(obj: object, name: str, limit: int) -> int:
    try:
        value = getattr(obj, name)
    except AttributeError:
        raise CursorError(f"cursor header has no {name}") from None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= int(value) <= limit:
        raise CursorError(f"cursor header {name}={value!r} is not a u{limit.bit_length()}")
    return int(value)


def _plane_bits(buf: np.ndarray, width: int, height: int) -> np.ndarray:
    """(height, width) bool from a 1-bpp plane, MSB first, rows padded to bytes."""
    rows = buf.reshape(height, (width + 7) // 8)
    return np.unpackbits(rows, axis=1, count=width).astype(bool)


def data_size(kind: int, width: int, height: int) -> int:
    """How many bytes the layout of a `kind` cursor of this size takes (more may follow; they are ignored)."""
    mask = (width + 7) // 8 * height
    if kind == CursorType.ALPHA:
        return 4 * width * height
    if kind == CursorType.MONO:
        return 2 * mask
    if kind == CursorType.COLOR4:
        pixels = (width + 1) // 2 * height + 16 * 4
    elif kind == CursorType.COLOR8:
        pixels = width * height + 256 * 4
    else:
        pixels = _BYTES_PER_PIXEL[CursorType(kind)] * width * height
    return pixels + mask


def _freeze(*arrays: np.ndarray | None) -> None:
    for a in arrays:
        if a is not None:
            a.flags.writeable = False


def _decode_alpha(buf: np.ndarray, width: int, height: int) -> np.ndarray:
    argb = buf.reshape(height, width, 4).copy()
    # Premultiplied pixels cannot be brighter than their alpha; clamp what a careless guest sends.
    np.minimum(argb[..., :3], argb[..., 3:4], out=argb[..., :3])
    return argb


def _edge_highlight(xor_bits: np.ndarray) -> np.ndarray:
    """Pixels off in `xor_bits` with an 8-neighbour on, away from the border (where spice-gtk draws black)."""
    h, w = xor_bits.shape
    edge = np.zeros((h, w), bool)
    if h < 3 or w < 3:
        return edge
    padded = np.pad(xor_bits, 1)
    near = np.zeros((h, w), bool)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if dy != 1 or dx != 1:
                near |= padded[dy : dy + h, dx : dx + w]
    edge[1:-1, 1:-1] = (near & ~xor_bits)[1:-1, 1:-1]
    return edge


def _decode_mono(buf: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, tuple]:
    plane = (width + 7) // 8 * height
    and_bits = _plane_bits(buf[:plane], width, height)
    xor_bits = _plane_bits(buf[plane : 2 * plane], width, height)
    argb = np.zeros((height, width, 4), np.uint8)
    argb[~and_bits, 3] = 255  # black or white, both opaque
    argb[xor_bits] = 255  # white; with AND=1 the stand-in for inversion
    invert = and_bits & xor_bits
    if and_bits.all():
        argb[_edge_highlight(xor_bits)] = (0, 0, 0, 255)
    return argb, invert, (~(and_bits ^ xor_bits), ~and_bits)


def _decode_color(kind: int, buf: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    n = width * height
    if kind == CursorType.COLOR32:
        rgb = buf[: 4 * n].view("<u4").reshape(height, width) & 0xFFFFFF
        white = rgb == 0xFFFFFF
        offset = 4 * n
    elif kind == CursorType.COLOR24:
        bgr = buf[: 3 * n].reshape(height, width, 3).astype(np.uint32)
        rgb = bgr[..., 0] | bgr[..., 1] << 8 | bgr[..., 2] << 16
        white = rgb == 0xFFFFFF
        offset = 3 * n
    elif kind == CursorType.COLOR16:
        pix = buf[: 2 * n].view("<u2").reshape(height, width).astype(np.uint32)
        # 5-bit channels shifted up without replicating the top bits, as the reference clients do.
        rgb = (pix & 0x1F) << 3 | (pix & 0x3E0) << 6 | (pix & 0x7C00) << 9
        white = (pix & 0x7FFF) == 0x7FFF
        offset = 2 * n
    elif kind == CursorType.COLOR8:
        idx = buf[:n].reshape(height, width)
        palette = buf[n : n + 1024].view("<u4") & 0xFFFFFF
        rgb = palette[idx]
        white = rgb == 0xFFFFFF
        offset = n + 1024
    else:  # COLOR4
        stride = (width + 1) // 2
        packed = buf[: stride * height].reshape(height, stride)
        idx = np.empty((height, 2 * stride), np.uint8)
        idx[:, 0::2] = packed >> 4
        idx[:, 1::2] = packed & 0x0F
        offset = stride * height
        palette = buf[offset : offset + 64].view("<u4") & 0xFFFFFF
        rgb = palette[idx[:, :width]]
        white = rgb == 0xFFFFFF
        offset += 64
    and_bits = _plane_bits(buf[offset : offset + (width + 7) // 8 * height], width, height)
    argb = np.zeros((height, width, 4), np.uint8)
    opaque = ~and_bits
    colours = rgb[opaque].astype("<u4") | np.uint32(0xFF000000)
    argb[opaque] = colours.view(np.uint8).reshape(-1, 4)
    invert = and_bits & white
    if invert.any():
        ys, xs = np.nonzero(invert)
        argb[ys, xs] = np.where(((xs ^ ys) & 1)[:, None] == 1, _CHECKER_DARK, _CHECKER_LIGHT)
    return argb, invert


def decode_cursor(header: CursorHeader, data: bytes | bytearray | memoryview) -> CursorShape:
    """Decode one cursor image. `header`: a CursorHeader (unique, type, width, height, hot_spot_x, hot_spot_y).

    Raises CursorError, and nothing else, for anything that cannot be shown.
    """
    unique = _int_field(header, "unique", 2**64 - 1)
    kind = _int_field(header, "type", 0xFF)
    width = _int_field(header, "width", 0xFFFF)
    height = _int_field(header, "height", 0xFFFF)
    hot_x = _int_field(header, "hot_spot_x", 0xFFFF)
    hot_y = _int_field(header, "hot_spot_y", 0xFFFF)
    if kind > max(CursorType):
        raise CursorError(f"unknown cursor type {kind}")
    if width > MAX_CURSOR_SIDE or height > MAX_CURSOR_SIDE:
        raise CursorError(f"cursor {width}x{height} is larger than {MAX_CURSOR_SIDE}x{MAX_CURSOR_SIDE}")
    if width == 0 or height == 0:
        argb = np.zeros((1, 1, 4), np.uint8)
        _freeze(argb)
        return CursorShape(1, 1, 0, 0, argb, kind=kind, unique=unique, empty=True)
    try:
        raw = memoryview(data).cast("B")
    except TypeError as exc:
        raise CursorError(f"cursor data is not a byte buffer: {exc}") from None
    need = data_size(kind, width, height)
    if len(raw) < need:
        raise CursorError(f"{CursorType(kind).name} cursor {width}x{height} needs {need} bytes, got {len(raw)}")
    buf = np.frombuffer(raw, np.uint8, count=need)
    # spice-gtk caps a hot spot outside the image to the width/height (X accepts a hot spot on that edge too).
    hot_x, hot_y = min(hot_x, width), min(hot_y, height)
    invert: np.ndarray | None = None
    mono: tuple[np.ndarray, np.ndarray] | None = None
    if kind == CursorType.ALPHA:
        argb = _decode_alpha(buf, width, height)
    elif kind == CursorType.MONO:
        argb, invert, mono = _decode_mono(buf, width, height)
    else:
        argb, invert = _decode_color(kind, buf, width, height)
    if invert is not None and not invert.any():
        invert = None
    _freeze(argb, invert, *(mono or ()))
    return CursorShape(width, height, hot_x, hot_y, argb, invert, mono, kind=kind, unique=unique)


class CursorCache:
    """The client side of the server's cursor cache: shapes by `unique`; safe to use from several threads.

    spice-server keeps at most 256 cursors cached per client and sends INVAL_ONE / INVAL_ALL when it drops them;
    spice-gtk's table is unbounded. This one is bounded (well above what a server uses) so a hostile server
    cannot grow it without limit: past `max_entries` or `max_bytes`, the least recently used shape goes.
    Call inval_all() on INIT and RESET too, as spice-gtk clears its cache there.
    """

    def __init__(self, max_entries: int = 1024, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._shapes: OrderedDict[int, CursorShape] = OrderedDict()
        self._bytes = 0

    def resolve(self, cursor: Cursor) -> CursorShape | None:
        """The shape a Cursor struct (flags, header, data) stands for: None for flags NONE (no cursor).

        FROM_CACHE looks `header.unique` up; otherwise the data is decoded, and kept when CACHE_ME is set.
        Raises CursorError for a bad cursor or an id the cache does not hold.
        """
        flags = getattr(cursor, "flags", None)
        if isinstance(flags, bool) or not isinstance(flags, int | np.integer):
            raise CursorError(f"cursor flags {flags!r} are not an integer")
        if flags & CursorFlags.NONE:
            return None
        header = getattr(cursor, "header", None)
        if header is None:
            raise CursorError("cursor without a header")
        if flags & CursorFlags.FROM_CACHE:
            unique = _int_field(header, "unique", 2**64 - 1)
            shape = self.get(unique)
            if shape is None:
                raise CursorError(f"cursor {unique:#x} is not in the cache")
            return shape
        shape = decode_cursor(header, getattr(cursor, "data", b""))
        if flags & CursorFlags.CACHE_ME:
            self.put(shape.unique, shape)
        return shape

    def get(self, unique: int) -> CursorShape | None:
        with self._lock:
            shape = self._shapes.get(unique)
            if shape is not None:
                self._shapes.move_to_end(unique)
            return shape

    def put(self, unique: int, shape: CursorShape) -> None:
        """Keep `shape` under `unique`, replacing what was there (as spice-gtk does)."""
        size = shape.nbytes
        with self._lock:
            old = self._shapes.pop(unique, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._shapes[unique] = shape
            self._bytes += size
            while len(self._shapes) > 1 and (len(self._shapes) > self.max_entries or self._bytes > self.max_bytes):
                _, dropped = self._shapes.popitem(last=False)
                self._bytes -= dropped.nbytes

    def inval_one(self, unique: int) -> None:
        with self._lock:
            old = self._shapes.pop(unique, None)
            if old is not None:
                self._bytes -= old.nbytes

    def inval_all(self) -> None:
        with self._lock:
            self._shapes.clear()
            self._bytes = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._shapes)

    def __contains__(self, unique: object) -> bool:
        with self._lock:
            return unique in self._shapes

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes
