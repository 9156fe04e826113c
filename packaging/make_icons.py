"""The PNG icons at the sizes desktops look for, drawn from spiceview/data/spiceview.svg with Qt's SVG renderer.

python3 packaging/make_icons.py     (writes spiceview/data/icons/NNxNN.png; commit them)
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
DATA = Path(__file__).resolve().parents[1] / "spiceview" / "data"


def main() -> None:
    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0], "-platform", "offscreen"])
    renderer = QSvgRenderer(str(DATA / "spiceview.svg"))
    out = DATA / "icons"
    out.mkdir(exist_ok=True)
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(out / f"{size}x{size}.png"))
    del app


if __name__ == "__main__":
    main()
