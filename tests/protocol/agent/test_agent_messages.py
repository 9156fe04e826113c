"""Every agent message layout: round trips, packed sizes as vd_agent.h has them, strict parsing."""

from __future__ import annotations

import random
import struct

import fake_agent as fa
import pytest
from values import ValueGen

from spiceview.protocol.agent import messages as m
from spiceview.protocol.errors import ProtocolError
from spiceview.protocol.schema import Struct

CLIPBOARD_VARIANTS = [
    m.clipboard_layout(t, selection=sel, serial=ser)
    for t in (
        m.AgentMsg.CLIPBOARD,
        m.AgentMsg.CLIPBOARD_GRAB,
        m.AgentMsg.CLIPBOARD_REQUEST,
        m.AgentMsg.CLIPBOARD_RELEASE,
    )
    for sel in (False, True)
    for ser in (False, True)
]
LAYOUTS: list[Struct] = [
    *(d.layout for d in m.AGENT_MESSAGES.values()),
    *CLIPBOARD_VARIANTS,
    m.Header,
    m.ChunkHeader,
    m.FileXferStatusError,
    m.FileXferStatusNotEnoughSpace,
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=[s.name for s in LAYOUTS])
def test_roundtrip(layout: Struct) -> None:
    gen = ValueGen(random.Random(layout.name))
    for _ in range(150):
        value = gen.struct(layout)
        if layout is m.MonitorsConfig and value.physical_sizes is not None:
            assert len(value.physical_sizes) == value.num_of_monitors
        payload = m.build_payload(layout, value)
        parsed = m.parse_payload(layout, payload)
        assert parsed == value
        assert m.build_payload(layout, parsed) == payload


def test_every_message_type_is_declared() -> None:
    assert sorted(m.AGENT_MESSAGES) == list(range(1, 17))
    assert {d.name for d in m.AGENT_MESSAGES.values()} == {t.name for t in m.AgentMsg}


def test_numbers_match_vd_agent_h() -> None:
    assert (m.AgentMsg.CLIPBOARD_GRAB, m.AgentMsg.FILE_XFER_STATUS, m.AgentMsg.GRAPHICS_DEVICE_INFO) == (7, 11, 16)
    assert m.AgentCap.CLIPBOARD_GRAB_SERIAL == fa.CAP_GRAB_SERIAL == 17
    assert m.AgentCap.MONITORS_CONFIG_POSITION == fa.CAP_POSITION == 12
    assert m.AgentCap.FILE_XFER_DETAILED_ERRORS == 14
    assert m.ClipboardType.TEXT == m.ClipboardType.UTF8_TEXT == 1
    assert m.ClipboardType.FILE_LIST == 6
    assert (m.Selection.CLIPBOARD, m.Selection.PRIMARY, m.Selection.SECONDARY) == (0, 1, 2)
    assert m.FileXferStatus.DISABLED == fa.DISABLED == 7
    assert m.MonitorsFlag.PHYSICAL_SIZE == 2
    assert m.DisplayConfigFlag.SET_COLOR_DEPTH == 8
    assert m.AgentButtonMask.LEFT == 2 and m.AgentButtonMask.RIGHT == 8
    assert m.ReplyError.SUCCESS == 1


@pytest.mark.parametrize(
    ("layout", "size"),
    [
        (m.Header, 20),
        (m.MouseState, 13),
        (m.MonConfig, 20),
        (m.MonitorMM, 4),
        (m.Reply, 8),
        (m.DisplayConfig, 8),
        (m.MaxClipboard, 4),
        (m.FileXferStatusError, 5),
        (m.FileXferStatusNotEnoughSpace, 8),
        (m.DeviceDisplayInfo, 16),
    ],
)
def test_packed_sizes(layout: Struct, size: int) -> None:
    assert layout.min_size == size
    assert len(m.build_payload(layout, layout.cls())) == size


def test_clipboard_variants_lay_out_prefix_then_serial() -> None:
    grab = m.clipboard_layout(m.AgentMsg.CLIPBOARD_GRAB, selection=True, serial=True)
    payload = m.build_payload(grab, grab.cls(selection=1, serial=7, types=[1, 2]))
    assert payload == fa.grab([1, 2], selection=1, serial=7)[20:]
    plain = m.clipboard_layout(m.AgentMsg.CLIPBOARD, selection=False, serial=True)  # serial only for grabs
    assert m.build_payload(plain, plain.cls(type=1, data=b"hi")) == b"\x01\0\0\0hi"
    with pytest.raises(ValueError):
        m.clipboard_layout(m.AgentMsg.REPLY, selection=False, serial=False)


def test_monitors_config_with_and_without_physical_sizes() -> None:
    mon = m.MonConfig.cls(height=768, width=1024, depth=32, x=-5, y=7)
    plain = m.MonitorsConfig.cls(num_of_monitors=1, flags=1, monitors=[mon])
    assert len(m.build_payload(m.MonitorsConfig, plain)) == 8 + 20
    sized = m.MonitorsConfig.cls(
        num_of_monitors=1, flags=3, monitors=[mon], physical_sizes=[m.MonitorMM.cls(height=200, width=300)]
    )
    payload = m.build_payload(m.MonitorsConfig, sized)
    assert payload[-4:] == struct.pack("<HH", 200, 300)
    assert m.parse_payload(m.MonitorsConfig, payload) == sized


@pytest.mark.parametrize(
    ("layout", "payload"),
    [
        (m.Reply, b"\1\0\0\0\1\0\0\0\0"),  # one byte too many
        (m.Reply, b"\1\0\0\0"),
        (m.MouseState, b"\0" * 12),
        (m.FileXferData, struct.pack("<IQ", 1, 5) + b"abc"),  # shorter than its size
        (m.FileXferData, struct.pack("<IQ", 1, 2) + b"abc"),  # longer
        (m.FileXferData, struct.pack("<IQ", 1, 1 << 60)),
        (m.AnnounceCapabilities, b"\1\0\0\0\1\0"),  # half a word
        (m.clipboard_layout(m.AgentMsg.CLIPBOARD_GRAB, selection=True, serial=True), b"\0\0\0"),
        (m.MonitorsConfig, struct.pack("<II", 0xFFFFFFFF, 0)),
        (m.GraphicsDeviceInfo, struct.pack("<IIIII", 1, 0, 0, 0, 100)),
    ],
)
def test_strict_parsing(layout: Struct, payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        m.parse_payload(layout, payload)
