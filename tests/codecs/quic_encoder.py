"""A QUIC encoder for tests and benchmarks only (pure Python + numpy; some 250k pixels a second).

It writes the stream the SPICE server's encoder writes for the same pixels: the same prediction,
adaptive Golomb code choice, randomised model-update schedule, MELCODE runs and end padding. The
decoder is the reference for nothing here: this file is built from the format's description
(spiceview/codecs/quic/constants.py and family.py hold the shared facts), and its output was checked
bit for bit against the reference implementation locally (see test_quic.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from spiceview.codecs.quic.constants import (
    CHAOS,
    CHAOS_SEED,
    HALVING_TRIGGER,
    MAGIC,
    MELC_ORDER,
    VERSION,
    WAIT_MAX_INDEX,
    WAIT_STEP,
    QuicImageType,
)
from spiceview.codecs.quic.family import Family, family


class _Bits:
    """Collects codewords; packs them MSB first into little-endian 32-bit words at the end."""

    def __init__(self) -> None:
        self.codes: list[int] = []
        self.lens: list[int] = []

    def put(self, code: int, length: int) -> None:
        self.codes.append(code)
        self.lens.append(length)

    def ones(self, n: int) -> None:
        while n > 0:
            k = min(n, 16)
            self.put((1 << k) - 1, k)
            n -= k

    def pack(self) -> bytes:
        lens = np.asarray(self.lens, np.int64)
        codes = np.asarray(self.codes, np.uint64)
        end = np.cumsum(lens)
        start = end - lens
        total_words = int(end[-1] + 31) // 32 if len(lens) else 0
        word = start // 32
        # Each codeword (<= 32 bits) lies within a 64-bit window of two words.
        shift = (64 - (start % 32) - lens).astype(np.uint64)
        window = codes << shift
        hi = (window >> np.uint64(32)).astype(np.float64)
        lo = (window & np.uint64(0xFFFFFFFF)).astype(np.float64)
        # Codewords never overlap, so summing their fields is OR-ing them (exact in float64).
        words = np.bincount(word, weights=hi, minlength=total_words + 2)
        words += np.bincount(word + 1, weights=lo, minlength=total_words + 2)
        # The data words, then one zero word: the decoder's 32-bit look-ahead must stay inside the stream.
        return words[: total_words + 1].astype("<u4").tobytes()


class _Model:
    """Per-component adaptive code choice."""

    def __init__(self, fam: Family) -> None:
        self.fam = fam
        self.counters = [[0] * fam.bpc for _ in range(fam.buckets)]
        self.best = [fam.bpc - 1] * fam.buckets

    def code_for(self, context: int) -> int:
        return self.best[self.fam.bucket_of[context]]

    def update(self, context: int, value: int, trigger: int) -> None:
        bucket = self.fam.bucket_of[context]
        counters = self.counters[bucket]
        lens = self.fam.code_len[value]
        best = self.fam.bpc - 1
        counters[best] += lens[best]
        best_len = counters[best]
        for code in range(self.fam.bpc - 2, -1, -1):
            counters[code] += lens[code]
            if counters[code] < best_len:
                best, best_len = code, counters[code]
        self.best[bucket] = best
        if best_len > trigger:
            for code in range(self.fam.bpc):
                counters[code] >>= 1


class _Group:
    """Components coded together, sharing the update schedule and the run coder."""

    def __init__(self, fam: Family, ncomp: int, width: int) -> None:
        self.fam = fam
        self.models = [_Model(fam) for _ in range(ncomp)]
        # Residual rows with the context of pixel 0 at index 0 (pixel i lives at i + 1).
        self.resid = [[0] * (width + 1) for _ in range(ncomp)]
        self.wait = 0
        self.seed = CHAOS_SEED
        self.wmidx = 0
        self.wmileft = WAIT_STEP
        self.melcstate = 0

    def trigger(self) -> int:
        return HALVING_TRIGGER[min(self.wmidx, len(HALVING_TRIGGER) - 1)]

    def tick(self, i: int) -> None:
        if self.wait == 0:
            for model, res in zip(self.models, self.resid, strict=True):
                model.update(res[i], res[i + 1], self.trigger())
            self.seed += 1
            self.wait = CHAOS[self.seed & 0xFF] & ((1 << self.wmidx) - 1)
        else:
            self.wait -= 1

    def encode_run(self, bits: _Bits, run: int) -> None:
        hits = 0
        order = 1 << MELC_ORDER[self.melcstate]
        while run >= order:
            hits += 1
            run -= order
            if self.melcstate < len(MELC_ORDER) - 1:
                self.melcstate += 1
                order = 1 << MELC_ORDER[self.melcstate]
        bits.ones(hits)
        bits.put(run, MELC_ORDER[self.melcstate] + 1)  # a zero, then the remainder
        if self.melcstate:
            self.melcstate -= 1


def _fold(diff: np.ndarray, mask: int) -> np.ndarray:
    """Signed prediction error modulo levels -> 0, 1, 2 ... for 0, -1, +1, -2 ..."""
    d = diff & mask
    return np.where(d <= mask >> 1, d << 1, ((mask - d) << 1) + 1)


def _residuals(plane: np.ndarray, row: int, mask: int) -> list[int]:
    cur = plane[row].astype(np.int64)
    pred = np.zeros_like(cur)
    if row == 0:
        pred[1:] = cur[:-1]
    else:
        up = plane[row - 1].astype(np.int64)
        pred[0] = up[0]
        pred[1:] = (cur[:-1] + up[1:]) >> 1
    return _fold(cur - pred, mask).tolist()


def _encode_row(bits: _Bits, g: _Group, planes: np.ndarray, row: int) -> None:
    """One row of one group. `planes` is (H, W, ncomp) of component values."""
    height, width, ncomp = planes.shape
    fam = g.fam
    res_new = [_residuals(planes[..., c], row, fam.levels - 1) for c in range(ncomp)]
    # Pixels as tuples, for the run tests.
    cur = [tuple(p) for p in planes[row].tolist()]
    prev = [tuple(p) for p in planes[row - 1].tolist()] if row else None
    for c in range(ncomp):
        g.resid[c][0] = 0 if row == 0 else g.resid[c][1]

    def code_pixel(i: int) -> None:
        for c in range(ncomp):
            res = g.resid[c]
            res[i + 1] = res_new[c][i]
            code = g.models[c].code_for(res[i])
            bits.put(*fam.codeword(res[i + 1], code))
        g.tick(i)

    # Cut the row where the wait mask grows, like the decoder.
    pos, left = 0, width
    while g.wmidx < WAIT_MAX_INDEX and g.wmileft <= left:
        _encode_segment(g, code_pixel, cur, prev, pos, pos + g.wmileft, bits)
        pos += g.wmileft
        left -= g.wmileft
        g.wmidx += 1
        g.wmileft = WAIT_STEP
    if left:
        _encode_segment(g, code_pixel, cur, prev, pos, pos + left, bits)
        if g.wmidx < WAIT_MAX_INDEX:
            g.wmileft -= left


def _encode_segment(
    g: _Group,
    code_pixel: Callable[[int], None],
    cur: list[tuple[int, ...]],
    prev: list[tuple[int, ...]] | None,
    start: int,
    end: int,
    bits: _Bits,
) -> None:
    """Pixels [start, end) of a row: coded one by one, or as a run where the context predicts one."""
    i = start
    run_index = 0
    while i < end:
        if prev is not None and i > 2 and run_index != i and prev[i - 1] == prev[i] and cur[i - 1] == cur[i - 2]:
            run_index = i
            run = 0
            while i < end and cur[i] == cur[i - 1]:
                run += 1
                i += 1
            g.encode_run(bits, run)
            continue
        code_pixel(i)
        i += 1


_COMPONENTS = {
    QuicImageType.GRAY: 1,
    QuicImageType.RGB16: 3,
    QuicImageType.RGB24: 3,
    QuicImageType.RGB32: 3,
    QuicImageType.RGBA: 4,
}


def encode_quic(image_type: QuicImageType | int, planes: np.ndarray) -> bytes:
    """Encode component planes (H, W, n) in coding order: R, G, B[, A] or gray (H, W) / (H, W, 1).

    RGB16 components must be 5-bit values (0..31); the others are 8-bit.
    """
    image_type = QuicImageType(image_type)
    planes = np.asarray(planes)
    if planes.ndim == 2:
        planes = planes[..., None]
    height, width, ncomp = planes.shape
    if ncomp != _COMPONENTS[image_type] or height < 1 or width < 1:
        raise ValueError(f"{image_type.name} needs (H, W, {_COMPONENTS[image_type]}) planes")
    bpc = 5 if image_type is QuicImageType.RGB16 else 8
    if planes.max(initial=0) >= 1 << bpc:
        raise ValueError(f"component values must fit in {bpc} bits")
    planes = planes.astype(np.int64)
    bits = _Bits()
    for word in (MAGIC, VERSION, int(image_type), width, height):
        bits.put(word >> 16, 16)
        bits.put(word & 0xFFFF, 16)
    color = _Group(family(bpc), min(ncomp, 3), width)
    alpha = _Group(family(8), 1, width) if ncomp == 4 else None
    for row in range(height):
        _encode_row(bits, color, planes[..., : min(ncomp, 3)], row)
        if alpha is not None:
            _encode_row(bits, alpha, planes[..., 3:], row)
    return bits.pack()
