"""A display's first messages (INIT, the image compression to use) go with its ticket: spice-server's display
thread looks once for INIT as the link completes, then sleeps 10 ms before it looks again. On a link made elsewhere
(a migration's destination, linked without them) the channel sends them itself, first thing."""

from __future__ import annotations

from spiceview.channels.display_channel import DisplayChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.connection import Linked
from spiceview.protocol.constants import DisplayCap, ImageCompression
from spiceview.protocol.messages import display as d
from spiceview.protocol.schema import WireStruct
from spiceview.transport.connect import Endpoint


class RecordingLoop:
    def __init__(self) -> None:
        self.sent: list[WireStruct] = []

    def send(self, message: WireStruct) -> None:
        self.sent.append(message)

    def set_timer(self, deadline: float | None, fn: object, name: str = "") -> None:
        pass


def display(preferred_compression: int | None = None) -> DisplayChannel:
    session = SpiceSession(lambda _type, _tls: Endpoint("127.0.0.1", 5900, None))
    session.preferred_compression = preferred_compression
    session.glz_window_bytes = 4 << 20
    return DisplayChannel(session, 0)


def test_init_carries_the_session_cache_sizes() -> None:
    channel = display()
    (init,) = channel.link_messages(frozenset({DisplayCap.PREF_COMPRESSION}))
    assert init == d.MSGC_INIT.cls(
        pixmap_cache_id=1,
        pixmap_cache_size=channel.session.pixmap_cache.max_pixels,
        glz_dictionary_id=1,
        glz_dictionary_window_size=(4 << 20) // 4,
    )


def test_the_preferred_compression_follows_when_the_server_takes_it() -> None:
    channel = display(ImageCompression.QUIC)
    with_cap = channel.link_messages(frozenset({DisplayCap.PREF_COMPRESSION}))
    assert [type(m) for m in with_cap] == [d.MSGC_INIT.cls, d.MSGC_PREFERRED_COMPRESSION.cls]
    assert with_cap[1] == d.MSGC_PREFERRED_COMPRESSION.cls(image_compression=ImageCompression.QUIC)
    assert [type(m) for m in channel.link_messages(frozenset())] == [d.MSGC_INIT.cls]


def test_a_link_made_without_them_gets_them_first_and_one_made_with_them_not_again() -> None:
    caps = frozenset({DisplayCap.PREF_COMPRESSION})
    for sent_with_ticket, expected in [(False, [d.MSGC_INIT.cls, d.MSGC_PREFERRED_COMPRESSION.cls]), (True, [])]:
        channel = display(ImageCompression.LZ)
        loop = RecordingLoop()
        channel._loop = loop  # type: ignore[assignment]
        channel.on_linked(Linked(frozenset(), caps, True, sent_with_ticket=sent_with_ticket))
        assert [type(m) for m in loop.sent] == expected
