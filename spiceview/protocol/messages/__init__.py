"""Message layouts, declared once per channel as data (from spice-common's spice.proto).

Each channel module builds a `ChannelSchema`: message number -> layout for each direction. Server messages are
named MSG_*, client messages MSGC_*; their generated classes are Msg<Channel><Name> and Msgc<Channel><Name>.
"""

from __future__ import annotations

from ..schema import FieldSpec, MessageDef, Struct, camel


class ChannelSchema:
    """The messages one channel type understands, in both directions, including the common ones."""

    def __init__(self, prefix: str, base: ChannelSchema | None = None) -> None:
        self.prefix = prefix
        self.server: dict[int, MessageDef] = dict(base.server) if base else {}
        self.client: dict[int, MessageDef] = dict(base.client) if base else {}
        # Keyed by layout, not class, so classes are only made when a message is first used.
        self._client_numbers: dict[Struct, int] = dict(base._client_numbers) if base else {}
        self._server_numbers: dict[Struct, int] = dict(base._server_numbers) if base else {}
        self._by_class: dict[tuple[int, type], int] = {}

    def server_msg(self, number: int, name: str, *fields: FieldSpec) -> MessageDef:
        return self._add(
            self.server, self._server_numbers, number, name, Struct(f"Msg{self.prefix}{camel(name)}", *fields)
        )

    def client_msg(self, number: int, name: str, *fields: FieldSpec) -> MessageDef:
        return self._add(
            self.client, self._client_numbers, number, name, Struct(f"Msgc{self.prefix}{camel(name)}", *fields)
        )

    @staticmethod
    def _add(
        table: dict[int, MessageDef], numbers: dict[Struct, int], number: int, name: str, layout: Struct
    ) -> MessageDef:
        if number in table:
            raise ValueError(f"message number {number} declared twice ({table[number].name}, {name})")
        defn = MessageDef(number, name, layout)
        table[number] = defn
        numbers[layout] = number
        layout.message = defn
        return defn

    def client_number(self, msg: object) -> int:
        number = self._number(self._client_numbers, msg)
        if number is None:
            raise TypeError(f"{type(msg).__name__} is not a client message of {self.prefix or 'base'}")
        return number

    def server_number(self, msg: object) -> int:
        number = self._number(self._server_numbers, msg)
        if number is None:
            raise TypeError(f"{type(msg).__name__} is not a server message of {self.prefix or 'base'}")
        return number

    def _number(self, numbers: dict[Struct, int], msg: object) -> int | None:
        # A generated class may be made directly (MsgcMainAttachChannels()) before its layout was ever used, so
        # the layout is found by name and then checked to be this very class; the answer is remembered.
        cls = type(msg)
        known = self._by_class.get((id(numbers), cls))
        if known is not None:
            return known
        for layout, number in numbers.items():
            if layout.name == cls.__name__ and layout.cls is cls:
                self._by_class[(id(numbers), cls)] = number
                return number
        return None
