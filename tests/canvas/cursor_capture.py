"""A real Xspice's cursor channel, read with spiceview's protocol core, beside the X server's own cursor image.

CursorTap links the main channel (for the session id its INIT carries), then the cursor channel, and records
every cursor message with its body. xfixes_cursor() reads the X server's current cursor through XFixes
(spiceview_lab.xinput), premultiplied ARGB like the SPICE ALPHA cursors Xspice sends.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spiceview.protocol.connection import ChannelConnection, Received
from spiceview.protocol.constants import ChannelType
from spiceview.protocol.messages import main as mainmsg
from spiceview.protocol.schema import build_body, parse_body
from spiceview_lab.xinput import CursorImage, cursor_record


@dataclass
class Captured:
    name: str  # "init", "set", "move", "hide", ...
    body: bytes  # the message body, as the server sent it
    message: Any


class CursorTap:
    """Main + cursor channel of one SPICE server; call pump() to read what arrives."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> None:
        self.messages: list[Captured] = []
        self._links: list[tuple[socket.socket, ChannelConnection]] = []
        self._session_id: int | None = None
        self._open(host, port, ChannelConnection(ChannelType.MAIN), timeout)
        self.pump_until(lambda: self._session_id is not None, timeout, "main channel INIT")
        assert self._session_id is not None
        self._open(host, port, ChannelConnection(ChannelType.CURSOR, connection_id=self._session_id), timeout)
        self.pump_until(lambda: any(m.name == "init" for m in self.messages), timeout, "cursor channel INIT")

    def _open(self, host: str, port: int, conn: ChannelConnection, timeout: float) -> None:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setblocking(False)
        conn.initiate()
        self._links.append((sock, conn))

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while True:
            self._step(max(0.0, min(0.02, end - time.monotonic())))
            if time.monotonic() >= end:
                return

    def pump_until(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while not done():
            if time.monotonic() > end:
                raise TimeoutError(f"no {what} within {timeout} s")
            self._step(0.02)

    def pump_quiet(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Read until nothing has arrived for `quiet` seconds."""
        end = time.monotonic() + timeout
        count = -1
        while count != len(self.messages) and time.monotonic() < end:
            count = len(self.messages)
            self.pump(quiet)

    def _step(self, wait: float) -> None:
        for sock, conn in self._links:
            out = conn.data_to_send()
            if out:
                sock.setblocking(True)
                sock.sendall(out)
                sock.setblocking(False)
        ready, _, _ = select.select([s for s, _ in self._links], [], [], wait)
        for sock, conn in self._links:
            if sock not in ready:
                continue
            data = sock.recv(1 << 20)
            if not data:
                raise ConnectionError(f"server closed the {conn.channel_name} channel")
            for event in conn.receive_data(data):
                if isinstance(event, Received):
                    self._on_message(conn, event.message)

    def _on_message(self, conn: ChannelConnection, msg: Any) -> None:
        defn = type(msg).__spice_message__
        if conn.channel_type == ChannelType.MAIN:
            if defn is mainmsg.MSG_INIT:
                self._session_id = msg.session_id
                conn.send(mainmsg.MSGC_ATTACH_CHANNELS.cls())
            return
        body = build_body(defn.layout, msg)
        if parse_body(defn.layout, body) != msg:  # the re-built body must be the one the server sent
            raise AssertionError(f"{defn.name} does not survive a re-build")
        self.messages.append(Captured(defn.name, body, msg))

    def shapes_since(self, start: int) -> list[Captured]:
        return [m for m in self.messages[start:] if m.name in ("init", "set")]

    def close(self) -> None:
        for sock, _ in self._links:
            sock.close()
        self._links.clear()

    def __enter__(self) -> CursorTap:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- XFixes -----------------------------------------------------------------------------------------------------


def xfixes_cursor(display: str) -> CursorImage:
    """The X server's current cursor image (XFixesGetCursorImage), with its name and serial."""
    return cursor_record(display)


def set_root_cursor(server: Any, name: str, *, size: int = 24, animate: bool = False) -> None:
    """xsetroot -cursor_name NAME with the Adwaita theme at `size` (libXcursor turns the name into ARGB)."""
    env = {**server.env, "XCURSOR_THEME": "Adwaita", "XCURSOR_SIZE": str(size)}
    if not animate:
        env["XCURSOR_ANIM"] = "0"  # libXcursor then loads only the first frame of an animated cursor
    subprocess.run(["xsetroot", "-cursor_name", name], env=env, check=True, timeout=30, capture_output=True)


def cursor_theme_available() -> bool:
    return os.path.exists("/usr/share/icons/Adwaita/cursors/left_ptr")
