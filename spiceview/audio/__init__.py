"""Where decoded sound goes: the computer's speakers (sounddevice/PortAudio), or memory (headless, tests).

Sinks take interleaved S16 samples shaped (frames, channels) from a channel's thread; they never block it.
"""

from .sink import AudioSink, MemorySink, NullSink, volume_gain

__all__ = ["AudioSink", "MemorySink", "NullSink", "volume_gain"]
