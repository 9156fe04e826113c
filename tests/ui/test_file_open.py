"""macOS opens .vv files and spice:// links as QFileOpenEvents: taken at launch, or while the connect dialog is
open, like a target on the command line (synthetic events here: nothing sends them on Linux)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTimer, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QDialog

from spiceview.cli import build_parser
from spiceview.ui import app as app_module
from spiceview.ui.file_open import FileOpenTargets


def test_file_and_link_events_are_collected(qt_application) -> None:  # noqa: ANN001
    opened = FileOpenTargets(qt_application)
    QCoreApplication.postEvent(qt_application, QFileOpenEvent("/tmp/console.vv"))
    QCoreApplication.postEvent(qt_application, QFileOpenEvent(QUrl("spice://vm.example:5901")))
    qt_application.processEvents()
    assert opened.targets == ["/tmp/console.vv", "spice://vm.example:5901"]
    assert opened.take() == "spice://vm.example:5901" and opened.take() is None
    opened.deleteLater()


def test_a_file_opened_at_launch_is_the_target(qt_application, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    vv = tmp_path / "console.vv"
    vv.write_text("[virt-viewer]\ntype=spice\nhost=vm.example\nport=5930\n")
    monkeypatch.setattr(app_module, "FILE_OPEN_WAIT_S", 1.0)
    monkeypatch.setattr(app_module, "params_from_dialog", lambda args: pytest.fail("the dialog was shown"))
    QCoreApplication.postEvent(qt_application, QFileOpenEvent(str(vv)))
    params = app_module.params_from_launch_or_dialog(qt_application, build_parser().parse_args(["-f"]))
    assert params is not None and (params.host, params.port, params.fullscreen) == ("vm.example", 5930, True)


def test_a_link_opened_while_the_dialog_waits_replaces_it(qt_application, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    shown: list[QDialog] = []

    def dialog(args: object) -> None:
        box = QDialog()
        shown.append(box)
        QTimer.singleShot(
            50, lambda: QCoreApplication.postEvent(qt_application, QFileOpenEvent(QUrl("spice://vm:5999")))
        )
        box.exec()  # closed by the event
        return None

    monkeypatch.setattr(app_module, "params_from_dialog", dialog)
    params = app_module.params_from_launch_or_dialog(qt_application, build_parser().parse_args([]))
    assert shown and params is not None and (params.host, params.port) == ("vm", 5999)
