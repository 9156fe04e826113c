"""Render the connect dialog and the preferences dialog to docs/*.png, offscreen (no display needed).

    python3 docs/make_screenshots.py [OUTPUT_DIR]

The recent list is filled from a throwaway settings file, never from the user's own.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported

from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from spiceview.session.uri import parse_spice_uri  # noqa: E402
from spiceview.ui.connect_dialog import ConnectDialog  # noqa: E402
from spiceview.ui.preferences import Preferences, PreferencesDialog  # noqa: E402
from spiceview.ui.recent import RecentConnections  # noqa: E402

DAY = 86400.0
GUEST = "6f1b3a52-8c1e-4d7a-9f39-2b8e1c0d4a17"


def save(widget: QWidget, path: Path) -> None:
    widget.show()
    QApplication.processEvents()
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(path)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(["make_screenshots"])
    app.setStyle("Fusion")
    with tempfile.TemporaryDirectory() as tmp:
        vv = Path(tmp, "win11-console.vv")
        vv.write_text("[virt-viewer]\ntype=spice\nhost=10.0.0.7\nport=5900\n")
        recent = RecentConnections(Path(tmp, "settings.ini"))
        now = 1_750_000_000.0
        recent.add_uri("spice://192.168.122.1:5930", when=now - 9 * DAY)
        recent.add_uri("spice://build-vm.lan:5900?tls-port=5901", when=now - 3 * DAY)
        recent.add_vv(vv, label="Windows 11 (Proxmox)", when=now - DAY)
        recent.add_uri("spice://[fd00::17]:5902", label="lab desktop", when=now - 3600)
        dialog = ConnectDialog(recent=recent, remember=False)
        params = parse_spice_uri("spice://build-vm.lan:5900?tls-port=5901")
        params.password = "hunter2"
        dialog.set_params(params)
        dialog.recent_list.setCurrentRow(2)
        save(dialog, out / "connect-dialog.png")

        prefs = Preferences(release_hotkey="shift+f12", zoom=125)
        prefs.set_monitor_mapping(GUEST, "1:2;2:1")
        preferences = PreferencesDialog(prefs, agent_connected=False, guest_uuid=GUEST)
        save(preferences, out / "preferences.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
