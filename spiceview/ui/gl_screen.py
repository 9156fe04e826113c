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
import shiboken6
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QOffscreenSurface, QOpenGLContext, QOpenGLFunctions, QPainter
from PySide6.QtOpenGL import (
    QOpenGLBuffer,
    QOpenGLShader,
    QOpenGLShaderProgram,
    QOpenGLTexture,
    QOpenGLVertexArrayObject,
)
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import QWidget

from ..canvas.dirty import DirtyBoxes
from ..canvas.surface import Surface
from .cursor_layer import CursorLayer
from .red_screen import ScreenMixin

log = logging.getLogger(__name__)

# OpenGL enums (PySide6 does not export them).
GL_TEXTURE_2D = 0x0DE1
GL_UNSIGNED_BYTE = 0x1401
GL_FLOAT = 0x1406
GL_BGRA = 0x80E1  # GL_BGRA_EXT on GLES has the same value
GL_RGBA = 0x1908
GL_TRIANGLE_STRIP = 0x0005
GL_COLOR_BUFFER_BIT = 0x4000
GL_BLEND = 0x0BE2
GL_SCISSOR_TEST = 0x0C11
GL_DEPTH_TEST = 0x0B71
GL_MAX_TEXTURE_SIZE = 0x0D33
GL_UNPACK_ROW_LENGTH = 0x0CF2
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


class DirtyRects:
    """The changed rectangles since the last upload (canvas.dirty.DirtyBoxes with QRects)."""

    MAX_RECTS = DirtyBoxes.MAX_BOXES

    def __init__(self) -> None:
        self._boxes = DirtyBoxes()

    @property
    def rects(self) -> list[QRect]:
        return [QRect(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in self._boxes.boxes]

    def add(self, rect: QRect) -> None:
        self._boxes.add((rect.x(), rect.y(), rect.x() + rect.width(), rect.y() + rect.height()))

    def mark_full(self) -> None:
        self._boxes.mark_full()

    def take(self, bounds: QRect) -> list[QRect]:
        """The rectangles to upload (clipped to `bounds`), and start afresh."""
        box = (bounds.x(), bounds.y(), bounds.x() + bounds.width(), bounds.y() + bounds.height())
        return [QRect(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in self._boxes.take(box)]


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
    texture: QOpenGLTexture
    linear: bool | None = None


class _GLObjects:
    """The GL objects of one context: shader program, unit-square buffer, the textures of the shown surface.

    A plain Python object (not the widget) listens to the context's aboutToBeDestroyed: while a QOpenGLWidget is
    being deleted its Python wrapper is already dead, but this can still make the context current (on its own
    offscreen surface) and free the textures, so nothing leaks into the window's shared context group.
    """

    def __init__(self, context: QOpenGLContext) -> None:
        self.context = context
        self.offscreen = QOffscreenSurface()
        self.offscreen.setFormat(context.format())
        self.offscreen.create()
        self.program: QOpenGLShaderProgram | None = None
        self.uniforms: dict[str, int] = {}
        self.vbo: QOpenGLBuffer | None = None
        self.vao: QOpenGLVertexArrayObject | None = None
        self.tiles: list[_Tile] = []
        self.layout: tuple[object, ...] | None = None  # what the tiles were made for
        f = context.functions()
        self.max_texture_size = int(f.glGetIntegerv(GL_MAX_TEXTURE_SIZE) or 0)
        es = context.isOpenGLES()
        self.bgra = not es or context.hasExtension(b"GL_EXT_texture_format_BGRA8888")  # else RGBA + swizzle
        self.row_length = (  # else each rectangle is first copied to a packed buffer
            not es or context.format().majorVersion() >= 3 or context.hasExtension(b"GL_EXT_unpack_subimage")
        )
        self.context_address = shiboken6.getCppPointer(context)[0]
        context.aboutToBeDestroyed.connect(lambda: self.release(going=True), Qt.ConnectionType.DirectConnection)

    def build(self) -> str | None:
        """Compile and link the shaders and fill the vertex buffer; None, or what went wrong."""
        program = QOpenGLShaderProgram()
        if not program.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Vertex, _VERTEX_SHADER):
            return f"vertex shader: {program.log()}"
        if not program.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Fragment, _FRAGMENT_SHADER):
            return f"fragment shader: {program.log()}"
        program.bindAttributeLocation("a_corner", 0)
        if not program.link():
            return f"shader link: {program.log()}"
        if self.max_texture_size < 64:
            return f"GL_MAX_TEXTURE_SIZE is {self.max_texture_size}"
        self.program = program
        # Locations, not names: PySide6 6.11 rejects bytes names in setUniformValue.
        self.uniforms = {name: program.uniformLocation(name) for name in _UNIFORMS}
        vao = QOpenGLVertexArrayObject()
        self.vao = vao if vao.create() else None  # needed by core profiles, optional in 2.1 / GLES2
        if self.vao is not None:
            self.vao.bind()
        vbo = QOpenGLBuffer(QOpenGLBuffer.Type.VertexBuffer)
        if not vbo.create():
            return "cannot create a vertex buffer"
        self.vbo = vbo
        vbo.bind()
        vbo.allocate(_UNIT_SQUARE, len(_UNIT_SQUARE))
        program.bind()
        program.enableAttributeArray(0)
        program.setAttributeBuffer(0, GL_FLOAT, 0, 2, 0)
        program.release()
        vbo.release()
        if self.vao is not None:
            self.vao.release()
        return None

    def make_texture(self, width: int, height: int) -> QOpenGLTexture:
        texture = QOpenGLTexture(QOpenGLTexture.Target.Target2D)
        texture.setAutoMipMapGenerationEnabled(False)
        texture.setMipLevels(1)
        if self.bgra and self.context.isOpenGLES():
            texture.setFormat(QOpenGLTexture.TextureFormat.BGRA_UNorm)  # EXT_texture_format_BGRA8888
        else:
            texture.setFormat(QOpenGLTexture.TextureFormat.RGBA8_UNorm)
        texture.setSize(width, height)
        texture.setWrapMode(QOpenGLTexture.WrapMode.ClampToEdge)
        texture.setMinMagFilters(QOpenGLTexture.Filter.Nearest, QOpenGLTexture.Filter.Nearest)
        pixel_format = QOpenGLTexture.PixelFormat.BGRA if self.bgra else QOpenGLTexture.PixelFormat.RGBA
        texture.allocateStorage(pixel_format, QOpenGLTexture.PixelType.UInt8)
        return texture

    def drop_textures(self) -> None:
        """Free the textures (the context must be current)."""
        for tile in self.tiles:
            if shiboken6.isValid(tile.texture):
                tile.texture.destroy()
        self.tiles = []
        self.layout = None

    def release(self, going: bool = False) -> None:
        """Free everything. `going`: called from aboutToBeDestroyed, the context is still alive (even if its
        Python wrapper died with the widget being deleted: it is wrapped again from its address)."""
        if self.program is None and not self.tiles and self.vbo is None:
            return
        context: QOpenGLContext | None = self.context if shiboken6.isValid(self.context) else None
        if context is None and going:
            context = shiboken6.wrapInstance(self.context_address, QOpenGLContext)  # not owned: never deleted here
        made_current = current = False
        try:
            if context is not None and QOpenGLContext.currentContext() is not context:
                made_current = context.makeCurrent(self.offscreen)
            current = context is not None and QOpenGLContext.currentContext() is context
        except RuntimeError:  # at interpreter exit, wrappers die in any order
            pass
        if current:
            self.drop_textures()
            for thing in (self.vbo, self.vao):  # a VAO may have freed itself already (it watches the context too)
                if thing is not None and shiboken6.isValid(thing):
                    thing.destroy()
        else:  # no GL calls without the context: let the wrappers go without running their destructors
            for tile in self.tiles:
                if shiboken6.isValid(tile.texture):
                    shiboken6.invalidate(tile.texture)
            self.tiles = []
        self.vbo = self.vao = None
        self.program = None
        if made_current and context is not None:
            context.doneCurrent()


# --- the widget ----------------------------------------------------------------------------------------------


class GLRedScreen(ScreenMixin, QOpenGLWidget):
    """A guest monitor presented through OpenGL; same interface and behaviour as RedScreen.

    `max_texture_size` (None: the driver's GL_MAX_TEXTURE_SIZE) caps the tile size; tests lower it to exercise
    tiling. `uploads` counts the calls and pixels sent to GL, `gl_inits` the contexts seen (for tests and
    benchmarks). `software_fallback` is True when GL could not be set up and QPainter paints instead.
    """

    def __init__(self, parent: QWidget | None = None, max_texture_size: int | None = None) -> None:
        QOpenGLWidget.__init__(self, parent)
        self._init_screen()
        self.max_texture_size = max_texture_size
        self._dirty = DirtyRects()
        self._gl: _GLObjects | None = None
        self.software_fallback = False
        self.gl_inits = 0
        self.uploads = {"calls": 0, "pixels": 0}

    # --- what is shown: feed the texture logic, then the mixin --------------------------------------------

    def set_surface(self, surface: Surface | None, area: QRect | None = None) -> None:
        super().set_surface(surface, area)
        # A new surface or area gets new textures in paintGL; the same one keeps them. Either way the content
        # may have changed without an invalidate: upload all of it once.
        self._dirty.mark_full()

    def invalidate(self, x: int, y: int, w: int, h: int) -> None:
        self._dirty.add(QRect(x, y, w, h))
        super().invalidate(x, y, w, h)

    # --- GL objects ------------------------------------------------------------------------------------------

    def initializeGL(self) -> None:  # noqa: N802 - Qt API
        """Called for every new context (first show, another top-level window, a context lost and re-made)."""
        if self._gl is not None:
            self._gl.release()  # objects of an earlier context (normally freed already when it went)
        self._gl = _GLObjects(self.context())
        self.gl_inits += 1
        self._dirty.mark_full()
        problem = self._gl.build()
        self.software_fallback = problem is not None
        if problem is not None:
            log.warning("OpenGL presentation unavailable (%s): painting in software", problem)
            self._gl.release()
            self._gl = None
        else:
            log.info("OpenGL presentation ready (textures up to %d pixels)", self.texture_limit())

    def texture_limit(self) -> int:
        """The tile size in use: the driver's GL_MAX_TEXTURE_SIZE, lowered by `max_texture_size`."""
        limit = (self._gl.max_texture_size if self._gl is not None else 0) or 16384
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

    def _sync_textures(self, gl: _GLObjects, f: QOpenGLFunctions) -> None:
        """Make the textures match the surface and area, then upload what changed (under the surface lock)."""
        layer = self.display_layer
        shown = self._shown()
        limit = self.texture_limit()
        # id(): holding the surface here would keep a replaced one alive. A new surface at a recycled address with
        # the same size may keep the textures, which is right: set_surface() asked for a full upload anyway.
        layout = (id(layer.surface), QRect(layer.area), shown, limit)
        if layout != gl.layout:
            gl.drop_textures()
            gl.tiles = [
                _Tile(drawn, texels, gl.make_texture(texels.width(), texels.height()))
                for drawn, texels in plan_tiles(shown, limit)
            ]
            gl.layout = layout
            self._dirty.mark_full()
            if len(gl.tiles) > 1:
                log.info("%dx%d shown as %d textures (limit %d)", shown.width(), shown.height(), len(gl.tiles), limit)
        rects = self._dirty.take(shown)
        surface = layer.surface
        if not rects or surface is None:
            return
        origin = layer.area.topLeft()
        f.glPixelStorei(GL_UNPACK_ALIGNMENT, 4)
        if gl.row_length:
            f.glPixelStorei(GL_UNPACK_ROW_LENGTH, surface.stride // 4)  # pixels per row of the surface
        fmt = GL_BGRA if gl.bgra else GL_RGBA
        with surface.lock:
            storage = surface.storage
            stride = surface.stride
            # PySide6 takes the pixel pointer as a buffer: a flat view that starts at the rectangle's first pixel
            # (the rows after it are found through GL_UNPACK_ROW_LENGTH). No copy unless GL cannot skip rows.
            flat = storage.reshape(-1) if gl.row_length and storage.flags.c_contiguous else None
            for rect in rects:
                for tile in gl.tiles:
                    part = rect.intersected(tile.texels)
                    if part.isEmpty():
                        continue
                    sx, sy = part.x() + origin.x(), part.y() + origin.y()  # surface coordinates
                    if flat is not None:
                        pixels = flat[sy * stride + sx * 4 :]
                    else:
                        pixels = np.ascontiguousarray(storage[sy : sy + part.height(), sx : sx + part.width()])
                    tile.texture.bind()
                    x, y = part.x() - tile.texels.x(), part.y() - tile.texels.y()
                    w, h = part.width(), part.height()
                    f.glTexSubImage2D(GL_TEXTURE_2D, 0, x, y, w, h, fmt, GL_UNSIGNED_BYTE, pixels)
                    self.uploads["calls"] += 1
                    self.uploads["pixels"] += w * h
        if gl.row_length:
            f.glPixelStorei(GL_UNPACK_ROW_LENGTH, 0)  # QPainter's GL engine expects the defaults

    # --- painting --------------------------------------------------------------------------------------------

    def device_scale(self) -> float:
        """Framebuffer pixels per guest pixel."""
        return self.zoom * self.devicePixelRatioF()

    def uses_linear_filter(self) -> bool:
        """GL_NEAREST when a guest pixel is a whole number of logical or framebuffer pixels, else GL_LINEAR."""
        return not (_whole(self.zoom) or _whole(self.device_scale()))

    def paintGL(self) -> None:  # noqa: N802 - Qt API
        gl = self._gl
        if gl is None or gl.program is None:
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
        self._sync_textures(gl, f)
        if gl.tiles:
            self._draw_tiles(gl, f, fb_w, fb_h)
        self._paint_overlays()

    def _draw_tiles(self, gl: _GLObjects, f: QOpenGLFunctions, fb_w: int, fb_h: int) -> None:
        program, vbo = gl.program, gl.vbo
        assert program is not None and vbo is not None
        scale = self.device_scale()
        linear = self.uses_linear_filter()
        program.bind()
        if gl.vao is not None:
            gl.vao.bind()
        else:
            vbo.bind()
            program.enableAttributeArray(0)
            program.setAttributeBuffer(0, GL_FLOAT, 0, 2, 0)
        u = gl.uniforms
        program.setUniformValue(u["u_viewport"], float(fb_w), float(fb_h))
        program.setUniformValue1i(u["u_texture"], 0)
        program.setUniformValue1i(u["u_swap_rb"], 0 if gl.bgra else 1)
        for tile in gl.tiles:
            texture = tile.texture
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
        if gl.vao is not None:
            gl.vao.release()
        else:
            program.disableAttributeArray(0)
            vbo.release()
        program.release()

    def _paint_overlays(self) -> None:
        """The layers above the display (the server-mode cursor), drawn by QPainter over the GL picture."""
        overlays = [
            layer
            for layer in self.layers
            if layer is not self.display_layer
            and (not isinstance(layer, CursorLayer) or (layer.visible and layer.image is not None))
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
        """The fallback when GL could not be set up: what RedScreen paints, through QPainter."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0))
        self.paint_layers(painter, self.rect())
        painter.end()


def _whole(value: float) -> bool:
    return value > 0 and abs(value - round(value)) < 1e-9
