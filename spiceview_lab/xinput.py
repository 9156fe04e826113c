"""Synthetic input and damage watching on an X display, with ctypes only (libX11, libXtst, libXdamage, libXfixes).

- `XDisplay(":N")`: one Xlib connection (a context manager); X errors are recorded, never fatal
- `fake_key`, `fake_button`, `fake_motion`: XTest events, as if a user typed/clicked/moved (flushed at once)
- `keycode(display, "a")`: the keycode of a keysym name on that display
- `cursor_image(display)`: the current pointer image (XFixes) as (H, W, 4) uint8 B,G,R,A, plus its hot spot
- `get_image(display, window, area)`: a window's pixels (XGetImage) as (H, W, 4) uint8 B,G,R,X
- `DamageWatch(display, window)` / `wait_damage(...)`: XDamage events of a window (e.g. a viewer's), with timeouts;
  `wait_pixels_changed(...)`: the first damage that really changed pixels
- `key_roundtrip(...)`: key press -> the window's pixels change, repeated: the input round trip of a viewer

Functions taking a display accept an `XDisplay` or a display name (then a connection is opened for the call and
synced before it closes). Packages: libx11-6, libxtst6, libxdamage1, libxfixes3.
"""

from __future__ import annotations

import ctypes
import select
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import numpy as np

# Damage report levels (Xdamage.h).
REPORT_RAW_RECTANGLES = 0
REPORT_DELTA_RECTANGLES = 1
REPORT_BOUNDING_BOX = 2
REPORT_NON_EMPTY = 3

_DAMAGE_NOTIFY = 0  # event offset from the extension's event base
_CURRENT_TIME = 0
_XEVENT_LONGS = 24  # sizeof(XEvent) is 24 longs on every ABI


class XInputError(RuntimeError):
    """A display could not be opened, an extension is missing, or an X request failed."""


# -- libraries -----------------------------------------------------------------------------------------


@cache
def _lib(soname: str) -> ctypes.CDLL:
    try:
        return ctypes.CDLL(soname)
    except OSError as e:
        raise XInputError(f"{soname} is missing ({e}): apt-get install libx11-6 libxtst6 libxdamage1 libxfixes3") from e


class _XRectangle(ctypes.Structure):
    _fields_ = [("x", ctypes.c_short), ("y", ctypes.c_short), ("width", ctypes.c_ushort), ("height", ctypes.c_ushort)]


class _XDamageNotifyEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("drawable", ctypes.c_ulong),
        ("damage", ctypes.c_ulong),
        ("level", ctypes.c_int),
        ("more", ctypes.c_int),
        ("timestamp", ctypes.c_ulong),
        ("area", _XRectangle),
        ("geometry", _XRectangle),
    ]


class _XErrorEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("resourceid", ctypes.c_ulong),
        ("serial", ctypes.c_ulong),
        ("error_code", ctypes.c_ubyte),
        ("request_code", ctypes.c_ubyte),
        ("minor_code", ctypes.c_ubyte),
    ]


class _XFixesCursorImage(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_short),
        ("y", ctypes.c_short),
        ("width", ctypes.c_ushort),
        ("height", ctypes.c_ushort),
        ("xhot", ctypes.c_ushort),
        ("yhot", ctypes.c_ushort),
        ("cursor_serial", ctypes.c_ulong),
        ("pixels", ctypes.POINTER(ctypes.c_ulong)),  # one ARGB32 value per unsigned long (8 bytes on 64-bit)
        ("atom", ctypes.c_ulong),
        ("name", ctypes.c_char_p),
    ]


_DESTROY_IMAGE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class _XImageFuncs(ctypes.Structure):
    _fields_ = [
        ("create_image", ctypes.c_void_p),
        ("destroy_image", _DESTROY_IMAGE),
        ("get_pixel", ctypes.c_void_p),
        ("put_pixel", ctypes.c_void_p),
        ("sub_image", ctypes.c_void_p),
        ("add_pixel", ctypes.c_void_p),
    ]


class _XImage(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_ubyte)),
        ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int),
        ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
        ("red_mask", ctypes.c_ulong),
        ("green_mask", ctypes.c_ulong),
        ("blue_mask", ctypes.c_ulong),
        ("obdata", ctypes.c_void_p),
        ("f", _XImageFuncs),
    ]


_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_XErrorEvent))
_errors: dict[int, list[tuple[int, int, int]]] = {}  # Display* -> [(error_code, request_code, minor_code)]


@_ERROR_HANDLER
def _record_error(dpy: int, event: ctypes._Pointer) -> int:  # type: ignore[type-arg]
    # Xlib's default handler exits the process; a vanished window must only fail the call that used it.
    e = event.contents
    _errors.setdefault(dpy or 0, []).append((e.error_code, e.request_code, e.minor_code))
    return 0


@cache
def _x11() -> ctypes.CDLL:
    x = _lib("libX11.so.6")
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x.XCloseDisplay.argtypes = [ctypes.c_void_p]
    for name in ("XFlush", "XPending", "XConnectionNumber", "XDefaultScreen"):
        getattr(x, name).argtypes = [ctypes.c_void_p]
    x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    x.XDefaultRootWindow.restype = ctypes.c_ulong
    x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x.XStringToKeysym.restype = ctypes.c_ulong
    x.XStringToKeysym.argtypes = [ctypes.c_char_p]
    x.XKeysymToKeycode.restype = ctypes.c_ubyte
    x.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x.XFree.argtypes = [ctypes.c_void_p]
    x.XGetImage.restype = ctypes.POINTER(_XImage)
    x.XGetImage.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_ulong,
        ctypes.c_int,
    ]
    x.XGetGeometry.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.POINTER(ctypes.c_ulong),
        *[ctypes.POINTER(ctypes.c_int)] * 2,
        *[ctypes.POINTER(ctypes.c_uint)] * 4,
    ]
    x.XSetErrorHandler.restype = ctypes.c_void_p
    x.XSetErrorHandler.argtypes = [_ERROR_HANDLER]
    x.XSetErrorHandler(_record_error)
    return x


@cache
def _xtst() -> ctypes.CDLL:
    t = _lib("libXtst.so.6")
    t.XTestQueryExtension.argtypes = [ctypes.c_void_p, *[ctypes.POINTER(ctypes.c_int)] * 4]
    t.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    t.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    t.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]
    return t


@cache
def _xdamage() -> ctypes.CDLL:
    d = _lib("libXdamage.so.1")
    d.XDamageQueryExtension.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
    d.XDamageCreate.restype = ctypes.c_ulong
    d.XDamageCreate.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int]
    d.XDamageDestroy.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    d.XDamageSubtract.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return d


@cache
def _xfixes() -> ctypes.CDLL:
    f = _lib("libXfixes.so.3")
    f.XFixesQueryExtension.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
    f.XFixesGetCursorImage.restype = ctypes.POINTER(_XFixesCursorImage)
    f.XFixesGetCursorImage.argtypes = [ctypes.c_void_p]
    return f


# -- the connection ------------------------------------------------------------------------------------


class XDisplay:
    """One Xlib connection to `name` (":N"); close() or use as a context manager. Not thread-safe.

    Close it before stopping its X server: on a lost connection Xlib's I/O error handler exits the process.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._dpy: int | None = _x11().XOpenDisplay(name.encode())
        if not self._dpy:
            raise XInputError(f"cannot open X display {name}")
        self._damage_event_base: int | None = None
        self._has_xtest = False

    @property
    def ptr(self) -> int:
        """The Display* (for other ctypes calls)."""
        if self._dpy is None:
            raise XInputError(f"X display {self.name} is closed")
        return self._dpy

    @property
    def fileno(self) -> int:
        return int(_x11().XConnectionNumber(self.ptr))

    @property
    def root(self) -> int:
        return int(_x11().XDefaultRootWindow(self.ptr))

    def flush(self) -> None:
        _x11().XFlush(self.ptr)

    def sync(self) -> None:
        """Round trip to the server: every request sent so far is processed (and its errors recorded)."""
        _x11().XSync(self.ptr, 0)

    def take_errors(self) -> list[tuple[int, int, int]]:
        """X errors (error_code, request_code, minor_code) received since the last call."""
        return _errors.pop(self.ptr, [])

    def damage_event_base(self) -> int:
        if self._damage_event_base is None:
            event_base, error_base = ctypes.c_int(), ctypes.c_int()
            if not _xdamage().XDamageQueryExtension(self.ptr, ctypes.byref(event_base), ctypes.byref(error_base)):
                raise XInputError(f"{self.name} has no DAMAGE extension")
            self._damage_event_base = event_base.value
        return self._damage_event_base

    def next_event(self, deadline: float) -> ctypes.Array | None:  # type: ignore[type-arg]
        """The next queued event as a raw XEvent buffer, waiting until `deadline` (time.monotonic()); None then."""
        x = _x11()
        while not x.XPending(self.ptr):  # XPending flushes and reads what the socket holds
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            select.select([self.fileno], [], [], remaining)
        event = (ctypes.c_long * _XEVENT_LONGS)()
        x.XNextEvent(self.ptr, event)
        return event

    def close(self) -> None:
        if self._dpy is not None:
            _x11().XCloseDisplay(self._dpy)
            _errors.pop(self._dpy, None)
            self._dpy = None

    def __enter__(self) -> XDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<XDisplay {self.name} {'open' if self._dpy else 'closed'}>"


DisplayLike = XDisplay | str


@contextmanager
def _connection(display: DisplayLike) -> Iterator[XDisplay]:
    if isinstance(display, XDisplay):
        yield display
        return
    with XDisplay(display) as d:
        yield d
        d.sync()


def _require_xtest(d: XDisplay) -> None:
    if d._has_xtest:
        return
    ints = [ctypes.c_int() for _ in range(4)]
    if not _xtst().XTestQueryExtension(d.ptr, *(ctypes.byref(i) for i in ints)):
        raise XInputError(f"{d.name} has no XTEST extension")
    d._has_xtest = True


# -- synthetic input -----------------------------------------------------------------------------------


def keycode(display: DisplayLike, keysym: str) -> int:
    """The keycode producing keysym name `keysym` ("a", "Return", "space", ...) on that display's keyboard map."""
    sym = _x11().XStringToKeysym(keysym.encode())
    if not sym:
        raise XInputError(f"unknown keysym name {keysym!r}")
    with _connection(display) as d:
        code = int(_x11().XKeysymToKeycode(d.ptr, sym))
    if not code:
        raise XInputError(f"no key produces {keysym!r} on {d.name}")
    return code


def fake_key(display: DisplayLike, keycode: int, press: bool) -> None:
    """Press (press=True) or release a key by X keycode, like the keyboard would; flushed at once."""
    with _connection(display) as d:
        _require_xtest(d)
        _xtst().XTestFakeKeyEvent(d.ptr, keycode, int(press), _CURRENT_TIME)
        d.flush()


def fake_button(display: DisplayLike, button: int, press: bool) -> None:
    """Press or release pointer button `button` (1 left, 2 middle, 3 right, 4/5 wheel) at the pointer; flushed."""
    with _connection(display) as d:
        _require_xtest(d)
        _xtst().XTestFakeButtonEvent(d.ptr, button, int(press), _CURRENT_TIME)
        d.flush()


def fake_motion(display: DisplayLike, x: int, y: int, screen: int = -1) -> None:
    """Move the pointer to root coordinates (x, y) of `screen` (-1: the current one); flushed."""
    with _connection(display) as d:
        _require_xtest(d)
        _xtst().XTestFakeMotionEvent(d.ptr, screen, x, y, _CURRENT_TIME)
        d.flush()


def tap_key(display: DisplayLike, keycode: int) -> None:
    """Press then release a key."""
    with _connection(display) as d:
        fake_key(d, keycode, True)
        fake_key(d, keycode, False)


# -- pixels ------------------------------------------------------------------------------------------


_ALL_PLANES = 0xFFFFFFFF
_Z_PIXMAP = 2


def window_size(display: DisplayLike, window: int) -> tuple[int, int]:
    """(width, height) of a window (XGetGeometry)."""
    root, x, y = ctypes.c_ulong(), ctypes.c_int(), ctypes.c_int()
    w, h, border, depth = (ctypes.c_uint() for _ in range(4))
    with _connection(display) as d:
        ok = _x11().XGetGeometry(d.ptr, window, *(ctypes.byref(v) for v in (root, x, y, w, h, border, depth)))
        d.take_errors()
    if not ok:
        raise XInputError(f"XGetGeometry of window {window:#x} failed")
    return w.value, h.value


def get_image(display: DisplayLike, window: int, area: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The pixels of a window (or of area = (x, y, width, height) in it) as (H, W, 4) uint8 B,G,R,X (XGetImage).

    Needs a 24/32-bit TrueColor window fully on screen (X returns BadMatch otherwise: XInputError).
    """
    with _connection(display) as d:
        if area is None:
            area = (0, 0, *window_size(d, window))
        x, y, w, h = area
        img = _x11().XGetImage(d.ptr, window, x, y, w, h, _ALL_PLANES, _Z_PIXMAP)
        errors = d.take_errors()
        if not img:
            raise XInputError(f"XGetImage of window {window:#x} area {area} failed: X errors {errors}")
        try:
            c = img.contents
            if c.bits_per_pixel != 32 or c.byte_order != 0:
                raise XInputError(f"XGetImage gave {c.bits_per_pixel} bpp, byte order {c.byte_order}: want 32, LSB")
            rows = np.ctypeslib.as_array(c.data, shape=(c.height, c.bytes_per_line))
            return rows[:, : c.width * 4].reshape(c.height, c.width, 4).copy()
        finally:
            img.contents.f.destroy_image(ctypes.cast(img, ctypes.c_void_p))


# -- the pointer image ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CursorImage:
    width: int
    height: int
    xhot: int
    yhot: int
    serial: int
    name: str  # the cursor's name when it has one (e.g. set by name through libXcursor), else ""
    bgra: np.ndarray  # (H, W, 4) uint8 B,G,R,A premultiplied


def cursor_record(display: DisplayLike) -> CursorImage:
    """The pointer image now shown, with its hot spot, serial and name (XFixesGetCursorImage)."""
    with _connection(display) as d:
        major, error = ctypes.c_int(), ctypes.c_int()
        if not _xfixes().XFixesQueryExtension(d.ptr, ctypes.byref(major), ctypes.byref(error)):
            raise XInputError(f"{d.name} has no XFIXES extension")
        img = _xfixes().XFixesGetCursorImage(d.ptr)
        if not img:
            raise XInputError(f"XFixesGetCursorImage failed on {d.name}")
        try:
            c = img.contents
            h, w = int(c.height), int(c.width)
            # Each pixel is an unsigned long (8 bytes on 64-bit) holding 0xAARRGGBB in its low 32 bits.
            longs = np.ctypeslib.as_array(c.pixels, shape=(h * w,)) if h * w else np.zeros(0, np.uint64)
            argb = (longs & 0xFFFFFFFF).astype("<u4")
            pixels = argb.view(np.uint8).reshape(h, w, 4).copy()  # little endian: B, G, R, A
            name = (c.name or b"").decode("latin-1")
            return CursorImage(w, h, int(c.xhot), int(c.yhot), int(c.cursor_serial), name, pixels)
        finally:
            _x11().XFree(img)


def cursor_image(display: DisplayLike) -> tuple[np.ndarray, int, int]:
    """The pointer image now shown: ((H, W, 4) uint8 B,G,R,A premultiplied, xhot, yhot)."""
    record = cursor_record(display)
    return record.bgra, record.xhot, record.yhot


# -- damage --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DamageEvent:
    """One DamageNotify: the damaged rectangle `area` (window coordinates) and when we read it."""

    drawable: int
    area: tuple[int, int, int, int]  # x, y, width, height
    more: bool
    received: float  # time.perf_counter() when the event was read


def _as_damage(d: XDisplay, event: ctypes.Array, damage: int | None) -> DamageEvent | None:  # type: ignore[type-arg]
    ev = _XDamageNotifyEvent.from_buffer(event)
    if ev.type != d.damage_event_base() + _DAMAGE_NOTIFY or (damage is not None and ev.damage != damage):
        return None
    a = ev.area
    return DamageEvent(int(ev.drawable), (a.x, a.y, a.width, a.height), bool(ev.more), time.perf_counter())


def wait_damage(display: XDisplay, timeout: float, damage: int | None = None) -> DamageEvent | None:
    """The next DamageNotify on this connection (of Damage `damage`, or any), or None after `timeout` seconds.

    Other events read meanwhile are dropped. With REPORT_NON_EMPTY, call DamageWatch.reset() to re-arm.
    """
    deadline = time.monotonic() + timeout
    while True:
        event = display.next_event(deadline)
        if event is None:
            return None
        found = _as_damage(display, event, damage)
        if found is not None:
            return found


class DamageWatch:
    """An XDamage object on `window` (ours: destroyed by close()); events arrive on `display`'s connection.

    With the default REPORT_RAW_RECTANGLES every drawing into the window (its inferiors included) is one event.
    """

    def __init__(self, display: XDisplay, window: int, level: int = REPORT_RAW_RECTANGLES) -> None:
        self.display, self.window, self.level = display, window, level
        display.damage_event_base()  # raises if the extension is missing
        self.damage: int | None = int(_xdamage().XDamageCreate(display.ptr, window, level))
        display.sync()
        errors = display.take_errors()
        if errors:
            self.damage = None
            raise XInputError(f"XDamageCreate on window {window:#x} of {display.name} failed: X errors {errors}")

    def wait(self, timeout: float) -> DamageEvent | None:
        """The next damage of the window, or None after timeout seconds."""
        return wait_damage(self.display, timeout, self.damage)

    def reset(self) -> None:
        """Empty the damage region (re-arms REPORT_NON_EMPTY; harmless otherwise)."""
        if self.damage is not None:
            _xdamage().XDamageSubtract(self.display.ptr, self.damage, 0, 0)
            self.display.flush()

    def drain(self) -> int:
        """Drop every damage event already queued or in flight (after a round trip); returns how many."""
        self.display.sync()
        dropped = 0
        while self.wait(0.0) is not None:
            dropped += 1
        self.reset()
        return dropped

    def wait_quiet(self, quiet: float, timeout: float) -> bool:
        """Wait until no damage arrived for `quiet` seconds; False if the window kept changing for `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            if self.wait(quiet) is None:
                return True
            self.reset()
            if time.monotonic() > deadline:
                return False

    def close(self) -> None:
        if self.damage is not None and self.display._dpy is not None:
            _xdamage().XDamageDestroy(self.display.ptr, self.damage)
            self.display.sync()
            self.display.take_errors()  # the window may be gone already
        self.damage = None

    def __enter__(self) -> DamageWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the round trip ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeySample:
    """One key press: its keycode, the seconds until the window's pixels changed (None: no response), the damaged
    rectangle that changed them, how many damage events before it left the pixels as they were, and (with a guest
    watch) the seconds until the guest's own screen changed (None: not seen; read after the window's change only
    if it was still in flight then, so an upper bound in that case) and how many window changes came before the
    guest had changed (local drawing, not the echo: not counted)."""

    keycode: int
    seconds: float | None
    area: tuple[int, int, int, int] | None = None
    unchanged_damage: int = 0
    guest_seconds: float | None = None
    early_changes: int = 0


def _clip(area: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    x0, y0 = max(0, area[0]), max(0, area[1])
    x1, y1 = min(size[0], area[0] + area[2]), min(size[1], area[1] + area[3])
    return (x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None


def changed_pixels(watch: DamageWatch, before: np.ndarray, event: DamageEvent, update: bool = False) -> bool:
    """True if the window's pixels in the event's rectangle now differ from `before` (a whole-window get_image).

    With update, `before` takes the new pixels of that rectangle.
    """
    area = _clip(event.area, (before.shape[1], before.shape[0]))
    if area is None:
        return False
    x, y, w, h = area
    now = get_image(watch.display, watch.window, area)
    changed = not np.array_equal(now[..., :3], before[y : y + h, x : x + w, :3])
    if update:
        before[y : y + h, x : x + w] = now
    return changed


def wait_pixels_changed(watch: DamageWatch, before: np.ndarray, deadline: float) -> tuple[DamageEvent | None, int]:
    """The first damage event of watch after which its window's pixels in that rectangle differ from `before`.

    `before` is the whole window (get_image). The event's `received` time is when it was read, before the pixel
    check. Returns (event or None at `deadline` (time.monotonic()), number of damage events that changed nothing).
    """
    unchanged = 0
    while True:
        event = watch.wait(max(0.0, deadline - time.monotonic()))
        if event is None:
            return None, unchanged
        if changed_pixels(watch, before, event):
            return event, unchanged
        unchanged += 1


Area = tuple[int, int, int, int]


def _meets(area: Area, region: Area | None) -> bool:
    """Whether two (x, y, width, height) rectangles overlap (any area meets region None)."""
    if region is None:
        return True
    x, y, w, h = area
    rx, ry, rw, rh = region
    return x < rx + rw and rx < x + w and y < ry + rh and ry < y + h


def _one_press(
    watch: DamageWatch,
    code: int,
    timeout: float,
    require_change: bool,
    guest: DamageWatch | None,
    region: Area | None = None,
    guest_region: Area | None = None,
) -> KeySample:
    display = watch.display
    watch.drain()
    if guest is not None:
        guest.drain()
    before = get_image(display, watch.window) if require_change else None
    deadline = time.monotonic() + timeout
    start = time.perf_counter()
    _xtst().XTestFakeKeyEvent(display.ptr, code, 1, _CURRENT_TIME)
    _xtst().XTestFakeKeyEvent(display.ptr, code, 0, _CURRENT_TIME)
    display.flush()
    unchanged = early = 0
    guest_seconds: float | None = None
    fds = [display.fileno] + ([guest.display.fileno] if guest is not None else [])

    def read_guest() -> float | None:
        # Reads everything queued (data left unread would wake select() at once, over and over); keeps the first.
        first = guest_seconds
        while guest is not None and (g := guest.wait(0)) is not None:
            if first is None and _meets(g.area, guest_region):
                first = g.received - start
        return first

    while True:
        # Empty both queues (wait(0) returns None only once Xlib's queue and the socket are empty), then sleep.
        guest_seconds = read_guest()
        while (event := watch.wait(0)) is not None:
            if not _meets(event.area, region):
                unchanged += 1  # another part of the window (a video playing beside the echo)
                continue
            if before is not None and not changed_pixels(watch, before, event, update=True):
                unchanged += 1
                continue
            if guest is not None and guest_seconds is None:
                guest.display.sync()  # the guest's damage may still be in flight: read it if it landed
                guest_seconds = read_guest()
                if guest_seconds is None:  # the guest has not changed yet: this is not its echo
                    early += 1
                    continue
            return KeySample(code, event.received - start, event.area, unchanged, guest_seconds, early)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return KeySample(code, None, None, unchanged, read_guest(), early)
        select.select(fds, [], [], remaining)


def key_roundtrip(
    display: XDisplay,
    window: int,
    keycodes: Sequence[int],
    *,
    timeout: float = 2.0,
    gap: float = 0.1,
    settle: float = 0.3,
    max_misses: int | None = None,
    require_change: bool = True,
    guest: DamageWatch | None = None,
    region: Area | None = None,
    guest_region: Area | None = None,
) -> list[KeySample]:
    """For each keycode: press and release it, then time until the window's pixels change (a DamageNotify).

    The clock starts just before the press and release are sent (XTestFakeKeyEvent x 2 + XFlush) and stops when the
    damage event is read. With require_change (default) only damage that really changed the window's pixels counts
    (the rectangle is compared with a capture taken before the press; repaints with the same pixels are skipped and
    counted); otherwise the first damage event counts. `guest`, a DamageWatch on another connection (e.g. the root
    window of the SPICE server's X display), times the first damage there too (the input half of the round trip),
    and then only window changes after it count: a change before the guest's cannot be the echo (counted apart).
    `region` / `guest_region` (x, y, width, height): only damage meeting them counts, in the window and on the guest's
    screen (the echo's part while something else moves elsewhere); damage outside counts as unchanged.
    Between samples: `gap` seconds, then queued damage is dropped. Before the first sample the window must have
    been quiet for `settle` seconds. A press with no change within `timeout` gives seconds=None (no response);
    after `max_misses` such presses in a row the run stops early. Keyboard focus must already be on the window, and
    the window fully on screen.
    """
    _require_xtest(display)
    samples: list[KeySample] = []
    misses = 0
    with DamageWatch(display, window) as watch:
        watch.wait_quiet(settle, timeout=max(5.0, 10 * settle))
        for code in keycodes:
            sample = _one_press(watch, code, timeout, require_change, guest, region, guest_region)
            samples.append(sample)
            misses = misses + 1 if sample.seconds is None else 0
            if max_misses is not None and misses >= max_misses:
                break
            time.sleep(gap)
    return samples
