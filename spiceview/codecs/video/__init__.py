"""Video stream decoders: MJPEG through libjpeg-turbo (as spice-gtk), VP8/VP9/H.264/H.265 through PyAV (FFmpeg).

One decoder per stream; `decode` takes one frame's bytes and returns the picture in the order the frame is
coded (the stream's TOP_DOWN flag says which way that is): (H, W, 4) B,G,R,0xFF, or for FFmpeg's planar
Y'CbCr a `YuvPicture` that converts where it is drawn. Frames that only feed the decoder (no picture yet) give
None; broken data raises DecodeError.

The decoder itself is `video.decoder.VideoDecoder`: it loads libjpeg-turbo and the Y'CbCr kernels, which a session
needs only once a stream starts (a one-shot screenshot of a still screen never does).
"""

from __future__ import annotations

import importlib.util

from ...protocol.constants import VideoCodecType

FFMPEG_NAMES = {
    VideoCodecType.VP8: "vp8",
    VideoCodecType.H264: "h264",
    VideoCodecType.VP9: "vp9",
    VideoCodecType.H265: "hevc",
}


def supported_codecs() -> list[VideoCodecType]:
    """Codecs this installation can decode: MJPEG always, the FFmpeg ones when PyAV is installed.

    PyAV is imported only when such a stream starts: it costs about 20 MB and 40 ms to sessions that never see
    one. Its wheels carry all four decoders; a build without one refuses that stream when it starts (logged).
    """
    if importlib.util.find_spec("av") is None:
        return [VideoCodecType.MJPEG]
    return [VideoCodecType.MJPEG, *FFMPEG_NAMES]
