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


def test_while_video_plays_a_first_change_waits_for_the_rest_of_its_frame(qapp) -> None:
    """A frame's strips arrive over a few milliseconds: one repaint for the frame, not one for its first strip."""
    viewer, display = FakeViewer(), FakeDisplay()
    display.streams[1] = object()
    display.dirty_is_urgent = False
    watcher = _DisplayWatcher(viewer, display)  # type: ignore[arg-type]
    display.dirty.emit()
    assert viewer.repaints == 0
    for _ in range(5):
        display.dirty.emit()
    run_events(qapp, 10 * watcher.STREAM_GATHER_S)
    assert viewer.repaints == 1
    watcher.detach()


def test_a_drawing_among_video_strips_is_painted_at_once(qapp) -> None:
    """A typed letter's echo does not wait for the video's strips, nor behind the video's repaint pacing."""
    viewer, display = FakeViewer(), FakeDisplay()
    display.streams[1] = object()
    display.dirty_is_urgent = False
    watcher = _DisplayWatcher(viewer, display)  # type: ignore[arg-type]
    display.dirty.emit()  # a strip: gathered
    assert viewer.repaints == 0
    display.dirty_is_urgent = True  # then the echo is drawn: the channel signals again
    display.dirty.emit()
    assert viewer.repaints == 1
    run_events(qapp, 10 * watcher.STREAM_GATHER_S)
    assert viewer.repaints == 1  # the strip went with it: no second repaint
    watcher.detach()
