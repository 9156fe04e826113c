"""The guest agent's messages (spice-protocol's spice/vd_agent.h), declared as data.

An agent message is a 20-byte VDAgentMessage header (protocol, type, opaque, size) and `size` bytes of payload;
it travels inside the main channel's AGENT_DATA messages (see stream.py). The payload layouts below are the core
ones. The four clipboard messages carry a 4-byte selection prefix when both sides announce CLIPBOARD_SELECTION,
and a grab carries a 32-bit serial after it when both announce CLIPBOARD_GRAB_SERIAL: `clipboard_layout()` gives
the variant that the negotiated capabilities call for.

Parsing here is strict: a payload must be consumed exactly by its layout, so a short or over-long message is a
ProtocolError (the reference daemon checks sizes the same way before it touches a message).
"""

from __future__ import annotations

import builtins
import dataclasses
from enum import IntEnum, IntFlag
from typing import Any

from ..errors import ProtocolError
from ..schema import I32, U8, U16, U32, U64, Array, Bytes, FieldSpec, Struct, Switch, has_flag
from ..wire import Reader, Writer

AGENT_PROTOCOL = 1
MAX_DATA_SIZE = 2048  # VD_AGENT_MAX_DATA_SIZE: the largest AGENT_DATA payload either side sends
HEADER_SIZE = 20


class AgentMsg(IntEnum):
    MOUSE_STATE = 1  # server -> agent
    MONITORS_CONFIG = 2  # client -> agent (or the server, for QXL guests); answered with REPLY
    REPLY = 3  # agent -> client
    CLIPBOARD = 4  # both ways: the data of one type
    DISPLAY_CONFIG = 5  # client -> agent (Windows guests answer with REPLY)
    ANNOUNCE_CAPABILITIES = 6  # both ways
    CLIPBOARD_GRAB = 7  # both ways: "I own the selection, with these types"
    CLIPBOARD_REQUEST = 8  # both ways: "send me this type"
    CLIPBOARD_RELEASE = 9  # both ways: "I no longer own the selection"
    FILE_XFER_START = 10  # client -> agent
    FILE_XFER_STATUS = 11  # both ways
    FILE_XFER_DATA = 12  # client -> agent
    CLIENT_DISCONNECTED = 13  # server -> agent
    MAX_CLIPBOARD = 14  # client -> agent: the largest clipboard the client accepts
    AUDIO_VOLUME_SYNC = 15  # client -> agent
    GRAPHICS_DEVICE_INFO = 16  # server -> agent


class AgentCap(IntEnum):
    MOUSE_STATE = 0
    MONITORS_CONFIG = 1
    REPLY = 2
    CLIPBOARD = 3  # the old push clipboard; nobody speaks it any more
    DISPLAY_CONFIG = 4
    CLIPBOARD_BY_DEMAND = 5
    CLIPBOARD_SELECTION = 6
    SPARSE_MONITORS_CONFIG = 7  # agent: understands 0x0 (disabled) monitors in MONITORS_CONFIG
    GUEST_LINEEND_LF = 8
    GUEST_LINEEND_CRLF = 9
    MAX_CLIPBOARD = 10
    AUDIO_VOLUME_SYNC = 11
    MONITORS_CONFIG_POSITION = 12  # client: handles multi-monitor configs that are not multi-head
    FILE_XFER_DISABLED = 13
    FILE_XFER_DETAILED_ERRORS = 14  # client: understands the detail block of FILE_XFER_STATUS errors
    GRAPHICS_DEVICE_INFO = 15
    CLIPBOARD_NO_RELEASE_ON_REGRAB = 16
    CLIPBOARD_GRAB_SERIAL = 17


class ClipboardType(IntEnum):
    NONE = 0
    UTF8_TEXT = 1
    TEXT = 1  # alias
    IMAGE_PNG = 2  # every client with image support should support this one
    IMAGE_BMP = 3
    IMAGE_TIFF = 4
    IMAGE_JPG = 5
    FILE_LIST = 6  # NUL-separated UTF-8 paths in the webdav share, the first item "copy" or "cut"


class Selection(IntEnum):
    CLIPBOARD = 0
    PRIMARY = 1
    SECONDARY = 2


class MonitorsFlag(IntFlag):
    USE_POS = 1 << 0  # the agent honours x/y
    PHYSICAL_SIZE = 1 << 1  # a VDAgentMonitorMM block follows the monitors (spice-vdagentd 0.22 rejects it)


class FileXferStatus(IntEnum):
    CAN_SEND_DATA = 0
    CANCELLED = 1
    ERROR = 2
    SUCCESS = 3
    NOT_ENOUGH_SPACE = 4  # detail: FileXferStatusNotEnoughSpace
    SESSION_LOCKED = 5
    VDAGENT_NOT_CONNECTED = 6
    DISABLED = 7


class FileXferErrorType(IntEnum):
    GLIB_IO = 0  # error_code is a GIOErrorEnum value


class GIOError(IntEnum):
    """The GIOErrorEnum values an agent may put in a detailed file-transfer error."""

    FAILED = 0
    NOT_FOUND = 1
    EXISTS = 2
    IS_DIRECTORY = 3
    NOT_DIRECTORY = 4
    NOT_EMPTY = 5
    NOT_REGULAR_FILE = 6
    FILENAME_TOO_LONG = 9
    INVALID_FILENAME = 10
    NO_SPACE = 12
    INVALID_ARGUMENT = 13
    PERMISSION_DENIED = 14
    NOT_SUPPORTED = 15
    CANCELLED = 19
    READ_ONLY = 21
    TIMED_OUT = 24
    BUSY = 26
    TOO_MANY_OPEN_FILES = 31


class DisplayConfigFlag(IntFlag):
    DISABLE_WALLPAPER = 1 << 0
    DISABLE_FONT_SMOOTH = 1 << 1
    DISABLE_ANIMATION = 1 << 2
    SET_COLOR_DEPTH = 1 << 3


class ReplyError(IntEnum):
    SUCCESS = 1
    ERROR = 2


class AgentButtonMask(IntFlag):
    LEFT = 1 << 1
    MIDDLE = 1 << 2
    RIGHT = 1 << 3
    UP = 1 << 4
    DOWN = 1 << 5
    SIDE = 1 << 6
    EXTRA = 1 << 7


class ChunkPort(IntEnum):
    """VDIChunkHeader ports: the server <-> agent framing (virtio), never seen by a client."""

    CLIENT = 1
    SERVER = 2


# --- layouts ------------------------------------------------------------------------------------------------

Header = Struct("AgentHeader", ("protocol", U32), ("type", U32), ("opaque", U64), ("size", U32))
ChunkHeader = Struct("AgentChunkHeader", ("port", U32), ("size", U32))

MouseState = Struct("AgentMouseState", ("x", U32), ("y", U32), ("buttons", U32), ("display_id", U8))
MonConfig = Struct("AgentMonConfig", ("height", U32), ("width", U32), ("depth", U32), ("x", I32), ("y", I32))
MonitorMM = Struct("AgentMonitorMM", ("height", U16), ("width", U16))
MonitorsConfig = Struct(
    "AgentMonitorsConfig",
    ("num_of_monitors", U32),
    ("flags", U32),
    ("monitors", Array(MonConfig, "num_of_monitors")),
    Switch(
        "flags",
        (has_flag(MonitorsFlag.PHYSICAL_SIZE), "physical_sizes", Array(MonitorMM, "num_of_monitors")),
    ),
)
Reply = Struct("AgentReply", ("type", U32), ("error", U32))
DisplayConfig = Struct("AgentDisplayConfig", ("flags", U32), ("depth", U32))
AnnounceCapabilities = Struct("AgentAnnounceCapabilities", ("request", U32), ("caps", Array(U32)))
MaxClipboard = Struct("AgentMaxClipboard", ("max", I32))

FileXferStart = Struct("AgentFileXferStart", ("id", U32), ("data", Bytes()))  # a key file, NUL-terminated
FileXferStatusMsg = Struct("AgentFileXferStatus", ("id", U32), ("result", U32), ("data", Bytes()))
FileXferStatusError = Struct("AgentFileXferStatusError", ("error_type", U8), ("error_code", U32))
FileXferStatusNotEnoughSpace = Struct("AgentFileXferStatusNotEnoughSpace", ("disk_free_space", U64))
FileXferData = Struct("AgentFileXferData", ("id", U32), ("size", U64), ("data", Bytes("size")))

ClientDisconnected = Struct("AgentClientDisconnected")
AudioVolumeSync = Struct(
    "AgentAudioVolumeSync",
    ("is_playback", U8),
    ("mute", U8),
    ("nchannels", U8),
    ("volume", Array(U16, "nchannels")),
)
DeviceDisplayInfo = Struct(
    "AgentDeviceDisplayInfo",
    ("channel_id", U32),
    ("monitor_id", U32),
    ("device_display_id", U32),
    ("device_address_len", U32),
    ("device_address", Bytes("device_address_len")),  # NUL-terminated
)
GraphicsDeviceInfo = Struct(
    "AgentGraphicsDeviceInfo", ("count", U32), ("display_info", Array(DeviceDisplayInfo, "count"))
)

# The clipboard messages' core fields; the selection prefix and grab serial are added by clipboard_layout().
_CLIPBOARD_CORE: dict[int, tuple[FieldSpec, ...]] = {
    AgentMsg.CLIPBOARD: (("type", U32), ("data", Bytes())),
    AgentMsg.CLIPBOARD_GRAB: (("types", Array(U32)),),
    AgentMsg.CLIPBOARD_REQUEST: (("type", U32),),
    AgentMsg.CLIPBOARD_RELEASE: (),
}
_CLIPBOARD_NAMES: dict[int, str] = {
    AgentMsg.CLIPBOARD: "Clipboard",
    AgentMsg.CLIPBOARD_GRAB: "ClipboardGrab",
    AgentMsg.CLIPBOARD_REQUEST: "ClipboardRequest",
    AgentMsg.CLIPBOARD_RELEASE: "ClipboardRelease",
}
_SELECTION_PREFIX: tuple[FieldSpec, ...] = (("selection", U8), ("reserved", Bytes(3)))
_GRAB_SERIAL: tuple[FieldSpec, ...] = (("serial", U32),)
_clipboard_layouts: dict[tuple[int, bool, bool], Struct] = {}


def clipboard_layout(msg_type: int, *, selection: bool, serial: bool) -> Struct:
    """The layout of a clipboard message under the negotiated CLIPBOARD_SELECTION / CLIPBOARD_GRAB_SERIAL."""
    if msg_type not in _CLIPBOARD_CORE:
        raise ValueError(f"agent message {msg_type} is not a clipboard message")
    serial = serial and msg_type == AgentMsg.CLIPBOARD_GRAB
    key = (int(msg_type), selection, serial)
    layout = _clipboard_layouts.get(key)
    if layout is None:
        fields = (_SELECTION_PREFIX if selection else ()) + (_GRAB_SERIAL if serial else ()) + _CLIPBOARD_CORE[msg_type]
        suffix = ("Sel" if selection else "") + ("Serial" if serial else "")
        layout = _clipboard_layouts[key] = Struct(f"Agent{_CLIPBOARD_NAMES[msg_type]}{suffix}", *fields)
    return layout


@dataclasses.dataclass(frozen=True, slots=True)
class AgentMessageDef:
    type: int
    name: str
    layout: Struct  # for clipboard messages: the plain variant (no selection prefix, no serial)

    @property
    def cls(self) -> builtins.type:
        return self.layout.cls


def _defs(*items: tuple[AgentMsg, Struct]) -> dict[int, AgentMessageDef]:
    return {int(t): AgentMessageDef(int(t), t.name, layout) for t, layout in items}


AGENT_MESSAGES: dict[int, AgentMessageDef] = _defs(
    (AgentMsg.MOUSE_STATE, MouseState),
    (AgentMsg.MONITORS_CONFIG, MonitorsConfig),
    (AgentMsg.REPLY, Reply),
    (AgentMsg.CLIPBOARD, clipboard_layout(AgentMsg.CLIPBOARD, selection=False, serial=False)),
    (AgentMsg.DISPLAY_CONFIG, DisplayConfig),
    (AgentMsg.ANNOUNCE_CAPABILITIES, AnnounceCapabilities),
    (AgentMsg.CLIPBOARD_GRAB, clipboard_layout(AgentMsg.CLIPBOARD_GRAB, selection=False, serial=False)),
    (AgentMsg.CLIPBOARD_REQUEST, clipboard_layout(AgentMsg.CLIPBOARD_REQUEST, selection=False, serial=False)),
    (AgentMsg.CLIPBOARD_RELEASE, clipboard_layout(AgentMsg.CLIPBOARD_RELEASE, selection=False, serial=False)),
    (AgentMsg.FILE_XFER_START, FileXferStart),
    (AgentMsg.FILE_XFER_STATUS, FileXferStatusMsg),
    (AgentMsg.FILE_XFER_DATA, FileXferData),
    (AgentMsg.CLIENT_DISCONNECTED, ClientDisconnected),
    (AgentMsg.MAX_CLIPBOARD, MaxClipboard),
    (AgentMsg.AUDIO_VOLUME_SYNC, AudioVolumeSync),
    (AgentMsg.GRAPHICS_DEVICE_INFO, GraphicsDeviceInfo),
)


def parse_payload(layout: Struct, payload: bytes | bytearray | memoryview) -> Any:
    """Parse a payload that must be exactly one `layout`; raises ProtocolError otherwise."""
    r = Reader(payload)
    value = layout.parse(r)
    if r.remaining():
        raise ProtocolError(f"{layout.name}: {r.remaining()} unexpected trailing bytes")
    return value


def build_payload(layout: Struct, value: Any) -> bytes:
    w = Writer()
    layout.build(w, value)
    return w.getvalue()


def type_name(msg_type: int) -> str:
    try:
        return AgentMsg(msg_type).name
    except ValueError:
        return f"type-{msg_type}"
