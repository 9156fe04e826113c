"""What the Opus decoder and encoder share: which PyAV codec to use, and SPICE's Opus parameters."""

from __future__ import annotations

from typing import Literal

import av

OPUS_RATE = 48000  # spice-server and spice-gtk use Opus at 48 kHz only
OPUS_FRAME_SAMPLES = 480  # 10 ms: SPICE's Opus frame (spice-common's SND_CODEC_OPUS_FRAME_SIZE)
OPUS_MAX_PACKET_BYTES = 480  # the largest compressed frame a SPICE peer expects
MAX_CHANNELS = 8


def opus_codec_name(direction: Literal["r", "w"]) -> str | None:
    """The PyAV codec for Opus in `direction` ("r" decode, "w" encode), or None when this build has none."""
    names = ("libopus", "opus") if direction == "r" else ("libopus",)
    for name in names:
        try:
            av.codec.Codec(name, direction)
        except Exception:  # noqa: BLE001 - a missing codec is simply not offered
            continue
        return name
    return None


def opus_available(direction: Literal["r", "w"] = "r") -> bool:
    """This installation can decode (or, with "w", encode) Opus: offered to the server only then."""
    return opus_codec_name(direction) is not None


def layout_name(channels: int) -> str:
    return {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
