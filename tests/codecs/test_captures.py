"""Real compressed images, recorded by spiceview from a real Xspice, decode to the pixels they did then.

The recordings (tests/fixtures/captures/, made by tests/fixtures/make_captures.py) were kept only after the
screenshot of that session equalled xwd -root, so their digests are known-good pixels. No server needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spiceview.canvas.recorder import pixel_digest, read_manifest, replay

CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "captures"
RECORDINGS = sorted(p.name for p in CAPTURES.iterdir() if p.is_dir())


def test_every_compression_is_recorded() -> None:
    kinds = {e["type"] for name in RECORDINGS for e in read_manifest(CAPTURES / name)}
    assert {"QUIC", "LZ_RGB", "GLZ_RGB", "LZ4", "ZLIB_GLZ_RGB", "JPEG_ALPHA"} <= kinds


@pytest.mark.parametrize("name", RECORDINGS)
def test_recording_decodes_to_recorded_pixels(name: str) -> None:
    count = 0
    for entry, image in replay(CAPTURES / name):
        assert (image.width, image.height) == (entry["width"], entry["height"]), entry["file"]
        assert image.format.value == entry["format"], entry["file"]
        assert pixel_digest(image) == entry["sha256"], f"{entry['file']} decodes differently"
        count += 1
    assert count == len(read_manifest(CAPTURES / name)) > 10
