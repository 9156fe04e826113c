"""Pixel arrays for the lab: PNG/PPM files (stdlib + numpy only), comparison and PSNR.

The lab's canonical picture is an (H, W, 4) uint8 array with bytes B, G, R, X (X = 0xFF), the canvas'
XRGB32 layout on little endian. (H, W, 3) arrays are R, G, B; (H, W) arrays are gray.
"""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# -- layout conversions ------------------------------------------------------------------------------


def bgrx_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) R,G,B -> (H, W, 4) B,G,R,0xFF."""
    h, w, _ = rgb.shape
    out = np.full((h, w, 4), 0xFF, np.uint8)
    out[..., 0], out[..., 1], out[..., 2] = rgb[..., 2], rgb[..., 1], rgb[..., 0]
    return out


def rgb_from_bgrx(bgrx: np.ndarray) -> np.ndarray:
    """(H, W, 4) B,G,R,X -> (H, W, 3) R,G,B (a contiguous copy)."""
    return np.ascontiguousarray(bgrx[..., 2::-1])


def _as_rgb_or_gray(img: np.ndarray) -> np.ndarray:
    if img.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {img.dtype}")
    if img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3):
        return np.ascontiguousarray(img)
    if img.ndim == 3 and img.shape[2] == 4:
        return rgb_from_bgrx(img)
    raise ValueError(f"unsupported picture shape {img.shape}")


# -- PNG ---------------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(img: np.ndarray, level: int = 6) -> bytes:
    """PNG bytes of a BGRX, RGB or gray uint8 array (8-bit, 'Up' filter on every row: small and fast)."""
    pix = _as_rgb_or_gray(img)
    h, w = pix.shape[:2]
    color_type = 0 if pix.ndim == 2 else 2
    rows = pix.reshape(h, -1)
    up = rows.copy()
    up[1:] -= rows[:-1]  # uint8 wraps: exactly the PNG Up filter
    raw = np.empty((h, rows.shape[1] + 1), np.uint8)
    raw[:, 0] = 2
    raw[:, 1:] = up
    ihdr = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(raw.tobytes(), level))
        + _chunk(b"IEND", b"")
    )


def save_png(img: np.ndarray, path: str | Path) -> Path:
    """Write a BGRX / RGB / gray uint8 array as a PNG (alpha/X dropped); returns the path."""
    path = Path(path)
    path.write_bytes(encode_png(img))
    return path


def _unfilter_rows(raw: np.ndarray, ftypes: np.ndarray, bpp: int) -> np.ndarray:
    """Undo per-row filters None/Sub/Up only (vectorized per row)."""
    h, stride = raw.shape
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(h):
        row = raw[y]
        ft = ftypes[y]
        if ft == 0:
            out[y] = row
        elif ft == 2:
            out[y] = row + prev
        else:  # Sub: a running sum per channel, modulo 256
            sums = np.cumsum(row.reshape(-1, bpp), axis=0, dtype=np.uint64)
            out[y] = (sums & 0xFF).astype(np.uint8).reshape(-1)
        prev = out[y]
    return out


def _unfilter_wavefront(raw: np.ndarray, ftypes: np.ndarray, bpp: int) -> np.ndarray:
    """Undo any mix of the five filters, one anti-diagonal of pixels at a time.

    Every predictor reads only left, up and up-left, all on earlier anti-diagonals, so each diagonal is
    one vectorized step (H + W steps instead of H * W Python iterations for Avg/Paeth rows).
    """
    h, stride = raw.shape
    w = stride // bpp
    src = raw.reshape(h, w, bpp).astype(np.int32)
    pad = np.zeros((h + 1, w + 1, bpp), np.int32)  # pad[y + 1, x + 1] = pixel (y, x); zeros outside
    ft_all = ftypes.astype(np.int32)
    for d in range(h + w - 1):
        ys = np.arange(max(0, d - w + 1), min(h - 1, d) + 1)
        xs = d - ys
        a = pad[ys + 1, xs]
        b = pad[ys, xs + 1]
        c = pad[ys, xs]
        ft = ft_all[ys][:, None]
        p = a + b - c
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
        paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
        pred = np.select([ft == 1, ft == 2, ft == 3, ft == 4], [a, b, (a + b) >> 1, paeth], 0)
        pad[ys + 1, xs + 1] = (src[ys, xs] + pred) & 0xFF
    return pad[1:, 1:].astype(np.uint8).reshape(h, stride)


def decode_png(data: bytes) -> np.ndarray:
    """Decode an 8-bit, non-interlaced gray / gray+alpha / RGB / RGBA PNG to (H, W, 4) B,G,R,0xFF.

    Alpha is dropped (pictures our client writes are opaque screens).
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    pos = len(PNG_SIGNATURE)
    ihdr: tuple[int, ...] | None = None
    idat = []
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if ihdr is None:
        raise ValueError("PNG without IHDR")
    w, h, depth, color_type, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color_type)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError(f"unsupported PNG: depth {depth}, color type {color_type}, interlace {interlace}")
    stride = w * channels
    rows = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(h, stride + 1)
    ftypes = rows[:, 0]
    if ftypes.max(initial=0) > 4:
        raise ValueError("bad PNG filter type")
    if np.isin(ftypes, (3, 4)).any():
        pix = _unfilter_wavefront(rows[:, 1:], ftypes, channels)
    else:
        pix = _unfilter_rows(rows[:, 1:], ftypes, channels)
    pix = pix.reshape(h, w, channels)
    if channels <= 2:
        return bgrx_from_rgb(np.repeat(pix[..., :1], 3, axis=2))
    return bgrx_from_rgb(pix[..., :3])


def load_png(path: str | Path) -> np.ndarray:
    """Read an 8-bit RGB/RGBA (or gray) PNG as (H, W, 4) B,G,R,0xFF."""
    return decode_png(Path(path).read_bytes())


# -- PPM (what spicy-screenshot writes; what ImageMagick `display` reads fastest) --------------------

_PPM_HEADER = re.compile(rb"P6\s+(?:#[^\n]*\n\s*)*(\d+)\s+(?:#[^\n]*\n\s*)*(\d+)\s+(?:#[^\n]*\n\s*)*(\d+)\s")


def decode_ppm(data: bytes) -> np.ndarray:
    """A binary (P6, maxval 255) PPM as (H, W, 4) B,G,R,0xFF."""
    m = _PPM_HEADER.match(data)
    if m is None:
        raise ValueError("not a binary P6 PPM")
    w, h, maxval = (int(g) for g in m.groups())
    if maxval != 255:
        raise ValueError(f"PPM maxval {maxval} unsupported")
    body = np.frombuffer(data, np.uint8, count=w * h * 3, offset=m.end())
    return bgrx_from_rgb(body.reshape(h, w, 3))


def load_ppm(path: str | Path) -> np.ndarray:
    return decode_ppm(Path(path).read_bytes())


def save_ppm(img: np.ndarray, path: str | Path) -> Path:
    """Write a BGRX or RGB uint8 array as a binary PPM."""
    rgb = _as_rgb_or_gray(img)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    path = Path(path)
    h, w = rgb.shape[:2]
    path.write_bytes(b"P6\n%d %d\n255\n" % (w, h) + rgb.tobytes())
    return path


# -- comparison --------------------------------------------------------------------------------------


def _colors(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if a.shape != b.shape:
        raise ValueError(f"pictures differ in size: {a.shape} vs {b.shape}")
    if a.ndim == 3 and a.shape[2] == 4:
        return a[..., :3], b[..., :3]  # the X byte carries no colour
    return a, b


def compare(a: np.ndarray, b: np.ndarray, tolerance: int = 0) -> tuple[int, tuple[int, int, int, int] | None]:
    """(number of pixels whose colour differs by more than tolerance, bbox (x0, y0, x1, y1) exclusive).

    bbox is None when the pictures match.
    """
    ca, cb = _colors(a, b)
    delta = np.abs(ca.astype(np.int16) - cb.astype(np.int16))
    bad = delta > tolerance
    if bad.ndim == 3:
        bad = bad.any(axis=2)
    n = int(bad.sum())
    if n == 0:
        return 0, None
    ys = np.flatnonzero(bad.any(axis=1))
    xs = np.flatnonzero(bad.any(axis=0))
    return n, (int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB over the colour channels (inf when identical)."""
    ca, cb = _colors(a, b)
    mse = float(np.mean((ca.astype(np.float64) - cb.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def diff_image(a: np.ndarray, b: np.ndarray, tolerance: int = 0) -> np.ndarray:
    """A picture for humans: a dimmed gray copy of a, with differing pixels in bright red (BGRX)."""
    ca, cb = _colors(a, b)
    bad = (np.abs(ca.astype(np.int16) - cb.astype(np.int16)) > tolerance).any(axis=-1)
    gray = (ca.astype(np.uint16).sum(axis=-1) // 6).astype(np.uint8)  # a third of the mean: dim
    out = np.empty(bad.shape + (4,), np.uint8)
    out[..., 0] = out[..., 1] = out[..., 2] = gray
    out[..., 3] = 0xFF
    out[bad] = (0, 0, 0xFF, 0xFF)
    return out
