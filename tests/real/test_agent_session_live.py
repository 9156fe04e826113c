"""AgentSession against a real spice-vdagent behind Xspice: clipboard both ways, file transfer, monitors config.

A bare main channel over a socket (ChannelConnection) carries the agent's traffic; no Qt, no viewer.
"""

from __future__ import annotations

import select
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spiceview.protocol.agent.clipboard import ClipboardData, GuestClipboardGrab, GuestClipboardRequest
from spiceview.protocol.agent.file_xfer import FileXferFailed, FileXferFinished
from spiceview.protocol.agent.messages import AgentCap, ClipboardType, Selection
from spiceview.protocol.agent.monitors import MonitorSpec
from spiceview.protocol.agent.session import AgentCapabilities, AgentReply, AgentSession
from spiceview.protocol.connection import ChannelConnection, Received
from spiceview.protocol.constants import ChannelType, MainCap
from spiceview.protocol.messages import main as mainmsg

pytestmark = pytest.mark.xspice

UTF8 = ClipboardType.UTF8_TEXT
CLIP = Selection.CLIPBOARD


class MainLink:
    """The main channel over TCP, feeding an AgentSession; events pile up in `events`."""

    def __init__(self, port: int, session: AgentSession) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setblocking(False)
        self.conn = ChannelConnection(
            ChannelType.MAIN, channel_caps=frozenset({MainCap.AGENT_CONNECTED_TOKENS, MainCap.NAME_AND_UUID})
        )
        self.session = session
        self.events: list[object] = []
        self.conn.initiate()
        self._flush()

    def _flush(self) -> None:
        if self.conn.state.value == "ready":
            for msg in self.session.take_messages():
                self.conn.send(msg)
        data = self.conn.data_to_send()
        if data:
            self.sock.setblocking(True)
            self.sock.sendall(data)
            self.sock.setblocking(False)

    def _on_message(self, msg: Any) -> None:
        s = self.session
        if isinstance(msg, mainmsg.MSG_INIT.cls):
            self.events += s.on_init(bool(msg.agent_connected), msg.agent_tokens)
        elif isinstance(msg, mainmsg.MSG_AGENT_CONNECTED.cls):
            self.events += s.on_agent_connected()
        elif isinstance(msg, mainmsg.MSG_AGENT_CONNECTED_TOKENS.cls):
            self.events += s.on_agent_connected(msg.num_tokens)
        elif isinstance(msg, mainmsg.MSG_AGENT_DATA.cls):
            self.events += s.on_agent_data(msg.data)
        elif isinstance(msg, mainmsg.MSG_AGENT_TOKEN.cls):
            self.events += s.on_agent_token(msg.num_tokens)
        elif isinstance(msg, mainmsg.MSG_AGENT_DISCONNECTED.cls):
            self.events += s.on_agent_disconnected(msg.error_code)

    def pump(self, done: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; events: {self.events[-20:]}")
            ready, _, _ = select.select([self.sock], [], [], 0.05)
            if ready:
                data = self.sock.recv(1 << 16)
                if not data:
                    raise AssertionError("server closed the main channel")
                for event in self.conn.receive_data(data):
                    if isinstance(event, Received):
                        self._on_message(event.message)
            deadline_t = self.session.next_deadline()
            if deadline_t is not None and deadline_t <= time.monotonic():
                self.events += self.session.on_timer()
            self.events += self.session.take_events()
            self._flush()

    def wait_for(self, kind: type, timeout: float = 15.0, where: Callable[[Any], bool] = lambda e: True) -> Any:
        start = len(self.events)
        found: list[Any] = []

        def done() -> bool:
            found[:] = [e for e in self.events[start:] if isinstance(e, kind) and where(e)]
            return bool(found)

        self.pump(done, timeout)
        return found[0]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def agent_link(xspice):
    server = xspice(vdagent=True)
    link = MainLink(server.port, AgentSession())
    caps = link.wait_for(AgentCapabilities)
    assert AgentCap.CLIPBOARD_BY_DEMAND in caps.caps
    yield server, link
    link.close()


def test_clipboard_guest_to_client(agent_link, tmp_path: Path) -> None:
    """300 kB: some 150 AGENT_DATA messages, more than the 64-token window, so returned tokens must work."""
    server, link = agent_link
    text = "".join(f"héllo from the guest, line {i}\n" for i in range(10_000))
    src = tmp_path / "clip.txt"
    src.write_text(text)
    xclip = subprocess.Popen(
        ["xclip", "-quiet", "-selection", "clipboard", "-i", str(src)],
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        grab = link.wait_for(GuestClipboardGrab, where=lambda e: e.selection == CLIP)
        assert UTF8 in grab.types
        assert link.session.clipboard_request(CLIP, UTF8)
        data = link.wait_for(ClipboardData)
        assert data.data.decode() == text
        assert link.session.stream.received_chunks > 2 * link.session.stream.receive_window
    finally:
        xclip.kill()
        xclip.wait(5)


def test_clipboard_client_to_guest(agent_link) -> None:
    server, link = agent_link
    text = "from spiceview, ünïcode\nline two"
    assert link.session.clipboard_grab(CLIP, [UTF8])
    settle = time.monotonic() + 0.5  # let the grab reach the guest before anyone pastes
    link.pump(lambda: time.monotonic() > settle)
    xclip = subprocess.Popen(
        ["xclip", "-o", "-selection", "clipboard"], env=server.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        link.wait_for(GuestClipboardRequest)
        assert link.session.clipboard_reply(CLIP, UTF8, text.encode())
        deadline = time.monotonic() + 15
        link.pump(lambda: xclip.poll() is not None or time.monotonic() > deadline, timeout=20)
        out, err = xclip.communicate(timeout=5)
        assert out.decode() == text, err
    finally:
        if xclip.poll() is None:
            xclip.kill()
            xclip.wait(5)


def test_file_transfer(agent_link) -> None:
    server, link = agent_link
    content = bytes(range(256)) * 1000 + b"tail"
    pos = 0

    def read(n: int) -> bytes:
        nonlocal pos
        chunk = content[pos : pos + n]
        pos += len(chunk)
        return chunk

    xfer = link.session.send_file("spiceview test.bin", len(content), read)
    empty = link.session.send_file("empty.txt", 0, lambda n: b"")
    finished = set()
    while finished != {xfer, empty}:
        event = link.wait_for((FileXferFinished, FileXferFailed))
        assert isinstance(event, FileXferFinished), event
        finished.add(event.id)
    assert (server.transfer_dir / "spiceview test.bin").read_bytes() == content
    assert (server.transfer_dir / "empty.txt").read_bytes() == b""


def test_monitors_config_resizes_the_guest(agent_link) -> None:
    server, link = agent_link
    assert link.session.send_monitors_config([MonitorSpec(1280, 800)])
    reply = link.wait_for(AgentReply)
    assert reply.ok

    def size() -> str:
        out = server.run(["xdpyinfo"]).stdout
        return next(line for line in out.splitlines() if "dimensions:" in line)

    deadline = time.monotonic() + 10
    while "1280x800" not in size() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "1280x800 pixels" in size()


def test_physical_size_block_is_refused_by_this_vdagentd(agent_link) -> None:
    """LAB.md: spice-vdagentd 0.22 drops a MONITORS_CONFIG with the physical-size block (so it is off by default)."""
    server, link = agent_link
    log = server.vdagent.vdagentd_log
    assert link.session.send_monitors_config([MonitorSpec(1280, 800, width_mm=340, height_mm=210)], physical_size=True)
    deadline = time.monotonic() + 5
    link.pump(lambda: "invalid message size" in log.read_text(errors="replace") or time.monotonic() > deadline)
    assert "invalid message size for VDAgentMonitorsConfig" in log.read_text(errors="replace")
    assert not [e for e in link.events if isinstance(e, AgentReply)]
