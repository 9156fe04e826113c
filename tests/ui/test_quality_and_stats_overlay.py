"""The Quality menu's choices as text and as menu state, and the statistics overlay's lines and painting
(no server: a session that never connects, displays whose capabilities the test sets)."""

from __future__ import annotations

from spiceview.channels.display_channel import DisplayChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.channels.stats import Point, SessionStats
from spiceview.protocol.constants import DisplayCap, ImageCompression
from spiceview.transport.connect import Endpoint
from spiceview.ui.main_window import MainWindow
from spiceview.ui.quality import NO_CODEC_CAP, NO_COMPRESSION_CAP, PROFILES, Quality, QualityMenu
from spiceview.ui.stats_overlay import StatsOverlay, describe


def session_with_display(caps: frozenset[int]) -> tuple[SpiceSession, DisplayChannel]:
    session = SpiceSession(lambda ctype, tls: Endpoint("127.0.0.1", 5900, None))
    display = DisplayChannel(session, 0)
    display.server_caps, display.is_linked = caps, True
    display.send = lambda message: None  # type: ignore[method-assign]  # no connection here
    session.channels[(2, 0)] = display
    return session, display


def test_quality_text_round_trips_and_drops_unknown_names() -> None:
    assert Quality.parse(PROFILES["wan"].text()) == PROFILES["wan"]
    assert Quality.parse("zstd;av1,vp8") == Quality(None, ("vp8",))
    assert Quality("lz", ()).preferring("h264").codecs[0] == "h264"


def test_the_menu_sends_at_once_and_greys_out_what_the_server_cannot_take(qt_application) -> None:  # noqa: ANN001
    session, display = session_with_display(frozenset({DisplayCap.PREF_COMPRESSION}))
    remembered: list[Quality] = []
    menu = QualityMenu(lambda: session, remembered.append)
    window = MainWindow("test", 0)
    menu.install(window)
    window.actions_by_name["compression-quic"].trigger()
    assert session.preferred_compression == ImageCompression.QUIC and remembered[-1].compression == "quic"
    assert window.actions_by_name["compression-quic"].isChecked()
    codec = window.actions_by_name["codec-mjpeg"]
    assert not codec.isEnabled() and codec.toolTip() == NO_CODEC_CAP
    display.server_caps = frozenset()
    menu.refresh()
    assert window.actions_by_name["compression-lz"].toolTip() == NO_COMPRESSION_CAP
    window.close()


def test_the_overlay_describes_a_sample_and_paints_it(qt_application) -> None:  # noqa: ANN001
    session, display = session_with_display(frozenset())
    clock = iter([10.0, 11.0, 12.0])
    stats = SessionStats(session, presented=lambda: 0, clock=lambda: next(clock))
    stats.sample()
    display.received["draw_copy"] += 30
    display.stream_frames += 25
    figures = stats.sample()
    assert figures["display_updates_per_s"] == 55.0 and figures["stream_frames_per_s"] == 25.0
    lines = describe(figures)
    assert lines[1].startswith("display: 55.0 updates/s, presented 0.0/s")
    overlay = StatsOverlay(MainWindow("test", 0))
    overlay.show_figures(figures, [Point(10.0 + t, 100.0 * t, 1.0, 25.0, 25.0, 0.5) for t in range(5)])
    picture = overlay.grab()
    assert picture.width() >= 420 and picture.height() > 15 * len(lines)
