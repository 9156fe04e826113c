"""GLRedScreen (OpenGL presentation) against RedScreen and the surface itself, under Xvfb with Mesa (llvmpipe).

Each GL test runs its widgets in a fresh Python process (this file, run as a script with a scenario name) on a
shared Xvfb with QT_QPA_PLATFORM=xcb: QOpenGLWidget needs a real GL context (not the offscreen platform) and a
clean Qt process per test. The child saves what it grabbed (QOpenGLWidget.grabFramebuffer(), QWidget.grab(), and
for the first test the window as the X server has it) as B,G,R arrays; the assertions are made here.
Without Mesa/GL the tests skip, or fail when CI=true.

    python tests/ui/test_gl_screen.py SCENARIO OUTDIR      # one child by hand (DISPLAY must be set)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRect

from spiceview.ui.gl_screen import DirtyRects, plan_tiles
from spiceview_lab.requirements import on_ci, require

REPO = Path(__file__).resolve().parents[2]
NO_GL = 77  # the child's exit status when no OpenGL context can be made

# --------------------------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def display() -> Iterator[object]:
    require("Xvfb", "libgl1-mesa-dri")
    from spiceview_lab.xvfb import XvfbServer

    with XvfbServer(1024, 768) as server:
        yield server


def run_child(display: object, scenario: str, tmp_path: Path, env: dict[str, str] | None = None) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, scenario, str(tmp_path)],
        # The checkout's root on the path: the child imports the lab, which is not installed.
        env={**display.env, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(REPO), **(env or {})},  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    if proc.returncode == NO_GL:
        message = f"no OpenGL under Xvfb (install libgl1-mesa-dri): {proc.stderr.strip()}"
        if on_ci():
            pytest.fail(message)
        pytest.skip(message)
    assert proc.returncode == 0, f"child {scenario} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    with np.load(tmp_path / "out.npz") as data:
        return {key: data[key] for key in data.files}


def assert_same(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    differ = np.argwhere((actual != expected).any(axis=-1))
    assert len(differ) == 0, f"{what}: {len(differ)} pixels differ, first at (y, x) {differ[:5].tolist()}"


def paste(base: np.ndarray, source: np.ndarray, rects: list[tuple[int, int, int, int]]) -> np.ndarray:
    out = base.copy()
    for x, y, w, h in rects:
        out[y : y + h, x : x + w] = source[y : y + h, x : x + w]
    return out


# --- with GL, in a child process ---------------------------------------------------------------------------


@pytest.mark.xvfb
@pytest.mark.parametrize("fmt", ["FMT_32_xRGB", "FMT_32_ARGB"])
def test_one_to_one_is_pixel_exact(display: object, tmp_path: Path, fmt: str) -> None:
    r = run_child(display, f"exact:{fmt}", tmp_path)
    assert_same(r["gl_fb"], r["surface"], "GLRedScreen.grabFramebuffer() vs the surface")
    assert_same(r["gl_grab"], r["surface"], "GLRedScreen.grab() vs the surface")
    assert_same(r["sw_grab"], r["surface"], "RedScreen.grab() vs the surface")
    assert_same(r["gl_x"], r["surface"], "the GL window on the X screen vs the surface")
    assert_same(r["sw_x"], r["surface"], "the software window on the X screen vs the surface")
    assert r["uploads"][1] == 200 * 150  # one full upload, however many frames were painted


@pytest.mark.xvfb
def test_partial_updates_upload_only_invalidated_rectangles(display: object, tmp_path: Path) -> None:
    r = run_child(display, "partial", tmp_path)
    old, after1, after2 = r["old"], r["after1"], r["after2"]
    assert_same(r["fb0"], old, "first frame")
    invalidated = [(10, 10, 30, 20), (35, 12, 20, 25), (150, 100, 40, 40)]
    # The changed but not invalidated rectangle (100, 5, 20, 20) keeps its old pixels: proof that only the
    # invalidated rectangles were uploaded.
    assert_same(r["fb1"], paste(old, after1, invalidated), "after three invalidated rectangles")
    calls, uploaded = r["up1"]
    assert 1 <= calls <= 3 and 30 * 20 + 20 * 25 + 40 * 40 <= uploaded <= 45 * 27 + 40 * 40 + 4096, r["up1"]
    assert_same(r["fb2"], paste(r["fb1"], after2, [(0, 140, 200, 10)]), "after the bottom band")
    assert r["up2"].tolist() == [1, 200 * 10]
    assert_same(r["fb3"], r["fb2"], "a frame without changes")
    assert r["up3"].tolist() == [0, 0]


@pytest.mark.xvfb
def test_zoom_2_makes_each_guest_pixel_a_2x2_block(display: object, tmp_path: Path) -> None:
    r = run_child(display, "zoom:2.0", tmp_path)
    blocks = np.repeat(np.repeat(r["surface"], 2, axis=0), 2, axis=1)
    assert not r["linear"]
    assert_same(r["gl_fb"], blocks, "GL at zoom 2")
    assert_same(r["sw_grab"], blocks, "software at zoom 2")


@pytest.mark.xvfb
def test_zoom_1_5_is_filtered_linearly(display: object, tmp_path: Path) -> None:
    r = run_child(display, "zoom:1.5", tmp_path)
    assert r["linear"]
    assert r["gl_fb"].shape == (120, 150, 3)
    # Bilinear: every shown value lies between the smallest and largest of the guest pixels around it.
    src = r["surface"].astype(int)
    fb = r["gl_fb"].astype(int)
    for y in range(1, 119, 7):
        for x in range(1, 149, 7):
            gx, gy = (x + 0.5) / 1.5 - 0.5, (y + 0.5) / 1.5 - 0.5
            x0, y0 = max(int(np.floor(gx)), 0), max(int(np.floor(gy)), 0)
            around = src[y0 : y0 + 2, x0 : x0 + 2].reshape(-1, 3)
            assert (fb[y, x] >= around.min(axis=0) - 1).all() and (fb[y, x] <= around.max(axis=0) + 1).all()


@pytest.mark.xvfb
def test_surface_area_shows_that_area(display: object, tmp_path: Path) -> None:
    r = run_child(display, "area", tmp_path)
    assert_same(r["gl_fb1"], r["surface1"][50:140, 100:220], "GL area")
    assert_same(r["sw_grab1"], r["surface1"][50:140, 100:220], "software area")
    assert_same(r["gl_fb2"], r["surface2"][50:140, 100:220], "GL area after a change across its corner")
    assert_same(r["sw_grab2"], r["surface2"][50:140, 100:220], "software area after the change")
    # The full first upload (120x90) plus only the part of the change inside the area (40x30).
    assert int(r["uploaded2"]) == 120 * 90 + 40 * 30


@pytest.mark.xvfb
def test_tiled_textures_are_seamless(display: object, tmp_path: Path) -> None:
    r = run_child(display, "tiles", tmp_path)
    assert int(r["tiles"]) == 4 * 3  # 62-pixel steps with a one-texel apron
    assert_same(r["fb1"], r["surface1"], "tiled at 1:1")
    assert_same(r["fb2"], r["surface2"], "tiled after a change across four tiles")
    diff = np.abs(r["linear_tiled"].astype(int) - r["linear_single"].astype(int))
    assert r["linear_tiled"].shape == (225, 300, 3)
    assert diff.max() <= 1, f"linear filtering differs at tile seams by up to {diff.max()}"


@pytest.mark.xvfb
@pytest.mark.parametrize("zoom", [1.0, 2.0])
def test_server_mode_cursor_over_gl(display: object, tmp_path: Path, zoom: float) -> None:
    r = run_child(display, f"cursor:{zoom}", tmp_path)
    z = int(zoom)
    assert r["gl_server"][21 * z, 31 * z].tolist() == [0, 0, 255]
    assert r["gl_server"][10 * z, 10 * z].tolist() == [10, 20, 30]
    assert_same(r["gl_server"], r["sw_server"], "the server-mode cursor, GL vs software")
    assert (r["gl_client"] == [10, 20, 30]).all()
    assert_same(r["gl_client"], r["sw_client"], "client mode, GL vs software")


@pytest.mark.xvfb
def test_new_context_uploads_everything_again(display: object, tmp_path: Path) -> None:
    r = run_child(display, "context", tmp_path)
    assert int(r["inits2"]) > int(r["inits1"]), "moving to another window did not give a new context"
    assert_same(r["fb2"], r["surface2"], "after the new context")


@pytest.mark.xvfb
def test_device_pixel_ratio_2(display: object, tmp_path: Path) -> None:
    r = run_child(display, "dpr", tmp_path, env={"QT_SCALE_FACTOR": "2"})
    assert float(r["dpr"]) == 2.0
    assert not r["linear"]
    blocks = np.repeat(np.repeat(r["surface"], 2, axis=0), 2, axis=1)
    assert_same(r["gl_fb"], blocks, "GL at device pixel ratio 2")
    assert_same(r["sw_grab"], blocks, "software at device pixel ratio 2")


@pytest.mark.xvfb
def test_without_usable_shaders_it_paints_in_software(display: object, tmp_path: Path) -> None:
    r = run_child(display, "fallback", tmp_path)
    assert r["fallback"] and r["warned"]
    assert_same(r["fb"], r["surface"], "the software fallback inside the GL widget")


# --- without GL: the geometry ---------------------------------------------------------------------------------


def rects(dirty: DirtyRects) -> list[tuple[int, int, int, int]]:
    return sorted((r.x(), r.y(), r.width(), r.height()) for r in dirty.rects)


def test_dirty_rects_merge_overlapping_and_adjacent_but_not_distant() -> None:
    dirty = DirtyRects()
    dirty.add(QRect(10, 10, 30, 20))
    dirty.add(QRect(35, 12, 20, 25))  # overlaps: merged
    dirty.add(QRect(55, 10, 10, 27))  # adjacent, same band: merged
    dirty.add(QRect(500, 400, 16, 16))  # far: separate
    dirty.add(QRect(20, 15, 5, 5))  # inside: nothing new
    dirty.add(QRect(0, 0, 0, 10))  # empty: ignored
    assert rects(dirty) == [(10, 10, 55, 27), (500, 400, 16, 16)]
    taken = dirty.take(QRect(0, 0, 510, 410))
    assert sorted((r.x(), r.y(), r.width(), r.height()) for r in taken) == [(10, 10, 55, 27), (500, 400, 10, 10)]
    assert dirty.rects == [] and dirty.take(QRect(0, 0, 10, 10)) == []


def test_dirty_rects_collapse_when_too_many_and_full_wins() -> None:
    dirty = DirtyRects()
    for i in range(DirtyRects.MAX_RECTS + 1):
        dirty.add(QRect(i * 1000, (i % 2) * 1000, 64, 64))
        assert len(dirty.rects) == (i + 1 if i < DirtyRects.MAX_RECTS else 1)
    assert rects(dirty) == [(0, 0, DirtyRects.MAX_RECTS * 1000 + 64, 1064)]
    dirty.mark_full()
    dirty.add(QRect(1, 1, 1, 1))
    assert [(r.x(), r.y(), r.width(), r.height()) for r in dirty.take(QRect(0, 0, 64, 48))] == [(0, 0, 64, 48)]


def test_plan_tiles() -> None:
    assert plan_tiles(QRect(0, 0, 1920, 1080), 16384) == [(QRect(0, 0, 1920, 1080), QRect(0, 0, 1920, 1080))]
    assert plan_tiles(QRect(), 64) == []
    tiles = plan_tiles(QRect(0, 0, 200, 150), 64)
    assert len(tiles) == 12
    covered = np.zeros((150, 200), int)
    for drawn, texels in tiles:
        assert texels.contains(drawn) and texels.width() <= 64 and texels.height() <= 64
        covered[drawn.y() : drawn.bottom() + 1, drawn.x() : drawn.right() + 1] += 1
        # the apron: one texel beyond the drawn part wherever there is a neighbour
        assert texels.x() == max(drawn.x() - 1, 0) and texels.right() == min(drawn.right() + 1, 199)
    assert (covered == 1).all()  # every pixel drawn exactly once
    # 32768 wide (the largest surface) with the common 16384 limit
    assert [d.width() for d, _ in plan_tiles(QRect(0, 0, 32768, 10), 16384)] == [16382, 16382, 4]


# --------------------------------------------------------------------------------------------------------------
# The child: python test_gl_screen.py SCENARIO OUTDIR
# --------------------------------------------------------------------------------------------------------------

if __name__ == "__main__":
    from PySide6.QtGui import QImage, QOffscreenSurface, QOpenGLContext
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    from spiceview.canvas.cursors import CursorShape
    from spiceview.canvas.surface import Surface
    from spiceview.protocol.constants import MouseMode, SurfaceFmt
    from spiceview.ui.gl_screen import GLRedScreen
    from spiceview.ui.red_screen import RedScreen

    def pixels(image: QImage) -> np.ndarray:
        """(H, W, 3) B, G, R of a grabbed image (physical pixels)."""
        image = image.convertToFormat(QImage.Format.Format_RGB32)
        a = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
        return a[:, : image.width(), :3].copy()

    def settle(app: QApplication, widgets: list[QWidget], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            app.processEvents()
            handles = [w.window().windowHandle() for w in widgets]
            if all(h is not None and h.isExposed() for h in handles):
                break
            time.sleep(0.01)
        for _ in range(10):
            app.processEvents()
            time.sleep(0.01)

    def random_surface(width: int, height: int, seed: int, fmt: int = SurfaceFmt.FMT_32_xRGB) -> Surface:
        surface = Surface(0, width, height, fmt, primary=True)
        rng = np.random.default_rng(seed)
        surface.pixels[...] = rng.integers(0, 256, surface.pixels.shape, dtype=np.uint8)
        if surface.has_alpha:  # premultiplied: no colour above its alpha
            surface.pixels[..., :3] = np.minimum(surface.pixels[..., :3], surface.pixels[..., 3:4])
        return surface

    def show(screen: QWidget, surface: Surface, area: QRect | None = None, zoom: float = 1.0, x: int = 0) -> None:
        screen.zoom = zoom  # type: ignore[attr-defined]
        screen.set_surface(surface, area)  # type: ignore[attr-defined]
        screen.resize(screen.sizeHint())
        screen.move(x, 0)
        screen.show()

    def on_screen(app: QApplication, widget: QWidget, timeout: float = 5.0) -> np.ndarray:
        """The widget as the X server shows it, once two captures in a row agree."""
        last = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            app.processEvents()
            now = pixels(widget.screen().grabWindow(widget.winId()).toImage())
            if last is not None and np.array_equal(last, now):
                return now
            last = now
            time.sleep(0.05)
        assert last is not None
        return last

    def change(surface: Surface, rect: tuple[int, int, int, int], seed: int) -> None:
        x, y, w, h = rect
        rng = np.random.default_rng(seed)
        surface.pixels[y : y + h, x : x + w] = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)

    class FakeCursorChannel:
        def __init__(self, shape: CursorShape, position: tuple[int, int]) -> None:
            from PySide6.QtCore import QObject, Signal

            class Signals(QObject):
                shape_changed = Signal()
                moved = Signal()

            self.shape, self.position = shape, position
            self.signals = Signals()
            self.shape_changed = self.signals.shape_changed
            self.moved = self.signals.moved

        def state(self) -> tuple[CursorShape, tuple[int, int], bool]:
            return self.shape, self.position, True

    def scenario_exact(app: QApplication, out: dict, fmt: int) -> None:
        surface = random_surface(200, 150, 1, fmt)
        gl, sw = GLRedScreen(), RedScreen()
        show(gl, surface)
        show(sw, surface, x=300)
        settle(app, [gl, sw])
        out["surface"] = surface.pixels[..., :3].copy()
        out["gl_fb"] = pixels(gl.grabFramebuffer())
        out["gl_grab"] = pixels(gl.grab().toImage())
        out["sw_grab"] = pixels(sw.grab().toImage())
        out["gl_x"] = on_screen(app, gl)
        out["sw_x"] = on_screen(app, sw)
        out["uploads"] = np.array([gl.uploads["calls"], gl.uploads["pixels"]])

    def scenario_partial(app: QApplication, out: dict) -> None:
        surface = random_surface(200, 150, 2)
        gl = GLRedScreen()
        show(gl, surface)
        settle(app, [gl])
        out["fb0"] = pixels(gl.grabFramebuffer())
        out["old"] = surface.pixels[..., :3].copy()
        before = dict(gl.uploads)
        # Frame 1: three invalidated rectangles (two overlap), one changed but NOT invalidated (must stay old).
        invalidated = [(10, 10, 30, 20), (35, 12, 20, 25), (150, 100, 40, 40)]
        for i, rect in enumerate(invalidated):
            change(surface, rect, 10 + i)
        change(surface, (100, 5, 20, 20), 20)
        for rect in invalidated:
            gl.invalidate(*rect)
        out["after1"] = surface.pixels[..., :3].copy()
        out["fb1"] = pixels(gl.grabFramebuffer())
        out["up1"] = np.array([gl.uploads["calls"] - before["calls"], gl.uploads["pixels"] - before["pixels"]])
        # Frame 2: a band along the bottom edge, given in surface coordinates.
        before = dict(gl.uploads)
        change(surface, (0, 140, 200, 10), 30)
        gl.invalidate_surface(0, 140, 200, 150)
        out["after2"] = surface.pixels[..., :3].copy()
        out["fb2"] = pixels(gl.grabFramebuffer())
        out["up2"] = np.array([gl.uploads["calls"] - before["calls"], gl.uploads["pixels"] - before["pixels"]])
        # Frame 3: nothing changed: nothing uploaded.
        before = dict(gl.uploads)
        out["fb3"] = pixels(gl.grabFramebuffer())
        out["up3"] = np.array([gl.uploads["calls"] - before["calls"], gl.uploads["pixels"] - before["pixels"]])

    def scenario_zoom(app: QApplication, out: dict, zoom: float) -> None:
        surface = random_surface(100, 80, 3)
        gl, sw = GLRedScreen(), RedScreen()
        show(gl, surface, zoom=zoom)
        show(sw, surface, zoom=zoom, x=300)
        settle(app, [gl, sw])
        out["surface"] = surface.pixels[..., :3].copy()
        out["gl_fb"] = pixels(gl.grabFramebuffer())
        out["sw_grab"] = pixels(sw.grab().toImage())
        out["linear"] = np.array(gl.uses_linear_filter())

    def scenario_area(app: QApplication, out: dict) -> None:
        surface = random_surface(320, 200, 4)
        area = QRect(100, 50, 120, 90)
        gl, sw = GLRedScreen(), RedScreen()
        show(gl, surface, area)
        show(sw, surface, area, x=300)
        settle(app, [gl, sw])
        out["surface1"] = surface.pixels[..., :3].copy()
        out["gl_fb1"] = pixels(gl.grabFramebuffer())
        out["sw_grab1"] = pixels(sw.grab().toImage())
        # A change straddling the monitor's corner, reported in surface coordinates as the viewer does.
        change(surface, (80, 30, 60, 50), 40)
        change(surface, (0, 0, 90, 40), 41)  # outside the area entirely
        for screen in (gl, sw):
            screen.invalidate_surface(80, 30, 140, 80)
            screen.invalidate_surface(0, 0, 90, 40)
        out["surface2"] = surface.pixels[..., :3].copy()
        out["gl_fb2"] = pixels(gl.grabFramebuffer())
        out["sw_grab2"] = pixels(sw.grab().toImage())
        out["uploaded2"] = np.array(gl.uploads["pixels"])

    def scenario_tiles(app: QApplication, out: dict) -> None:
        surface = random_surface(200, 150, 5)
        tiled, single = GLRedScreen(max_texture_size=64), GLRedScreen()
        show(tiled, surface)
        show(single, surface, x=300)
        settle(app, [tiled, single])
        out["surface1"] = surface.pixels[..., :3].copy()
        out["fb1"] = pixels(tiled.grabFramebuffer())
        out["tiles"] = np.array(len(tiled._gl.tiles) if tiled._gl is not None else 0)
        change(surface, (55, 50, 30, 30), 50)  # across the tile corner at (62, 62)
        tiled.invalidate(55, 50, 30, 30)
        single.invalidate(55, 50, 30, 30)
        out["surface2"] = surface.pixels[..., :3].copy()
        out["fb2"] = pixels(tiled.grabFramebuffer())
        for screen in (tiled, single):
            screen.zoom = 1.5
            screen.resize(screen.sizeHint())
        app.processEvents()
        out["linear_tiled"] = pixels(tiled.grabFramebuffer())
        out["linear_single"] = pixels(single.grabFramebuffer())

    def scenario_cursor(app: QApplication, out: dict, zoom: float) -> None:
        surface = Surface(0, 64, 48, SurfaceFmt.FMT_32_xRGB, primary=True)
        surface.pixels[...] = [10, 20, 30, 255]
        argb = np.zeros((8, 8, 4), np.uint8)
        argb[2:6, 2:6] = [0, 0, 255, 255]  # an opaque red square, premultiplied B,G,R,A
        shape = CursorShape(8, 8, 2, 2, argb, None, None)
        gl, sw = GLRedScreen(), RedScreen()
        for i, screen in enumerate((gl, sw)):
            show(screen, surface, zoom=zoom, x=300 * i)
            screen.set_cursor_channel(FakeCursorChannel(shape, (30, 20)))  # type: ignore[arg-type]
            screen.set_mouse_mode(MouseMode.SERVER)
        settle(app, [gl, sw])
        out["gl_server"] = pixels(gl.grabFramebuffer())
        out["sw_server"] = pixels(sw.grab().toImage())
        for screen in (gl, sw):
            screen.set_mouse_mode(MouseMode.CLIENT)
        out["gl_client"] = pixels(gl.grabFramebuffer())
        out["sw_client"] = pixels(sw.grab().toImage())

    def scenario_context(app: QApplication, out: dict) -> None:
        surface = random_surface(120, 90, 6)
        first = QWidget()
        QVBoxLayout(first).addWidget(gl := GLRedScreen())
        first.layout().setContentsMargins(0, 0, 0, 0)
        gl.set_surface(surface)
        gl.setFixedSize(gl.sizeHint())
        first.show()
        settle(app, [gl])
        out["fb1"] = pixels(gl.grabFramebuffer())
        out["inits1"] = np.array(gl.gl_inits)
        # Pixels change without an invalidate; then the widget moves to another window: a new context must
        # re-upload everything, so the new pixels appear.
        change(surface, (0, 0, 120, 90), 60)
        second = QWidget()
        second.move(300, 0)
        QVBoxLayout(second).addWidget(gl)
        second.layout().setContentsMargins(0, 0, 0, 0)
        second.show()
        first.close()
        first.deleteLater()
        settle(app, [gl])
        out["surface2"] = surface.pixels[..., :3].copy()
        out["fb2"] = pixels(gl.grabFramebuffer())
        out["inits2"] = np.array(gl.gl_inits)

    def scenario_dpr(app: QApplication, out: dict) -> None:
        surface = random_surface(90, 60, 7)
        gl, sw = GLRedScreen(), RedScreen()
        show(gl, surface)
        show(sw, surface, x=300)
        settle(app, [gl, sw])
        out["surface"] = surface.pixels[..., :3].copy()
        out["dpr"] = np.array(gl.devicePixelRatioF())
        out["gl_fb"] = pixels(gl.grabFramebuffer())
        out["sw_grab"] = pixels(sw.grab().toImage())
        out["linear"] = np.array(gl.uses_linear_filter())

    def scenario_fallback(app: QApplication, out: dict) -> None:
        import logging

        from spiceview.ui import gl_screen

        records: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
        logging.getLogger(gl_screen.__name__).addHandler(handler)
        gl_screen._VERTEX_SHADER = "this is not GLSL"  # the shaders cannot be built: QPainter paints instead
        surface = random_surface(120, 90, 8)
        gl = GLRedScreen()
        show(gl, surface)
        settle(app, [gl])
        out["surface"] = surface.pixels[..., :3].copy()
        out["fb"] = pixels(gl.grabFramebuffer())
        out["fallback"] = np.array(gl.software_fallback)
        out["warned"] = np.array(any("painting in software" in r for r in records))

    def gl_available() -> str | None:
        context = QOpenGLContext()
        if not context.create():
            return "cannot create an OpenGL context"
        offscreen = QOffscreenSurface()
        offscreen.create()
        if not context.makeCurrent(offscreen):
            return "cannot make an OpenGL context current"
        renderer = context.functions().glGetString(0x1F01)  # GL_RENDERER
        context.doneCurrent()
        print(json.dumps({"renderer": renderer}))
        return None

    def child(scenario: str, outdir: Path) -> int:
        app = QApplication([sys.argv[0]])
        problem = gl_available()
        if problem is not None:
            print(problem, file=sys.stderr)
            return NO_GL
        name, _, arg = scenario.partition(":")
        scenarios: dict[str, Callable[..., None]] = {
            "exact": lambda out: scenario_exact(app, out, SurfaceFmt[arg]),
            "partial": lambda out: scenario_partial(app, out),
            "zoom": lambda out: scenario_zoom(app, out, float(arg)),
            "area": lambda out: scenario_area(app, out),
            "tiles": lambda out: scenario_tiles(app, out),
            "cursor": lambda out: scenario_cursor(app, out, float(arg)),
            "context": lambda out: scenario_context(app, out),
            "dpr": lambda out: scenario_dpr(app, out),
            "fallback": lambda out: scenario_fallback(app, out),
        }
        out: dict[str, np.ndarray] = {}
        scenarios[name](out)
        np.savez(outdir / "out.npz", **out)
        for widget in app.topLevelWidgets():
            widget.close()
            widget.deleteLater()
        app.processEvents()
        return 0

    sys.exit(child(sys.argv[1], Path(sys.argv[2])))
