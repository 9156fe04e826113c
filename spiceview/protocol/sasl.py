"""SASL in the link stage: what the sans-IO connection needs from a SASL implementation, and the wire's limits.

After the client names SASL as its auth mechanism (spice-server's red-stream.cpp, spice-gtk's spice-channel.c):
the server sends its mechanism list (u32 length, text); the client answers with the mechanism it chose (u32
length, name) and its first response; then server and client alternate (u32 length, data with a trailing NUL;
length 0 means "no data", distinct from empty data), each server turn ending with a u8 "complete" flag; then the
server's u32 result of the exchange, in clear. A security layer negotiated by the mechanism wraps every byte after
that, beginning with the link result every authentication ends with (so two results follow a SASL exchange).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

MAX_MECHLIST = 300  # spice-gtk's limit on the mechanism list
MAX_DATA = 65536  # on one step's data, both ways


@dataclass(frozen=True)
class SaslCredentials:
    username: str
    password: str


class SaslClient(Protocol):
    """One channel's SASL exchange (transport/sasl.py does it with libsasl2)."""

    def start(self, mechlist: str) -> tuple[str, bytes | None]:
        """The chosen mechanism and its initial response (None: none)."""
        ...

    def step(self, challenge: bytes | None) -> tuple[bytes | None, bool]:
        """The response to the server's data, and whether the client side is complete."""
        ...

    def finish(self) -> bool:
        """The exchange succeeded: check the security it gave (raise LinkError); True when a security layer
        wraps what follows the exchange's result."""
        ...

    def encode(self, data: bytes) -> bytes: ...

    def decode(self, data: bytes) -> bytes: ...


# Made when the server asks for SASL; the argument is the TLS cipher's strength in bits (0: no TLS).
SaslFactory = Callable[[int], SaslClient]
