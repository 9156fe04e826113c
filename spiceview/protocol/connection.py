"""One client channel connection, sans-IO: bytes in, typed events out, bytes to send queued.

It runs the link stage (header, capabilities, ticket), then frames messages, parses them with the channel's
schema, and handles the flow-control chores every channel shares: ACK_SYNC after SET_ACK, one ACK per window
of messages, PONG for every PING. Nothing here touches a socket, a thread or Qt.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from . import link as linkmod
from .auth import encrypt_ticket
from .constants import MAX_PASSWORD_LENGTH, ChannelType, CommonCap, LinkErr
from .errors import AuthError, LinkError, ProtocolError
from .framing import Body, Frame, FrameReader, encode_frame
from .messages import ChannelSchema
from .messages import base as basemsg
from .messages.registry import schema_for
from .sasl import MAX_DATA, MAX_MECHLIST, SaslClient, SaslFactory
from .schema import WireStruct, build_body, parse_body


class State(enum.Enum):
    IDLE = "idle"
    AWAIT_REPLY = "await-reply"
    AWAIT_SASL_MECHS = "await-sasl-mechanisms"
    AWAIT_SASL_STEP = "await-sasl-step"
    AWAIT_RESULT = "await-result"
    READY = "ready"
    CLOSED = "closed"


@dataclass(slots=True)
class Linked:
    """The server accepted the link; its capabilities decide what may be used."""

    common_caps: frozenset[int]
    channel_caps: frozenset[int]
    mini_header: bool
    sent_with_ticket: bool = False  # the channel's first messages went with the ticket (ChannelConnection.with_ticket)


@dataclass(slots=True)
class Received:
    """A parsed server message; `serial` counts messages on this channel from 1."""

    message: WireStruct
    serial: int


@dataclass(slots=True)
class UnknownMessage:
    type: int
    size: int
    serial: int


@dataclass(slots=True)
class MalformedMessage:
    """A message whose framing was fine but whose body broke its layout; it was skipped."""

    type: int
    name: str
    error: str
    serial: int


Event = Linked | Received | UnknownMessage | MalformedMessage

# Common capabilities spiceview always offers.
CLIENT_COMMON_CAPS = frozenset({CommonCap.PROTOCOL_AUTH_SELECTION, CommonCap.AUTH_SPICE, CommonCap.MINI_HEADER})


@dataclass
class ChannelConnection:
    channel_type: int
    channel_id: int = 0
    connection_id: int = 0
    password: str = ""
    channel_caps: frozenset[int] = field(default_factory=frozenset)
    common_caps: frozenset[int] = CLIENT_COMMON_CAPS
    sasl: SaslFactory | None = None  # offered when given: SASL authentication, if the server asks for it
    # The channel's first messages, given the server's channel caps: queued right behind the ticket, before the link
    # result (after it with SASL). spice-server's display thread looks once for DISPLAY_INIT as the link completes
    # and then sleeps 10 ms: sent after the result, the init always missed that look.
    with_ticket: Callable[[frozenset[int]], list[WireStruct]] | None = None

    def __post_init__(self) -> None:
        self.schema: ChannelSchema = schema_for(self.channel_type)
        self.state = State.IDLE
        self.server_common_caps: frozenset[int] = frozenset()
        self.server_channel_caps: frozenset[int] = frozenset()
        self.mini_header = False
        self._in = bytearray()
        self._out = bytearray()
        self._frames: FrameReader | None = None
        self._link_body_size: int | None = None
        self._send_serial = 0
        self.ack_window = 0
        self._ack_left = 0
        self.last_serial = 0
        self.tls_bits = 0  # the TLS cipher's strength, set by whoever opened the connection (SASL wants it)
        self._sasl: SaslClient | None = None
        self._sasl_layer = False  # the exchange negotiated a security layer (it starts after the clear result)
        self._wrapped = False  # the layer runs: bytes in are decoded, bytes out encoded
        self._clear_out = b""  # link-stage bytes still unsent when the layer started
        self._sasl_results = 0  # link results read since SASL: one in clear, then the usual one (wrapped)
        self._sasl_done = False  # the client's side of the SASL exchange is complete
        self._with_ticket_sent = False
        if self.sasl is not None:
            self.common_caps = self.common_caps | {CommonCap.AUTH_SASL}

    # --- link stage ---------------------------------------------------------------------------------------

    def initiate(self) -> None:
        """Queue the link message; call once, right after connecting."""
        if self.state is not State.IDLE:
            raise RuntimeError("link already started")
        if len(self.password.encode("utf-8")) > MAX_PASSWORD_LENGTH:
            raise LinkError(f"password longer than {MAX_PASSWORD_LENGTH} bytes, which SPICE cannot send")
        mess = linkmod.LinkMess(
            self.connection_id, self.channel_type, self.channel_id, self.common_caps, self.channel_caps
        )
        self._out += linkmod.encode_link_mess(mess)
        self.state = State.AWAIT_REPLY

    def _on_link_reply(self) -> list[Event]:
        if self._link_body_size is None:
            if len(self._in) < linkmod.LINK_HEADER.size:
                return []
            _, _, self._link_body_size = linkmod.parse_link_header(bytes(self._in[: linkmod.LINK_HEADER.size]))
            del self._in[: linkmod.LINK_HEADER.size]
        if len(self._in) < self._link_body_size:
            return []
        body = bytes(self._in[: self._link_body_size])
        del self._in[: self._link_body_size]
        reply = linkmod.decode_link_reply_body(body)
        if reply.error != LinkErr.OK:
            self.state = State.CLOSED
            raise LinkError(linkmod.link_error_text(reply.error), reply.error)
        self.server_common_caps, self.server_channel_caps = reply.common_caps, reply.channel_caps
        if CommonCap.PROTOCOL_AUTH_SELECTION in reply.common_caps:
            if CommonCap.AUTH_SPICE not in reply.common_caps:
                if self.sasl is None or CommonCap.AUTH_SASL not in reply.common_caps:
                    self.state = State.CLOSED
                    raise LinkError("the server accepts only SASL authentication, which spiceview cannot offer here")
                self._out += linkmod.U32.pack(CommonCap.AUTH_SASL)
                self._sasl = self.sasl(self.tls_bits)
                self.state = State.AWAIT_SASL_MECHS
                return []
            self._out += linkmod.U32.pack(CommonCap.AUTH_SPICE)
        self._out += encrypt_ticket(reply.pub_key, self.password)
        self.state = State.AWAIT_RESULT
        self._send_with_ticket()
        return []

    def _agree_on_header(self) -> None:
        self.mini_header = (
            CommonCap.MINI_HEADER in self.server_common_caps and CommonCap.MINI_HEADER in self.common_caps
        )

    def _send_with_ticket(self) -> None:
        if self.with_ticket is None or self._with_ticket_sent:
            return
        self._with_ticket_sent = True
        self._agree_on_header()  # the server's caps are known: so is the header both sides' messages use
        for message in self.with_ticket(self.server_channel_caps):
            self._queue(message)

    # --- SASL (protocol/sasl.py) --------------------------------------------------------------------------

    def _take_sized(self, limit: int, what: str) -> bytes | None:
        """A u32 length and that many bytes, once all are here (None before)."""
        if len(self._in) < 4:
            return None
        (size,) = linkmod.U32.unpack_from(self._in)
        if size > limit:
            raise LinkError(f"the server's SASL {what} is too long ({size} bytes)")
        if len(self._in) < 4 + size:
            return None
        data = bytes(self._in[4 : 4 + size])
        del self._in[: 4 + size]
        return data

    def _send_sasl_data(self, data: bytes | None) -> None:
        if data is None:
            self._out += linkmod.U32.pack(0)
        else:
            self._out += linkmod.U32.pack(len(data) + 1) + data + b"\0"

    def _on_sasl_mechanisms(self) -> list[Event]:
        mechs = self._take_sized(MAX_MECHLIST, "mechanism list")
        if mechs is None:
            return []
        assert self._sasl is not None
        mech, first = self._sasl.start(mechs.decode("ascii", "replace").strip(","))
        self._sasl_done = False
        self._out += linkmod.U32.pack(len(mech)) + mech.encode("ascii")
        self._send_sasl_data(first)
        self.state = State.AWAIT_SASL_STEP
        return []

    def _on_sasl_step(self) -> list[Event]:
        if len(self._in) < 4:
            return []
        (size,) = linkmod.U32.unpack_from(self._in)
        if size > MAX_DATA:
            raise LinkError(f"the server's SASL step is too long ({size} bytes)")
        if len(self._in) < 4 + size + 1:
            return []
        data, complete = bytes(self._in[4 : 4 + size]), self._in[4 + size]
        del self._in[: 5 + size]
        assert self._sasl is not None
        challenge = data[:-1] if data else None  # the wire's trailing NUL
        if not (complete and self._sasl_done):
            # Even when the server says it is done, the client checks its last word (mutual authentication).
            response, self._sasl_done = self._sasl.step(challenge)
            if not complete:
                self._send_sasl_data(response)
                return []
        if self._sasl_done:
            self._sasl_layer = self._sasl.finish()
        self.state = State.AWAIT_RESULT
        return []

    def lost_during_link(self) -> LinkError | None:
        """What the server closing the connection now means, when it says more than "closed": during SASL, a
        server that refuses the credentials just hangs up."""
        if self.state in (State.AWAIT_SASL_MECHS, State.AWAIT_SASL_STEP) or (
            self.state is State.AWAIT_RESULT and self._sasl is not None
        ):
            return AuthError(
                "SASL authentication failed: wrong user name or password", LinkErr.PERMISSION_DENIED, sasl=True
            )
        return None

    def _on_link_result(self) -> list[Event]:
        if len(self._in) < 4:
            return []
        (result,) = linkmod.U32.unpack_from(self._in)
        del self._in[:4]
        if result != LinkErr.OK:
            self.state = State.CLOSED
            if self._sasl is not None and self._sasl_results == 0:
                raise AuthError(
                    "SASL authentication failed: the server refused it", LinkErr.PERMISSION_DENIED, sasl=True
                )
            if result == LinkErr.PERMISSION_DENIED:
                raise AuthError(linkmod.link_error_text(result), result, sasl=self._sasl is not None)
            raise LinkError(linkmod.link_error_text(result), result)
        if self._sasl is not None and self._sasl_results == 0:
            # The SASL exchange's own result, in clear; the link's result follows, inside the layer if one runs.
            self._sasl_results = 1
            if self._sasl_layer:
                self._wrapped = True
                self._clear_out, self._out = bytes(self._out), bytearray()  # queued before: sent as they are
                self._in = bytearray(self._sasl.decode(bytes(self._in)))
            return self._on_link_result()
        self._agree_on_header()
        self._frames = FrameReader(self.mini_header)
        self.state = State.READY
        self._send_with_ticket()  # after SASL: first thing on the link (inside its security layer, if any)
        sent = self.with_ticket is not None
        return [Linked(self.server_common_caps, self.server_channel_caps, self.mini_header, sent)]

    # --- messages -----------------------------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Feed received bytes; returns the events they complete. Raises LinkError / ProtocolError.

        After an exception the stream cannot be trusted any more: the connection is closed.
        """
        try:
            return self._receive(data)
        except ProtocolError:
            self.state = State.CLOSED
            raise

    def _receive(self, data: bytes | bytearray | memoryview) -> list[Event]:
        if self.state is State.CLOSED:
            raise ProtocolError("connection is closed")
        if self.state is State.IDLE:
            raise RuntimeError("initiate() first")
        events: list[Event] = []
        if self._wrapped:
            data = self._sasl.decode(bytes(data))  # type: ignore[union-attr]
        if self.state is not State.READY:
            self._in += data
            if self.state is State.AWAIT_REPLY:
                events += self._on_link_reply()
            if self.state is State.AWAIT_SASL_MECHS:
                events += self._on_sasl_mechanisms()
            while self.state is State.AWAIT_SASL_STEP and self._in:
                before = len(self._in)
                events += self._on_sasl_step()
                if len(self._in) == before:
                    break  # the rest of the step has not arrived
            if self.state is State.AWAIT_RESULT:
                events += self._on_link_result()
            if self.state is not State.READY or not self._in:
                return events
            data, self._in = bytes(self._in), bytearray()
        assert self._frames is not None
        return self._events(self._frames.feed(data), events)

    def receive_buffer(self) -> memoryview | None:
        """Where the rest of a large message body still arriving may be received in place (a socket's
        recv_into), then reported with `received_into`; None when bytes must go through `receive_data`."""
        if self.state is not State.READY or self._wrapped or self._frames is None:
            return None
        return self._frames.receive_buffer()

    def received_into(self, n: int) -> list[Event]:
        """`n` bytes were received at the start of `receive_buffer()`'s view; returns the events they complete."""
        assert self._frames is not None
        return self._events(self._frames.received_into(n), [])

    def _events(self, frames: list[Frame], events: list[Event]) -> list[Event]:
        assert self._frames is not None
        for frame in frames:
            self.last_serial = frame.serial
            if frame.error is not None:
                event: Event | None = MalformedMessage(frame.type, "sub-message list", frame.error, frame.serial)
            else:
                event = self._decode(frame.type, frame.body, frame.serial)
            if event is not None:
                events.append(event)
            # The window counts wire messages, not the sub-messages they carry (as spice-server counts them).
            for _ in range(frame.acks):
                self._count_for_ack()
        for _ in range(self._frames.take_unattached_acks()):
            self._count_for_ack()
        return events

    def _decode(self, msg_type: int, body: Body, serial: int) -> Event | None:
        defn = self.schema.server.get(msg_type)
        if defn is None:
            return UnknownMessage(msg_type, len(body), serial)
        try:
            msg = parse_body(defn.layout, body)
        except ProtocolError as exc:
            return MalformedMessage(msg_type, defn.name, str(exc), serial)
        if defn is basemsg.MSG_SET_ACK:
            self.ack_window = self._ack_left = msg.window
            self.send(basemsg.MSGC_ACK_SYNC.cls(generation=msg.generation))
            return None
        if defn is basemsg.MSG_PING:
            self.send(basemsg.MSGC_PONG.cls(id=msg.id, timestamp=msg.timestamp))
            return None
        return Received(msg, serial)

    def continue_serials(self, last: int) -> None:
        """The messages from now on follow `last` (a channel that moved seamlessly keeps its source's count)."""
        if self._frames is not None:
            self._frames.continue_after(last)
        self.last_serial = last

    def _count_for_ack(self) -> None:
        if self._ack_left:
            self._ack_left -= 1
            if not self._ack_left:
                self.send(basemsg.MSGC_ACK.cls())
                self._ack_left = self.ack_window

    def send(self, msg: WireStruct) -> None:
        """Queue a client message of this channel."""
        if self.state is not State.READY:
            raise RuntimeError(f"cannot send before the link is up (state {self.state.value})")
        self._queue(msg)

    def _queue(self, msg: WireStruct) -> None:
        number = self.schema.client_number(msg)
        body = build_body(type(msg).__spice_struct__, msg)
        self._send_serial += 1
        self._out += encode_frame(number, body, mini=self.mini_header, serial=self._send_serial)

    def data_to_send(self) -> bytes:
        out, self._out = bytes(self._out), bytearray()
        if out and self._wrapped:
            out = self._sasl.encode(out)  # type: ignore[union-attr]
        if self._clear_out:
            out, self._clear_out = self._clear_out + out, b""
        return out

    def close(self) -> None:
        self.state = State.CLOSED

    @property
    def channel_name(self) -> str:
        try:
            return ChannelType(self.channel_type).name.lower()
        except ValueError:
            return f"channel-{self.channel_type}"
