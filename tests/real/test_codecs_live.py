"""Issue 3: every image compression a real Xspice sends, drawn while spiceview is connected.

A client that connects after the drawing gets the screen as one lossless image, so spiceview connects first
(spiceview_lab.live_capture) and the scene (a photo, text, shapes, gradients) is drawn afterwards. Each case
checks which image types really crossed the wire (the session's statistics) and that the screenshot equals
`xwd -root`, or for JPEG has at least 30 dB PSNR.

Xspice tags its images as RGBA, so lossy pictures arrive as JPEG_ALPHA (a JPEG plus an LZ alpha plane);
plain JPEG is covered by tests/codecs/test_jpeg.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spiceview_lab.live_capture import capture_live
from spiceview_lab.pixels import compare, psnr
from spiceview_lab.scenes import standard_scene
from spiceview_lab.viewer import assert_same_picture

pytestmark = pytest.mark.xspice

CASES = {
    # name: (Xspice options, spiceview options, image types that must arrive, lossless)
    "off": ({"image_compression": "off"}, [], {"BITMAP"}, True),
    "auto_glz": ({"image_compression": "auto_glz"}, [], {"GLZ_RGB"}, True),
    "auto_lz": ({"image_compression": "auto_lz"}, [], {"LZ_RGB"}, True),
    "quic": ({"image_compression": "quic"}, [], {"QUIC"}, True),
    "glz": ({"image_compression": "glz"}, [], {"GLZ_RGB"}, True),
    "lz": ({"image_compression": "lz"}, [], {"LZ_RGB"}, True),
    "preferred-lz4": ({"image_compression": "auto_glz"}, ["--preferred-compression", "lz4"], {"LZ4"}, True),
    "preferred-quic": ({"image_compression": "lz"}, ["--preferred-compression", "quic"], {"QUIC"}, True),
    "jpeg-wan-always": (
        {"image_compression": "auto_glz", "jpeg_wan_compression": "always"},
        [],
        {"JPEG_ALPHA"},
        False,
    ),
    "zlib-glz-wan-always": (
        {"image_compression": "glz", "zlib_glz_wan_compression": "always"},
        [],
        {"ZLIB_GLZ_RGB"},
        True,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_live_drawing(case: str, xspice, artifacts_dir: Path) -> None:
    server_opts, viewer_opts, must_arrive, lossless = CASES[case]
    server = xspice(**server_opts)
    pref = viewer_opts[1] if viewer_opts else None
    capture = capture_live(server, artifacts_dir, lambda: standard_scene(server), preferred_compression=pref)
    received = capture.stats
    (artifacts_dir / "image-types.txt").write_text(json.dumps(received["image_types"]))
    arrived = set(received["image_types"])
    assert must_arrive <= arrived, f"expected {must_arrive} to cross the wire, got {received['image_types']}"
    assert received["draw_errors"] == 0
    got, truth = capture.got, capture.truth
    if lossless:
        assert_same_picture(got, truth, artifacts_dir)
    else:
        n, bbox = compare(got, truth)
        assert bbox is not None, "a lossy mode that changed nothing: was the picture sent lossless?"
        x0, y0, x1, y1 = bbox
        region = psnr(got[y0:y1, x0:x1], truth[y0:y1, x0:x1])
        (artifacts_dir / "psnr.txt").write_text(
            f"whole screen {psnr(got, truth):.1f} dB, changed region {region:.1f} dB"
        )
        assert region >= 30.0, f"PSNR {region:.1f} dB in {bbox}"
