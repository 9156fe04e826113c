"""FuzzProxy: forwards a real SPICE session and mutates what the server sends after the link, seeded and logged.

Client -> server bytes pass untouched. Server -> client: the link reply and the link result pass untouched; then
each message (mini header: type u16, size u32, as spiceview and spice-server agree on) is forwarded, changed with
probability `rate`: bits flipped, a 32-bit field set to an extreme value, the body truncated or extended (the
header's size fixed to match), the message sent twice, or rarely the header's size itself corrupted. Every change
is logged as (connection, message number, type, what) so that a failure can be replayed from its seed.

    with FuzzProxy(server.port, seed=7) as proxy:
        run(["spiceview", "--screenshot", "out.png", proxy.uri])
        print(proxy.log)
"""

from __future__ import annotations

import random
import socket
import struct
import threading
from dataclasses import dataclass, field

MINI_HEADER = struct.Struct("<HI")
LINK_HEADER_SIZE = 16  # "REDQ", major, minor, size
EXTREMES = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF, 0x10000, 0x7FFF]


@dataclass
class FuzzProxy:
    server_port: int
    seed: int
    rate: float = 0.05
    host: str = "127.0.0.1"
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server((self.host, 0))
        self.port = self._listener.getsockname()[1]
        self.uri = f"spice://{self.host}:{self.port}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._connections = 0
        self._lock = threading.Lock()

    def __enter__(self) -> FuzzProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        for sock in [self._listener, *self._sockets]:
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection((self.host, self.server_port))
            with self._lock:
                index = self._connections
                self._connections += 1
                self._sockets += [client, server]
            rng = random.Random(self.seed * 1000 + index)
            for target, args in ((_pump, (client, server)), (self._mutate, (server, client, rng, index))):
                thread = threading.Thread(target=target, args=args, daemon=True)
                thread.start()
                self._threads.append(thread)

    def _mutate(self, src: socket.socket, dst: socket.socket, rng: random.Random, conn: int) -> None:
        try:
            header = _read(src, LINK_HEADER_SIZE)
            size = struct.unpack_from("<I", header, 12)[0]
            dst.sendall(header + _read(src, size))  # the link reply
            dst.sendall(_read(src, 4))  # the link result
            number = 0
            while True:
                head = _read(src, MINI_HEADER.size)
                kind, size = MINI_HEADER.unpack(head)
                body = _read(src, size)
                number += 1
                if rng.random() < self.rate:
                    for chunk in self._change(kind, body, rng, conn, number):
                        dst.sendall(chunk)
                else:
                    dst.sendall(head + body)
        except (OSError, EOFError):
            _close_both(src, dst)

    def _change(self, kind: int, body: bytes, rng: random.Random, conn: int, number: int) -> list[bytes]:
        what = rng.choice(["flip", "extreme", "truncate", "extend", "duplicate", "flip", "extreme", "header"])
        data = bytearray(body)
        if what == "flip" and data:
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif what == "extreme" and len(data) >= 4:
            at = rng.randrange(0, len(data) - 3)
            struct.pack_into("<I", data, at, rng.choice(EXTREMES))
        elif what == "truncate":
            del data[rng.randrange(len(data) + 1) :]
        elif what == "extend":
            data += bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
        self.log.append(f"conn {conn} msg {number} type {kind} size {len(body)}: {what}")
        if what == "duplicate":
            return [MINI_HEADER.pack(kind, len(data)) + data] * 2
        if what == "header":
            return [MINI_HEADER.pack(kind, rng.choice(EXTREMES)) + data]  # the stream is lost after this
        return [MINI_HEADER.pack(kind, len(data)) + data]


def _read(sock: socket.socket, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return bytes(out)


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    _close_both(src, dst)


def _close_both(a: socket.socket, b: socket.socket) -> None:
    for sock in (a, b):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
