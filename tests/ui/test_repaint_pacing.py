"""Repaints follow a display channel's changes at most REPAINT_INTERVAL_S apart, the first after quiet at once."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QObject, Signal

from spiceview.ui.viewer import _DisplayWatcher


@pytest.fixture(scope="module")
def qapp():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["test", "-platform", "offscreen"])


class FakeDisplay(QObject):
    primary_created = Signal(object)
    primary_destroyed = Signal(int)
    monitors_changed = Signal(object)
    dirty = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.streams: dict[int, object] = {}
        self.dirty_is_urgent = True  # drawing commands unless a test says stream frames


class FakeViewer(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.repaints = 0

    def _on_dirty(self, display: FakeDisplay) -> None:
        self.repaints += 1

    def refresh(self, display: FakeDisplay) -> None:
        pass


def run_events(qapp, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qapp.processEvents()
        time.sleep(0.001)


def test_first_change_at_once_then_at_most_one_repaint_per_interval(qapp) -> None:
    viewer, display = FakeViewer(), FakeDisplay()
    watcher = _DisplayWatcher(viewer, display)  # type: ignore[arg-type]
    display.dirty.emit()
    assert viewer.repaints == 1  # after a quiet spell: no waiting
    for _ in range(5):
        display.dirty.emit()  # a burst within the interval: gathered into one later repaint
    assert viewer.repaints == 1
    run_events(qapp, 10 * watcher.REPAINT_INTERVAL_S)
    assert viewer.repaints == 2
    watcher.detach()
    display.dirty.emit()
    run_events(qapp, 3 * watcher.REPAINT_INTERVAL_S)
    assert viewer.repaints == 2  # a detached watcher repaints nothing


def test_a_frame_of_video_strips_is_repainted_at_once_after_quiet(qapp) -> None:
    """The channel has already let the frame's strips gather (test_display_gather): no second wait here."""
    viewer, display = FakeViewer(), FakeDisplay()
    display.streams[1] = object()
    display.dirty_is_urgent = False
    watcher = _DisplayWatcher(viewer, display)  # type: ignore[arg-type]
    display.dirty.emit()
    assert viewer.repaints == 1
    display.dirty.emit()  # the next frame within the interval: paced
    assert viewer.repaints == 1
    run_events(qapp, 10 * watcher.REPAINT_INTERVAL_S)
    assert viewer.repaints == 2
    watcher.detach()


def test_a_drawing_among_video_strips_is_painted_at_once(qapp) -> None:
    """A typed letter's echo does not wait behind the video's repaint pacing."""
    viewer, display = FakeViewer(), FakeDisplay()
    display.streams[1] = object()
    display.dirty_is_urgent = False
    watcher = _DisplayWatcher(viewer, display)  # type: ignore[arg-type]
    display.dirty.emit()  # a frame of strips
    assert viewer.repaints == 1
    display.dirty.emit()  # the next frame, soon after: paced
    assert viewer.repaints == 1
    display.dirty_is_urgent = True  # then the echo is drawn: the channel signals again
    display.dirty.emit()
    assert viewer.repaints == 2
    run_events(qapp, 10 * watcher.REPAINT_INTERVAL_S)
    assert viewer.repaints == 2  # the strips went with it: no third repaint
    watcher.detach()
