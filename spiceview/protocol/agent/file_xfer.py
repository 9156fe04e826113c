"""Copying files into the guest through the agent, sans-IO.

One transfer: FILE_XFER_START(id, key file "[vdagent-file-xfer]\\nname=...\\nsize=...\\n" + NUL) -> the agent
answers FILE_XFER_STATUS(id, CAN_SEND_DATA) -> FILE_XFER_DATA(id, size, bytes) messages until `size` bytes went
(one empty DATA message for an empty file: the agent completes on data, not on START) -> the agent answers
SUCCESS, or an error at any time. Either side cancels with FILE_XFER_STATUS(id, CANCELLED); the client reports
its own failures (a read error) with ERROR. The agent's detailed errors (ERROR with a GIO code, NOT_ENOUGH_SPACE
with the free space) come when the client announced FILE_XFER_DETAILED_ERRORS; an agent announcing
FILE_XFER_DISABLED refuses every transfer, so none is started.

Data comes from a `read(n) -> bytes` callback per transfer (b"" = end of file), pulled only when the caller's
outgoing queue is empty (`produce()`), so a large file never floods memory or starves clipboard messages.
Several transfers run at once, taking turns chunk by chunk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from .messages import (
    AgentCap,
    AgentMsg,
    FileXferData,
    FileXferErrorType,
    FileXferStart,
    FileXferStatus,
    FileXferStatusError,
    FileXferStatusMsg,
    FileXferStatusNotEnoughSpace,
    GIOError,
    build_payload,
    parse_payload,
)

DEFAULT_CHUNK_SIZE = 32 * 1024
DEFAULT_MAX_ACTIVE = 8  # spice-vdagentd accepts 128 at once
MAX_SIZE = (1 << 63) - 1

Send = Callable[[int, bytes], None]
Emit = Callable[[object], None]
Reader = Callable[[int], bytes]

_GIO_TEXT = {
    GIOError.NOT_FOUND: "not found",
    GIOError.EXISTS: "the file already exists",
    GIOError.IS_DIRECTORY: "is a directory",
    GIOError.FILENAME_TOO_LONG: "the file name is too long",
    GIOError.INVALID_FILENAME: "invalid file name",
    GIOError.NO_SPACE: "no space left on the guest's disk",
    GIOError.PERMISSION_DENIED: "permission denied",
    GIOError.READ_ONLY: "the guest's file system is read-only",
    GIOError.TOO_MANY_OPEN_FILES: "too many transfers at once",
}
_STATUS_TEXT: dict[int, str] = {
    FileXferStatus.CANCELLED: "the guest cancelled the transfer",
    FileXferStatus.ERROR: "the guest reported an error",
    FileXferStatus.NOT_ENOUGH_SPACE: "not enough free space in the guest",
    FileXferStatus.SESSION_LOCKED: "the guest's session is locked",
    FileXferStatus.VDAGENT_NOT_CONNECTED: "no agent runs in the guest's session",
    FileXferStatus.DISABLED: "file transfer is disabled in the guest",
}


@dataclass(frozen=True, slots=True)
class FileXferProgress:
    id: int
    sent: int
    size: int


@dataclass(frozen=True, slots=True)
class FileXferFinished:
    id: int
    size: int


@dataclass(frozen=True, slots=True)
class FileXferFailed:
    """`status` is the FileXferStatus behind it (None: the client or the connection failed it)."""

    id: int
    reason: str
    status: int | None = None
    cancelled: bool = False
    by_guest: bool = False
    error_code: int | None = None  # the GIOError of a detailed ERROR
    free_space: int | None = None  # NOT_ENOUGH_SPACE detail, bytes


FileXferEvent = FileXferProgress | FileXferFinished | FileXferFailed


class XferState(Enum):
    QUEUED = "queued"  # waiting for a free slot
    STARTING = "starting"  # START sent, waiting for CAN_SEND_DATA
    SENDING = "sending"
    SENT = "sent"  # all data sent, waiting for SUCCESS


@dataclass(slots=True)
class _Transfer:
    id: int
    name: str
    size: int
    read: Reader
    state: XferState = XferState.QUEUED
    sent: int = 0


def _escape_value(value: str) -> str:
    """A GKeyFile string value: backslash escapes for \\, newline, tab, CR, and edge spaces."""
    out = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    stripped = out.lstrip(" ")
    out = "\\s" * (len(out) - len(stripped)) + stripped
    stripped = out.rstrip(" ")
    return stripped + "\\s" * (len(out) - len(stripped))


def clean_file_name(name: str) -> str:
    """The part after the last "/", without NULs: the agent joins it to its directory (pass a base name)."""
    base = name.rstrip("/").rsplit("/", 1)[-1].replace("\0", "")
    if base in ("", ".", ".."):
        raise ValueError(f"not a file name: {name!r}")
    return base


def start_key_file(name: str, size: int) -> bytes:
    """The FILE_XFER_START payload after the id, as GLib's g_key_file_to_data() writes it, NUL-terminated."""
    text = f"[vdagent-file-xfer]\nname={_escape_value(clean_file_name(name))}\nsize={size}\n"
    return text.encode("utf-8", "replace") + b"\0"


class FileXferManager:
    def __init__(
        self,
        send: Send,
        emit: Emit,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_active: int = DEFAULT_MAX_ACTIVE,
    ) -> None:
        if chunk_size < 1 or max_active < 1:
            raise ValueError("chunk_size and max_active must be positive")
        self._send = send
        self._emit = emit
        self.chunk_size = chunk_size
        self.max_active = max_active
        self.agent_caps: frozenset[int] = frozenset()
        self._next_id = 1
        self._xfers: dict[int, _Transfer] = {}
        self._turns: deque[int] = deque()  # round robin over SENDING transfers

    @property
    def disabled(self) -> bool:
        return AgentCap.FILE_XFER_DISABLED in self.agent_caps

    def set_agent_caps(self, caps: Iterable[int]) -> None:
        self.agent_caps = frozenset(caps)

    def transfers(self) -> dict[int, tuple[str, int, int, XferState]]:
        """id -> (name, size, sent, state) of every unfinished transfer."""
        return {x.id: (x.name, x.size, x.sent, x.state) for x in self._xfers.values()}

    # --- client side ---------------------------------------------------------------------------------------

    def start(self, name: str, size: int, read: Reader) -> int:
        """Begin copying a file of `size` bytes; returns its id. Raises ValueError for a bad name or size."""
        if not 0 <= size <= MAX_SIZE:
            raise ValueError(f"bad file size {size}")
        xfer = _Transfer(self._next_id, clean_file_name(name), size, read)
        self._next_id = self._next_id % 0xFFFFFFFF + 1
        if self.disabled:
            self._emit(FileXferFailed(xfer.id, _STATUS_TEXT[FileXferStatus.DISABLED], FileXferStatus.DISABLED))
            return xfer.id
        self._xfers[xfer.id] = xfer
        self._start_queued()
        return xfer.id

    def cancel(self, xfer_id: int) -> bool:
        xfer = self._xfers.pop(xfer_id, None)
        if xfer is None:
            return False
        if xfer.state is not XferState.QUEUED:
            self._send_status(xfer_id, FileXferStatus.CANCELLED)
        self._emit(FileXferFailed(xfer_id, "cancelled", FileXferStatus.CANCELLED, cancelled=True))
        self._start_queued()
        return True

    def fail_all(self, reason: str) -> None:
        """The agent went away: every transfer fails, nothing is sent."""
        xfers, self._xfers = self._xfers, {}
        self._turns.clear()
        for xfer in xfers.values():
            self._emit(FileXferFailed(xfer.id, reason))

    @property
    def has_data_to_send(self) -> bool:
        return any(x.state is XferState.SENDING for x in self._xfers.values())

    def produce(self) -> bool:
        """Read and send one chunk of the next sending transfer; False when none wants to send."""
        while self._turns:
            xfer_id = self._turns.popleft()
            xfer = self._xfers.get(xfer_id)
            if xfer is None or xfer.state is not XferState.SENDING:
                continue
            self._send_chunk(xfer)
            if xfer.state is XferState.SENDING and xfer.id in self._xfers:
                self._turns.append(xfer.id)
            return True
        return False

    def _send_chunk(self, xfer: _Transfer) -> None:
        want = min(self.chunk_size, xfer.size - xfer.sent)
        data = b""
        if want:
            try:
                data = bytes(xfer.read(want))[:want]
            except Exception as exc:  # the caller's reader: any failure ends this transfer only
                self._abort(xfer, f"reading the file failed: {exc}")
                return
            if not data:
                self._abort(xfer, f"the file ended after {xfer.sent} of {xfer.size} bytes")
                return
        payload = build_payload(FileXferData, FileXferData.cls(id=xfer.id, size=len(data), data=data))
        self._send(AgentMsg.FILE_XFER_DATA, payload)
        xfer.sent += len(data)
        if xfer.sent >= xfer.size:
            xfer.state = XferState.SENT
        self._emit(FileXferProgress(xfer.id, xfer.sent, xfer.size))

    def _abort(self, xfer: _Transfer, reason: str) -> None:
        self._xfers.pop(xfer.id, None)
        self._send_status(xfer.id, FileXferStatus.ERROR)
        self._emit(FileXferFailed(xfer.id, reason))
        self._start_queued()

    def _start_queued(self) -> None:
        active = sum(1 for x in self._xfers.values() if x.state is not XferState.QUEUED)
        for xfer in list(self._xfers.values()):
            if active >= self.max_active:
                break
            if xfer.state is XferState.QUEUED:
                xfer.state = XferState.STARTING
                start = FileXferStart.cls(id=xfer.id, data=start_key_file(xfer.name, xfer.size))
                self._send(AgentMsg.FILE_XFER_START, build_payload(FileXferStart, start))
                active += 1

    def _send_status(self, xfer_id: int, status: FileXferStatus) -> None:
        # Exactly 8 bytes: spice-vdagentd 0.22 drops a client status of any other size.
        payload = build_payload(FileXferStatusMsg, FileXferStatusMsg.cls(id=xfer_id, result=status, data=b""))
        self._send(AgentMsg.FILE_XFER_STATUS, payload)

    # --- guest side ----------------------------------------------------------------------------------------

    def on_status(self, payload: bytes) -> None:
        """FILE_XFER_STATUS from the agent. Raises ProtocolError when malformed; unknown ids are ignored."""
        msg = parse_payload(FileXferStatusMsg, payload)
        xfer = self._xfers.get(msg.id)
        if xfer is None or xfer.state is XferState.QUEUED:
            return  # finished or cancelled already (the agent may still be answering)
        if msg.result == FileXferStatus.CAN_SEND_DATA:
            if xfer.state is XferState.STARTING:
                xfer.state = XferState.SENDING
                self._turns.append(xfer.id)
            return
        del self._xfers[xfer.id]
        if msg.result == FileXferStatus.SUCCESS:
            if xfer.state is XferState.SENT:
                self._emit(FileXferFinished(xfer.id, xfer.size))
            else:
                reason = f"the guest reported success after {xfer.sent} of {xfer.size} bytes"
                self._emit(FileXferFailed(xfer.id, reason, FileXferStatus.SUCCESS, by_guest=True))
        else:
            self._emit(self._failure(xfer, msg.result, msg.data))
        self._start_queued()

    def _failure(self, xfer: _Transfer, result: int, detail: bytes) -> FileXferFailed:
        reason = _STATUS_TEXT.get(result, f"the guest reported unknown status {result}")
        cancelled = result == FileXferStatus.CANCELLED
        error_code = free_space = None
        if result == FileXferStatus.ERROR and len(detail) >= FileXferStatusError.min_size:
            err = parse_payload(FileXferStatusError, detail[: FileXferStatusError.min_size])
            if err.error_type == FileXferErrorType.GLIB_IO:
                error_code = err.error_code
                text = _GIO_TEXT.get(err.error_code)
                if text:
                    reason = f"{reason}: {text}"
        elif result == FileXferStatus.NOT_ENOUGH_SPACE and len(detail) >= FileXferStatusNotEnoughSpace.min_size:
            need = FileXferStatusNotEnoughSpace.min_size
            free_space = parse_payload(FileXferStatusNotEnoughSpace, detail[:need]).disk_free_space
            reason = f"{reason} ({free_space} bytes free, {xfer.size} to copy)"
        return FileXferFailed(
            xfer.id, reason, result, cancelled=cancelled, by_guest=True, error_code=error_code, free_space=free_space
        )
