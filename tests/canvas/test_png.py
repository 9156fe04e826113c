"""Screenshots as PNG: the pixels read back exactly (through Cairo's reader), whatever the size, and a large
screen's data is one valid zlib stream although its halves are compressed on two threads."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from spiceview.canvas.png import PARALLEL_MIN_BYTES, read_png, write_png, zlib_stream


@pytest.mark.parametrize(
    "size", [0, 1, 7, PARALLEL_MIN_BYTES - 1, PARALLEL_MIN_BYTES, PARALLEL_MIN_BYTES + 1, 3_000_001]
)
def test_zlib_stream_is_what_zlib_reads(size: int) -> None:
    rng = np.random.default_rng(size)
    data = rng.integers(0, 3, size, dtype=np.uint8).tobytes()  # compressible, as screens are
    packed = zlib_stream(data)
    assert zlib.decompress(packed) == data
    assert len(packed) <= len(zlib.compress(data, 1)) + 64  # the halves cost only a few bytes


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (768, 1024), (1080, 1920)])
def test_png_round_trip(tmp_path: Path, shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[0])
    rgb = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    rgb[: shape[0] // 2] //= 64  # a flat part and a noisy part
    path = tmp_path / "shot.png"
    write_png(rgb, str(path))
    np.testing.assert_array_equal(read_png(str(path)), rgb)


def test_a_failed_helper_leaves_a_valid_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    import spiceview.canvas.png as png

    real = png._deflate

    def starved(data: memoryview, level: int, last: bool) -> bytes:
        if not last:
            raise MemoryError
        return real(data, level, last)

    monkeypatch.setattr(png, "_deflate", starved)
    data = bytes(range(256)) * (PARALLEL_MIN_BYTES // 128)
    assert zlib.decompress(zlib_stream(data)) == data
