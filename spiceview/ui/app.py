"""Running the viewer: the Qt application, one session, its window."""

from __future__ import annotations

import argparse
import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ..channels.from_params import client_from_params
from ..session.errors import ConfigError
from ..session.params import ConnectionParams
from .preferences import Preferences
from .style import ViewerStyle
from .viewer import Viewer


def ask_for_target() -> ConnectionParams | None:
    """The connection dialog (recent connections, .vv files) when spiceview starts without a target."""
    from .connect_dialog import ConnectDialog

    return ConnectDialog().exec_and_get()


def parse_mapping(text: str | None) -> dict[int, int]:
    """remote-viewer's monitor-mapping syntax: '1:2;2:1' = guest monitor 1 on client screen 2, 2 on 1."""
    if not text:
        return {}
    mapping: dict[int, int] = {}
    for pair in filter(None, (p.strip() for p in text.split(";"))):
        guest, _, client = pair.partition(":")
        if not (guest.strip().isdigit() and client.strip().isdigit()):
            raise ConfigError(f"monitor mapping {text!r}: {pair!r} is not GUEST:CLIENT")
        g, c = int(guest), int(client)
        if g < 1 or c < 1 or g in mapping or c in mapping.values():
            raise ConfigError(f"monitor mapping {text!r}: monitors count from 1, each once")
        mapping[g] = c
    return mapping


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
        params = ask_for_target()
        if params is None:
            return 1
    prefs = Preferences.load()
    client = client_from_params(params, connect_timeout=args.timeout)
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
        client.uuid_changed.connect(lambda uuid: viewer.set_monitor_mapping(prefs.monitor_mapping(uuid)))
    viewer.preferences = prefs
    window = viewer.placeholder
    assert window is not None
    outcome = {"code": 0}
    where = params.host or params.unix_path or ""
    viewer.set_status(f"Connecting to {where}...")

    def on_closed(error: str) -> None:
        if error:
            outcome["code"] = 1
            viewer.set_status(f"Disconnected: {error}")
            print(f"spiceview: {error}", file=sys.stderr)
            QMessageBox.critical(window, "spiceview", f"Connection failed: {error}")
        app.quit()

    client.session_closed.connect(on_closed)
    if args.guest_monitors:
        viewer.guest_monitor_count = max(1, min(args.guest_monitors, 4))
    window.show()
    if params.fullscreen or params.kiosk:
        viewer.set_fullscreen(True)
    # Without a window manager nobody else gives the new window the keyboard.
    window.raise_()
    window.activateWindow()
    window.screen_widget.setFocus()
    client.connect_session()
    app.exec()
    client.disconnect_session()
    client.wait_all(3000)
    return outcome["code"]
