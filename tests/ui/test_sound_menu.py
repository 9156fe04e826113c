"""The Sound menu mutes the guest's sound and the microphone on this side, whatever the guest sets."""

from __future__ import annotations

import numpy as np
import pytest

from spiceview.audio import MemorySink
from spiceview.audio.source import QueueSource
from spiceview.channels.playback_channel import PlaybackChannel
from spiceview.channels.record_channel import RecordChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.constants import AudioFmt, ChannelType
from spiceview.protocol.messages import audio as a
from spiceview.transport.connect import Endpoint


@pytest.fixture(scope="module")
def qapp():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["test", "-platform", "offscreen"])


def test_mute_sound_and_microphone(qapp) -> None:
    from spiceview.ui.viewer import Viewer

    client = SpiceSession(lambda ctype, tls: Endpoint("127.0.0.1", 1))
    viewer = Viewer(client)
    window = viewer.placeholder
    assert window is not None
    playback = PlaybackChannel(client, 0, MemorySink)
    record = RecordChannel(client, 0, QueueSource)
    record.send = lambda message: sent.append(message)  # type: ignore[method-assign]
    sent: list = []
    client.channels[(ChannelType.PLAYBACK, 0)] = playback
    client.channels[(ChannelType.RECORD, 0)] = record

    window.actions_by_name["mute-sound"].trigger()
    window.actions_by_name["mute-microphone"].trigger()
    assert window.actions_by_name["mute-sound"].isChecked()
    playback.on_message(a.MSG_PLAYBACK_START.cls(channels=2, format=AudioFmt.S16, frequency=48000, time=0), 1)
    playback.on_message(a.MSG_PLAYBACK_MUTE.cls(mute=0), 2)  # the guest unmutes: the user's mute stays
    playback.on_message(a.MSG_PLAYBACK_DATA.cls(time=0, data=np.full((10, 2), 999, np.int16).tobytes()), 3)
    assert not playback.sink.samples().any()
    record.on_message(a.MSG_RECORD_START.cls(channels=2, format=AudioFmt.S16, frequency=48000), 1)
    record.source.push(np.full((480, 2), 999, np.int16))
    assert sent and not bytes(sent[-1].data).strip(b"\0")

    viewer.set_muted("mute-sound", False)
    playback.on_message(a.MSG_PLAYBACK_DATA.cls(time=0, data=np.full((10, 2), 999, np.int16).tobytes()), 4)
    assert (playback.sink.samples()[-10:] == 999).all()
    assert not window.actions_by_name["mute-sound"].isChecked()
    viewer.shutdown()


def test_a_failed_channel_is_named_in_the_status_line(qapp) -> None:
    from spiceview.ui.viewer import Viewer

    client = SpiceSession(lambda ctype, tls: Endpoint("127.0.0.1", 1))
    client.main.is_linked = True  # the session itself is up
    viewer = Viewer(client)
    window = viewer.placeholder
    assert window is not None
    playback = PlaybackChannel(client, 0, MemorySink)
    client.channel_added.emit(playback)
    playback.closed.emit("connection reset by the server")
    assert window.status.text() == "Sound unavailable: connection reset by the server"
    assert window.status.toolTip() == "playback-0: connection reset by the server"
    playback.closed.emit("")  # closed on purpose: nothing to say
    assert window.status.text() == "Sound unavailable: connection reset by the server"
    viewer.shutdown()
