"""HttpConnectProxy: a real HTTP CONNECT proxy on 127.0.0.1 (a free port) for tests of `--spice-proxy`.

Each accepted connection gets its own thread: it reads the request head, checks the method and, when the proxy
has a user and password, the `Proxy-Authorization: Basic` header, opens the target and answers
`200 Connection established`; then two threads copy the bytes each way until either side closes. Refusals are
what a real proxy sends: 405 for another method, 407 (with `Proxy-Authenticate`) for missing or wrong
credentials, 403 for a target port not allowed, 502 when the target cannot be reached.

Every request is kept in `requests` (target, status); a tunnel also keeps the first bytes the client sent
through it, so `channel_types()` can tell which SPICE channel each tunnel carried (from the link message, when
the tunnel is not TLS):

    with HttpConnectProxy(user="u", password="p") as proxy:
        run_client("--spice-proxy", proxy.url_with_credentials, server.uri)
        assert proxy.connects == 3
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
from collections.abc import Collection
from dataclasses import dataclass, field

from spiceview.protocol.constants import MAGIC
from spiceview.protocol.link import LINK_HEADER, LINK_MESS
from spiceview_lab.ports import HOST, listen_on_free_port

MAX_HEAD = 16 * 1024
PEEK_BYTES = LINK_HEADER.size + LINK_MESS.size  # enough for the channel type of a SPICE link
_REASONS = {
    200: "Connection established",
    400: "Bad Request",
    403: "Forbidden",
    405: "Method Not Allowed",
    407: "Proxy Authentication Required",
    502: "Bad Gateway",
}


@dataclass
class ProxyRequest:
    """One request the proxy answered: `status` 200 is a tunnel, anything else a refusal."""

    method: str
    target: str
    status: int
    first_bytes: bytearray = field(default_factory=bytearray)  # what the client sent first through the tunnel

    def channel_type(self) -> int | None:
        """The SPICE channel type of the link this tunnel carried, or None (not SPICE, or TLS)."""
        data = bytes(self.first_bytes)
        if len(data) < PEEK_BYTES or data[:4] != MAGIC:
            return None
        return LINK_MESS.unpack_from(data, LINK_HEADER.size)[1]


class HttpConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1; `user`/`password` turn Basic authentication on (see the module doc)."""

    def __init__(
        self,
        *,
        user: str | None = None,
        password: str | None = None,
        allowed_ports: Collection[int] | None = None,
        listen_host: str = HOST,
    ) -> None:
        if (user is None) != (password is None):
            raise ValueError("give both user and password, or neither")
        self.user, self.password = user, password
        self.allowed_ports = None if allowed_ports is None else frozenset(allowed_ports)
        self.listen_host = listen_host
        self.port: int | None = None
        self.requests: list[ProxyRequest] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # -- public --------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT, no credentials."""
        if self.port is None:
            raise RuntimeError("HttpConnectProxy not started")
        return f"http://{self.listen_host}:{self.port}"

    @property
    def url_with_credentials(self) -> str:
        """http://user:password@127.0.0.1:PORT (the URL alone without authentication)."""
        if self.user is None:
            return self.url
        return self.url.replace("://", f"://{self.user}:{self.password}@", 1)

    @property
    def connects(self) -> int:
        """CONNECT requests served (tunnels opened)."""
        with self._lock:
            return sum(r.status == 200 for r in self.requests)

    @property
    def refused(self) -> list[int]:
        """The statuses of the requests refused, in order."""
        with self._lock:
            return [r.status for r in self.requests if r.status != 200]

    def channel_types(self) -> list[int | None]:
        """The SPICE channel type each tunnel carried, in the order they were opened (None: unreadable)."""
        with self._lock:
            return [r.channel_type() for r in self.requests if r.status == 200]

    def start(self) -> HttpConnectProxy:
        if self._listener is not None:
            raise RuntimeError("HttpConnectProxy already started")
        listener = listen_on_free_port(self.listen_host)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._spawn(self._accept_loop, f"HttpConnectProxy:{self.port}")
        return self

    def close(self) -> None:
        """Stop accepting, close every socket (open tunnels end), join the threads. Idempotent."""
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _close(sock)
        for thread in list(self._threads):
            thread.join(5)
        self._threads.clear()

    def __enter__(self) -> HttpConnectProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- threads -------------------------------------------------------------------------------------

    def _spawn(self, target: object, name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        listener = self._listener
        while not self._stopping.is_set():
            try:
                client, _addr = listener.accept()
            except OSError:
                return  # closed
            self._track(client)
            self._spawn(self._serve, f"HttpConnectProxy:{self.port}:client", client)

    def _serve(self, client: socket.socket) -> None:
        head = _read_head(client)
        if head is None:
            _close(client)
            return
        request_line, headers = head
        parts = request_line.split(" ")
        method, target = (parts[0], parts[1]) if len(parts) == 3 else ("", request_line)
        status = self._check(method, target, headers)
        upstream = None
        if status == 200:
            upstream = self._open(target)
            status = 200 if upstream is not None else 502
        record = ProxyRequest(method, target, status)
        with self._lock:
            self.requests.append(record)
        _reply(client, status)
        if upstream is None:
            _close(client)
            return
        self._spawn(self._pump, "HttpConnectProxy:up", client, upstream, record.first_bytes)
        self._pump(upstream, client, None)

    def _check(self, method: str, target: str, headers: dict[str, str]) -> int:
        if method != "CONNECT":
            return 405 if method else 400
        if self.user is not None:
            expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            if headers.get("proxy-authorization", "").strip() != f"Basic {expected}":
                return 407
        _host, _colon, port = target.rpartition(":")
        if not port.isdigit():
            return 400
        if self.allowed_ports is not None and int(port) not in self.allowed_ports:
            return 403
        return 200

    def _open(self, target: str) -> socket.socket | None:
        host, _colon, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except OSError:
            return None
        upstream.settimeout(None)
        self._track(upstream)
        return upstream

    def _pump(self, src: socket.socket, dst: socket.socket, peek: bytearray | None) -> None:
        """Copy src to dst until src ends; then end dst's writing side (the other pump closes the rest)."""
        try:
            while data := src.recv(65536):
                if peek is not None and len(peek) < PEEK_BYTES:
                    peek += data[: PEEK_BYTES - len(peek)]
                dst.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
        if peek is None:  # the server's side has ended: the tunnel is over
            _close(src)
            _close(dst)

    def __repr__(self) -> str:
        return f"<HttpConnectProxy {self.url if self.port else 'stopped'} {self.connects} tunnels>"


def _read_head(sock: socket.socket) -> tuple[str, dict[str, str]] | None:
    """The request line and headers (names lower-cased), read byte by byte so no tunnel byte is consumed."""
    data = b""
    try:
        while not data.endswith(b"\r\n\r\n"):
            byte = sock.recv(1)
            if not byte or len(data) > MAX_HEAD:
                return None
            data += byte
    except OSError:
        return None
    lines = data.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers


def _reply(sock: socket.socket, status: int) -> None:
    text = f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
    if status == 407:
        text += 'Proxy-Authenticate: Basic realm="spiceview lab"\r\n'
    if status != 200:
        text += "Content-Length: 0\r\nConnection: close\r\n"
    with contextlib.suppress(OSError):
        sock.sendall((text + "\r\n").encode())


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
