"""Showing a guest monitor on X11 straight from the surface's memory (MIT-SHM), without Qt's backing store.

Qt paints a widget into its window's backing store (a copy of every changed pixel) and then sends that to the X
server. For a video that copy was the largest cost of the GUI thread (a 1280x720 area 25 times a second, 0.5-0.8
ms each). Here a primary surface's pixels live in a memfd the X server maps too (MIT-SHM 1.2, AttachFd), and a
changed box is one ShmPutImage request on Qt's own connection: the X server copies from the surface itself.

Used only where that is exact: Qt's xcb platform with a local X server that takes the memfd, a depth-24 window,
1:1 and no scaling by the device pixel ratio (RedScreen checks the rest). Anything else paints through Qt as before.

A dozen xcb functions through ctypes rather than a binding such as xcffib: that would be a dependency, and a
large import, for these few requests.
"""

from __future__ import annotations

import ctypes
import logging
import mmap
import os
import sys
import weakref

log = logging.getLogger(__name__)

_ZPIXMAP = 2


class SharedPixels(mmap.mmap):
    """A surface's pixel memory, in a memfd the X server can map (`fd`)."""

    fd: int
    attached: list[int]  # the X server's id of it once attached (a list the finaliser can read: not the object)


class _Cookie(ctypes.Structure):
    _fields_ = [("sequence", ctypes.c_uint)]


class _ShmVersion(ctypes.Structure):
    _fields_ = [
        ("response_type", ctypes.c_uint8),
        ("shared_pixmaps", ctypes.c_uint8),
        ("sequence", ctypes.c_uint16),
        ("length", ctypes.c_uint32),
        ("major_version", ctypes.c_uint16),
        ("minor_version", ctypes.c_uint16),
    ]


class _Geometry(ctypes.Structure):
    _fields_ = [
        ("response_type", ctypes.c_uint8),
        ("depth", ctypes.c_uint8),
        ("sequence", ctypes.c_uint16),
        ("length", ctypes.c_uint32),
        ("root", ctypes.c_uint32),
    ]


def _bind() -> tuple[ctypes.CDLL, ctypes.CDLL, ctypes.CDLL]:
    xcb = ctypes.CDLL("libxcb.so.1")
    shm = ctypes.CDLL("libxcb-shm.so.0")
    libc = ctypes.CDLL(None)
    p, u8, u16, i16, u32 = ctypes.c_void_p, ctypes.c_uint8, ctypes.c_uint16, ctypes.c_int16, ctypes.c_uint32
    signatures = [
        (xcb.xcb_generate_id, u32, [p]),
        (xcb.xcb_flush, ctypes.c_int, [p]),
        (xcb.xcb_connection_has_error, ctypes.c_int, [p]),
        (xcb.xcb_request_check, p, [p, _Cookie]),
        (xcb.xcb_create_gc, _Cookie, [p, u32, u32, u32, p]),
        (xcb.xcb_get_geometry, _Cookie, [p, u32]),
        (xcb.xcb_get_geometry_reply, ctypes.POINTER(_Geometry), [p, _Cookie, p]),
        (xcb.xcb_get_input_focus, _Cookie, [p]),
        (xcb.xcb_get_input_focus_reply, p, [p, _Cookie, p]),
        (shm.xcb_shm_query_version, _Cookie, [p]),
        (shm.xcb_shm_query_version_reply, ctypes.POINTER(_ShmVersion), [p, _Cookie, p]),
        (shm.xcb_shm_attach_fd_checked, _Cookie, [p, u32, ctypes.c_int32, u8]),
        (shm.xcb_shm_detach, _Cookie, [p, u32]),
        (shm.xcb_shm_put_image, _Cookie, [p, u32, u32, u16, u16, u16, u16, u16, u16, i16, i16, u8, u8, u8, u32, u32]),
        (libc.free, None, [p]),
    ]
    for fn, restype, argtypes in signatures:
        fn.restype, fn.argtypes = restype, argtypes
    return xcb, shm, libc


class ShmPresenter:
    """Puts boxes of shared surface memory into X windows, on the connection of the Qt application it was made
    for (so they are ordered with Qt's own drawing). Call from the GUI thread, except `allocate`."""

    def __init__(self, connection: int) -> None:
        self._xcb, self._shm, self._libc = _bind()
        self._conn = ctypes.c_void_p(connection)
        self._gcs: dict[int, int] = {}  # root window -> a GC for its depth-24 windows
        self._windows: dict[int, int] = {}  # window -> its root, or 0 when it cannot be drawn into
        self.closed = False
        self.puts = 0

    # --- memory -------------------------------------------------------------------------------------------

    def allocate(self, nbytes: int) -> SharedPixels:
        """Zeroed memory for a surface's pixels that the X server can read (a channel thread may call this)."""
        fd = os.memfd_create("spiceview-surface", os.MFD_CLOEXEC)
        try:
            os.ftruncate(fd, nbytes)
            memory = SharedPixels(fd, nbytes)
        except OSError:
            os.close(fd)
            raise
        memory.fd = fd
        memory.attached = []
        # Not at exit: Qt's connection may be gone by then, and the X server lets go of a closed client's memory.
        weakref.finalize(memory, self._release, fd, memory.attached).atexit = False
        return memory

    def _segment(self, memory: SharedPixels) -> int:
        """The X server's id of `memory`, attached on first use; 0 when it refuses it."""
        if memory.attached:
            return memory.attached[0]
        segment = self._xcb.xcb_generate_id(self._conn)
        # AttachFd hands over the descriptor (xcb closes the one it sends): a duplicate, ours stays open.
        cookie = self._shm.xcb_shm_attach_fd_checked(self._conn, segment, os.dup(memory.fd), 1)
        error = self._xcb.xcb_request_check(self._conn, cookie)
        if error:
            self._libc.free(error)
            return 0
        memory.attached.append(segment)
        return segment

    def _release(self, fd: int, attached: list[int]) -> None:
        """The surface's memory is garbage: the X server lets go of it too (from any thread: xcb locks itself)."""
        if attached and not self.closed:
            self._shm.xcb_shm_detach(self._conn, attached[0])
            self._xcb.xcb_flush(self._conn)
        os.close(fd)

    def usable(self) -> bool:
        """Whether the X server speaks MIT-SHM 1.2 and maps our memory (a remote one refuses the attach)."""
        version = self._shm.xcb_shm_query_version_reply(self._conn, self._shm.xcb_shm_query_version(self._conn), None)
        if not version:
            return False
        supported = (version.contents.major_version, version.contents.minor_version) >= (1, 2)
        self._libc.free(version)
        return supported and bool(self._segment(self.allocate(4096)))

    # --- drawing ------------------------------------------------------------------------------------------

    def can_draw_into(self, window: int) -> bool:
        """Whether `window` is a depth-24 window (B,G,R,X pixels as a surface keeps them)."""
        root = self._windows.get(window)
        if root is None:
            reply = self._xcb.xcb_get_geometry_reply(self._conn, self._xcb.xcb_get_geometry(self._conn, window), None)
            root = 0
            if reply:
                if reply.contents.depth == 24:
                    root = reply.contents.root
                self._libc.free(reply)
            self._windows[window] = root
        return root != 0 and not self.closed

    def put(
        self, memory: SharedPixels, width: int, height: int, box: tuple[int, int, int, int], window: int, x: int, y: int
    ) -> bool:
        """Show `box` of a width x height surface in `memory` at (x, y) of `window`; False if it could not be sent
        (then paint it another way)."""
        root = self._windows.get(window, 0)
        segment = self._segment(memory) if root else 0
        if not segment:
            return False
        gc = self._gcs.get(root)
        if gc is None:
            gc = self._gcs[root] = self._xcb.xcb_generate_id(self._conn)
            self._xcb.xcb_create_gc(self._conn, gc, root, 0, None)
        x0, y0, x1, y1 = box
        self._shm.xcb_shm_put_image(
            self._conn, window, gc, width, height, x0, y0, x1 - x0, y1 - y0, x, y, 24, _ZPIXMAP, 0, segment, 0
        )
        self.puts += 1
        return True

    def finish(self) -> bool:
        """Wait until the X server has done the puts sent (it copies from the memory while handling each, so the
        surface may change again after this); False if the connection has failed."""
        reply = self._xcb.xcb_get_input_focus_reply(self._conn, self._xcb.xcb_get_input_focus(self._conn), None)
        if reply:
            self._libc.free(reply)
        if self._xcb.xcb_connection_has_error(self._conn):
            self.closed = True
        return not self.closed

    def close(self) -> None:
        """Send nothing more (the application is ending, or its connection failed)."""
        self.closed = True


_presenter: ShmPresenter | None = None
_looked = False


def shm_presenter() -> ShmPresenter | None:
    """The application's presenter, or None where it cannot be used (not X11, a remote X server, no MIT-SHM 1.2,
    no memfd). Call from the GUI thread once the QApplication exists."""
    global _presenter, _looked
    if not _looked:
        _looked = True
        try:
            _presenter = _make_presenter()
        except (OSError, AttributeError) as exc:  # a library or a symbol missing
            log.debug("X11 shared memory presentation unavailable: %s", exc)
    return _presenter


def _make_presenter() -> ShmPresenter | None:
    if not sys.platform.startswith("linux") or not hasattr(os, "memfd_create"):
        return None
    from PySide6.QtGui import QGuiApplication, QNativeInterface

    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication) or app.platformName() != "xcb":
        return None
    native = app.nativeInterface()
    if not isinstance(native, QNativeInterface.QX11Application) or not native.connection():
        return None
    presenter = ShmPresenter(int(native.connection()))
    if not presenter.usable():
        log.debug("X11 shared memory presentation unavailable: no MIT-SHM 1.2, or the X server refused a memfd")
        return None
    app.aboutToQuit.connect(presenter.close)
    return presenter
