"""A tiny synchronous QMP client (QEMU's JSON monitor) over a unix socket."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any


class QmpError(RuntimeError):
    """QEMU answered a command with an error."""


class Qmp:
    """Connect, negotiate capabilities, run commands; asynchronous events are kept in `events`."""

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self._buf = b""
        self.events: list[dict[str, Any]] = []
        self.greeting = self._read()
        # An event can come first (a SPICE client connecting at once, e.g. to a port just reused): keep it.
        while "event" in self.greeting:
            self.events.append(self.greeting)
            self.greeting = self._read()
        if "QMP" not in self.greeting:
            raise QmpError(f"not a QMP greeting: {self.greeting}")
        self.command("qmp_capabilities")

    def _read(self) -> dict[str, Any]:
        while b"\n" not in self._buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("QMP connection closed")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, name: str, **arguments: Any) -> Any:
        """Run a command (argument names with '_' become '-') and return its 'return' value."""
        msg: dict[str, Any] = {"execute": name}
        if arguments:
            msg["arguments"] = {k.replace("_", "-"): v for k, v in arguments.items()}
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read()
            if "event" in reply:
                self.events.append(reply)
            elif "error" in reply:
                raise QmpError(f"{name}: {reply['error'].get('desc', reply['error'])}")
            elif "return" in reply:
                return reply["return"]

    def human(self, command_line: str) -> str:
        """A human monitor command (e.g. 'info spice'), its text output."""
        return self.command("human-monitor-command", command_line=command_line)

    def client_migrate_info(self, port: int, host: str = "127.0.0.1", tls_port: int | None = None) -> None:
        """Tell connected SPICE clients where the migration target's SPICE server is."""
        args: dict[str, Any] = {"protocol": "spice", "hostname": host, "port": port}
        if tls_port is not None:
            args["tls_port"] = tls_port
        self.command("client_migrate_info", **args)

    def migrate(self, uri: str, timeout: float = 60.0) -> dict[str, Any]:
        """Start a migration to uri (e.g. tcp:127.0.0.1:PORT) and wait until it ends; query-migrate's reply."""
        self.command("migrate", uri=uri)
        deadline = time.monotonic() + timeout
        while True:
            info = self.command("query-migrate")
            if info.get("status") in ("completed", "failed", "cancelled"):
                if info["status"] != "completed":
                    raise QmpError(f"migration {info['status']}: {info.get('error-desc', '')}")
                return info
            if time.monotonic() > deadline:
                raise TimeoutError(f"migration still {info.get('status')} after {timeout:.0f} s")
            time.sleep(0.02)

    def screendump(self, path: Path, device: str | None = None, head: int | None = None) -> Path:
        """QEMU's own picture of a display as a PPM file (compare a reference client's, see LAB.md)."""
        args: dict[str, Any] = {"filename": str(path)}
        if device is not None:
            args["device"] = device
        if head is not None:
            args["head"] = head
        self.command("screendump", **args)
        return path

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Qmp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
