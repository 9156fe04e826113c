"""The statistics overlay: what the link and the display do, over the guest's picture (View > Statistics, or
Shift+F12). Figures from channels/stats.py once a second, and graphs of the last minute: bandwidth, frame rates
and round-trip time (a graph is read faster than numbers). It takes no input: clicks go to the guest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from ..channels.stats import HISTORY_S, Point

BACKGROUND = QColor(0, 0, 0, 170)
TEXT = QColor(235, 235, 235)
COLOURS = {"in": QColor(90, 200, 255), "out": QColor(255, 170, 60), "fps": QColor(120, 230, 120)}
COLOURS["shown"] = QColor(230, 230, 90)
COLOURS["rtt"] = QColor(255, 110, 150)
WIDTH, GRAPH_H, MARGIN, LINE_H = 420, 46, 8, 15
GRAPH_BLOCK_H = GRAPH_H + 22  # a graph with its title and gaps


def describe(figures: dict[str, Any]) -> list[str]:
    """The overlay's lines of text for one sample."""
    rtt = figures.get("rtt_ms")
    rtt_text = "-" if rtt is None else f"{rtt:.2f} ms"
    shown = figures.get("presented_per_s")
    shown_text = "-" if shown is None else f"{shown:.1f}"
    lines = [
        f"link: in {figures['kbit_s_in']:,.0f} kbit/s, out {figures['kbit_s_out']:,.0f} kbit/s, "
        f"RTT {rtt_text} (kernel TCP)",
        f"display: {figures['display_updates_per_s']:.1f} updates/s, presented {shown_text}/s, "
        f"late {figures['frames_late']}, dropped {figures['frames_dropped']}",
    ]
    busy = sorted(figures["channels"].items(), key=lambda kv: -kv[1]["kbit_s_in"])[:4]
    lines.append("channels: " + ", ".join(f"{name} {c['kbit_s_in']:,.0f}/{c['kbit_s_out']:,.0f}" for name, c in busy))
    for stream in figures["streams"][:3]:
        lines.append(
            f"stream {stream['id']}: {stream['codec']} {stream['width']}x{stream['height']}, "
            f"{stream['fps']:.1f} fps, {stream['kbit_s']:,.0f} kbit/s"
        )
    if len(figures["streams"]) > 3:
        lines.append(f"... and {len(figures['streams']) - 3} more streams")
    decode = sorted(figures["decode_ms"].items(), key=lambda kv: -kv[1]["count"])[:3]
    if decode:
        lines.append(
            "decode median/p95: " + ", ".join(f"{name} {d['median']:.2f}/{d['p95']:.2f} ms" for name, d in decode)
        )
    audio, cache = figures["audio"], figures["cache"]
    buffer = audio.get("buffer_ms")
    offset = figures.get("lip_sync", {}).get("offset_ms")
    lines.append(
        f"audio buffer {'-' if buffer is None else f'{buffer:.0f} ms'}, "
        f"lip-sync {'-' if offset is None else f'{offset:+.0f} ms'}; cache hits {cache['hits']}, "
        f"pixmaps {cache['pixmap_cache_used_pct']:.0f} %, GLZ window {cache['glz_window_images']} images"
    )
    return lines


class StatsOverlay(QWidget):
    """Sits in the top left corner of its parent (the window's scroll area)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.lines: list[str] = ["statistics: waiting for the first sample"]
        self.history: Sequence[Point] = ()
        self.font_ = QFont("monospace")
        self.font_.setStyleHint(QFont.StyleHint.Monospace)
        self.font_.setPixelSize(12)
        self.hide()

    def show_figures(self, figures: dict[str, Any], history: Sequence[Point]) -> None:
        self.lines = describe(figures)
        self.history = list(history)
        metrics = QFontMetrics(self.font_)
        width = max(WIDTH, *(metrics.horizontalAdvance(line) + 2 * MARGIN for line in self.lines))
        self.setGeometry(MARGIN, MARGIN, width, MARGIN * 2 + LINE_H * len(self.lines) + 3 * GRAPH_BLOCK_H)
        self.raise_()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), BACKGROUND)
        painter.setFont(self.font_)
        painter.setPen(TEXT)
        y = MARGIN + 12
        for line in self.lines:
            painter.drawText(MARGIN, y, line)
            y += LINE_H
        points = self.history
        graphs = (
            (
                "kbit/s in (blue) / out (orange)",
                (("in", [p.kbit_in for p in points]), ("out", [p.kbit_out for p in points])),
            ),
            (
                "updates/s (green) / presented/s (yellow)",
                (("fps", [p.updates for p in points]), ("shown", [p.presented or 0.0 for p in points])),
            ),
            ("RTT ms", (("rtt", [p.rtt_ms or 0.0 for p in points]),)),
        )
        t_end = points[-1].t if points else 0.0
        for title, series in graphs:
            y += 4
            top = max((max(values) for _name, values in series if values), default=0.0)
            painter.setPen(TEXT)
            painter.drawText(MARGIN, y + 10, f"{title}   max {top:,.1f}")
            box = QRectF(MARGIN, y + 14, self.width() - 2 * MARGIN, GRAPH_H)
            painter.setPen(QPen(QColor(255, 255, 255, 60)))
            painter.drawRect(box)
            for name, values in series:
                self._plot(painter, box, [p.t for p in points], values, t_end, top, COLOURS[name])
            y += GRAPH_BLOCK_H - 4
        painter.end()

    @staticmethod
    def _plot(
        painter: QPainter,
        box: QRectF,
        times: list[float],
        values: list[float],
        t_end: float,
        top: float,
        colour: QColor,
    ) -> None:
        if len(values) < 2 or top <= 0:
            return
        line = QPolygonF(
            [
                QPointF(
                    box.right() - (t_end - t) / HISTORY_S * box.width(),
                    box.bottom() - min(1.0, v / top) * (box.height() - 2) - 1,
                )
                for t, v in zip(times, values, strict=True)
            ]
        )
        painter.setPen(QPen(colour, 1.5))
        painter.drawPolyline(line)
