"""Ground truth from the X server itself: `xwd -root` parsed in numpy (no ImageMagick).

capture(":N") returns the root window as (H, W, 4) uint8 B,G,R,0xFF, the layout our canvas uses, so a
test can compare a client's picture with what the server really shows. The PNG/PPM/compare helpers
live in spiceview_lab.pixels and are re-exported here.
"""

from __future__ import annotations

import struct
import subprocess
from dataclasses import dataclass

import numpy as np

from spiceview_lab.pixels import (  # noqa: F401 (re-exported)
    compare,
    decode_png,
    diff_image,
    encode_png,
    load_png,
    load_ppm,
    psnr,
    save_png,
    save_ppm,
)

XWD_FILE_VERSION = 7
Z_PIXMAP = 2
LSB_FIRST = 0
TRUE_COLOR, DIRECT_COLOR = 4, 5
_COLOR_SIZE = 12  # XWDColor: pixel u32, r/g/b u16, flags u8, pad u8


@dataclass(frozen=True)
class XwdHeader:
    header_size: int
    file_version: int
    pixmap_format: int
    pixmap_depth: int
    pixmap_width: int
    pixmap_height: int
    xoffset: int
    byte_order: int
    bitmap_unit: int
    bitmap_bit_order: int
    bitmap_pad: int
    bits_per_pixel: int
    bytes_per_line: int
    visual_class: int
    red_mask: int
    green_mask: int
    blue_mask: int
    bits_per_rgb: int
    colormap_entries: int
    ncolors: int
    window_width: int
    window_height: int
    window_x: int
    window_y: int
    window_bdrwidth: int


def parse_header(data: bytes) -> tuple[XwdHeader, str]:
    """The header and the struct byte order ('>' as xwd writes it, '<' if a writer did not swap)."""
    if len(data) < 100:
        raise ValueError("XWD data too short")
    for order in (">", "<"):
        fields = struct.unpack_from(order + "25I", data)
        if fields[1] == XWD_FILE_VERSION and 100 <= fields[0] <= len(data):
            return XwdHeader(*fields), order
    raise ValueError("not an XWD version 7 file")


def _channel(pix: np.ndarray, mask: int) -> np.ndarray:
    """Extract the bits of one mask and scale them to 0..255."""
    if mask == 0:
        raise ValueError("XWD colour mask is 0")
    shift = (mask & -mask).bit_length() - 1
    maxv = mask >> shift
    v = (pix >> np.uint32(shift)) & np.uint32(maxv)
    if maxv == 0xFF:
        return v.astype(np.uint8)
    return ((v.astype(np.uint64) * 255 + maxv // 2) // maxv).astype(np.uint8)


def parse_xwd(data: bytes) -> np.ndarray:
    """Decode a ZPixmap TrueColor/DirectColor XWD (16, 24 or 32 bpp) to (H, W, 4) B,G,R,0xFF."""
    hdr, _ = parse_header(data)
    if hdr.pixmap_format != Z_PIXMAP:
        raise ValueError(f"XWD pixmap format {hdr.pixmap_format} unsupported (only ZPixmap)")
    if hdr.visual_class not in (TRUE_COLOR, DIRECT_COLOR):
        raise ValueError(f"XWD visual class {hdr.visual_class} unsupported (only TrueColor/DirectColor)")
    bpp = hdr.bits_per_pixel
    if bpp not in (16, 24, 32):
        raise ValueError(f"XWD with {bpp} bits per pixel unsupported")
    w, h, stride = hdr.pixmap_width, hdr.pixmap_height, hdr.bytes_per_line
    offset = hdr.header_size + hdr.ncolors * _COLOR_SIZE
    if len(data) < offset + h * stride:
        raise ValueError("XWD image data truncated")
    rows = np.frombuffer(data, np.uint8, count=h * stride, offset=offset).reshape(h, stride)
    nbytes = bpp // 8
    px = rows[:, : w * nbytes].reshape(h, w, nbytes)
    lsb = hdr.byte_order == LSB_FIRST
    masks = (hdr.red_mask, hdr.green_mask, hdr.blue_mask)

    out = np.empty((h, w, 4), np.uint8)
    if nbytes == 4 and lsb and masks == (0xFF0000, 0xFF00, 0xFF):
        out[..., :3] = px[..., :3]  # already B, G, R in memory: the common case, a plain copy
    else:
        # Assemble each pixel's value from its bytes in the file's byte order, then apply the masks.
        weights = [1 << (8 * (i if lsb else nbytes - 1 - i)) for i in range(nbytes)]
        pix = np.zeros((h, w), np.uint32)
        for i, weight in enumerate(weights):
            pix |= px[..., i].astype(np.uint32) * np.uint32(weight)
        out[..., 2] = _channel(pix, masks[0])
        out[..., 1] = _channel(pix, masks[1])
        out[..., 0] = _channel(pix, masks[2])
    out[..., 3] = 0xFF
    return out


def capture_bytes(display: str, window: str = "root", timeout: float = 30.0) -> bytes:
    """Raw `xwd` output of the root window (or of a window id) of display."""
    target = ["-root"] if window == "root" else ["-id", window]
    res = subprocess.run(["xwd", *target, "-silent", "-display", display], capture_output=True, timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError(f"xwd -display {display} failed: {res.stderr.decode(errors='replace').strip()}")
    return res.stdout


def capture(display: str) -> np.ndarray:
    """The root window of display as (H, W, 4) uint8 B,G,R,0xFF (needs xwd, package x11-apps)."""
    return parse_xwd(capture_bytes(display))
