"""100,000 mutated inputs per decoder, every run: only DecodeError may come out, nothing may hang or crash.

Seeds are real images recorded from Xspice (tests/fixtures/captures/, the small ones so each decode is quick)
and, for what Xspice does not send small (JPEG, LZ alpha planes), the test encoders' output. Mutations are
seeded and deterministic: bit flips, byte and word overwrites aimed at headers, truncations, insertions,
deletions and duplicated ranges. A crash kills the test process; a decode taking over a second fails.

SPICEVIEW_FUZZ_100K=N changes the count (e.g. 1000 for a quick local run).
"""

from __future__ import annotations

import os
import random
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
from jpeg_samples import encode_jpeg, photo_like
from lz_encoder import XXXA, encode_bytes

from spiceview.canvas.recorder import read_manifest
from spiceview.codecs.errors import DecodeError
from spiceview.codecs.glz import GlzWindow, decode_glz, decode_zlib_glz
from spiceview.codecs.jpeg import decode_jpeg, decode_jpeg_alpha
from spiceview.codecs.lz import decode_lz, decode_lz_alpha_into
from spiceview.codecs.lz4 import decode_lz4
from spiceview.codecs.quic import decode_quic

N = int(os.environ.get("SPICEVIEW_FUZZ_100K", "100000"))
CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "captures"
SMALL = 48 * 48
WORDS = [
    b"\xff\xff\xff\xff",
    b"\x00\x00\x00\x00",
    b"\x7f\xff\xff\xff",
    b"\x80\x00\x00\x00",
    b"\x00\x01\x00\x00",
    b"\x00\x00\x00\x01",
    b"\x01\x00\x00\x00",
    b"\x00\x00\x10\x00",
]


def captured(kind: str) -> list[tuple[dict, bytes]]:
    seeds = []
    for folder in sorted(CAPTURES.iterdir()):
        for entry in read_manifest(folder):
            if entry["type"] == kind and entry["width"] * entry["height"] <= SMALL:
                seeds.append((entry, (folder / entry["file"]).read_bytes()))
    assert seeds, f"no small recorded {kind} image to seed from"
    return seeds[:12]


def mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        if not buf:
            break
        top = min(len(buf), 64) if rng.random() < 0.3 else len(buf)
        pos = rng.randrange(top)
        op = rng.randrange(8)
        if op == 0:
            buf[pos] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf[pos] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        elif op == 2:
            word = rng.choice(WORDS)
            buf[pos : pos + 4] = word if rng.random() < 0.5 else word[::-1]
        elif op == 3:
            del buf[pos:]
        elif op == 4:
            del buf[pos : pos + rng.randint(1, 64)]
        elif op == 5:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 32))
        elif op == 6:
            end = min(len(buf), pos + rng.randint(1, 64))
            buf[pos:pos] = buf[pos:end]
        else:
            buf[pos] = (buf[pos] + rng.choice((-1, 1))) & 0xFF
    return bytes(buf)


def run(name: str, seeds: list[bytes], decode: Callable[[bytes], object], seed: int) -> None:
    rng = random.Random(seed)
    worst, decoded, refused = 0.0, 0, 0
    for i in range(N):
        data = mutate(rng, seeds[i % len(seeds)])
        start = time.perf_counter()
        try:
            decode(data)
            decoded += 1
        except DecodeError:
            refused += 1
        worst = max(worst, time.perf_counter() - start)
    print(f"{name}: {decoded} decoded, {refused} refused, slowest {worst * 1000:.1f} ms")
    assert worst < 1.0, f"{name}: one decode took {worst:.2f} s"
    assert decoded + refused == N


@pytest.fixture(autouse=True)
def quiet_ffmpeg():
    level = av.logging.get_level()
    av.logging.set_level(None)
    yield
    av.logging.set_level(level)


pytestmark = pytest.mark.timeout(max(300, N // 100))


def test_quic() -> None:
    run("QUIC", [d for _, d in captured("QUIC")], decode_quic, 1)


def test_lz() -> None:
    run("LZ", [d for _, d in captured("LZ_RGB")], decode_lz, 2)


def test_lz4() -> None:
    seeds = captured("LZ4")
    sizes = {len(d): (e["width"], e["height"]) for e, d in seeds}

    def decode(data: bytes) -> object:
        w, h = sizes.get(len(data), (seeds[0][0]["width"], seeds[0][0]["height"]))
        return decode_lz4(data, w, h)

    run("LZ4", [d for _, d in seeds], decode, 3)


def _glz_window() -> GlzWindow:
    # Real GLZ images refer to earlier ones: fill a window with every recorded image first.
    window = GlzWindow(1 << 22)
    folder = CAPTURES / "glz"
    for entry in read_manifest(folder):
        if entry["type"] == "GLZ_RGB":
            decode_glz((folder / entry["file"]).read_bytes(), window)
    return window


def test_glz() -> None:
    window = _glz_window()
    # A wait of 0: a mutated reference to an image that never comes must not stall the fuzzer.
    run("GLZ", [d for _, d in captured("GLZ_RGB")], lambda data: decode_glz(data, window, 0.0), 4)


def test_zlib_glz() -> None:
    window = GlzWindow(1 << 22)
    folder = CAPTURES / "zlib_glz"
    for entry in read_manifest(folder):
        if entry["type"] == "ZLIB_GLZ_RGB":
            decode_zlib_glz((folder / entry["file"]).read_bytes(), entry["glz_data_size"], window)
    seeds = captured("ZLIB_GLZ_RGB")
    sizes = {len(d): e["glz_data_size"] for e, d in seeds}
    run(
        "ZLIB_GLZ (outer)",
        [d for _, d in seeds],
        lambda data: decode_zlib_glz(data, sizes.get(len(data), 4096), window, 0.0),
        5,
    )
    # zlib's checksum refuses nearly every outer mutation: mutate the GLZ stream inside as well.
    inner = [zlib.decompress(d) for _, d in seeds]
    run("ZLIB_GLZ (inner)", inner, lambda data: decode_zlib_glz(zlib.compress(data, 1), len(data), window, 0.0), 9)


H, W = 16, 24


def test_jpeg() -> None:
    seeds = [encode_jpeg(photo_like(H, W, 1), fmt) for fmt in ("yuvj420p", "yuvj444p")]
    run("JPEG", seeds, lambda data: decode_jpeg(data, W, H), 6)


def test_jpeg_alpha() -> None:
    jpeg = encode_jpeg(photo_like(H, W, 2), "yuvj420p")
    alpha = encode_bytes(XXXA, (np.arange(H * W).reshape(H, W) % 5 * 50).astype(np.uint8), W, False)
    seed = jpeg + alpha

    def decode(data: bytes) -> object:
        return decode_jpeg_alpha(data, min(len(jpeg), len(data)), False, W, H)

    run("JPEG_ALPHA", [seed], decode, 7)


def test_lz_alpha_plane() -> None:
    plane = encode_bytes(XXXA, (np.arange(H * W).reshape(H, W) % 7 * 30).astype(np.uint8), W, True)
    pixels = np.zeros((H, W, 4), np.uint8)
    run("LZ alpha", [plane], lambda data: decode_lz_alpha_into(data, pixels), 8)
