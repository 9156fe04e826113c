"""Servers no real SPICE server imitates: closing mid-link, speaking another protocol, going silent.

Each must end `spiceview --screenshot` with one clear line and a non-zero exit within seconds.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from spiceview.protocol.link import LINK_HEADER, LinkReply, encode_link_reply
from spiceview_lab.viewer import run_viewer_cli


@pytest.fixture
def fake_server() -> Iterator[Callable[[Callable[[socket.socket], None]], int]]:
    """fake_server(behaviour) -> port; behaviour(conn) runs for every accepted connection."""
    listeners: list[socket.socket] = []
    stop = threading.Event()

    def start(behaviour: Callable[[socket.socket], None]) -> int:
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        srv.settimeout(0.2)
        listeners.append(srv)

        def serve() -> None:
            while not stop.is_set():
                try:
                    conn, _ = srv.accept()
                except (TimeoutError, OSError):
                    continue
                with conn:
                    try:
                        behaviour(conn)
                    except OSError:
                        pass

        threading.Thread(target=serve, daemon=True).start()
        return srv.getsockname()[1]

    yield start
    stop.set()
    for srv in listeners:
        srv.close()


def _read_link(conn: socket.socket) -> None:
    header = conn.recv(LINK_HEADER.size, socket.MSG_WAITALL)
    size = LINK_HEADER.unpack(header)[3]
    conn.recv(size, socket.MSG_WAITALL)


def _fails(port: int, within: float = 12.0) -> str:
    run = run_viewer_cli(["--screenshot", "/dev/null", "--timeout", "3", f"spice://127.0.0.1:{port}"], timeout=60)
    assert run.returncode != 0
    assert run.seconds < within, f"took {run.seconds:.1f} s"
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    return lines[0]


def test_server_closes_after_link_message(fake_server) -> None:
    port = fake_server(_read_link)
    assert "closed" in _fails(port)


def test_server_closes_mid_reply(fake_server) -> None:
    def half_reply(conn: socket.socket) -> None:
        _read_link(conn)
        conn.sendall(encode_link_reply(LinkReply(0, b"\x30" * 162))[:40])

    port = fake_server(half_reply)
    assert "closed" in _fails(port)


def test_not_a_spice_server(fake_server) -> None:
    def http(conn: socket.socket) -> None:
        conn.recv(100)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    port = fake_server(http)
    assert "not a SPICE server" in _fails(port)


def test_silent_server_times_out(fake_server) -> None:
    def silent(conn: socket.socket) -> None:
        conn.recv(1000)
        threading.Event().wait(8)

    port = fake_server(silent)
    assert "link" in _fails(port)


def test_garbage_public_key(fake_server) -> None:
    def bad_key(conn: socket.socket) -> None:
        _read_link(conn)
        conn.sendall(encode_link_reply(LinkReply(0, b"\x01" * 162, frozenset({0, 1, 3}))))
        conn.recv(1000)

    port = fake_server(bad_key)
    assert "key" in _fails(port)
