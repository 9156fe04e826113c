"""ShapingProxy: a slow link between a client and a server on 127.0.0.1, in user space (no netem here).

Each direction has a one-way delay and a bandwidth cap, shared by every connection through the proxy (one link:
a session's channels compete for it). Bytes read from one side are queued as a link would carry them: they leave
when the link is free (serialisation at the cap) and arrive `delay_s` later; the other side gets them then. A
connection's queue holds at most QUEUE_BYTES plus one bandwidth-delay product; beyond that the proxy stops reading
that side, so TCP's own flow control slows the sender, as a full router queue would.

    with ShapingProxy(server.port, mbit_s=4, delay_s=0.030) as link:   # 4 Mbit/s each way, 60 ms round trip
        run_client(f"spice://127.0.0.1:{link.port}")
        print(link.bytes_to_client)

One background thread (selectors, non-blocking sockets); close() stops it and closes every socket.
"""

from __future__ import annotations

import collections
import contextlib
import select
import socket
import threading
import time

from spiceview_lab.ports import HOST, listen_on_free_port

QUEUE_BYTES = 256 * 1024
CHUNK = 64 * 1024


class _Lane:
    """One direction of the link, shared by every connection through it (a video fills it for the keys too)."""

    def __init__(self, bits_per_s: float, delay_s: float) -> None:
        self.bits_per_s, self.delay_s = bits_per_s, delay_s
        self.free_at = 0.0  # when the lane has sent everything queued so far


class _Direction:
    """One way of one connection: what was read and when each piece arrives."""

    def __init__(self, src: socket.socket, dst: socket.socket, lane: _Lane) -> None:
        self.src, self.dst = src, dst
        self.lane = lane
        self.bits_per_s, self.delay_s = lane.bits_per_s, lane.delay_s
        self.queue: collections.deque[tuple[float, bytes]] = collections.deque()  # (arrival time, bytes)
        self.queued = 0
        self.out = b""  # arrived, not yet taken by the destination socket
        self.eof = False  # the source closed: close the destination's write side once all is delivered
        self.shut = False

    @property
    def limit(self) -> int:
        return QUEUE_BYTES + int(self.bits_per_s / 8 * self.delay_s)

    def take(self, data: bytes, now: float) -> None:
        leave = max(now, self.lane.free_at) + len(data) * 8 / self.bits_per_s
        self.lane.free_at = leave
        self.queue.append((leave + self.delay_s, data))
        self.queued += len(data)

    def next_arrival(self) -> float | None:
        return self.queue[0][0] if self.queue and not self.out else None

    def send_out(self) -> None:
        try:
            self.out = self.out[self.dst.send(self.out) :]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:  # the destination is gone: what is left is dropped, as a reset connection drops it
            self.out, self.eof, self.shut = b"", True, True
            self.queue.clear()
            self.queued = 0

    def deliver(self, now: float) -> None:
        while not self.out and self.queue and self.queue[0][0] <= now:
            _when, data = self.queue.popleft()
            self.queued -= len(data)
            self.out = data
            self.send_out()
        if self.eof and not self.queue and not self.out and not self.shut:
            self.shut = True
            with contextlib.suppress(OSError):
                self.dst.shutdown(socket.SHUT_WR)


class ShapingProxy:
    def __init__(
        self,
        target_port: int,
        target_host: str = HOST,
        *,
        mbit_s: float = 4.0,
        delay_s: float = 0.030,
        down_mbit_s: float | None = None,
        down_delay_s: float | None = None,
    ) -> None:
        """mbit_s / delay_s: client -> server (and server -> client unless down_* say otherwise)."""
        self.target = (target_host, target_port)
        self.up = _Lane(mbit_s * 1e6, delay_s)
        self.down = _Lane((down_mbit_s or mbit_s) * 1e6, delay_s if down_delay_s is None else down_delay_s)
        self.port: int | None = None
        self.bytes_to_server = 0
        self.bytes_to_client = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[_Direction, _Direction]] = []
        self.error: str | None = None  # why the proxy's thread stopped, if it did

    @property
    def uri(self) -> str:
        return f"spice://{HOST}:{self.port}"

    def start(self) -> ShapingProxy:
        listener = listen_on_free_port(HOST, blocking=False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._thread = threading.Thread(target=self._run, name="shaping-proxy", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        for up, down in self._pairs:
            for sock in (up.src, down.src):
                with contextlib.suppress(OSError):
                    sock.close()
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> ShapingProxy:
        return self if self._thread is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the loop ---------------------------------------------------------------------------------------

    def _accept(self) -> None:
        assert self._listener is not None
        with contextlib.suppress(BlockingIOError):
            while True:
                client, _addr = self._listener.accept()
                server = socket.create_connection(self.target, timeout=5)
                for sock in (client, server):
                    sock.setblocking(False)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._pairs.append((_Direction(client, server, self.up), _Direction(server, client, self.down)))

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # noqa: BLE001 - a lab tool: say why it stopped, do not hang silently
            self.error = f"{type(exc).__name__}: {exc}"
            raise

    def _loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            now = time.monotonic()
            due = [w for pair in self._pairs for d in pair if (w := d.next_arrival()) is not None]
            timeout = min(0.05, max(0.0, min(due) - now)) if due else 0.05
            readers = [
                self._listener,
                *(d.src for pair in self._pairs for d in pair if not d.eof and d.queued < d.limit),
            ]
            writers = [d.dst for pair in self._pairs for d in pair if d.out]
            try:
                readable, _writable, _ = select.select(readers, writers, [], timeout)
            except (OSError, ValueError):  # a socket closed under us: drop what is finished, go on
                readable = []
            if self._listener in readable:
                self._accept()
            self._pump(time.monotonic())
            for pair in [pair for pair in self._pairs if all(d.shut for d in pair)]:
                self._pairs.remove(pair)
                for d in pair:
                    with contextlib.suppress(OSError):
                        d.src.close()

    def _pump(self, now: float) -> None:
        for up, down in self._pairs:
            for d in (up, down):
                if not d.eof and d.queued < d.limit:
                    try:
                        data = d.src.recv(CHUNK)
                    except (BlockingIOError, InterruptedError):
                        data = None
                    except OSError:
                        data = b""
                    if data == b"":
                        d.eof = True
                    elif data:
                        d.take(data, now)
                        if d is up:
                            self.bytes_to_server += len(data)
                        else:
                            self.bytes_to_client += len(data)
                if d.out:
                    d.send_out()
                d.deliver(now)
