"""GLRedScreen: a guest monitor presented through OpenGL (textures of the surface, updated where it changed).

The surface stays the single copy of the guest's pixels (numpy B,G,R,X memory drawn into by the channel thread);
this widget keeps a texture of the part it shows and, in paintGL, uploads only the rectangles passed to
`invalidate` since the last frame (glTexSubImage2D straight from the surface memory, GL_BGRA, the surface stride
given as GL_UNPACK_ROW_LENGTH, under `surface.lock`). Every frame then draws one textured quad per texture, scaled
by the zoom and the device pixel ratio, and QPainter draws the other layers (the server-mode cursor) on top.

- Filtering: GL_NEAREST when the zoom (or zoom x device pixel ratio) is a whole number, so 1:1 is pixel exact and
  zoom 2 makes each guest pixel a 2x2 block; GL_LINEAR otherwise.
- Surfaces wider or taller than GL_MAX_TEXTURE_SIZE are tiled: several textures, each with a one-texel apron copied
  from its neighbours so that linear filtering shows no seams.
- A new GL context (the widget moved to another window, a lost context) re-creates every GL object and re-uploads
  everything. If the shaders cannot be built, the widget logs it once and paints in software (QPainter) instead.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QOpenGLContext, QOpenGLFunctions, QPainter
from PySide6.QtOpenGL import (
    QOpenGLBuffer,
    QOpenGLShader,
    QOpenGLShaderProgram,
    QOpenGLTexture,
    QOpenGLVertexArrayObject,
)
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import QWidget

from ..canvas.surface import Surface
from .cursor_layer import CursorLayer
from .red_screen import ScreenMixin

log = logging.getLogger(__name__)

# OpenGL enums (PySide6 does not export them).
GL_TEXTURE_2D = 0x0DE1
GL_UNSIGNED_BYTE = 0x1401
GL_FLOAT = 0x1406
GL_BGRA = 0x80E1  # GL_BGRA_EXT on GLES has the same value
GL_TRIANGLE_STRIP = 0x0005
GL_COLOR_BUFFER_BIT = 0x4000
GL_BLEND = 0x0BE2
GL_SCISSOR_TEST = 0x0C11
GL_DEPTH_TEST = 0x0B71
GL_MAX_TEXTURE_SIZE = 0x0D33
GL_UNPACK_ROW_LENGTH = 0x0CF2
GL_UNPACK_SKIP_ROWS = 0x0CF3
GL_UNPACK_SKIP_PIXELS = 0x0CF4
GL_UNPACK_ALIGNMENT = 0x0CF5
GL_TEXTURE0 = 0x84C0

_VERTEX_SHADER = """
attribute highp vec2 a_corner;   // the unit square: (0,0) (1,0) (0,1) (1,1)
uniform highp vec4 u_dest;       // x, y, width, height of the quad in framebuffer pixels, y down
uniform highp vec4 u_source;     // s, t, width, height of the drawn texels in texture coordinates
uniform highp vec2 u_viewport;   // framebuffer size in pixels
varying highp vec2 v_tex;
void main() {
    highp vec2 p = u_dest.xy + a_corner * u_dest.zw;
    gl_Position = vec4(p.x * 2.0 / u_viewport.x - 1.0, 1.0 - p.y * 2.0 / u_viewport.y, 0.0, 1.0);
    v_tex = u_source.xy + a_corner * u_source.zw;
}
"""

_FRAGMENT_SHADER = """
#ifdef GL_ES
#ifdef GL_FRAGMENT_PRECISION_HIGH
precision highp float;
#else
precision mediump float;
#endif
#endif
uniform sampler2D u_texture;
uniform bool u_swap_rb;          // the texture holds B,G,R,X bytes uploaded as RGBA (GLES without BGRA)
varying vec2 v_tex;
void main() {
    vec4 c = texture2D(u_texture, v_tex);
    // X of xRGB is not alpha; ARGB surfaces are premultiplied and shown over black: the colour is what shows.
    gl_FragColor = vec4(u_swap_rb ? c.bgr : c.rgb, 1.0);
}
"""

_UNIFORMS = ("u_dest", "u_source", "u_viewport", "u_texture", "u_swap_rb")
_UNIT_SQUARE = struct.pack("8f", 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0)


# --- pure geometry: what to upload, how to tile ------------------------------------------------------------


def _area(rect: QRect) -> int:
    return rect.width() * rect.height() if not rect.isEmpty() else 0


class DirtyRects:
    """The changed rectangles since the last upload, merged so that few uploads cover them.

    Two rectangles are merged when their bounding box wastes (uploads unchanged) at most a quarter of their pixels
    or `SLACK` pixels (less than a call's overhead); more than `MAX_RECTS` collapse into their bounding box.
    """

    MAX_RECTS = 16
    SLACK = 4096

    def __init__(self) -> None:
        self.rects: list[QRect] = []
        self.full = False

    def add(self, rect: QRect) -> None:
        if self.full or rect.isEmpty():
            return
        rect = QRect(rect)
        merged = True
        while merged:
            merged = False
            for i, other in enumerate(self.rects):
                union = rect.united(other)
                covered = _area(rect) + _area(other) - _area(rect.intersected(other))
                if _area(union) - covered <= max(self.SLACK, covered // 4):
                    del self.rects[i]
                    rect = union
                    merged = True
                    break
        self.rects.append(rect)
        if len(self.rects) > self.MAX_RECTS:
            bounding = QRect()
            for r in self.rects:
                bounding = bounding.united(r)
            self.rects = [bounding]

    def mark_full(self) -> None:
        self.full = True
        self.rects = []

    def take(self, bounds: QRect) -> list[QRect]:
        """The rectangles to upload (clipped to `bounds`), and start afresh."""
        if self.full:
            rects = [QRect(bounds)]
        else:
            rects = [r.intersected(bounds) for r in self.rects]
        self.rects = []
        self.full = False
        return [r for r in rects if not r.isEmpty()]


def _spans(start: int, length: int, max_size: int) -> list[tuple[int, int, int, int]]:
    """Split [start, start+length) into drawn spans of at most max_size-2 with a one-pixel apron each side:
    (drawn start, drawn length, texel start, texel length)."""
    if length <= max_size:
        return [(start, length, start, length)]
    step = max_size - 2
    end = start + length
    spans = []
    pos = start
    while pos < end:
        n = min(step, end - pos)
        t0, t1 = max(start, pos - 1), min(end, pos + n + 1)
        spans.append((pos, n, t0, t1 - t0))
        pos += n
    return spans


def plan_tiles(shown: QRect, max_size: int) -> list[tuple[QRect, QRect]]:
    """Textures that show `shown`: (the rectangle a texture draws, the rectangle of texels it holds) per texture.

    One texture when `shown` fits in max_size x max_size; otherwise a grid whose textures overlap by one texel
    (the apron), so that linear filtering at a tile's edge reads its neighbour's pixels as a single texture would.
    """
    if shown.isEmpty():
        return []
    if max_size < 3:
        raise ValueError(f"texture size limit {max_size} is too small to tile")
    tiles = []
    for y, h, ty, th in _spans(shown.y(), shown.height(), max_size):
        for x, w, tx, tw in _spans(shown.x(), shown.width(), max_size):
            tiles.append((QRect(x, y, w, h), QRect(tx, ty, tw, th)))
    return tiles


@dataclass
class _Tile:
    drawn: QRect  # monitor (guest) coordinates
    texels: QRect  # monitor coordinates of the texture's texels
    texture: QOpenGLTexture | None = None
    linear: bool | None = None


# --- the widget ----------------------------------------------------------------------------------------------


class GLRedScreen(ScreenMixin, QOpenGLWidget):
    """A guest monitor presented through OpenGL; same interface and behaviour as RedScreen.

    `max_texture_size` (None: the driver's GL_MAX_TEXTURE_SIZE) caps the tile size; tests lower it to exercise
    tiling. `uploads` counts the pixels and calls sent to GL (for tests and benchmarks).
    """

    def __init__(self, parent: QWidget | None = None, max_texture_size: int | None = None) -> None:
        QOpenGLWidget.__init__(self, parent)
        self._init_screen()
        self.max_texture_size = max_texture_size
        self._dirty = DirtyRects()
        self._tiles: list[_Tile] = []
        self._layout: tuple[object, ...] | None = None  # what the tiles were made for
        self._program: QOpenGLShaderProgram | None = None
        self._uniforms: dict[str, int] = {}
        self._vbo: QOpenGLBuffer | None = None
        self._vao: QOpenGLVertexArrayObject | None = None
        self._context: QOpenGLContext | None = None
        self._gl_limit = 0
        self._bgra = True  # GL_BGRA uploads (else RGBA uploads and a swizzle in the shader)
        self._row_length = True  # GL_UNPACK_ROW_LENGTH (else rows are copied to a packed buffer first)
        self.software_fallback = False
        self.gl_inits = 0  # how many times GL objects were (re)made: once per context
        self.uploads = {"calls": 0, "pixels": 0}

    # --- what is shown: feed the texture logic, then the mixin --------------------------------------------

    def set_surface(self, surface: Surface | None, area: QRect | None = None) -> None:
        super().set_surface(surface, area)
        # The same surface and area keep their textures (made again in paintGL otherwise); either way the
        # content may have changed without an invalidate: upload all of it once.
        self._dirty.mark_full()

    def invalidate(self, x: int, y: int, w: int, h: int) -> None:
        self._dirty.add(QRect(x, y, w, h))
        super().invalidate(x, y, w, h)

    # --- GL objects ------------------------------------------------------------------------------------------

    def initializeGL(self) -> None:  # noqa: N802 - Qt API
        """Called for every new context (first show, another top-level window, a context lost and re-made)."""
        self._drop_gl_objects()  # objects of an earlier context are gone with it
        context = self.context()
        self._context = context
        context.aboutToBeDestroyed.connect(self._context_going, Qt.ConnectionType.DirectConnection)
        self.gl_inits += 1
        self._dirty.mark_full()
        self._layout = None
        self.software_fallback = False
        f = context.functions()
        self._gl_limit = int(f.glGetIntegerv(GL_MAX_TEXTURE_SIZE) or 0)
        es = context.isOpenGLES()
        self._bgra = not es or context.hasExtension(b"GL_EXT_texture_format_BGRA8888")
        self._row_length = (
            not es or context.format().majorVersion() >= 3 or context.hasExtension(b"GL_EXT_unpack_subimage")
        )
        problem = self._build_program()
        if problem is None and self._gl_limit < 64:
            problem = f"GL_MAX_TEXTURE_SIZE is {self._gl_limit}"
        if problem is not None:
            log.warning("OpenGL presentation unavailable (%s): painting in software", problem)
            self._drop_gl_objects()
            self.software_fallback = True

    def _build_program(self) -> str | None:
        program = QOpenGLShaderProgram()
        if not program.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Vertex, _VERTEX_SHADER):
            return f"vertex shader: {program.log()}"
        if not program.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Fragment, _FRAGMENT_SHADER):
            return f"fragment shader: {program.log()}"
        program.bindAttributeLocation("a_corner", 0)
        if not program.link():
            return f"shader link: {program.log()}"
        self._program = program
        # Locations, not names: PySide6 6.11 rejects bytes names in setUniformValue.
        self._uniforms = {name: program.uniformLocation(name) for name in _UNIFORMS}
        vao = QOpenGLVertexArrayObject()
        self._vao = vao if vao.create() else None  # needed by core profiles, optional in 2.1 / GLES2
        if self._vao is not None:
            self._vao.bind()
        vbo = QOpenGLBuffer(QOpenGLBuffer.Type.VertexBuffer)
        if not vbo.create():
            return "cannot create a vertex buffer"
        vbo.bind()
        vbo.allocate(_UNIT_SQUARE, len(_UNIT_SQUARE))
        program.bind()
        program.enableAttributeArray(0)
        program.setAttributeBuffer(0, GL_FLOAT, 0, 2, 0)
        program.release()
        vbo.release()
        if self._vao is not None:
            self._vao.release()
        self._vbo = vbo
        return None

    def _context_going(self) -> None:
        """The context is about to be destroyed: free our GL objects while it can still be made current."""
        if self._context is None:
            return
        self.makeCurrent()
        self._drop_gl_objects()
        self.doneCurrent()
        self._context = None

    def _drop_gl_objects(self) -> None:
        current = QOpenGLContext.currentContext() is not None
        for tile in self._tiles:
            if tile.texture is not None and current:
                tile.texture.destroy()
        self._tiles = []
        self._layout = None
        if self._vbo is not None and current:
            self._vbo.destroy()
        if self._vao is not None and current:
            self._vao.destroy()
        self._vbo = self._vao = None
        self._program = None  # QOpenGLShaderProgram frees its program with its context

    def texture_limit(self) -> int:
        """The tile size in use: the driver's limit, lowered by `max_texture_size`."""
        limit = self._gl_limit or 16384
        return min(limit, self.max_texture_size) if self.max_texture_size else limit

    # --- textures ------------------------------------------------------------------------------------------

    def _shown(self) -> QRect:
        """The part of the monitor backed by surface pixels, in monitor coordinates (empty: nothing to show)."""
        layer = self.display_layer
        surface = layer.surface
        if surface is None or surface.is_alpha_only:  # alpha-only surfaces show black, as in RedScreen
            return QRect()
        bounds = QRect(0, 0, surface.width, surface.height).intersected(layer.area)
        return bounds.translated(-layer.area.topLeft())

    def _sync_textures(self, f: QOpenGLFunctions) -> None:
        """Make the textures match the surface and area, then upload what changed (under the surface lock)."""
        layer = self.display_layer
        shown = self._shown()
        limit = self.texture_limit()
        layout = (layer.surface, QRect(layer.area), shown, limit)  # the surface compares by identity
        if layout != self._layout:
            for tile in self._tiles:
                if tile.texture is not None:
                    tile.texture.destroy()
            self._tiles = [_Tile(drawn, texels) for drawn, texels in plan_tiles(shown, limit)]
            for tile in self._tiles:
                tile.texture = self._make_texture(tile.texels.width(), tile.texels.height())
            self._layout = layout
            self._dirty.mark_full()
            if len(self._tiles) > 1:
                log.info(
                    "surface area %dx%d shown as %d textures (limit %d)",
                    shown.width(),
                    shown.height(),
                    len(self._tiles),
                    limit,
                )
        rects = self._dirty.take(shown)
        surface = layer.surface
        if not rects or surface is None:
            return
        origin = layer.area.topLeft()
        f.glPixelStorei(GL_UNPACK_ALIGNMENT, 4)
        if self._row_length:
            f.glPixelStorei(GL_UNPACK_ROW_LENGTH, surface.stride // 4)  # pixels per row of the surface
        fmt = GL_BGRA if self._bgra else 0x1908  # GL_RGBA
        with surface.lock:
            storage = surface.storage
            stride = surface.stride
            # PySide6 takes the pixel pointer as a buffer: a flat view that starts at the rectangle's first pixel
            # (the rows after it are found through GL_UNPACK_ROW_LENGTH). No copy unless GL cannot skip rows.
            flat = storage.reshape(-1) if self._row_length and storage.flags.c_contiguous else None
            for rect in rects:
                for tile in self._tiles:
                    part = rect.intersected(tile.texels)
                    if part.isEmpty() or tile.texture is None:
                        continue
                    sx, sy = part.x() + origin.x(), part.y() + origin.y()  # surface coordinates
                    if flat is not None:
                        pixels = flat[sy * stride + sx * 4 :]
                    else:
                        pixels = np.ascontiguousarray(storage[sy : sy + part.height(), sx : sx + part.width()])
                    tile.texture.bind()
                    f.glTexSubImage2D(
                        GL_TEXTURE_2D,
                        0,
                        part.x() - tile.texels.x(),
                        part.y() - tile.texels.y(),
                        part.width(),
                        part.height(),
                        fmt,
                        GL_UNSIGNED_BYTE,
                        pixels,
                    )
                    self.uploads["calls"] += 1
                    self.uploads["pixels"] += _area(part)
        if self._row_length:
            f.glPixelStorei(GL_UNPACK_ROW_LENGTH, 0)  # QPainter's GL engine expects the defaults

    def _make_texture(self, width: int, height: int) -> QOpenGLTexture:
        texture = QOpenGLTexture(QOpenGLTexture.Target.Target2D)
        texture.setAutoMipMapGenerationEnabled(False)
        texture.setMipLevels(1)
        if self._bgra and self.context().isOpenGLES():
            texture.setFormat(QOpenGLTexture.TextureFormat.BGRA_UNorm)  # EXT_texture_format_BGRA8888
        else:
            texture.setFormat(QOpenGLTexture.TextureFormat.RGBA8_UNorm)
        texture.setSize(width, height)
        texture.setWrapMode(QOpenGLTexture.WrapMode.ClampToEdge)
        texture.setMinMagFilters(QOpenGLTexture.Filter.Nearest, QOpenGLTexture.Filter.Nearest)
        pixel_format = QOpenGLTexture.PixelFormat.BGRA if self._bgra else QOpenGLTexture.PixelFormat.RGBA
        texture.allocateStorage(pixel_format, QOpenGLTexture.PixelType.UInt8)
        return texture

    # --- painting --------------------------------------------------------------------------------------------

    def device_scale(self) -> float:
        """Framebuffer pixels per guest pixel."""
        return self.zoom * self.devicePixelRatioF()

    def uses_linear_filter(self) -> bool:
        """GL_NEAREST when a guest pixel is a whole number of logical or framebuffer pixels, else GL_LINEAR."""
        return not (_whole(self.zoom) or _whole(self.device_scale()))

    def paintGL(self) -> None:  # noqa: N802 - Qt API
        if self.software_fallback or self._program is None:
            self._paint_software()
            return
        context = QOpenGLContext.currentContext()
        if context is None or not context.isValid():
            return
        f = context.functions()
        dpr = self.devicePixelRatioF()
        fb_w, fb_h = round(self.width() * dpr), round(self.height() * dpr)
        if fb_w <= 0 or fb_h <= 0:
            return
        f.glViewport(0, 0, fb_w, fb_h)
        f.glDisable(GL_BLEND)
        f.glDisable(GL_SCISSOR_TEST)
        f.glDisable(GL_DEPTH_TEST)
        f.glClearColor(0.0, 0.0, 0.0, 1.0)
        f.glClear(GL_COLOR_BUFFER_BIT)
        f.glActiveTexture(GL_TEXTURE0)
        self._sync_textures(f)
        if self._tiles:
            self._draw_tiles(fb_w, fb_h)
        self._paint_overlays()

    def _draw_tiles(self, fb_w: int, fb_h: int) -> None:
        program, vbo = self._program, self._vbo
        assert program is not None and vbo is not None
        scale = self.device_scale()
        linear = self.uses_linear_filter()
        program.bind()
        if self._vao is not None:
            self._vao.bind()
        else:
            vbo.bind()
            program.enableAttributeArray(0)
            program.setAttributeBuffer(0, GL_FLOAT, 0, 2, 0)
        u = self._uniforms
        program.setUniformValue(u["u_viewport"], float(fb_w), float(fb_h))
        program.setUniformValue1i(u["u_texture"], 0)
        program.setUniformValue1i(u["u_swap_rb"], 0 if self._bgra else 1)
        f = QOpenGLContext.currentContext().functions()
        for tile in self._tiles:
            texture = tile.texture
            if texture is None:
                continue
            texture.bind()
            if tile.linear != linear:
                filt = QOpenGLTexture.Filter.Linear if linear else QOpenGLTexture.Filter.Nearest
                texture.setMinMagFilters(filt, filt)
                tile.linear = linear
            d, t = tile.drawn, tile.texels
            program.setUniformValue(u["u_dest"], d.x() * scale, d.y() * scale, d.width() * scale, d.height() * scale)
            tw, th = t.width(), t.height()
            program.setUniformValue(
                u["u_source"], (d.x() - t.x()) / tw, (d.y() - t.y()) / th, d.width() / tw, d.height() / th
            )
            f.glDrawArrays(GL_TRIANGLE_STRIP, 0, 4)
            texture.release()
        if self._vao is not None:
            self._vao.release()
        else:
            program.disableAttributeArray(0)
            vbo.release()
        program.release()

    def _overlays(self) -> list:
        return [layer for layer in self.layers if layer is not self.display_layer]

    def _paint_overlays(self) -> None:
        """The layers above the display (the server-mode cursor), drawn by QPainter over the GL picture."""
        overlays = [
            layer
            for layer in self._overlays()
            if not isinstance(layer, CursorLayer) or (layer.visible and layer.image is not None)
        ]
        if not overlays:
            return
        painter = QPainter(self)
        if self.zoom != 1.0:
            painter.scale(self.zoom, self.zoom)
        guest = QRect(0, 0, self.guest_size.width(), self.guest_size.height())
        for layer in overlays:
            layer.paint(painter, guest)
        painter.end()

    def _paint_software(self) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0))
        self.paint_layers(painter, self.rect())
        painter.end()


def _whole(value: float) -> bool:
    return value > 0 and abs(value - round(value)) < 1e-9
