"""MONITORS_CONFIG (sparse or packed, positions, no physical-size block by default), DISPLAY_CONFIG, MOUSE_STATE."""

from __future__ import annotations

import struct

import fake_agent as fa
import pytest
from agent_helpers import connect, feed, sent

from spiceview.protocol.agent.display_settings import DisplaySettings
from spiceview.protocol.agent.messages import AgentButtonMask, AgentCap
from spiceview.protocol.agent.monitors import (
    MonitorSpec,
    align_left_to_right,
    encode_display_config,
    encode_monitors_config,
    encode_mouse_state,
)
from spiceview.protocol.agent.session import AgentReply

SPARSE = {AgentCap.SPARSE_MONITORS_CONFIG}
THREE = [MonitorSpec(1024, 768), MonitorSpec(800, 600, x=1024, enabled=False), MonitorSpec(1920, 1080, x=1024)]


def mon(width: int, height: int, x: int = 0, y: int = 0, depth: int = 32) -> bytes:
    return struct.pack("<IIIii", height, width, depth, x, y)


def test_sparse_agent_gets_every_slot() -> None:
    payload = encode_monitors_config(THREE, SPARSE)
    assert payload == struct.pack("<II", 3, 1) + mon(1024, 768) + b"\0" * 20 + mon(1920, 1080, x=1024)


def test_old_agent_gets_enabled_monitors_packed() -> None:
    payload = encode_monitors_config(THREE, set())
    assert payload == struct.pack("<II", 2, 1) + mon(1024, 768) + mon(1920, 1080, x=1024)


def test_no_physical_size_block_unless_asked() -> None:
    """spice-vdagentd 0.22 wants exactly 8 + 20 * n bytes (LAB.md)."""
    mons = [MonitorSpec(1024, 768, width_mm=300, height_mm=200)]
    plain = encode_monitors_config(mons, SPARSE)
    assert len(plain) == 8 + 20 and struct.unpack_from("<I", plain, 4)[0] == 1  # USE_POS only
    sized = encode_monitors_config(mons, SPARSE, physical_size=True)
    assert sized == struct.pack("<II", 1, 3) + mon(1024, 768) + struct.pack("<HH", 200, 300)
    assert struct.unpack_from("<I", encode_monitors_config(mons, SPARSE, use_position=False), 4)[0] == 0


@pytest.mark.parametrize(
    "bad",
    [
        [],
        [MonitorSpec(1024, 768, enabled=False)],
        [MonitorSpec(0, 768)],
        [MonitorSpec(-1, 768)],
        [MonitorSpec(1024, 768, x=1 << 31)],
        [MonitorSpec(10, 10)] * 257,
    ],
)
def test_layouts_spice_cannot_carry(bad: list[MonitorSpec]) -> None:
    with pytest.raises(ValueError):
        encode_monitors_config(bad, SPARSE)


def test_align_left_to_right() -> None:
    mons = [MonitorSpec(800, 600, x=2000, y=50), MonitorSpec(1024, 768, x=0, y=0), MonitorSpec(640, 480, x=900)]
    assert [(m.x, m.y) for m in align_left_to_right(mons)] == [(1664, 0), (0, 0), (1024, 0)]


def test_display_config_and_mouse_state() -> None:
    assert encode_display_config(DisplaySettings()) == b"\0" * 8
    settings = DisplaySettings(disable_wallpaper=True, disable_animation=True, color_depth=16)
    assert encode_display_config(settings) == struct.pack("<II", 1 | 4 | 8, 16)
    buttons = AgentButtonMask.LEFT | AgentButtonMask.RIGHT
    assert encode_mouse_state(10, 20, buttons, 1) == struct.pack("<IIIB", 10, 20, 0b1010, 1)


def test_session_sends_monitors_when_the_agent_is_ready_and_again_after_a_reconnect() -> None:
    from spiceview.protocol.agent.session import AgentSession

    s = AgentSession()
    peer = fa.Peer()
    assert not s.send_monitors_config(THREE)
    s.on_agent_connected(10)
    feed(s, fa.announce(fa.VDAGENTD_CAPS, request=1))
    configs = [p for t, p in peer.take(s) if t == fa.MONITORS_CONFIG]
    assert configs == [encode_monitors_config(THREE, SPARSE)]
    assert s.send_monitors_config(THREE[:1])
    assert [p for t, p in peer.take(s) if t == fa.MONITORS_CONFIG] == [struct.pack("<II", 1, 1) + mon(1024, 768)]
    assert feed(s, fa.reply(fa.MONITORS_CONFIG, 1)) == [AgentReply(fa.MONITORS_CONFIG, 1)]
    assert not feed(s, fa.reply(fa.MONITORS_CONFIG, 2))[0].ok
    s.on_agent_disconnected()
    s.on_agent_connected(10)
    feed(s, fa.announce([fa.CAP_BY_DEMAND]))  # an old agent this time: packed monitors
    assert [p for t, p in peer.take(s) if t == fa.MONITORS_CONFIG] == [struct.pack("<II", 1, 1) + mon(1024, 768)]


def test_session_display_config_only_to_agents_that_take_it() -> None:
    settings = DisplaySettings(disable_font_smooth=True)
    s, peer, _ = connect(display_settings=settings)
    assert peer.of_type(fa.DISPLAY_CONFIG) == [] and not any(c[4] == fa.DISPLAY_CONFIG for c in peer.chunks)
    s, peer, _ = connect(caps=(*fa.VDAGENTD_CAPS, fa.CAP_DISPLAY_CONFIG), display_settings=settings)
    assert any(c[4] == fa.DISPLAY_CONFIG and c[20:] == struct.pack("<II", 2, 0) for c in peer.chunks)
    feed(s, fa.announce((*fa.VDAGENTD_CAPS, fa.CAP_DISPLAY_CONFIG)))
    assert sent(s, peer) == [(fa.MAX_CLIPBOARD, struct.pack("<i", 100 * 1024 * 1024))]  # display config once
    assert s.send_display_config(DisplaySettings(color_depth=32))
    assert sent(s, peer) == [(fa.DISPLAY_CONFIG, struct.pack("<II", 8, 32))]
