"""Agent messages over AGENT_DATA, sans-IO: reassembly, chunking and token flow control in both directions.

Outgoing: an agent message (header + payload) is cut into AGENT_DATA payloads of at most 2048 bytes, the first
one holding the whole 20-byte header. Two messages never share an AGENT_DATA message: spice-server's filter
rejects an AGENT_DATA that holds the end of one message and the start of the next. Each AGENT_DATA costs one of
the tokens the server granted (INIT / AGENT_CONNECTED_TOKENS, then AGENT_TOKEN); without tokens, chunks wait in
a queue, in order, until `on_tokens()` releases them.

Incoming: the client grants the server `receive_window` tokens with AGENT_START; every AGENT_DATA fed here uses
one, and `tokens_to_return()` says how many to hand back with AGENT_TOKEN. Messages may span several AGENT_DATA
messages. Agents start every message on a fresh AGENT_DATA (spice-vdagentd, the Windows agent and QEMU's agent
all cut each message into its own chunks), so the start of an AGENT_DATA is where the stream resynchronises:
a header with a bad protocol number drops the rest of its AGENT_DATA, and so do bytes after a complete message
that do not make a whole, sane header (a second message packed behind the first is still accepted, as spice-gtk
accepts it). A message larger than `max_message_size` is skipped without being buffered and reported with its
first bytes, so a caller can tell what was lost.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

from .messages import AGENT_PROTOCOL, HEADER_SIZE, MAX_DATA_SIZE, type_name

_HEADER = struct.Struct("<IIQI")
assert _HEADER.size == HEADER_SIZE

DEFAULT_MAX_MESSAGE_SIZE = 128 * 1024 * 1024
DEFAULT_RECEIVE_WINDOW = 64
UNLIMITED_TOKENS = 0xFFFFFFFF  # what spice-gtk grants: no flow control, nothing to return
SKIPPED_HEAD = 16  # bytes kept from the start of a skipped message's payload
MAX_PAYLOAD = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class AgentMessage:
    type: int
    opaque: int
    payload: bytes

    @property
    def name(self) -> str:
        return type_name(self.type)


@dataclass(frozen=True, slots=True)
class StreamError:
    """Bytes that are not agent messages were dropped (`dropped` bytes of the current AGENT_DATA)."""

    reason: str
    dropped: int


@dataclass(frozen=True, slots=True)
class SkippedMessage:
    """A message larger than the limit was read past and discarded; `head` is the start of its payload."""

    type: int
    size: int
    head: bytes

    @property
    def name(self) -> str:
        return type_name(self.type)


StreamEvent = AgentMessage | StreamError | SkippedMessage


def encode_message(msg_type: int, payload: bytes | bytearray | memoryview, opaque: int = 0) -> list[bytes]:
    """One agent message as the AGENT_DATA payloads that carry it (each at most MAX_DATA_SIZE bytes)."""
    size = len(payload)
    if size > MAX_PAYLOAD:
        raise ValueError(f"agent message of {size} bytes does not fit the 32-bit size field")
    if not 0 <= msg_type <= 0xFFFFFFFF or not 0 <= opaque <= 0xFFFFFFFFFFFFFFFF:
        raise ValueError("agent message type or opaque out of range")
    head = _HEADER.pack(AGENT_PROTOCOL, msg_type, opaque, size)
    first = MAX_DATA_SIZE - HEADER_SIZE
    view = memoryview(payload).cast("B")
    chunks = [head + bytes(view[:first])]
    for pos in range(first, size, MAX_DATA_SIZE):
        chunks.append(bytes(view[pos : pos + MAX_DATA_SIZE]))
    return chunks


class AgentStream:
    def __init__(
        self,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        receive_window: int = DEFAULT_RECEIVE_WINDOW,
        client_tokens: int = 0,
    ) -> None:
        if not 1 <= receive_window <= UNLIMITED_TOKENS:
            raise ValueError("receive_window must be 1 .. 2**32-1")
        self.max_message_size = max_message_size
        self.receive_window = receive_window
        self.client_tokens = client_tokens  # AGENT_DATA messages the server lets us send now
        self._queue: deque[bytes] = deque()
        self._unreturned = 0  # AGENT_DATA received since tokens were last returned
        self.received_chunks = 0
        self._reset_input()

    # --- state -------------------------------------------------------------------------------------------

    def _reset_input(self) -> None:
        self._head = bytearray()  # a header being collected
        self._msg: tuple[int, int, int] | None = None  # (type, opaque, size) of the message being collected
        self._body = bytearray()
        self._skip_left = 0
        self._skip_type = 0
        self._skip_size = 0
        self._skip_head = bytearray()

    def reset(self, client_tokens: int | None = None) -> None:
        """The agent went away or came back: forget partial messages, queued chunks and token counts.

        `client_tokens` sets the send tokens (AGENT_CONNECTED_TOKENS); None keeps the current count (servers
        without that capability grant tokens once, in INIT).
        """
        self._reset_input()
        self._queue.clear()
        self._unreturned = 0
        if client_tokens is not None:
            self.client_tokens = client_tokens

    @property
    def in_message(self) -> bool:
        """True while a message is partly received."""
        return bool(self._head) or self._msg is not None or self._skip_left > 0

    # --- receiving ---------------------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> list[StreamEvent]:
        """Feed one AGENT_DATA payload; returns the messages (and errors) it completes. Never raises."""
        self.received_chunks += 1
        self._unreturned += 1
        view = memoryview(data).cast("B")
        events: list[StreamEvent] = []
        pos, end = 0, len(view)
        while pos < end:
            if self._skip_left:
                n = min(self._skip_left, end - pos)
                want = SKIPPED_HEAD - len(self._skip_head)
                if want > 0:
                    self._skip_head += view[pos : pos + min(n, want)]
                self._skip_left -= n
                pos += n
                if not self._skip_left:
                    events.append(self._finish_skip())
                continue
            if self._msg is None:
                packed = pos > 0 and not self._head  # a header after a message in the same AGENT_DATA
                if packed and end - pos < HEADER_SIZE:
                    events.append(StreamError(f"{end - pos} stray bytes after a message", end - pos))
                    break
                head_start = max(0, pos - len(self._head))
                n = min(HEADER_SIZE - len(self._head), end - pos)
                self._head += view[pos : pos + n]
                pos += n
                if len(self._head) < HEADER_SIZE:
                    break
                protocol, msg_type, opaque, size = _HEADER.unpack(self._head)
                self._head.clear()
                reason = ""
                if protocol != AGENT_PROTOCOL:
                    reason = f"agent message with protocol {protocol}, not 1"
                elif packed and size > self.max_message_size:
                    reason = f"a {size}-byte message packed after another"
                if reason:
                    events.append(StreamError(reason, end - head_start))
                    self._reset_input()
                    break
                if size > self.max_message_size:
                    self._skip_left, self._skip_type, self._skip_size = size, msg_type, size
                    self._skip_head.clear()
                    continue
                self._msg = (msg_type, opaque, size)
                self._body = bytearray()
                if size == 0:
                    events.append(self._finish_message())
                continue
            msg_type, opaque, size = self._msg
            n = min(size - len(self._body), end - pos)
            self._body += view[pos : pos + n]
            pos += n
            if len(self._body) == size:
                events.append(self._finish_message())
        return events

    def _finish_message(self) -> AgentMessage:
        assert self._msg is not None
        msg_type, opaque, _ = self._msg
        msg = AgentMessage(msg_type, opaque, bytes(self._body))
        self._msg = None
        self._body = bytearray()
        return msg

    def _finish_skip(self) -> SkippedMessage:
        skipped = SkippedMessage(self._skip_type, self._skip_size, bytes(self._skip_head))
        self._skip_head.clear()
        return skipped

    def tokens_to_return(self, force: bool = False) -> int:
        """Tokens to give back with MSGC_AGENT_TOKEN now (0: nothing to send yet).

        Tokens go back in batches of half the window, so the server never runs dry while we keep up.
        """
        if self.receive_window >= UNLIMITED_TOKENS:
            self._unreturned = 0
            return 0
        batch = max(1, self.receive_window // 2)
        if self._unreturned and (force or self._unreturned >= batch):
            n, self._unreturned = self._unreturned, 0
            return n
        return 0

    # --- sending -----------------------------------------------------------------------------------------

    def send(self, msg_type: int, payload: bytes | bytearray | memoryview, opaque: int = 0) -> list[bytes]:
        """Queue one agent message; returns the AGENT_DATA payloads that may go out now (tokens allowing)."""
        self._queue.extend(encode_message(msg_type, payload, opaque))
        return self._release()

    def on_tokens(self, n: int) -> list[bytes]:
        """The server granted `n` more tokens (AGENT_TOKEN); returns the queued chunks they release."""
        if n < 0:
            raise ValueError("negative token count")
        self.client_tokens = min(self.client_tokens + n, 1 << 62)
        return self._release()

    def _release(self) -> list[bytes]:
        out: list[bytes] = []
        while self._queue and self.client_tokens > 0:
            self.client_tokens -= 1
            out.append(self._queue.popleft())
        return out

    @property
    def pending(self) -> int:
        """AGENT_DATA payloads waiting for tokens."""
        return len(self._queue)
