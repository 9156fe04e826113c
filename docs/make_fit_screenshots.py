"""Fit mode, old and new software renderer: a real 1920x1080 Xspice desktop shown in a 960x540 window.

    python3 docs/make_fit_screenshots.py    ->  docs/fit-qpainter.png (before), docs/fit-cairo.png (now)

Before, QPainter scaled the picture by sampling one guest pixel in each 2x2 block; now Cairo's GOOD filter averages
them (the box filter a halved picture needs). Also prints each one's error against an exact 2x2 box average.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: the lab is not installed

import numpy as np  # noqa: E402
from PySide6.QtCore import QPoint, QRect  # noqa: E402
from PySide6.QtGui import QImage, QPainter, QRegion  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from spiceview.canvas.png import write_png  # noqa: E402
from spiceview.headless.session import HeadlessSession  # noqa: E402
from spiceview.ui.red_screen import RedScreen  # noqa: E402
from spiceview_lab.scenes import (  # noqa: E402
    make_photo,  # noqa: E402
    show_image,
    show_text,
    standard_scene,
)
from spiceview_lab.xspice import XspiceServer  # noqa: E402

DOCS = Path(__file__).resolve().parent


def rgb(image: QImage) -> np.ndarray:
    h, w = image.height(), image.width()
    return np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine() // 4, 4)[:, :w, 2::-1].copy()


def main() -> None:
    app = QApplication.instance() or QApplication(["docs", "-platform", "offscreen"])
    with XspiceServer(size=(1920, 1080)) as server:
        show_text(server, "Fit mode: 1920x1080 in 960x540.\nSmall text stays readable when averaged.\n", 1000, 40)
        show_image(server, make_photo(640, 480, seed=3), 1100, 420, title="lab-photo")
        standard_scene(server)
        with HeadlessSession(server.uri) as session:
            session.wait_for_frame()
            session.wait_idle()
            surface = session.client.displays()[0].primary
            assert surface is not None
            screen = RedScreen()
            screen.set_surface(surface)
            screen.zoom = 0.5
            screen.resize(960, 540)
            new = QImage(960, 540, QImage.Format.Format_RGB32)
            screen.render(new, QPoint(0, 0), QRegion(screen.rect()))
            old = QImage(960, 540, QImage.Format.Format_RGB32)
            painter = QPainter(old)  # what the renderer did before: QPainter scaling the surface's QImage
            painter.drawImage(QRect(0, 0, 960, 540), screen.display_layer._image)
            painter.end()
            box = surface.rgb_copy().astype(float).reshape(540, 2, 960, 2, 3).mean(axis=(1, 3))
    for name, image in (("qpainter", old), ("cairo", new)):
        pixels = rgb(image)
        write_png(pixels, DOCS / f"fit-{name}.png")
        print(f"fit-{name}.png: mean error against a 2x2 box average {np.abs(pixels - box).mean():.2f}")
    del app


if __name__ == "__main__":
    main()
