"""Running the viewer: the Qt application, one session, its window."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ..audio.device_sink import SoundDeviceSink
from ..audio.device_source import SoundDeviceSource
from ..channels.from_params import client_from_params
from ..channels.spice_session import SpiceSession
from ..session.errors import ConfigError
from ..session.monitor_mapping import parse_mapping
from ..session.params import ConnectionParams
from ..session.reconnect import Phase, ReconnectPlan
from .preferences import Preferences
from .signal_wakeup import SignalWakeup
from .style import ViewerStyle
from .viewer import Viewer
from .x11_shm import shm_presenter

FILE_OPEN_WAIT_S = 0.15 if sys.platform == "darwin" else 0.0  # only macOS sends targets as events
log = logging.getLogger(__name__)


def ask_for_target() -> ConnectionParams | None:
    """The connection dialog (recent connections, .vv files) when spiceview starts without a target."""
    from .connect_dialog import ConnectDialog

    return ConnectDialog().exec_and_get()


TICK_MS = 250  # how often the countdown in the windows is brought up to date


class SessionRunner:
    """The sessions of one run: a SpiceSession at a time, shown by one Viewer whose windows outlive them.

    A session that was up and is lost (the server went away, the network broke) is followed by another to the same
    server with backoff (session/reconnect.py), in the same windows; failures a retry cannot fix (password,
    certificate) stop with what to fix. In kiosk mode `--kiosk-quit never` (the default, as in remote-viewer)
    retries even a first connection that fails, and `on-disconnect` ends the application with the session. Without
    kiosk a first connection that fails ends the application with the error (exit status 1), as remote-viewer does.
    """

    def __init__(
        self,
        app: QApplication,
        params: ConnectionParams,
        args: argparse.Namespace,
        prefs: Preferences,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.app, self.params, self.args, self.prefs = app, params, args, prefs
        self.clock = clock
        self.client: SpiceSession | None = None
        self.viewer: Viewer | None = None
        self.code = 0
        self.sessions = 0
        # Where a live migration moved the VM: later sessions (a reconnect) go there, not to the first server.
        self.moved_to: tuple[str, int, int, str | None] | None = None
        self.plan = ReconnectPlan()
        self.stalled = False  # the current session's server has stopped answering (not yet given up)
        # Asked when the server refuses the login: (user name, password), None to give up (a test answers here).
        self._refused_login: tuple[str, bool] | None = None  # (reason, SASL) of the last refused login
        self.ask_credentials: Callable[[str, bool], tuple[str | None, str] | None] = self._ask_with_dialog
        self._ticker = QTimer()
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._tick)
        # Ended sessions' clients, kept until their threads are finished (a running thread must not be dropped).
        self.retired: list[SpiceSession] = []

    def retry_wanted(self) -> bool:
        if self.params.kiosk:
            return self.params.kiosk_quit == "never"
        return self.plan.ever_connected

    def make_client(self) -> SpiceSession:
        params, args, prefs = self.params, self.args, self.prefs
        no_audio = getattr(args, "spice_disable_audio", False)
        client = client_from_params(
            params,
            connect_timeout=args.timeout,
            audio_sink_factory=None if no_audio else SoundDeviceSink,
            # Without consent the microphone is never opened, not merely muted.
            audio_source_factory=None if no_audio or not prefs.share_microphone else SoundDeviceSource,
        )
        if (presenter := shm_presenter()) is not None:
            client.primary_memory = presenter.allocate  # the window shows the pixels from there (x11_shm.py)
        if getattr(args, "record_images", None):
            from ..canvas.recorder import ImageRecorder

            client.image_recorder = ImageRecorder(args.record_images)
        return client

    def start(self) -> None:
        """The first session, and the windows every later one is shown in."""
        params, args, prefs = self.params, self.args, self.prefs
        client = self.make_client()
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
        viewer.preferences = prefs
        viewer.set_auto_resize(prefs.auto_resize)
        viewer.set_muted("mute-sound", not prefs.play_sound)
        viewer.on_reconnect_now = self.reconnect_now
        viewer.on_close = self.app.quit
        if args.guest_monitors:
            viewer.guest_monitor_count = max(1, min(args.guest_monitors, 4))
        self.viewer = viewer
        viewer.on_save_statistics = self.write_stats
        if params.warnings:
            # Printed on stderr too (by the command line); here for who started spiceview from a browser.
            count = len(params.warnings)
            viewer.notify_once(
                f"The connection file has {count} warning{'s' if count > 1 else ''}: " + "; ".join(params.warnings)
            )
        window = viewer.placeholder
        assert window is not None
        window.show()
        if params.fullscreen or params.kiosk:
            viewer.set_fullscreen(True)
        # Without a window manager nobody else gives the new window the keyboard.
        window.raise_()
        window.activateWindow()
        window.screen_widget.setFocus()
        self._begin(client)

    def _begin(self, client: SpiceSession) -> None:
        viewer = self.viewer
        assert viewer is not None
        self.client = client
        self.sessions += 1
        if not self.args.monitor_mapping:
            # A mapping saved for this guest (remote-viewer keeps them per guest UUID too).
            client.main.uuid_changed.connect(
                lambda uuid, c=client: c is self.client and viewer.set_monitor_mapping(self.prefs.monitor_mapping(uuid))
            )
        client.main.linked.connect(lambda c=client: self._linked(c))
        client.main.answering_changed.connect(lambda answering, c=client: self._answering(c, answering))
        client.session_closed.connect(lambda error, c=client: self._closed(c, error))
        client.host_switched.connect(lambda _where, c=client: self._moved(c))
        if self.moved_to is not None:
            client.redirect = self.moved_to
        if self.sessions == 1:
            viewer.set_status(f"Connecting to {self._where()}...")
        self.plan.attempting()
        client.connect_session()

    def _moved(self, client: SpiceSession) -> None:
        if client is self.client and client.redirect is not None:
            self.moved_to = client.redirect

    def _where(self) -> str:
        if self.moved_to is not None:
            return self.moved_to[0]
        return self.params.host or self.params.unix_path or ""

    def _attempt(self) -> None:
        """Another session to the same server, shown in the same windows."""
        if self.viewer is None:
            return
        self._ticker.stop()
        client = self.make_client()
        self.viewer.attach(client)
        self._begin(client)
        self._show_plan()

    def reconnect_now(self) -> None:
        """The windows' Reconnect now (or Try again after a permanent failure)."""
        old = self.client
        if self.stalled and old is not None and self.plan.phase is Phase.CONNECTED:
            # Not answering: give this session up now rather than at its time limit.
            self.client, self.stalled = None, False  # its close is not ours to handle any more
            old.disconnect_session()
            self.retired = [c for c in self.retired if not c.finished_all()] + [old]
            self.plan.lost("the server stopped answering", permanent=False, now=self.clock())
        if self.plan.phase is Phase.STOPPED and self._refused_login is not None:
            reason, sasl = self._refused_login
            self._log_in_again(reason, sasl=sasl)
        elif self.plan.phase in (Phase.WAITING, Phase.STOPPED):
            self.plan.retry_now(self.clock())
            self._attempt()

    def _linked(self, client: SpiceSession) -> None:
        if client is not self.client or self.viewer is None:
            return
        self.plan.connected()
        self.code = 0  # a failure that was followed by a working session is not the run's outcome
        self.viewer.show_connected()

    def _answering(self, client: SpiceSession, answering: bool) -> None:
        """The server stopped answering (the network may be down) or answers again: shown, still connected."""
        if client is not self.client or self.viewer is None:
            return
        self.stalled = not answering
        if answering:
            self.viewer.show_connected()
            self._ticker.stop()
        else:
            self._show_stalled()
            self._ticker.start()

    def _show_stalled(self) -> None:
        if self.viewer is None or self.client is None:
            return
        silent = self.client.main.liveness.silent_for(time.monotonic())
        limit = self.client.main.liveness.lost_s
        self.viewer.show_lost(
            f"No answer from the server for {silent:.0f} s. Is the network down? Waiting up to {limit:.0f} s.",
            can_retry=True,
        )

    def _closed(self, client: SpiceSession, error: str) -> None:
        viewer = self.viewer
        if client is not self.client or viewer is None:
            return  # a session already replaced
        client.disconnect_session()
        self.retired = [c for c in self.retired if not c.finished_all()] + [client]
        self.stalled = False
        if not error or viewer.user_disconnected:
            self.app.quit()  # the user's Disconnect
            return
        was_connected = self.plan.ever_connected
        phase = self.plan.lost(error, permanent=client.ended_for_good, now=self.clock(), retry=self.retry_wanted())
        if phase is Phase.WAITING:
            log.warning("session ended (%s); reconnecting in %d s", error, self.plan.seconds_left(self.clock()))
            viewer.detach()
            self._show_plan()
            self._ticker.start()
            return
        self._refused_login = (error, client.login_was_sasl) if client.login_refused else None
        asked = client.login_refused and not self.params.kiosk
        if asked and self._log_in_again(error, sasl=client.login_was_sasl):
            return
        self.code = 1
        print(f"spiceview: {error}", file=sys.stderr)
        if was_connected and not self.params.kiosk:
            # The windows stay, dimmed, with what to fix; Try again once it is fixed, or Close.
            viewer.detach()
            self._show_plan()
            return
        viewer.set_status(f"Disconnected: {error}")
        if not self.params.kiosk and not asked:  # a log-in dialog just said it; the user cancelled it
            QMessageBox.critical(
                viewer.placeholder or viewer.all_windows()[0], "spiceview", f"Connection failed: {error}"
            )
        self.app.quit()

    def _log_in_again(self, reason: str, *, sasl: bool) -> bool:
        """The server refused the login: ask (the user name too with SASL) and try again with the answer; False
        when the user cancels. The answer is used for this run only, never saved."""
        answer = self.ask_credentials(reason, sasl)
        if answer is None:
            return False
        username, password = answer
        self.params = replace(self.params, password=password, **({"username": username} if sasl else {}))
        self.plan.retry_now(self.clock())
        self._attempt()
        return True

    def _ask_with_dialog(self, reason: str, sasl: bool) -> tuple[str | None, str] | None:
        from .credentials_dialog import CredentialsDialog

        parent = self.viewer.all_windows()[0] if self.viewer is not None and self.viewer.all_windows() else None
        return CredentialsDialog(reason, username=self.params.username, ask_username=sasl, parent=parent).exec_and_get()

    def _show_plan(self) -> None:
        if self.viewer is not None:
            self.viewer.show_lost(self.plan.describe(self.clock()), can_retry=self.plan.phase is not Phase.STOPPED)

    def _tick(self) -> None:
        if self.stalled and self.plan.phase is Phase.CONNECTED:
            self._show_stalled()
        elif self.plan.due(self.clock()):
            self._attempt()
        elif self.plan.phase is Phase.WAITING:
            self._show_plan()

    def stop(self) -> None:
        self._ticker.stop()
        for client in [*self.retired, *([self.client] if self.client is not None else [])]:
            client.disconnect_session()
            client.wait_all(3000)
        self.write_stats()

    def write_stats(self, path: str | None = None) -> None:
        """--stats-json (or `path`): what the session received, as `--screenshot --stats-json` writes it, and the
        live figures now (`live`, channels/stats.py). On exit, on SIGUSR1 and from File > Save statistics."""
        target = path or getattr(self.args, "stats_json", None)
        if not target or self.client is None:
            return
        import json
        from pathlib import Path

        live = self.viewer.sample_statistics() if self.viewer is not None else None
        try:
            Path(target).write_text(json.dumps({**self.client.stats(), "live": live}, indent=1))
        except OSError as exc:
            log.warning("statistics not written to %s: %s", target, exc.strerror or exc)


def params_from_dialog(args: argparse.Namespace) -> ConnectionParams | None:
    """The connect dialog's choice (None: cancelled), with the command line's options (-f, -z, --hotkeys, ...)
    applied as they would be to a URI given on the command line."""
    from ..cli import apply_options

    params = ask_for_target()
    return None if params is None else apply_options(params, args)


def params_from_launch_or_dialog(app: QApplication, args: argparse.Namespace) -> ConnectionParams | None:
    """Without a target on the command line: one the platform sends as a file-open event at launch (macOS: a .vv
    file or spice:// link opened from Finder), or while the connect dialog is open; else the dialog's choice."""
    from ..cli import apply_options, load_target
    from .file_open import FileOpenTargets

    opened = FileOpenTargets(app)
    deadline = time.monotonic() + FILE_OPEN_WAIT_S
    while not opened.targets and time.monotonic() < deadline:
        app.processEvents()  # the launch's own file-open event comes with the first turns of the event loop
        time.sleep(0.01)
    params = None if opened.targets else params_from_dialog(args)
    target = opened.take()
    if target is not None:
        params, _vv = load_target(target)
        params = apply_options(params, args)
    opened.deleteLater()
    return params


def run_viewer(params: ConnectionParams | None, args: argparse.Namespace) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("spiceview")
    app.setStyle(ViewerStyle())
    # Let Ctrl+C in the terminal end the viewer (the wake-up lets Python see the signal while Qt sleeps).
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    wakeup = SignalWakeup()
    try:
        if params is None:
            try:
                params = params_from_launch_or_dialog(app, args)
            except ConfigError as exc:
                print(f"spiceview: {exc}", file=sys.stderr)
                return 2
            if params is None:
                return 1
        runner = SessionRunner(app, params, args, Preferences.load())
        if hasattr(signal, "SIGUSR1"):  # `kill -USR1 PID` writes --stats-json now
            signal.signal(signal.SIGUSR1, lambda *_: runner.write_stats())
        runner.start()
        app.exec()
        runner.stop()
        return runner.code
    finally:
        wakeup.close()
