"""Running the viewer: the Qt application, one session, its window."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ..audio.device_sink import SoundDeviceSink
from ..audio.device_source import SoundDeviceSource
from ..channels.from_params import client_from_params
from ..channels.spice_session import SpiceSession
from ..session.errors import ConfigError
from ..session.monitor_mapping import parse_mapping
from ..session.params import ConnectionParams
from .preferences import Preferences
from .style import ViewerStyle
from .viewer import Viewer

log = logging.getLogger(__name__)


def ask_for_target() -> ConnectionParams | None:
    """The connection dialog (recent connections, .vv files) when spiceview starts without a target."""
    from .connect_dialog import ConnectDialog

    return ConnectDialog().exec_and_get()


RECONNECT_DELAY_MS = 2000


class SessionRunner:
    """One session at a time: a SpiceSession and its Viewer. In kiosk mode with `--kiosk-quit never` (the default,
    as in remote-viewer) a session that ends is followed by a new one to the same server, forever; otherwise
    the end of the session ends the application (an error is shown and gives exit status 1)."""

    def __init__(self, app: QApplication, params: ConnectionParams, args: argparse.Namespace, prefs: Preferences):
        self.app, self.params, self.args, self.prefs = app, params, args, prefs
        self.client: SpiceSession | None = None
        self.viewer: Viewer | None = None
        self.code = 0
        self.sessions = 0
        # Ended sessions' clients, kept until their threads are finished (a running QThread must not be freed).
        self.retired: list[SpiceSession] = []

    @property
    def reconnects(self) -> bool:
        return self.params.kiosk and self.params.kiosk_quit == "never"

    def start(self) -> None:
        params, args, prefs = self.params, self.args, self.prefs
        previous = self.viewer
        no_audio = getattr(args, "spice_disable_audio", False)
        client = client_from_params(
            params,
            connect_timeout=args.timeout,
            audio_sink_factory=None if no_audio else SoundDeviceSink,
            # Without consent the microphone is never opened, not merely muted.
            audio_source_factory=None if no_audio or not prefs.share_microphone else SoundDeviceSource,
        )
        if getattr(args, "record_images", None):
            from ..canvas.recorder import ImageRecorder

            client.image_recorder = ImageRecorder(args.record_images)
        hotkeys = {"release-cursor": prefs.release_hotkey, **dict(params.hotkeys.items())}
        viewer = Viewer(
            client,
            params.title,
            (params.zoom or prefs.zoom) / 100.0,
            hotkeys=hotkeys,
            kiosk=params.kiosk,
            # An explicit zoom means that zoom, not a fitted one.
            scaling=args.scaling or ("fit" if params.kiosk else "1:1" if params.zoom else prefs.scaling),
            monitor_mapping=parse_mapping(args.monitor_mapping),
            renderer=args.renderer or prefs.renderer,
            share_clipboard=prefs.share_clipboard,
        )
        if not args.monitor_mapping:
            # A mapping saved for this guest (remote-viewer keeps them per guest UUID too).
            client.main.uuid_changed.connect(lambda uuid: viewer.set_monitor_mapping(prefs.monitor_mapping(uuid)))
        viewer.preferences = prefs
        viewer.set_auto_resize(prefs.auto_resize)
        viewer.set_muted("mute-sound", not prefs.play_sound)
        self.client, self.viewer = client, viewer
        self.sessions += 1
        window = viewer.placeholder
        assert window is not None
        where = params.host or params.unix_path or ""
        viewer.set_status(f"Connecting to {where}..." if self.sessions == 1 else f"Reconnecting to {where}...")
        client.session_closed.connect(lambda error, c=client: self._closed(c, error))
        if args.guest_monitors:
            viewer.guest_monitor_count = max(1, min(args.guest_monitors, 4))
        window.show()
        if params.fullscreen or params.kiosk:
            viewer.set_fullscreen(True)
        # Without a window manager nobody else gives the new window the keyboard.
        window.raise_()
        window.activateWindow()
        window.screen_widget.setFocus()
        if previous is not None:
            previous.shutdown()  # after the new window is up, so the application never has no window
        client.connect_session()

    def _closed(self, client: SpiceSession, error: str) -> None:
        if client is not self.client or self.viewer is None:
            return  # a session already replaced
        if self.reconnects:
            reason = error or "the server closed the session"
            log.warning("session ended (%s); reconnecting in %d ms", reason, RECONNECT_DELAY_MS)
            self.viewer.set_status(f"Disconnected: {reason}. Reconnecting...")
            client.disconnect_session()
            self.retired = [c for c in self.retired if not c.finished_all()] + [client]
            QTimer.singleShot(RECONNECT_DELAY_MS, self.start)
            return
        if error:
            self.code = 1
            self.viewer.set_status(f"Disconnected: {error}")
            print(f"spiceview: {error}", file=sys.stderr)
            if not self.params.kiosk:
                QMessageBox.critical(
                    self.viewer.placeholder or self.viewer.all_windows()[0], "spiceview", f"Connection failed: {error}"
                )
        self.app.quit()

    def stop(self) -> None:
        for client in [*self.retired, *([self.client] if self.client is not None else [])]:
            client.disconnect_session()
            client.wait_all(3000)
        if getattr(self.args, "stats_json", None) and self.client is not None:
            # What the last session received, as `--screenshot --stats-json` writes it.
            import json
            from pathlib import Path

            Path(self.args.stats_json).write_text(json.dumps(self.client.stats(), indent=1))


def params_from_dialog(args: argparse.Namespace) -> ConnectionParams | None:
    """The connect dialog's choice (None: cancelled), with the command line's options (-f, -z, --hotkeys, ...)
    applied as they would be to a URI given on the command line."""
    from ..cli import apply_options

    params = ask_for_target()
    return None if params is None else apply_options(params, args)


def run_viewer(params: ConnectionParams | None, args: argparse.Namespace) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("spiceview")
    app.setStyle(ViewerStyle())
    # Let Ctrl+C in the terminal end the viewer.
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    ticker = QTimer()
    ticker.start(200)
    ticker.timeout.connect(lambda: None)
    if params is None:
        try:
            params = params_from_dialog(args)
        except ConfigError as exc:
            print(f"spiceview: {exc}", file=sys.stderr)
            return 2
        if params is None:
            return 1
    runner = SessionRunner(app, params, args, Preferences.load())
    runner.start()
    app.exec()
    runner.stop()
    return runner.code
