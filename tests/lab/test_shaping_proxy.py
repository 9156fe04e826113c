"""The lab's slow link (spiceview_lab/shaping_proxy.py): it never delivers sooner than its delay and its cap
allow, delivers every byte in order, and passes a close on. Lower bounds only: they hold on any machine."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from spiceview_lab.shaping_proxy import ShapingProxy


def echo_server() -> tuple[socket.socket, threading.Thread]:
    listener = socket.create_server(("127.0.0.1", 0))

    def echo(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)

    def serve() -> None:
        with contextlib.suppress(OSError):  # the listener closed: the test is over
            while True:
                conn, _ = listener.accept()
                threading.Thread(target=echo, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def test_a_round_trip_takes_both_delays_and_bytes_arrive_in_order() -> None:
    listener, _thread = echo_server()
    link = ShapingProxy(listener.getsockname()[1], mbit_s=100, delay_s=0.030).start()
    with link, socket.create_connection(("127.0.0.1", link.port)) as conn:
        start = time.monotonic()
        conn.sendall(b"ping")
        assert conn.recv(4) == b"ping"
        assert time.monotonic() - start >= 0.060
        payload = bytes(range(256)) * 2000  # 512 KB through the cap both ways
        conn.sendall(payload)
        got = bytearray()
        while len(got) < len(payload):
            got += conn.recv(65536)
        assert bytes(got) == payload
        conn.shutdown(socket.SHUT_WR)
        assert conn.recv(10) == b""  # the server's close came through
    assert link.bytes_to_server == link.bytes_to_client == 4 + len(payload)
    listener.close()


def test_the_bandwidth_cap_holds_per_direction() -> None:
    listener, _thread = echo_server()
    link = ShapingProxy(listener.getsockname()[1], mbit_s=4, delay_s=0.0, down_mbit_s=40).start()
    with link, socket.create_connection(("127.0.0.1", link.port)) as conn:
        payload = b"x" * 250_000  # 2 Mbit: at least 0.5 s up at 4 Mbit/s, then 0.05 s down
        start = time.monotonic()
        threading.Thread(target=conn.sendall, args=(payload,), daemon=True).start()
        got = 0
        while got < len(payload):
            got += len(conn.recv(65536))
        assert time.monotonic() - start >= 0.5
    listener.close()


def test_connections_share_the_link() -> None:
    """Two connections each sending 1 Mbit through a 4 Mbit/s link take at least 0.5 s together."""
    listener, _thread = echo_server()
    link = ShapingProxy(listener.getsockname()[1], mbit_s=4, delay_s=0.0, down_mbit_s=400).start()
    with link:
        conns = [socket.create_connection(("127.0.0.1", link.port)) for _ in range(2)]
        start = time.monotonic()
        for conn in conns:
            threading.Thread(target=conn.sendall, args=(b"y" * 125_000,), daemon=True).start()
        for conn in conns:
            got = 0
            while got < 125_000:
                got += len(conn.recv(65536))
        assert time.monotonic() - start >= 0.5
        for conn in conns:
            conn.close()
    listener.close()
