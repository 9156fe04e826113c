"""A new session links its display before the other channels: spice-server makes each link's RSA key in turn, so
a display linked beside the inputs, cursor and sound channels waited for their keys before its first picture.
The others are attached at once and started when the display has its first screen (MARK), failed to link, or
took too long."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from spiceview.channels.channel_base import ChannelBase
from spiceview.channels.display_channel import FIRST_SCREEN_WAIT_S, DisplayChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.constants import ChannelType
from spiceview.protocol.messages import display as d
from spiceview.transport.connect import Endpoint

DISPLAY, INPUTS, CURSOR = (ChannelType.DISPLAY, 0), (ChannelType.INPUTS, 0), (ChannelType.CURSOR, 0)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The channels started, in order (none connects)."""
    order: list[tuple[int, int]] = []

    def start(self: ChannelBase, pre: object = None) -> None:
        order.append((self.channel_type, self.channel_id))

    monkeypatch.setattr(ChannelBase, "start", start)
    return order


def session(**kwargs: object) -> SpiceSession:
    return SpiceSession(lambda _type, _tls: Endpoint("127.0.0.1", 5900, None), **kwargs)  # type: ignore[arg-type]


def test_the_others_start_when_the_display_has_its_first_screen(started: list[tuple[int, int]]) -> None:
    client = session()
    client.attach_channels([INPUTS, DISPLAY, CURSOR])
    assert started == [DISPLAY]
    assert {(c.channel_type, c.channel_id) for c in client.all_channels()} == {DISPLAY, INPUTS, CURSOR}
    client.display_settled()
    assert started == [DISPLAY, INPUTS, CURSOR]
    client.display_settled()  # a second display, or the time limit after MARK: nothing more to start
    client.attach_channels([(ChannelType.PLAYBACK, 0)])  # later lists are not held (no sound factory: declined)
    assert started == [DISPLAY, INPUTS, CURSOR]


def test_later_channels_start_at_once(started: list[tuple[int, int]]) -> None:
    client = session()
    client.attach_channels([DISPLAY])
    client.display_settled()
    client.attach_channels([DISPLAY, INPUTS])
    assert started == [DISPLAY, INPUTS]


def test_without_a_display_nothing_waits(started: list[tuple[int, int]]) -> None:
    client = session(disabled_channels=frozenset({ChannelType.DISPLAY}))
    client.attach_channels([DISPLAY, INPUTS])
    assert started == [INPUTS]
    client = session()
    client.attach_channels([INPUTS, CURSOR])
    assert started == [INPUTS, INPUTS, CURSOR]


def test_a_display_that_settles_before_the_list_is_through_holds_nothing_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = session()
    order: list[tuple[int, int]] = []

    def start(self: ChannelBase, pre: object = None) -> None:
        order.append((self.channel_type, self.channel_id))
        if isinstance(self, DisplayChannel):
            client.display_settled()  # its thread reached MARK before attach_channels went on

    monkeypatch.setattr(ChannelBase, "start", start)
    client.attach_channels([DISPLAY, INPUTS, CURSOR])
    assert order == [DISPLAY, INPUTS, CURSOR]


def test_a_session_closed_meanwhile_starts_nothing_more(started: list[tuple[int, int]]) -> None:
    client = session()
    client.attach_channels([DISPLAY, INPUTS])
    client.disconnect_session()
    client.display_settled()
    assert started == [DISPLAY]


class TimerLoop:
    def __init__(self) -> None:
        self.timers: dict[str, tuple[float, Callable[[], None]]] = {}

    def set_timer(self, deadline: float | None, fn: Callable[[], None], name: str = "") -> None:
        if deadline is not None:
            self.timers[name] = (deadline, fn)

    def send(self, message: object) -> None:
        pass


def test_the_display_settles_at_its_first_mark_when_it_fails_or_after_a_while(started: list[tuple[int, int]]) -> None:
    client = session()
    client.attach_channels([DISPLAY, INPUTS])
    display = client.channels[DISPLAY]
    assert isinstance(display, DisplayChannel)
    loop = TimerLoop()
    display._loop = loop  # type: ignore[assignment]
    display.on_up()
    assert started == [DISPLAY]
    settle = loop.timers["settle"][1]
    assert 0 < FIRST_SCREEN_WAIT_S <= 1.0
    display.on_message(d.MSG_MARK.cls(), 1)
    assert started == [DISPLAY, INPUTS]
    settle()  # the time limit after all: nothing twice
    assert started == [DISPLAY, INPUTS]

    other = session()
    other.attach_channels([DISPLAY, INPUTS])
    other.channels[DISPLAY].on_down()  # the display could not link
    assert started == [DISPLAY, INPUTS, DISPLAY, INPUTS]

    slow = session()
    slow.attach_channels([DISPLAY, INPUTS])
    slow_display = slow.channels[DISPLAY]
    slow_display._loop = loop  # type: ignore[assignment]
    slow_display.on_up()
    loop.timers["settle"][1]()  # no MARK in time
    assert started == [DISPLAY, INPUTS, DISPLAY, INPUTS, DISPLAY, INPUTS]
