"""Audio codecs of the playback and record channels: raw S16 PCM, and Opus through PyAV's bundled libopus."""

from .decoder import AudioDecoder
from .encoder import AudioEncoder
from .opus import opus_available

__all__ = ["AudioDecoder", "AudioEncoder", "opus_available"]
