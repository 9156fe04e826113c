"""VideoDecoder: one stream's frames to pictures (MJPEG through libjpeg-turbo, the rest through PyAV)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from ...protocol.constants import VideoCodecType
from ..errors import DecodeError
from ..jpeg import decode_jpeg_frame, decode_jpeg_frame_into
from . import FFMPEG_NAMES
from .yuv import YuvPicture, yuv_picture

if TYPE_CHECKING:
    import av
    from av.video.reformatter import VideoReformatter

MAX_FRAME_PIXELS = 1 << 26  # a frame larger than this is a broken or hostile stream


class VideoDecoder:
    def __init__(self, codec: int) -> None:
        try:
            self.codec = VideoCodecType(codec)
        except ValueError:
            raise DecodeError(f"unknown video codec {codec}") from None
        self._context: av.VideoCodecContext | None = None
        self._reformatter: VideoReformatter | None = None
        self._scratch: np.ndarray | None = None
        if self.codec is not VideoCodecType.MJPEG:
            try:
                import av
                from av.video.reformatter import VideoReformatter

                self._context = cast("av.VideoCodecContext", av.CodecContext.create(FFMPEG_NAMES[self.codec], "r"))
                # One thread: Xspice's strips are small, so FFmpeg's worker threads cost more CPU than they save
                # (1.3 s of 4.2 s over 10 s of VP8), add a frame of latency, and freeing a frame-threaded context
                # can deadlock against the GIL (a worker frees a Python-owned packet while the owner waits).
                self._context.thread_count = 1
                self._reformatter = VideoReformatter()
            except Exception as exc:  # noqa: BLE001
                raise DecodeError(f"no decoder for {self.codec.name}: {exc}") from None

    def decode_into(self, data: bytes | memoryview, target: np.ndarray) -> bool:
        """Decode an MJPEG frame straight into `target` (contiguous (H, W, 4) rows where it will be shown) when
        it has exactly that size; False when it does not (or for other codecs, whose planes are converted where
        they are drawn anyway): then call `decode`. Saves the copy out of a scratch buffer."""
        if self.codec is not VideoCodecType.MJPEG:
            return False
        return decode_jpeg_frame_into(data, target)

    def decode(self, data: bytes | memoryview, scratch: bool = False) -> np.ndarray | YuvPicture | None:
        """One frame's picture. `scratch`: the caller is done with it before the next decode (it copies it into
        the surface at once), so the decoder may give it in memory it reuses."""
        if self.codec is VideoCodecType.MJPEG:
            if not scratch:
                return decode_jpeg_frame(data)
            # A buffer kept for the stream: no fresh allocation per frame, and it stays in the CPU cache.
            pixels = decode_jpeg_frame(data, self._scratch)
            self._scratch = pixels
            return pixels
        assert self._context is not None and self._reformatter is not None
        import av

        try:
            frames = self._context.decode(av.Packet(bytes(data)))
        except Exception as exc:  # noqa: BLE001 - FFmpeg errors of every kind mean a bad frame
            raise DecodeError(f"{self.codec.name} frame: {exc}") from None
        if not frames:
            return None
        frame = frames[-1]
        if frame.width * frame.height > MAX_FRAME_PIXELS:
            raise DecodeError(f"{self.codec.name} frame of {frame.width}x{frame.height} is absurd")
        planar = yuv_picture(
            frame,
            frame.format.name,
            frame.width,
            frame.height,
            frame.colorspace,
            frame.color_range,
            [(plane, plane.line_size) for plane in frame.planes],
        )
        if planar is not None:
            return planar
        # Other pixel formats: a scaler kept for the stream, and the converted picture's memory used as it is
        # (to_ndarray() made a new scaler and a copy per frame).
        bgra = self._reformatter.reformat(frame, format="bgra")
        plane = bgra.planes[0]
        rows = np.frombuffer(plane, np.uint8)  # type: ignore[call-overload]  # a VideoPlane is a buffer.reshape(bgra.height, plane.line_size // 4, 4)
        return rows[:, : bgra.width]

    def close(self) -> None:
        self._context = None
        self._reformatter = None
        self._scratch = None
