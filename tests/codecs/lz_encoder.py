"""A test-only SPICE LZ encoder (pure Python, for small images).

It writes the stream layout the decoder reads (header, instruction bytes, the 16-bit far-distance
escape, extended lengths, RGBA's second alpha pass) so round trips run without a server. It is
greedy and slow on purpose: clarity over ratio. `force` knobs make it use the rare encodings.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

import numpy as np

MAGIC = 0x20205A4C
VERSION = 0x00010001

PLT1_LE, PLT1_BE, PLT4_LE, PLT4_BE, PLT8, RGB16, RGB24, RGB32, RGBA, XXXA, A8 = range(1, 12)
PIXELS_PER_BYTE = {PLT1_LE: 8, PLT1_BE: 8, PLT4_LE: 2, PLT4_BE: 2, PLT8: 1}
BYTES_PER_PIXEL = {RGB16: 2, RGB24: 3, RGB32: 4, RGBA: 4, XXXA: 4, A8: 1}
SHORT_DISTANCE = 8191  # distances (minus one) from here on use the 16-bit escape
MAX_DISTANCE = 8191 + 65535 + 1

# Bias between a coded match length and the real one, per unit kind.
BIAS_RGB = 0
BIAS_RGB16 = 1
BIAS_BYTE = 2


def encode_match(out: bytearray, length: int, distance: int, bias: int) -> None:
    coded = length - bias
    assert coded >= 1 and 1 <= distance <= MAX_DISTANCE
    ofs = distance - 1
    far = ofs >= SHORT_DISTANCE
    high = 31 if far else ofs >> 8
    if coded < 7:
        out.append((coded << 5) | high)
    else:
        out.append((7 << 5) | high)
        rest = coded - 7
        while rest >= 255:
            out.append(255)
            rest -= 255
        out.append(rest)
    if far:
        out.append(255)
        out += struct.pack(">H", ofs - SHORT_DISTANCE)
    else:
        out.append(ofs & 255)


def encode_units(
    units: Sequence[int],
    literal: Callable[[int], bytes],
    bias: int,
    max_distance: int = MAX_DISTANCE,
    min_gain: int = 0,
) -> bytes:
    """Greedy LZ over a sequence of units (pixels as ints, or bytes).

    Matches may overlap their own output (distance < length), as the decoder copies forwards.
    """
    out = bytearray()
    n = len(units)
    min_len = bias + 1 + min_gain
    last: dict[tuple[int, ...], int] = {}
    pending: list[int] = []

    def flush() -> None:
        while pending:
            chunk = pending[:32]
            del pending[:32]
            out.append(len(chunk) - 1)
            for u in chunk:
                out.extend(literal(u))

    i = 0
    while i < n:
        best_len, best_dist = 0, 0
        key = tuple(units[i : i + 2])
        candidates = [i - 1]
        if key in last:
            candidates.append(last[key])
        for j in candidates:
            if j < 0 or i - j > max_distance:
                continue
            length = 0
            while i + length < n and units[j + length] == units[i + length]:
                length += 1
            if length > best_len:
                best_len, best_dist = length, i - j
        step = best_len if best_len >= min_len else 1
        for k in range(i, min(i + step, n - 1)):
            last[tuple(units[k : k + 2])] = k
        if step > 1 or best_len >= min_len:
            flush()
            encode_match(out, best_len, best_dist, bias)
        else:
            pending.append(units[i])
        i += step
    flush()
    return bytes(out)


def literal_runs(seed: int) -> tuple[np.ndarray, bytes]:
    """Pixels (N, 3) and an LZ/GLZ stream of them as literal runs of every length, 1 to 32 and back to 1: each run
    of 24-bit literals is decoded with word loads or byte by byte depending on what follows it."""
    lengths = [*range(1, 33), *range(32, 0, -1)]
    colours = np.random.default_rng(seed).integers(0, 256, (sum(lengths), 3), dtype=np.uint8)
    body = bytearray()
    pos = 0
    for count in lengths:
        body.append(count - 1)  # a ctrl byte below 32: count literals follow
        body += colours[pos : pos + count].tobytes()
        pos += count
    return colours, bytes(body)


def header(kind: int, width: int, height: int, stride: int, top_down: bool) -> bytes:
    return struct.pack(">IIIIIII", MAGIC, VERSION, kind, width, height, stride, int(top_down))


def _wire_rows(rows: np.ndarray, top_down: bool) -> np.ndarray:
    return rows if top_down else rows[::-1]


def _pixel_ints(bgra: np.ndarray) -> list[int]:
    b = bgra.astype(np.uint32)
    return [int(v) for v in (b[..., 0] | (b[..., 1] << 8) | (b[..., 2] << 16)).reshape(-1)]


def encode_rgb(bgra: np.ndarray, kind: int = RGB32, top_down: bool = True, **kw) -> bytes:
    """(H, W, 4) B,G,R,A pixels as RGB24, RGB32 or RGBA (alpha as a second pass)."""
    h, w = bgra.shape[:2]
    wire = _wire_rows(bgra, top_down)
    body = encode_units(_pixel_ints(wire), lambda p: bytes((p & 255, (p >> 8) & 255, p >> 16)), BIAS_RGB, **kw)
    if kind == RGBA:
        body += encode_units(wire[..., 3].reshape(-1).tolist(), lambda a: bytes((a,)), BIAS_BYTE, **kw)
    return header(kind, w, h, w * BYTES_PER_PIXEL[kind], top_down) + body


def encode_rgb16(words: np.ndarray, top_down: bool = True, **kw) -> bytes:
    """(H, W) x1r5g5b5 words; literals are big-endian on the wire."""
    h, w = words.shape
    units = list(_wire_rows(words, top_down).reshape(-1).tolist())
    body = encode_units(units, lambda v: struct.pack(">H", v & 0x7FFF), BIAS_RGB16, **kw)
    return header(RGB16, w, h, w * 2, top_down) + body


def encode_bytes(kind: int, plane: np.ndarray, width: int, top_down: bool = True, **kw) -> bytes:
    """A byte plane: packed palette rows (H, stride), or (H, W) A8 / XXXA alpha."""
    h, stride = plane.shape
    units = list(_wire_rows(plane, top_down).reshape(-1).tolist())
    body = encode_units(units, lambda v: bytes((v,)), BIAS_BYTE, **kw)
    hdr_stride = stride if kind in PIXELS_PER_BYTE else width * BYTES_PER_PIXEL[kind]
    return header(kind, width, h, hdr_stride, top_down) + body


def pack_palette_rows(indexes: np.ndarray, kind: int) -> np.ndarray:
    """(H, W) palette indexes to packed rows in the type's bit order (padding bits zero)."""
    h, w = indexes.shape
    ppb = PIXELS_PER_BYTE[kind]
    stride = -(-w // ppb)
    padded = np.zeros((h, stride * ppb), np.uint8)
    padded[:, :w] = indexes
    if ppb == 1:
        return padded
    bits = 8 // ppb
    groups = padded.reshape(h, stride, ppb).astype(np.uint32)
    msb_first = kind in (PLT1_BE, PLT4_BE)
    packed = np.zeros((h, stride), np.uint32)
    for k in range(ppb):
        shift = 8 - bits * (k + 1) if msb_first else bits * k
        packed |= groups[:, :, k] << shift
    return packed.astype(np.uint8)


def expand555(words: np.ndarray) -> np.ndarray:
    """The reference client's widening of x1r5g5b5 to B,G,R,0xFF."""
    w = words.astype(np.uint32)
    out = np.empty(words.shape + (4,), np.uint8)
    for i, shift in enumerate((0, 5, 10)):
        c = (w >> shift) & 31
        out[..., i] = (c << 3) | (c >> 2)
    out[..., 3] = 255
    return out
