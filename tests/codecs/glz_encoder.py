"""A test-only SPICE GLZ encoder (pure Python, small images), with its own copy of the window.

It writes the GLZ layout (33-byte header, same-image and cross-image matches with every offset
and image-distance width) and keeps, per image id, exactly what a decoder stores: uint32 pixels
in wire order whose fourth byte is 0 for literal RGB pixels and whatever a match copied
otherwise. Matches are greedy over the current image and every image it was told to look at.
"""

from __future__ import annotations

import struct

import numpy as np
from lz_encoder import MAGIC, RGB16, RGB24, RGB32, RGBA, VERSION, expand555

BIAS = {RGB32: 0, RGB24: 0, RGBA: 0, RGB16: 1}
BIAS_ALPHA = 2
MAX_PIXEL_OFFSET = (1 << 25) - 1


def encode_match(out: bytearray, length: int, bias: int, offset: int, dist: int) -> None:
    """`offset`: distance back minus one when dist == 0, else the pixel index in image id-dist."""
    coded = length - bias
    assert coded >= 1 and 0 <= offset <= MAX_PIXEL_OFFSET and 0 <= dist < (1 << 30)
    tail = bytearray()
    if offset < (1 << 12):
        long_ofs = 0
        extra = next(e for e in range(4) if dist < (1 << (6 + 8 * e)))
        third = (extra << 6) | (dist & 0x3F)
        tail += bytes((dist >> (6 + 8 * i)) & 255 for i in range(extra))
    else:
        long_ofs = 1
        assert dist < (1 << 24)
        extra = next(e for e in range(4) if dist < (1 << (8 * e)))
        very_long = int(offset >= (1 << 17))
        third = (extra << 6) | (very_long << 5) | ((offset >> 12) & 0x1F)
        tail += bytes((dist >> (8 * i)) & 255 for i in range(extra))
        if very_long:
            tail.append((offset >> 17) & 255)
    out.append((min(coded, 7) << 5) | (long_ofs << 4) | (offset & 15))
    if coded >= 7:
        rest = coded - 7
        while rest >= 255:
            out.append(255)
            rest -= 255
        out.append(rest)
    out.append((offset >> 4) & 255)
    out.append(third)
    out += tail


class GlzTestEncoder:
    """Encodes images against a window of earlier ones (ids chosen by the test)."""

    def __init__(self) -> None:
        self.stored: dict[int, np.ndarray] = {}  # id -> uint32 pixels as the decoder keeps them
        self._pairs: dict[tuple[int, bool], dict] = {}  # (id, alpha pass) -> pair index, reused

    def encode(
        self,
        bgra: np.ndarray,
        image_id: int,
        kind: int = RGB32,
        *,
        win_head_dist: int = 0,
        top_down: bool = True,
        refs: tuple[int, ...] = (),
        words: np.ndarray | None = None,
        same_image: bool = True,
    ) -> bytes:
        """Encode (H, W, 4) B,G,R,A pixels (or RGB16 `words`) as image `image_id`.

        `refs`: ids of stored images that matches may use. `same_image=False` forbids matches
        inside the image itself, to force cross-image references.
        """
        if kind == RGB16:
            assert words is not None
            h, w = words.shape
            wire_words = words if top_down else words[::-1]
            colours = expand555(wire_words).view(np.uint32).reshape(-1) & _colour_mask()
            literal = [struct.pack(">H", int(v) & 0x7FFF) for v in wire_words.reshape(-1)]
        else:
            h, w = bgra.shape[:2]
            wire = bgra if top_down else bgra[::-1]
            rgb0 = wire.copy()
            rgb0[..., 3] = 0
            colours = rgb0.view(np.uint32).reshape(-1)
            literal = [bytes(p[:3]) for p in wire.reshape(-1, 4)]
        stored = colours.copy()  # literal pixels are stored with X = 0
        out = bytearray(
            struct.pack(
                ">IIBIIIQI",
                MAGIC,
                VERSION,
                kind | (int(top_down) << 4),
                w,
                h,
                w * {RGB16: 2, RGB24: 3, RGB32: 4, RGBA: 4}[kind],
                image_id,
                win_head_dist,
            )
        )
        mask = _colour_mask()
        sources = [(rid, self.stored[rid] & mask) for rid in refs]
        self._pass(
            out,
            [int(c) for c in colours],
            literal,
            BIAS[kind],
            image_id,
            sources,
            same_image,
            copy=lambda op, src, ln: _copy(stored, op, src, ln, None),
            alpha=False,
        )
        if kind == RGBA:
            alpha = wire[..., 3].reshape(-1)
            sources = [(rid, self.stored[rid] >> 24 if _little() else self.stored[rid] & 255) for rid in refs]
            self._pass(
                out,
                [int(a) for a in alpha],
                [bytes((int(a),)) for a in alpha],
                BIAS_ALPHA,
                image_id,
                sources,
                same_image,
                copy=lambda op, src, ln: _copy(stored, op, src, ln, "alpha"),
                alpha=True,
            )
            stored_bytes = stored.view(np.uint8).reshape(-1, 4)
            stored_bytes[:, 3] = alpha
        self.stored[image_id] = stored
        self._pairs.pop((image_id, False), None)  # an id encoded again: its old index is stale
        self._pairs.pop((image_id, True), None)
        return bytes(out)

    def _pass(self, out, units, literal, bias, image_id, sources, same_image, copy, alpha) -> None:
        n = len(units)
        min_len = bias + 1
        src_vals = {rid: arr.tolist() for rid, arr in sources}
        src_pairs = {}
        for rid, _ in sources:
            pairs = self._pairs.get((rid, alpha))
            if pairs is None:
                vals = src_vals[rid]
                pairs = {}
                for k in range(len(vals) - 1):
                    pairs.setdefault((vals[k], vals[k + 1]), []).append(k)
                self._pairs[(rid, alpha)] = pairs
            src_pairs[rid] = pairs
        own: dict[tuple[int, int], int] = {}
        pending: list[int] = []

        def flush() -> None:
            while pending:
                chunk = pending[:32]
                del pending[:32]
                out.append(len(chunk) - 1)
                for i in chunk:
                    out.extend(literal[i])

        i = 0
        while i < n:
            best = (0, None, 0)  # length, source id (None: this image), position
            key = tuple(units[i : i + 2])
            if same_image:
                for j in (i - 1, own.get(key, -1)):
                    if j >= 0:
                        ln = 0
                        while i + ln < n and units[j + ln] == units[i + ln]:
                            ln += 1
                        if ln > best[0]:
                            best = (ln, None, j)
            for rid, pos in [(r, k) for r, pairs in src_pairs.items() for k in pairs.get(key, ())[-4:]]:
                vals = src_vals[rid]
                ln = 0
                while i + ln < n and pos + ln < len(vals) and vals[pos + ln] == units[i + ln]:
                    ln += 1
                if ln > best[0]:
                    best = (ln, rid, pos)
            ln, rid, pos = best
            step = ln if ln >= min_len else 1
            for k in range(i, min(i + step, n - 1)):
                own[tuple(units[k : k + 2])] = k
            if ln >= min_len:
                flush()
                if rid is None:
                    encode_match(out, ln, bias, i - pos - 1, 0)
                    copy(i, (None, pos), ln)
                else:
                    encode_match(out, ln, bias, pos, image_id - rid)
                    copy(i, (self.stored[rid], pos), ln)
            else:
                pending.append(i)
            i += step
        flush()


def _little() -> bool:
    return np.little_endian


def _colour_mask() -> np.uint32:
    return np.array([255, 255, 255, 0], np.uint8).view(np.uint32)[0]


def _copy(stored: np.ndarray, op: int, source: tuple, length: int, alpha: str | None) -> None:
    """Mirror of the decoder's forward copy, so the stored X/alpha bytes match."""
    arr, pos = source
    if alpha:
        return  # the alpha pass writes every pixel's fourth byte afterwards anyway
    for k in range(length):
        stored[op + k] = (stored if arr is None else arr)[pos + k]
