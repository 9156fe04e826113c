"""JPEG and JPEG_ALPHA images (JPEGs from PyAV's MJPEG encoder, alpha from the test LZ encoder).

Decoding is libjpeg-turbo's (simplejpeg) with spice-gtk's settings: libjpeg's defaults for images, the fast
IDCT without fancy upsampling for MJPEG stream frames, so both give the reference client's pixels. A real
Xspice with jpeg-wan-compression always sent a photo as JPEG_ALPHA (4:2:0, with an all-zero alpha plane,
drawn by plain copy); tests/real/test_codecs_live.py checks it against xwd -root.
"""

from __future__ import annotations

import numpy as np
import pytest
from jpeg_samples import encode_jpeg, photo_like
from lz_encoder import A8, XXXA, encode_bytes

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.image import PixelFormat
from spiceview.codecs.jpeg import decode_jpeg, decode_jpeg_alpha


@pytest.mark.parametrize("pix_fmt", ["yuvj420p", "yuvj422p", "yuvj444p"])
@pytest.mark.parametrize("size", [(48, 64), (37, 53), (1, 1)])
def test_decode_jpeg(pix_fmt: str, size: tuple[int, int]) -> None:
    h, w = size
    rgb = photo_like(h, w)
    out = decode_jpeg(encode_jpeg(rgb, pix_fmt), w, h)
    assert out.format is PixelFormat.XRGB32 and out.pixels.shape == (h, w, 4)
    assert (out.pixels[..., 3] == 255).all()
    diff = np.abs(out.pixels[..., 2::-1].astype(int) - rgb.astype(int))
    assert diff.mean() < 6


def test_size_must_match_the_descriptor() -> None:
    data = encode_jpeg(photo_like(16, 24))
    with pytest.raises(DecodeError, match="JPEG is 24x16"):
        decode_jpeg(data, 16, 24)
    with pytest.raises(DecodeError, match="size"):
        decode_jpeg(data, 0, 16)


@pytest.mark.parametrize("data", [b"", b"\xff\xd8", b"not a jpeg", b"\xff\xd8\xff\xd9" + bytes(20)])
def test_garbage(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_jpeg(data, 8, 8)


def test_truncations_never_raise_anything_else() -> None:
    data = encode_jpeg(photo_like(16, 16))
    for cut in range(0, len(data), 7):
        try:
            out = decode_jpeg(data[:cut], 16, 16)
        except DecodeError:
            continue
        assert out.pixels.shape == (16, 16, 4)  # libjpeg fills what is missing: still an image


def alpha_image(top_down: bool) -> tuple[bytes, np.ndarray, np.ndarray, int]:
    h, w = 24, 40
    rgb = np.full((h, w, 3), 200, np.uint8)
    alpha = np.zeros((h, w), np.uint8)
    alpha[:, w // 2 :] = 255
    alpha[: h // 3, : w // 4] = 100
    jpeg = encode_jpeg(rgb, "yuvj444p", 2)
    return jpeg + encode_bytes(XXXA, alpha, w, top_down), rgb, alpha, len(jpeg)


@pytest.mark.parametrize("top_down", [True, False])
def test_jpeg_alpha(top_down: bool) -> None:
    data, rgb, alpha, jpeg_size = alpha_image(top_down)
    out = decode_jpeg_alpha(data, jpeg_size, top_down, 40, 24)
    assert out.format is PixelFormat.ARGB32
    np.testing.assert_array_equal(out.pixels[..., 3], alpha)
    # colour stays as the JPEG gives it, whatever the alpha (Xspice sends all-zero alpha planes
    # for pictures it then copies)
    assert np.abs(out.pixels[..., :3].astype(int) - 200).max() <= 3


def test_jpeg_alpha_consistency_checks() -> None:
    data, _, alpha, jpeg_size = alpha_image(True)
    with pytest.raises(DecodeError, match="row order"):
        decode_jpeg_alpha(data, jpeg_size, False, 40, 24)
    with pytest.raises(DecodeError):
        decode_jpeg_alpha(data, jpeg_size, True, 40, 25)
    for bad_size in (0, -1, len(data), len(data) + 5, jpeg_size - 10, jpeg_size + 3):
        with pytest.raises(DecodeError):
            decode_jpeg_alpha(data, bad_size, True, 40, 24)
    a8 = data[:jpeg_size] + encode_bytes(A8, alpha, 40, True)
    with pytest.raises(DecodeError, match="not XXXA"):
        decode_jpeg_alpha(a8, jpeg_size, True, 40, 24)
    other = data[:jpeg_size] + encode_bytes(XXXA, alpha[:, :39].copy(), 39, True)
    with pytest.raises(DecodeError, match="alpha is 39x24"):
        decode_jpeg_alpha(other, jpeg_size, True, 40, 24)
    for cut in range(jpeg_size, len(data)):
        with pytest.raises(DecodeError):
            decode_jpeg_alpha(data[:cut], jpeg_size, True, 40, 24)


def test_stream_frames_decode_fast_like_spice_gtk() -> None:
    """MJPEG frames: libjpeg's fast IDCT without fancy upsampling (spice-gtk's stream settings), B,G,R,0xFF."""
    import simplejpeg

    from spiceview.codecs.jpeg import decode_jpeg_frame

    data = encode_jpeg(photo_like(48, 64, 3), "yuvj420p")
    frame = decode_jpeg_frame(data)
    assert frame.shape == (48, 64, 4) and (frame[..., 3] == 255).all()
    np.testing.assert_array_equal(frame, simplejpeg.decode_jpeg(data, "BGRX", fastdct=True, fastupsample=True))
    image = decode_jpeg(data, 64, 48).pixels
    np.testing.assert_array_equal(image, simplejpeg.decode_jpeg(data, "BGRX"))
