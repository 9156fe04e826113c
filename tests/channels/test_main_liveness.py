"""The main channel's liveness probe: bytes on any channel of the session count as hearing the server."""

from __future__ import annotations

from spiceview.channels.display_channel import DisplayChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.constants import ChannelType
from spiceview.protocol.messages.classes import MsgcMainAttachChannels
from spiceview.transport.connect import Endpoint


class FakeLoop:
    """What the main channel uses of its I/O loop: the bytes received, timers and sending."""

    def __init__(self) -> None:
        self.bytes_in = 0
        self.timers: dict[str, float | None] = {}
        self.sent: list[object] = []

    def set_timer(self, deadline: float | None, fn: object, name: str = "") -> None:
        self.timers[name] = deadline

    def send(self, message: object) -> None:
        self.sent.append(message)


def session_with_display() -> tuple[SpiceSession, FakeLoop, FakeLoop]:
    session = SpiceSession(lambda ctype, tls: Endpoint("127.0.0.1", 1))
    display = DisplayChannel(session, 0)
    session.channels[(ChannelType.DISPLAY, 0)] = display
    main_loop, display_loop = FakeLoop(), FakeLoop()
    session.main._loop = main_loop  # type: ignore[assignment]
    display._loop = display_loop  # type: ignore[assignment]
    session.main.on_up()
    return session, main_loop, display_loop


def quiet_for(session: SpiceSession, seconds: float) -> None:
    session.main.liveness.last_heard -= seconds


def probes(loop: FakeLoop) -> int:
    return sum(isinstance(m, MsgcMainAttachChannels) for m in loop.sent)


def test_a_quiet_session_is_probed() -> None:
    session, main_loop, _display_loop = session_with_display()
    quiet_for(session, 2.0)
    session.main._check_liveness()
    assert probes(main_loop) == 1


def test_a_drawing_display_keeps_the_quiet_main_channel_from_probing() -> None:
    session, main_loop, display_loop = session_with_display()
    for _ in range(3):
        quiet_for(session, 2.0)  # the main channel heard nothing for two seconds...
        display_loop.bytes_in += 1000  # ...while the display channel received a picture
        session.main._check_liveness()
    assert probes(main_loop) == 0
    assert session.bytes_received() == 3000


def test_bytes_after_a_probe_answer_it_whichever_channel_they_come_on() -> None:
    session, main_loop, display_loop = session_with_display()
    quiet_for(session, 2.0)
    session.main._check_liveness()
    assert session.main.liveness.probe_sent is not None
    display_loop.bytes_in += 10
    session.main.on_batch_done()
    assert session.main.liveness.probe_sent is None
