"""The preference "resize the window when the guest changes its resolution" is read (it was saved and ignored):
at 1:1 a window follows the guest's new size only while it is on."""

from __future__ import annotations

from spiceview.canvas.surface import Surface
from spiceview.protocol.constants import SurfaceFmt


def window_size(window) -> tuple[int, int]:  # noqa: ANN001
    size = window.size()
    return size.width(), size.height()


def test_a_one_to_one_window_follows_the_guest_only_when_asked(qt_application: object) -> None:
    from spiceview.ui.main_window import MainWindow

    for follow in (True, False):
        window = MainWindow("t", 0)
        window.scaling = "1:1"
        window.follow_guest_size = follow
        window.show()
        window.show_monitor(Surface(0, 320, 200, SurfaceFmt.FMT_32_xRGB, primary=True))
        small = window_size(window)
        window.show_monitor(Surface(0, 640, 400, SurfaceFmt.FMT_32_xRGB, primary=True))  # the guest's new mode
        grown = window_size(window)
        assert (grown[0] - small[0], grown[1] - small[1]) == ((320, 200) if follow else (0, 0))
        window.close()
