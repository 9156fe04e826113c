"""HTTP CONNECT proxies, as remote-viewer's --spice-proxy / .vv `proxy` / SPICE_PROXY use them."""

from __future__ import annotations

import base64
import socket
from urllib.parse import unquote, urlsplit

from .errors import TransportError

MAX_REPLY_HEADER = 16 * 1024


def parse_proxy(url: str) -> tuple[str, int, str | None]:
    """(host, port, basic-auth credentials or None) of an http:// proxy URL."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    if parts.scheme not in ("http", ""):
        raise TransportError(f"proxy {url!r}: only http:// proxies are supported")
    if not parts.hostname:
        raise TransportError(f"proxy {url!r}: no host")
    try:
        port = parts.port or 3128
    except ValueError:
        raise TransportError(f"proxy {url!r}: bad port") from None
    creds = None
    if parts.username is not None:
        creds = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return parts.hostname, port, creds


def connect_via_proxy(proxy_url: str, host: str, port: int, timeout: float) -> socket.socket:
    phost, pport, creds = parse_proxy(proxy_url)
    try:
        sock = socket.create_connection((phost, pport), timeout=timeout)
    except OSError as exc:
        raise TransportError(f"cannot reach the proxy {phost}:{pport}: {exc.strerror or exc}") from None
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    request = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
    if creds:
        request += "Proxy-Authorization: Basic " + base64.b64encode(creds.encode()).decode() + "\r\n"
    request += "\r\n"
    try:
        sock.sendall(request.encode())
        reply = b""
        # Read byte by byte up to the blank line so no byte of the SPICE stream is consumed.
        while not reply.endswith(b"\r\n\r\n"):
            ch = sock.recv(1)
            if not ch:
                raise TransportError("the proxy closed the connection")
            reply += ch
            if len(reply) > MAX_REPLY_HEADER:
                raise TransportError("the proxy sent an absurdly long reply")
    except OSError as exc:
        sock.close()
        if isinstance(exc, TransportError):
            raise
        raise TransportError(f"proxy {phost}:{pport}: {exc.strerror or exc}") from None
    status = reply.split(b"\r\n", 1)[0].decode("latin-1")
    fields = status.split(" ", 2)
    if len(fields) < 2 or fields[1] != "200":
        sock.close()
        raise TransportError(f"the proxy refused to connect to {target}: {status}")
    return sock
