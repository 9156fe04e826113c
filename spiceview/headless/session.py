"""A scriptable SPICE session without a window: connect, wait, look, type, click, use the guest agent.

    from spiceview.headless.session import HeadlessSession
    with HeadlessSession("spice://127.0.0.1:5900") as s:
        s.wait_for_frame()
        s.type_text("hello\\n")
        s.click(100, 200)
        s.wait_idle()
        s.screenshot("shot.png")

What the session's threads report reaches the calling thread while a call waits (no Qt needed; inside a Qt
application, through its event loop); each call returns when done or raises TimeoutError / ConnectionError
with a clear message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..audio import MemorySink
from ..audio.source import QueueSource
from ..canvas.png import write_png
from ..channels.display_channel import DisplayChannel
from ..channels.from_params import client_from_params
from ..channels.signals import wait_for_events
from ..channels.spice_session import SpiceSession
from ..channels.stats import SessionStats
from ..protocol.agent.messages import ClipboardType, Selection
from ..protocol.agent.monitors import MonitorSpec
from ..protocol.constants import MouseButton
from ..session.uri import parse_spice_uri

if TYPE_CHECKING:
    from ..channels.inputs_channel import InputsChannel
    from ..usb.backend import UsbBackend

BUTTON_MASKS = {MouseButton.LEFT: 1, MouseButton.MIDDLE: 2, MouseButton.RIGHT: 4}


class HeadlessSession:
    def __init__(
        self,
        target: str | Any,
        *,
        password: str | None = None,
        timeout: float = 15.0,
        max_clipboard: int | None = None,
        audio: bool | Callable[[], MemorySink] = False,
        record: bool = False,
        opus: bool = True,
        usb_backend: Callable[[], UsbBackend] | None = None,
    ) -> None:
        """`audio`: link the playback channel and keep what the guest plays (see :meth:`played_audio`); a
        MemorySink class or factory instead of True stands for a particular sound device (its delay, say);
        `record`: link the record channel, fed by :meth:`send_audio`; `opus`: use Opus where the server can;
        `usb_backend`: where this computer's USB devices come from (default libusb)."""
        params = parse_spice_uri(target) if isinstance(target, str) else target
        if password is not None:
            from dataclasses import replace

            params = replace(params, password=password)
        self.timeout = timeout
        self.client: SpiceSession = client_from_params(
            params,
            connect_timeout=timeout,
            max_clipboard=max_clipboard,
            audio_sink_factory=(audio if callable(audio) else MemorySink) if audio else None,
            audio_source_factory=QueueSource if record else None,
            audio_opus=opus,
            usb_backend_factory=usb_backend,
        )
        self.error: str | None = None
        self.closed = False
        self.clipboard: dict[int, tuple[int, bytes]] = {}
        self.guest_offers: dict[int, tuple[int, ...]] = {}
        self.files_done: dict[int, str | None] = {}  # id -> None when finished, else the failure reason
        self.replies: list[tuple[int, bool]] = []
        self._buttons = 0
        self.client.session_closed.connect(self._on_closed)
        agent = self.client.agent
        agent.clipboard_data.connect(self._on_clipboard_data)
        agent.guest_clipboard_grab.connect(self._on_guest_grab)
        agent.guest_clipboard_request.connect(self._on_guest_request)
        agent.file_finished.connect(lambda xfer_id: self.files_done.__setitem__(xfer_id, None))
        agent.file_failed.connect(lambda xfer_id, why: self.files_done.__setitem__(xfer_id, why))
        agent.reply.connect(lambda kind, ok: self.replies.append((kind, ok)))
        agent.clipboard_failed.connect(lambda sel, kind, why: self.clipboard_failures.append((sel, why)))
        self.clipboard_failures: list[tuple[int, str]] = []
        self._offered: dict[int, tuple[int, bytes]] = {}
        self._stats: SessionStats | None = None
        self.client.connect_session()

    def statistics(self) -> dict[str, Any]:
        """The link and display figures now: rates since the previous call (the first call starts counting),
        per channel bytes, decode times, streams, caches, round-trip time (spiceview.channels.stats)."""
        if self._stats is None:
            self._stats = SessionStats(self.client)
        return self._stats.sample()

    # --- life cycle ---------------------------------------------------------------------------------------

    def __enter__(self) -> HeadlessSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.client.disconnect_session()
            self.client.wait_all(3000)

    def _on_closed(self, error: str) -> None:
        self.error = error or "the session closed"

    # --- sound ------------------------------------------------------------------------------------------

    def played_audio(self) -> np.ndarray:
        """What the guest has played so far (volume and mute applied): S16 samples shaped (frames, channels)."""
        playback = self.client.playback()
        if playback is None or not isinstance(playback.sink, MemorySink):
            raise RuntimeError("no playback: open the session with audio=True (and a server that has sound)")
        return playback.sink.samples()

    def wait_audio(self, seconds: float, timeout: float | None = None) -> np.ndarray:
        """Wait until at least `seconds` of the guest's sound has arrived; return all of it."""

        def enough() -> bool:
            playback = self.client.playback()
            return (
                playback is not None
                and playback.sink.rate > 0
                and playback.frames_played >= seconds * playback.sink.rate
            )

        self.wait_until(enough, timeout, what=f"{seconds} s of the guest's sound")
        return self.played_audio()

    def send_audio(self, samples: np.ndarray, timeout: float | None = None) -> None:
        """Send int16 samples (frames, channels) as the client's microphone, once the guest records."""
        self.wait_until(self.recording, timeout, what="the guest to start recording")
        record = self.client.record()
        if record is None or not isinstance(record.source, QueueSource):
            raise RuntimeError("this session does not record: open it with record=True")
        record.source.push(samples)

    def recording(self) -> bool:
        """The guest is recording now (the server sent RECORD_START)."""
        record = self.client.record()
        return record is not None and isinstance(record.source, QueueSource) and record.source.is_open

    # --- waiting ------------------------------------------------------------------------------------------

    def wait_until(self, condition: Callable[[], bool], timeout: float | None = None, what: str = "condition") -> None:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not condition():
            if self.error is not None:
                raise ConnectionError(self.error)
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            wait_for_events(0.02)

    def display(self, channel_id: int = 0) -> DisplayChannel:
        self.wait_until(lambda: any(d.channel_id == channel_id for d in self.client.displays()), what="a display")
        return next(d for d in self.client.displays() if d.channel_id == channel_id)

    def wait_for_frame(self, channel_id: int = 0, timeout: float | None = None) -> None:
        """The primary surface exists and the server sent its first complete picture (MARK)."""
        display = self.display(channel_id)
        self.wait_until(lambda: display.primary is not None and display.mark_event.is_set(), timeout, "a frame")

    def wait_idle(self, settle_ms: int = 300, channel_id: int = 0, timeout: float | None = None) -> None:
        """Nothing drawn for settle_ms."""
        display = self.display(channel_id)
        self.wait_until(lambda: time.monotonic() - display.last_draw >= settle_ms / 1000, timeout, "quiet")

    def wait_agent(self, timeout: float | None = None) -> None:
        agent = self.client.agent
        self.wait_until(lambda: agent.connected and bool(agent.caps), timeout, "the guest agent")

    # --- looking ------------------------------------------------------------------------------------------

    def screenshot(self, path: str | Path | None = None, channel_id: int = 0) -> np.ndarray:
        """The primary surface as (H, W, 3) R, G, B; also written as PNG when a path is given."""
        self.wait_for_frame(channel_id)
        display = self.display(channel_id)
        assert display.primary is not None
        rgb = display.primary.rgb_copy()
        if path is not None:
            write_png(rgb, str(path))
        return rgb

    # --- keyboard and mouse -------------------------------------------------------------------------------

    def inputs(self) -> InputsChannel:
        """The inputs channel, waited for until linked (TimeoutError after the session's timeout)."""

        def linked() -> bool:
            inputs = self.client.inputs()
            return inputs is not None and inputs.is_linked

        self.wait_until(linked, what="inputs")
        inputs = self.client.inputs()
        assert inputs is not None
        return inputs

    def key(self, *names: str) -> None:
        """Press the keys in order and release them in reverse: key("ctrl", "alt", "delete")."""
        from ..protocol import keymap

        self.stroke(tuple(keymap.scancode_for_name(n) for n in names))

    def stroke(self, scancodes: tuple[int, ...]) -> None:
        """Press set-1 scancodes in order, release them in reverse."""
        for code in scancodes:
            self.send_scancode(code, down=True)
        for code in reversed(scancodes):
            self.send_scancode(code, down=False)
        self._flush()

    def send_scancode(self, code: int, *, down: bool) -> None:
        """One key press or release, as spice-gtk encodes it."""
        from ..protocol import keymap

        inputs = self.inputs()
        if down:
            inputs.key_down(keymap.key_down_codes(code), code)
        else:
            inputs.key_up(keymap.key_up_codes(code), code)

    def type_text(self, text: str) -> None:
        """Type text as a US keyboard would (physical keys; the guest's layout decides the characters)."""
        from ..protocol import keymap

        for ch in text:
            self.stroke(keymap.us_scancodes_for_char(ch))

    def move(self, x: int, y: int, display_id: int = 0) -> None:
        self.inputs().position(x, y, self._buttons, display_id)
        self._flush()

    def click(self, x: int, y: int, button: int = MouseButton.LEFT, display_id: int = 0) -> None:
        inputs = self.inputs()
        inputs.position(x, y, self._buttons, display_id)
        mask = BUTTON_MASKS.get(MouseButton(button), 0)
        inputs.button_press(button, self._buttons | mask)
        inputs.button_release(button, self._buttons)
        self._flush()

    def _flush(self) -> None:
        wait_for_events(0)

    # --- guest agent --------------------------------------------------------------------------------------

    def resize(self, width: int, height: int) -> None:
        """Ask the guest (through its agent) for one monitor of this size."""
        self.set_monitors([MonitorSpec(width, height, 0, 0, True)])

    def set_monitors(self, monitors: list[MonitorSpec]) -> None:
        self.wait_agent()
        self.client.agent.send_monitors(monitors)
        self._flush()

    def set_clipboard_text(self, text: str, selection: int = Selection.CLIPBOARD) -> None:
        """Offer text as the client's clipboard; the guest can paste it."""
        self.wait_agent()
        self._offered[selection] = (ClipboardType.UTF8_TEXT, text.encode("utf-8"))
        self.client.agent.clipboard_grab(selection, (ClipboardType.UTF8_TEXT,))
        self._flush()

    def set_clipboard(self, clip_type: int, data: bytes, selection: int = Selection.CLIPBOARD) -> None:
        self.wait_agent()
        self._offered[selection] = (clip_type, data)
        self.client.agent.clipboard_grab(selection, (clip_type,))
        self._flush()

    def get_clipboard(
        self,
        clip_type: int = ClipboardType.UTF8_TEXT,
        selection: int = Selection.CLIPBOARD,
        timeout: float | None = None,
    ) -> bytes:
        """What the guest has on its clipboard (it must offer clip_type)."""
        self.wait_agent()
        self.wait_until(lambda: clip_type in self.guest_offers.get(selection, ()), timeout, "the guest's clipboard")
        self.clipboard.pop(selection, None)
        self.client.agent.clipboard_request(selection, clip_type)
        failures = len(self.clipboard_failures)
        self.wait_until(
            lambda: selection in self.clipboard or len(self.clipboard_failures) > failures, timeout, "clipboard data"
        )
        if selection not in self.clipboard:
            raise RuntimeError(f"the guest's clipboard was refused: {self.clipboard_failures[-1][1]}")
        return self.clipboard[selection][1]

    def send_file(self, path: str | Path, timeout: float | None = None) -> None:
        """Copy a file into the guest's transfer directory; raises on failure."""
        self.wait_agent()
        before = set(self.files_done)
        self.client.agent.send_file(path)
        self.wait_until(lambda: bool(set(self.files_done) - before), timeout or max(self.timeout, 60), "the transfer")
        xfer_id = next(iter(set(self.files_done) - before))
        if self.files_done[xfer_id] is not None:
            raise RuntimeError(f"file transfer failed: {self.files_done[xfer_id]}")

    def _on_clipboard_data(self, selection: int, clip_type: int, data: bytes) -> None:
        self.clipboard[selection] = (clip_type, data)

    def _on_guest_grab(self, selection: int, types: tuple[int, ...]) -> None:
        self.guest_offers[selection] = tuple(types)

    def _on_guest_request(self, selection: int, clip_type: int) -> None:
        offered = self._offered.get(selection)
        data = offered[1] if offered is not None and offered[0] == clip_type else None
        self.client.agent.clipboard_reply(selection, clip_type, data)
