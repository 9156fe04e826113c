"""The viewer of one session: a window per enabled guest monitor, kept in step with the server.

Guest monitors come either from several display channels (QEMU with several qxl devices: one monitor each) or
from one channel's MONITORS_CONFIG (several heads on one surface, e.g. Xspice --numheads, Linux qxl). Windows
appear when a monitor is enabled and has a surface, and go away when it is disabled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QScreen

from ..canvas.surface import Surface
from ..channels.cursor_channel import CursorChannel
from ..channels.display_channel import DisplayChannel
from ..channels.inputs_channel import InputsChannel
from ..channels.spice_session import SpiceSession
from ..channels.stats import SessionStats
from ..protocol.agent.monitors import MonitorSpec
from ..protocol.constants import ChannelType
from ..session.errors import ConfigError
from .clipboard_bridge import ClipboardBridge
from .main_window import MainWindow
from .quality import Quality, QualityMenu
from .recent import SettingsSource

log = logging.getLogger(__name__)

MonitorKey = tuple[int, int]  # (display channel id, monitor id)

# remote-viewer's default bindings ("plus" is the key that gives '+').
DEFAULT_HOTKEYS = {
    "toggle-fullscreen": "f11",
    "release-cursor": "ctrl+alt",
    "zoom-in": "ctrl+plus",
    "zoom-out": "ctrl+minus",
    "zoom-reset": "ctrl+0",
    "secure-attention": "ctrl+alt+end",
    "toggle-statistics": "shift+f12",
}
ZOOM_STEPS = [10, 25, 33, 50, 67, 75, 90, 100, 110, 125, 150, 175, 200, 250, 300, 400]
# Window resizes are sent to the guest once the user has stopped dragging for this long.
RESIZE_DEBOUNCE_MS = 300
MAX_GUEST_MONITORS = 4
STATS_INTERVAL_MS = 1000
NOTICE_MS = 20000  # how long a notice stays in the status line


@dataclass(frozen=True)
class Monitor:
    key: MonitorKey
    surface: Surface
    area: QRect

    @property
    def display_id(self) -> int:
        """What SPICE's mouse position calls the display: the monitor id on channel 0, else the channel id."""
        channel_id, monitor_id = self.key
        return monitor_id if channel_id == 0 else channel_id


def monitors_of(display: DisplayChannel) -> list[Monitor]:
    primary = display.primary
    if primary is None:
        return []
    heads = [h for h in display.monitors if h.width > 0 and h.height > 0]
    if not heads:
        return [Monitor((display.channel_id, 0), primary, QRect(0, 0, primary.width, primary.height))]
    found = []
    for head in heads:
        surface = display.canvas.surfaces.get(head.surface_id) or primary
        # Clipped in Python's integers first: the server's u32 values need not fit Qt's int (a QRect of them
        # raised OverflowError in the GUI thread).
        left, top = max(0, head.x), max(0, head.y)
        right, bottom = min(surface.width, head.x + head.width), min(surface.height, head.y + head.height)
        if right > left and bottom > top:
            area = QRect(left, top, right - left, bottom - top)
            found.append(Monitor((display.channel_id, head.monitor_id), surface, area))
    return found


CHANNEL_ROLES = {
    ChannelType.DISPLAY: "Display",
    ChannelType.INPUTS: "Keyboard and mouse",
    ChannelType.CURSOR: "Pointer shape",
    ChannelType.PLAYBACK: "Sound",
    ChannelType.RECORD: "Microphone",
}


class Viewer(QObject):
    windows_changed = Signal()

    def __init__(
        self,
        client: SpiceSession,
        title: str | None = None,
        zoom: float = 1.0,
        *,
        hotkeys: dict[str, str] | None = None,
        kiosk: bool = False,
        scaling: str = "1:1",
        monitor_mapping: dict[int, int] | None = None,
        renderer: str = "cairo",
        share_clipboard: bool = True,
    ) -> None:
        super().__init__()
        self.client = client
        self.title = title
        self.zoom = zoom
        self.hotkeys = {**DEFAULT_HOTKEYS, **(hotkeys or {})}
        self.kiosk = kiosk
        self.scaling = scaling
        self.auto_resize = True  # the preference "resize the window when the guest changes its resolution"
        self.monitor_mapping = monitor_mapping or {}
        self.renderer = renderer
        self.fullscreen = False
        self._windowed_guest: list[MonitorSpec] = []
        self.guest_monitor_count = 1
        self.transfers: dict[int, tuple[str, int, int]] = {}  # id -> (name, sent, size)
        self.muted = {"mute-sound": False, "mute-microphone": False}
        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        self._resize_timer.setInterval(RESIZE_DEBOUNCE_MS)
        self._resize_timer.timeout.connect(self.send_guest_layout)
        self.share_clipboard = share_clipboard
        self.clipboard: ClipboardBridge | None = None
        self.windows: dict[MonitorKey, MainWindow] = {}
        self.monitors: dict[MonitorKey, Monitor] = {}
        self.displays: dict[int, DisplayChannel] = {}
        self.inputs: InputsChannel | None = None
        self.cursor: CursorChannel | None = None
        self.mouse_mode = 2
        self.server_name = ""
        self._watchers: list[_DisplayWatcher] = []
        # Display channels of the current session that have not shown a picture yet: their windows keep the
        # last session's picture meanwhile instead of closing.
        self._awaiting_picture: set[int] = set()
        self.lost_text = ""  # what the windows say while the session is lost ("" while connected)
        self._notice = ""  # waits for the first picture (notify_once)
        self.on_reconnect_now: Callable[[], None] = lambda: None
        self.on_close: Callable[[], None] = lambda: None
        self.user_disconnected = False
        self.settings_source: SettingsSource = None  # where per-guest choices are kept (tests: a file)
        self.frames_presented = 0  # repaints of the guest's picture (the statistics' presented frames)
        self.statistics_shown = False
        self.stats: SessionStats | None = None
        self.last_figures: dict[str, Any] | None = None
        self.on_save_statistics: Callable[[str], None] = lambda path: None  # the runner writes the file
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(STATS_INTERVAL_MS)
        self._stats_timer.timeout.connect(self.sample_statistics)
        self.quality_menu = QualityMenu(lambda: self.client, self._remember_quality)
        # The first window exists before any monitor, to show the connection status.
        self.placeholder: MainWindow | None = self._new_window(0)
        self.attach(client)

    # --- the session shown ------------------------------------------------------------------------------

    def attach(self, client: SpiceSession) -> None:
        """Show `client`'s session in these windows: the first one, or a new one after a lost session (the
        windows, zoom, full screen and monitor mapping stay; each window keeps its last picture until the new
        session draws its monitor)."""
        self.detach()
        self.client = client
        self._awaiting_picture = {display_id for display_id, _monitor in self.windows}
        self.clipboard = ClipboardBridge(client.agent, enabled=self.share_clipboard)
        agent = client.agent
        live = self._while_current
        agent.connected_changed.connect(live(client, self._agent_changed))
        agent.capabilities_changed.connect(live(client, self._agent_changed))
        agent.file_progress.connect(live(client, self._file_progress))
        agent.file_finished.connect(live(client, self._file_finished))
        agent.file_failed.connect(live(client, self._file_failed))
        client.display_added.connect(live(client, self._on_display))
        client.channel_added.connect(live(client, self._on_channel))
        client.main.mouse_mode_changed.connect(live(client, self._on_mouse_mode))
        client.main.name_changed.connect(live(client, self._on_name))
        client.main.uuid_changed.connect(live(client, self._restore_quality))
        self.stats = SessionStats(client, presented=lambda: self.frames_presented)
        self.quality_menu.apply(self.quality_menu.quality, remember=False)  # the choice outlives a reconnect

    def _while_current(self, client: SpiceSession, handler: Callable[..., None]) -> Callable[..., None]:
        """`handler`, for signals of `client` that are ignored once another session has replaced it."""

        def deliver(*args: Any) -> None:
            if client is self.client:
                handler(*args)

        return deliver

    def detach(self) -> None:
        """Let go of the current session (it is lost or replaced): its late signals no longer reach the windows,
        input goes nowhere, and each window keeps the picture it shows."""
        for watcher in self._watchers:
            watcher.detach()
        self._watchers.clear()
        self.displays.clear()
        if self.clipboard is not None:
            self.clipboard.detach()
            self.clipboard = None
        self.transfers.clear()
        self.inputs = None
        self.cursor = None
        for window in self.all_windows():
            self._wire(window)

    def show_lost(self, text: str, can_retry: bool) -> None:
        """The session is lost: every window dims its last picture and says `text`, with Reconnect now (when
        `can_retry`) and Close."""
        self.lost_text = text
        for window in self.all_windows():
            window.show_lost(text, can_retry, self.on_reconnect_now, self.on_close)

    def show_connected(self) -> None:
        self.lost_text = ""
        for window in self.all_windows():
            window.hide_lost()

    def disconnect(self) -> None:
        """The user's Disconnect: the session ends and is not reconnected."""
        self.user_disconnected = True
        self.client.disconnect_session()

    # --- windows ------------------------------------------------------------------------------------------

    def _new_window(self, monitor_id: int) -> MainWindow:
        window = MainWindow(self.title, monitor_id, renderer=self.renderer)
        window.screen_widget.zoom = self.zoom
        window.user_zoom = self.zoom
        window.scaling = self.scaling
        window.follow_guest_size = self.auto_resize
        window.set_server_name(self.server_name)
        window.screen_widget.input.set_hotkeys(self.hotkeys)
        window.screen_widget.input.on_hotkey = self.run_action
        window.add_action("view", "Full screen", self.toggle_fullscreen, "toggle-fullscreen")
        window.add_action("view", "Zoom in", lambda: self.step_zoom(+1), "zoom-in")
        window.add_action("view", "Zoom out", lambda: self.step_zoom(-1), "zoom-out")
        window.add_action("view", "Normal size", lambda: self.set_zoom(1.0), "zoom-reset")
        window.add_action("view", "Fit to window", lambda: self.set_scaling("fit"), "scale-fit")
        window.add_action("view", "1:1 (scroll)", lambda: self.set_scaling("1:1"), "scale-1-1")
        window.add_action("view", "Resize guest to window", lambda: self.set_scaling("resize-guest"), "scale-guest")
        stats_action = window.add_action(
            "view", "Statistics", lambda: self.set_statistics_shown(not self.statistics_shown), "toggle-statistics"
        )
        stats_action.setCheckable(True)  # type: ignore[attr-defined]
        stats_action.setChecked(self.statistics_shown)  # type: ignore[attr-defined]
        window.stats_overlay.setVisible(self.statistics_shown)
        for count in range(1, MAX_GUEST_MONITORS + 1):
            label = f"{count} guest monitor{'s' if count > 1 else ''}"
            window.add_action("displays", label, lambda n=count: self.set_guest_monitor_count(n), f"monitors-{count}")
        for name, label in (("mute-sound", "Mute guest sound"), ("mute-microphone", "Mute microphone")):
            action = window.add_action("sound", label, lambda n=name: self.toggle_mute(n), name)
            action.setCheckable(True)
            action.setChecked(self.muted[name])
        window.add_action("file", "USB devices...", lambda w=window: self.show_usb_devices(w), "usb-devices")
        window.add_action("file", "Preferences...", lambda w=window: self.edit_preferences(w), "preferences")
        window.add_action("file", "Send file...", lambda w=window: self.choose_files(w), "send-file")
        window.add_action("file", "Screenshot...", lambda w=window: self.save_screenshot(w), "screenshot")
        window.add_action("file", "Save statistics...", lambda w=window: self.save_statistics(w), "save-statistics")
        window.cancel_transfers = self.cancel_transfers
        window.resized.connect(self._window_resized)
        window.screen_widget.on_files_dropped = self.send_files
        window.add_action("file", "Disconnect", self.disconnect, "disconnect")
        self.quality_menu.install(window)
        if self.kiosk:
            window.menuBar().hide()
        self._wire(window)
        return window

    def shutdown(self) -> None:
        """The session is over: let go of the clipboard and close every window (a reconnect makes a new Viewer)."""
        self._resize_timer.stop()
        self.detach()
        windows = self.all_windows()
        self.windows.clear()
        self.placeholder = None
        for window in windows:
            window.close()

    # --- actions (menus and hotkeys) ----------------------------------------------------------------------

    def run_action(self, action: str) -> None:
        if action == "toggle-fullscreen" and not self.kiosk:
            self.toggle_fullscreen()
        elif action == "zoom-in":
            self.step_zoom(+1)
        elif action == "zoom-out":
            self.step_zoom(-1)
        elif action == "zoom-reset":
            self.set_zoom(1.0)
        elif action == "toggle-statistics":
            self.set_statistics_shown(not self.statistics_shown)
        elif action == "secure-attention":
            for window in list(self.windows.values())[:1]:
                window.screen_widget.input.send_keys(["ctrl", "alt", "delete"])
        else:
            log.info("hotkey %s has no action here", action)

    # --- statistics (channels/stats.py, ui/stats_overlay.py) -----------------------------------------------

    def set_statistics_shown(self, shown: bool) -> None:
        self.statistics_shown = shown
        for window in self.all_windows():
            action = window.actions_by_name.get("toggle-statistics")
            if action is not None:
                action.setChecked(shown)  # type: ignore[attr-defined]
            window.stats_overlay.setVisible(shown)
        if shown:
            self._stats_timer.start()
            self.sample_statistics()
        else:
            self._stats_timer.stop()

    def save_statistics(self, window: MainWindow) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _filter = QFileDialog.getSaveFileName(window, "Save statistics", "spiceview-stats.json", "JSON (*.json)")
        if path:
            self.on_save_statistics(path)

    def sample_statistics(self) -> dict[str, Any] | None:
        """One sample (the overlay shows it when shown); also what --stats-json and SIGUSR1 write."""
        if self.stats is None:
            return None
        figures = self.stats.sample()
        self.last_figures = figures
        if self.statistics_shown:
            for window in self.all_windows():
                window.stats_overlay.show_figures(figures, self.stats.history)
        return figures

    def toggle_mute(self, name: str) -> None:
        self.set_muted(name, not self.muted[name])

    def set_muted(self, name: str, on: bool) -> None:
        """Mute the guest's sound ("mute-sound") or the microphone ("mute-microphone") on this side."""
        self.muted[name] = on
        for window in self.all_windows():
            action = window.actions_by_name.get(name)
            if action is not None:
                action.setChecked(on)
        self._apply_mutes()

    def _apply_mutes(self) -> None:
        playback, record = self.client.playback(), self.client.record()
        if playback is not None:
            playback.sink.local_muted = self.muted["mute-sound"]
        if record is not None:
            record.source.local_muted = self.muted["mute-microphone"]

    def set_zoom(self, zoom: float) -> None:
        self.zoom = min(max(zoom, 0.1), 4.0)
        for window in self.all_windows():
            window.set_zoom(self.zoom)

    def step_zoom(self, direction: int) -> None:
        percent = round(self.zoom * 100)
        if direction > 0:
            bigger = [z for z in ZOOM_STEPS if z > percent]
            self.set_zoom((bigger[0] if bigger else ZOOM_STEPS[-1]) / 100)
        else:
            smaller = [z for z in ZOOM_STEPS if z < percent]
            self.set_zoom((smaller[-1] if smaller else ZOOM_STEPS[0]) / 100)

    def set_scaling(self, mode: str) -> None:
        self.scaling = mode
        for window in self.all_windows():
            window.set_scaling(mode)
        if mode == "resize-guest":
            self.send_guest_layout()

    def set_auto_resize(self, on: bool) -> None:
        """Whether 1:1 windows follow the guest when it changes its resolution (the preference)."""
        self.auto_resize = on
        for window in self.all_windows():
            window.follow_guest_size = on

    # --- quality (ui/quality.py) ---------------------------------------------------------------------------

    def _remember_quality(self, quality: Quality) -> None:
        # Kept for this guest: the next session with it starts with the same choice.
        from .preferences import Preferences, normalize_guest_uuid

        uuid = self.client.main.server_uuid
        if not uuid:
            return
        prefs = Preferences.load(self.settings_source)
        prefs.guest_quality[normalize_guest_uuid(uuid)] = quality.text()
        try:
            prefs.save(self.settings_source)
        except ConfigError as exc:
            self.set_status(f"The quality choice could not be saved: {exc}")

    def _restore_quality(self, uuid: str) -> None:
        from .preferences import Preferences, normalize_guest_uuid

        text = Preferences.load(self.settings_source).guest_quality.get(normalize_guest_uuid(uuid))
        if text:
            self.quality_menu.apply(Quality.parse(text), remember=False)

    def set_monitor_mapping(self, mapping: dict[int, int]) -> None:
        self.monitor_mapping = mapping
        if self.fullscreen:
            self.set_fullscreen(True)

    def show_usb_devices(self, window: MainWindow) -> None:
        from ..channels.usbredir_channel import UsbredirChannel
        from .usb_dialog import UsbDialog

        client = self.client

        def slots() -> tuple[list[UsbredirChannel], int]:
            used, free = client.usb_slots()
            return [c for c in used if isinstance(c, UsbredirChannel)], free

        UsbDialog(slots, client.share_usb, window, local=client.usb).exec()

    def edit_preferences(self, window: MainWindow) -> None:
        from .preferences import Preferences, PreferencesDialog

        prefs = getattr(self, "preferences", None) or Preferences.load(self.settings_source)
        prefs.guest_quality = Preferences.load(self.settings_source).guest_quality  # the menu saves these itself
        uuid = self.client.main.server_uuid or None
        dialog = PreferencesDialog(
            prefs,
            window,
            agent_connected=self.agent_ready(),
            guest_uuid=uuid,
            quality=self.quality_menu.quality,
            quality_caps=self.quality_menu.capabilities(),
        )
        chosen = dialog.exec_and_get()
        if chosen is None:
            return
        try:
            chosen.save(self.settings_source)
        except ConfigError as exc:
            self.set_status(f"The preferences could not be saved: {exc}")
        self.preferences = chosen
        if dialog.chosen_quality is not None and dialog.chosen_quality != self.quality_menu.quality:
            self.quality_menu.apply(dialog.chosen_quality, remember=False)  # saved with the preferences
        self.set_auto_resize(chosen.auto_resize)
        self.set_scaling(chosen.scaling)
        self.share_clipboard = chosen.share_clipboard
        if self.clipboard is not None:
            self.clipboard.enabled = chosen.share_clipboard
        self.set_muted("mute-sound", not chosen.play_sound)
        for each in self.all_windows():
            each.screen_widget.input.set_release_hotkey(chosen.release_hotkey)
        if uuid:
            self.set_monitor_mapping(chosen.monitor_mapping(uuid))

    # --- the guest's monitors through its agent -----------------------------------------------------------

    def agent_ready(self) -> bool:
        from ..protocol.agent.messages import AgentCap

        agent = self.client.agent
        return agent.connected and AgentCap.MONITORS_CONFIG in agent.caps

    def _agent_changed(self, *_args: object) -> None:
        for window in self.all_windows():
            window.set_guest_follows(self.agent_ready())
            action = window.actions_by_name.get("scale-guest")
            if action is not None:
                action.setEnabled(self.agent_ready())
                action.setToolTip("" if self.agent_ready() else "Needs the guest agent (spice-vdagent) in the guest")
        if self.agent_ready() and (self.scaling == "resize-guest" or self.wanted_guest_monitors() > 1):
            self.send_guest_layout(force=True)

    def _window_resized(self) -> None:
        if self.scaling == "resize-guest" and self.agent_ready():
            self._resize_timer.start()

    def set_guest_monitor_count(self, count: int) -> None:
        """Ask the guest for `count` monitors (windows appear as the guest enables them)."""
        self.guest_monitor_count = max(1, min(count, MAX_GUEST_MONITORS))
        self.send_guest_layout(force=True)

    def wanted_guest_monitors(self) -> int:
        """Full screen asks for a guest monitor per client screen (or per mapped one); windowed, the chosen count."""
        from PySide6.QtGui import QGuiApplication

        if self.fullscreen:
            screens = len(QGuiApplication.screens()) or 1
            mapped = [g for g, c in self.monitor_mapping.items() if 1 <= c <= screens]
            return min(max(mapped) if mapped else screens, MAX_GUEST_MONITORS)
        return self.guest_monitor_count

    def fullscreen_screen(self, index: int) -> QScreen | None:
        """The client screen that guest monitor `index` (0-based) goes full screen on."""
        from PySide6.QtGui import QGuiApplication

        screens = QGuiApplication.screens()
        if not screens:
            return None
        return screens[(self.monitor_mapping.get(index + 1, index + 1) - 1) % len(screens)]

    def guest_layout(self) -> list[MonitorSpec]:
        """A monitor per wanted guest monitor, sized like its window, side by side; in full screen each takes
        its client screen's size and place, so the guest's desktop is laid out like the client's screens."""
        if self.fullscreen:
            return self._fullscreen_layout()
        windows = [w for _k, w in sorted(self.windows.items())] or self.all_windows()
        specs = []
        x = 0
        for index in range(self.guest_monitor_count):
            window = windows[index] if index < len(windows) else (windows[0] if windows else None)
            size = window.scroll.viewport().size() if window is not None else None
            if size is None or size.width() <= 0 or size.height() <= 0:
                continue
            specs.append(MonitorSpec(size.width(), size.height(), x, 0, True))
            x += size.width()
        return specs

    def _fullscreen_layout(self) -> list[MonitorSpec]:
        areas = []
        for index in range(self.wanted_guest_monitors()):
            screen = self.fullscreen_screen(index)
            if screen is None:
                return []
            areas.append(screen.geometry())
        left = min(a.x() for a in areas)
        top = min(a.y() for a in areas)
        places = [(a.x() - left, a.y() - top) for a in areas]
        if len(set(places)) < len(places):  # two guest monitors on one screen: fall back to side by side
            places, x = [], 0
            for area in areas:
                places.append((x, 0))
                x += area.width()
        return [MonitorSpec(a.width(), a.height(), x, y, True) for a, (x, y) in zip(areas, places, strict=True)]

    def send_guest_layout(self, force: bool = False) -> None:
        if not self.agent_ready() or (self.scaling != "resize-guest" and not force):
            return
        layout = self.guest_layout()
        if layout:
            log.info("asking the guest for %s", [(m.width, m.height, m.x, m.y) for m in layout])
            self.client.agent.send_monitors(layout)

    # --- files --------------------------------------------------------------------------------------------

    def choose_files(self, window: MainWindow) -> None:
        from PySide6.QtWidgets import QFileDialog

        paths, _ = QFileDialog.getOpenFileNames(window, "Send files to the guest")
        self.send_files(paths)

    def send_files(self, paths: list[str]) -> None:
        for path in paths:
            self.client.agent.send_file(path)
        if paths:
            self.set_status(f"Sending {len(paths)} file{'s' if len(paths) > 1 else ''}...")

    def cancel_transfers(self) -> None:
        for xfer_id in list(self.transfers):
            self.client.agent.cancel_file(xfer_id)

    def _file_progress(self, xfer_id: int, sent: int, size: int) -> None:
        name = self.client.agent.files.get(xfer_id, "file")
        self.transfers[xfer_id] = (name, sent, size)
        total = sum(s for _, _, s in self.transfers.values()) or 1
        done = sum(d for _, d, _ in self.transfers.values())
        self._transfer_status(f"Sending {len(self.transfers)} file(s): {100 * done // total}%")

    def _file_finished(self, xfer_id: int) -> None:
        name = self.client.agent.files.get(xfer_id, "file")
        self.transfers.pop(xfer_id, None)
        self._transfer_status("" if self.transfers else f"Sent {name}")

    def _file_failed(self, xfer_id: int, reason: str) -> None:
        self.transfers.pop(xfer_id, None)
        log.warning("file transfer failed: %s", reason)
        self._transfer_status(f"File transfer failed: {reason}")

    def _transfer_status(self, text: str) -> None:
        for window in self.all_windows():
            window.set_transfer_status(text, busy=bool(self.transfers))

    def toggle_fullscreen(self) -> None:
        self.set_fullscreen(not self.fullscreen)

    def set_fullscreen(self, on: bool) -> None:
        """Each guest monitor full screen on its own client screen: in order, or as the monitor mapping says.

        With the guest agent the guest gets a monitor per client screen at that screen's size; leaving full
        screen goes back to the windowed layout and puts the windows back where they were.
        """
        changed = on != self.fullscreen
        if changed and on:
            self._windowed_guest = self.current_guest_layout()
        self.fullscreen = on
        self._place_windows()
        if not changed or not self.agent_ready():
            return
        if on or self.scaling == "resize-guest":
            self.send_guest_layout(force=True)
        elif self._windowed_guest:
            # Fit or 1:1: the guest gets back the monitors it had before full screen.
            log.info("giving the guest back %s", [(m.width, m.height, m.x, m.y) for m in self._windowed_guest])
            self.client.agent.send_monitors(self._windowed_guest)

    def current_guest_layout(self) -> list[MonitorSpec]:
        """The guest's monitors as shown now (what leaving full screen goes back to)."""
        return [
            MonitorSpec(m.area.width(), m.area.height(), m.area.x(), m.area.y(), True)
            for _key, m in sorted(self.monitors.items())
        ]

    def _place_windows(self) -> None:
        for index, (_key, window) in enumerate(sorted(self.windows.items())):
            if self.fullscreen:
                window.enter_fullscreen(self.fullscreen_screen(index), hide_menus=True)
            else:
                window.leave_fullscreen(show_menus=not self.kiosk)
        if self.fullscreen and not self.windows and self.placeholder is not None:
            self.placeholder.enter_fullscreen(self.fullscreen_screen(0), hide_menus=True)

    def save_screenshot(self, window: MainWindow) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(window, "Save screenshot", "screenshot.png", "PNG images (*.png)")
        if path:
            window.save_screenshot(path)

    def _wire(self, window: MainWindow) -> None:
        window.screen_widget.input.set_inputs(self.inputs)
        window.screen_widget.set_mouse_mode(self.mouse_mode)
        if self.cursor is not None:
            window.screen_widget.set_cursor_channel(self.cursor)

    def all_windows(self) -> list[MainWindow]:
        windows = list(self.windows.values())
        if self.placeholder is not None and self.placeholder not in windows:
            windows.append(self.placeholder)
        return windows

    def set_status(self, text: str) -> None:
        for window in self.all_windows():
            window.set_status(text)

    def notify_once(self, text: str) -> None:
        """A notice for the status line (a .vv file's warnings): shown when the guest's picture is (showing the
        picture clears the connecting status), kept NOTICE_MS, then cleared unless something else was said."""
        self._notice = text
        if self.monitors:
            self._show_notice()

    def _show_notice(self) -> None:
        text, self._notice = self._notice, ""
        if not text:
            return
        self.set_status(text)
        for window in self.all_windows():
            window.status.setToolTip(text)
        QTimer.singleShot(NOTICE_MS, lambda: self._clear_notice(text))

    def _clear_notice(self, text: str) -> None:
        for window in self.all_windows():
            if window.status.text() == text:
                window.set_status("")

    def refresh(self, display: DisplayChannel) -> None:
        """Bring the windows of one display channel in line with its monitors."""
        wanted = {m.key: m for m in monitors_of(display)}
        if wanted:
            self._awaiting_picture.discard(display.channel_id)
        gone = [k for k in self.windows if k[0] == display.channel_id and k not in wanted]
        if display.channel_id in self._awaiting_picture:
            gone = []  # the last session's pictures stay until this one draws
        for key in gone:
            window = self.windows.pop(key)
            self.monitors.pop(key, None)
            if not self.windows and self.placeholder is None:
                # One window stays open, with its last picture, until a monitor comes back: a guest changing its
                # resolution, or a server going away (Xspice destroys its surface as it quits).
                self.placeholder = window
            else:
                window.close()
        for key, monitor in sorted(wanted.items()):
            window = self.windows.get(key)
            if window is None:
                if self.placeholder is not None:
                    window, self.placeholder = self.placeholder, None
                    window.monitor_id = key[1]
                    window._update_title()
                else:
                    window = self._new_window(key[1])
                    self._place_beside(window)
                    window.show()
                self.windows[key] = window
            window.screen_widget.input.display_id = monitor.display_id
            if self.monitors.get(key) != monitor:
                window.show_monitor(monitor.surface, monitor.area)
                self.monitors[key] = monitor
            if not self.lost_text:
                window.hide_lost()  # the session's own picture is back
        if self.fullscreen:
            self._place_windows()  # new monitors go full screen too, on their screens
        if self._notice and self.monitors:
            self._show_notice()
        self.windows_changed.emit()

    def _place_beside(self, window: MainWindow) -> None:
        """A new monitor's window opens to the right of the others (a window manager may still move it)."""
        others = [w for w in self.windows.values() if w.isVisible()]
        if not others:
            return
        right = max(w.frameGeometry().right() for w in others) + 1
        top = min(w.frameGeometry().top() for w in others)
        window.move(right, top)

    # --- channels -----------------------------------------------------------------------------------------

    def _on_display(self, display: DisplayChannel) -> None:
        self.displays[display.channel_id] = display
        display.linked.connect(self._while_current(self.client, self.quality_menu.refresh))
        self.quality_menu.refresh()
        # A display channel that replaces one with the same id (the session moved to another server): the
        # old one's late signals must not touch the windows any more.
        for old in [w for w in self._watchers if w.display.channel_id == display.channel_id]:
            old.detach()
            self._watchers.remove(old)
        # Signals come from the channel's thread: a receiver QObject in this thread makes Qt queue them here.
        watcher = _DisplayWatcher(self, display)
        self._watchers.append(watcher)
        self.refresh(display)

    def _on_dirty(self, display: DisplayChannel) -> None:
        self.frames_presented += 1
        dirty = display.take_dirty()
        for key, window in self.windows.items():
            monitor = self.monitors.get(key)
            if key[0] != display.channel_id or monitor is None:
                continue
            window.screen_widget.show_surface_boxes(dirty.get(monitor.surface.id, ()))

    def _on_channel(self, channel: Any) -> None:
        channel.closed.connect(lambda error, c=channel: self._on_channel_closed(c, error))
        if channel.error:  # it failed before this was connected
            self._on_channel_closed(channel, channel.error)
        if channel.channel_type in (ChannelType.PLAYBACK, ChannelType.RECORD):
            self._apply_mutes()
            return
        if isinstance(channel, InputsChannel):
            self.inputs = channel
        elif isinstance(channel, CursorChannel) and channel.channel_id == 0:
            self.cursor = channel
        else:
            return
        for window in self.all_windows():
            self._wire(window)

    def _on_channel_closed(self, channel: Any, error: str) -> None:
        """A channel other than main failed (the session goes on without it): say which, and why."""
        if channel.session is not self.client:
            return  # a channel of a session already lost or replaced
        if not error or self.client.main.error or not self.client.main.is_linked:
            return  # closed on purpose, or the whole session is ending (that has its own message)
        what = CHANNEL_ROLES.get(channel.channel_type, channel.name)
        self.set_status(f"{what} unavailable: {error}")
        for window in self.all_windows():
            window.status.setToolTip(f"{channel.name}: {error}")

    def _on_mouse_mode(self, mode: int) -> None:
        self.mouse_mode = mode
        for window in self.all_windows():
            window.screen_widget.set_mouse_mode(mode)

    def _on_name(self, name: str) -> None:
        self.server_name = name
        for window in self.all_windows():
            window.set_server_name(name)


class _DisplayWatcher(QObject):
    """Receives one display channel's signals in the GUI thread and hands them to the viewer.

    Repaints are paced to at most one per REPAINT_INTERVAL_S: Xspice sends a playing video as a dozen strips, each
    its own stream, within a few milliseconds; painting each strip as it comes cost a repaint of the window per
    strip. (The channel itself lets a frame's strips gather before it signals: one wake-up of this thread per
    frame.) A drawing command (a typed letter's echo, a menu) is painted at once, paced only against the previous
    such repaint, not against the video's: waiting behind the video's pacing added 7 ms to every echo on a slow
    link. The channel gathers what is drawn meanwhile and signals again only for the first drawing command among
    pending strips.
    """

    REPAINT_INTERVAL_S = 1 / 60

    def __init__(self, viewer: Viewer, display: DisplayChannel) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.display = display
        self.detached = False
        self._last_repaint = 0.0
        self._last_urgent = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._repaint)
        display.primary_created.connect(self.on_changed)
        display.primary_destroyed.connect(self.on_changed)
        display.monitors_changed.connect(self.on_changed)
        display.dirty.connect(self.on_dirty)

    def detach(self) -> None:
        self.detached = True
        for signal in (self.display.primary_created, self.display.primary_destroyed, self.display.monitors_changed):
            signal.disconnect(self.on_changed)
        self.display.dirty.disconnect(self.on_dirty)
        self._timer.stop()
        self.deleteLater()

    def on_changed(self, *_args: object) -> None:
        if not self.detached:
            self.viewer.refresh(self.display)

    def on_dirty(self) -> None:
        if self.detached:
            return
        urgent = self.display.dirty_is_urgent
        if self._timer.isActive() and not urgent:
            return
        now = time.monotonic()
        if urgent:
            wait = self._last_urgent + self.REPAINT_INTERVAL_S - now
        else:
            wait = self._last_repaint + self.REPAINT_INTERVAL_S - now
        if wait <= 0:
            self._timer.stop()
            self._repaint()
        elif not self._timer.isActive() or self._timer.remainingTime() > wait * 1000:
            self._timer.start(max(1, round(wait * 1000)))

    def _repaint(self) -> None:
        if not self.detached:
            self._last_repaint = time.monotonic()
            if self.display.dirty_is_urgent:
                self._last_urgent = self._last_repaint
            self.viewer._on_dirty(self.display)
