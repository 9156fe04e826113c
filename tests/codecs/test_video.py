"""Video stream decoders: what every codec hands the canvas, and that a kept frame stays as it was."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from jpeg_samples import encode_jpeg, photo_like

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.video import supported_codecs
from spiceview.codecs.video.decoder import VideoDecoder
from spiceview.codecs.video.yuv import YuvPicture
from spiceview.protocol.constants import VideoCodecType

W, H = 64, 48


def encode_clip(codec: str, frames: int) -> list[bytes]:
    """A moving picture encoded by PyAV's own encoder: one packet per frame."""
    ctx = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height, ctx.pix_fmt = W, H, "yuv420p"
    ctx.time_base = Fraction(1, 25)
    packets = []
    for i in range(frames):
        rgb = np.roll(photo_like(H, W, 5), 4 * i, axis=1)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        packets += ctx.encode(frame)
    packets += ctx.encode(None)
    return [bytes(p) for p in packets]


def test_every_codec_is_offered_with_pyav() -> None:
    assert set(supported_codecs()) == set(VideoCodecType)


def test_mjpeg_frame() -> None:
    frame = VideoDecoder(VideoCodecType.MJPEG).decode(encode_jpeg(photo_like(H, W)))
    assert frame is not None and frame.shape == (H, W, 4) and (frame[..., 3] == 0xFF).all()


@pytest.mark.parametrize(("codec", "encoder"), [(VideoCodecType.VP8, "libvpx"), (VideoCodecType.H264, "libx264")])
def test_kept_frames_are_not_overwritten_by_later_ones(codec: VideoCodecType, encoder: str) -> None:
    """Frames waiting for their time (lip-sync) keep their pixels while the stream decodes on."""
    decoder = VideoDecoder(codec)
    decoded = [decoder.decode(packet) for packet in encode_clip(encoder, 12)]
    assert all(isinstance(p, YuvPicture) for p in decoded if p is not None), "4:2:0 stays in planes until drawn"
    pictures = [p.to_bgrx() for p in decoded if isinstance(p, YuvPicture)]
    assert len(pictures) >= 8
    first = pictures[0]
    assert first.shape == (H, W, 4) and (first[..., 3] == 0xFF).all()
    expected = photo_like(H, W, 5)[..., ::-1]  # the first frame as B, G, R
    assert np.abs(first[..., :3].astype(int) - expected).mean() < 8
    later = pictures[-1]
    assert np.abs(first[..., :3].astype(int) - expected).mean() < 8, "a later frame overwrote an earlier one"
    assert not np.array_equal(first, later)
    decoder.close()


def test_broken_frames_raise_decode_error() -> None:
    decoder = VideoDecoder(VideoCodecType.VP8)
    with pytest.raises(DecodeError):
        for _ in range(3):
            decoder.decode(b"\x00" * 40)
    with pytest.raises(DecodeError):
        VideoDecoder(250)


def test_mjpeg_scratch_frames_reuse_one_buffer_and_kept_frames_do_not() -> None:
    """Frames shown at once are decoded into one buffer kept by the stream; frames kept for later get their own."""
    decoder = VideoDecoder(VideoCodecType.MJPEG)
    a, b = encode_jpeg(photo_like(H, W, 1)), encode_jpeg(photo_like(H, W, 2))
    first = decoder.decode(a, scratch=True)
    second = decoder.decode(b, scratch=True)
    assert first is not None and second is not None and np.shares_memory(first, second)
    np.testing.assert_array_equal(second, VideoDecoder(VideoCodecType.MJPEG).decode(b))
    kept = decoder.decode(a)
    decoder.decode(b, scratch=True)
    np.testing.assert_array_equal(kept, VideoDecoder(VideoCodecType.MJPEG).decode(a))
    bigger = decoder.decode(encode_jpeg(photo_like(H * 2, W, 3)), scratch=True)
    assert bigger is not None and bigger.shape == (H * 2, W, 4)
