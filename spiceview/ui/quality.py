"""The Quality menu: the image compression and the video codec the server should use, changed while connected.

Each choice is sent at once (SpiceSession.set_preferences), remembered for the guest (its UUID, in the
preferences), and given back when that guest is shown again. Two profiles set both at once: LAN (lossless LZ
pictures, MJPEG first: cheap on both ends, exact) and WAN (GLZ, the smallest lossless pictures, and VP8
first: through a 4 Mbit/s link Xspice's VP8 stream took the least bandwidth, and its VP9 and H.264 encoders held
a typed letter's echo back by 7-9 ms behind each frame; benchmarks/results/slow_link.md).
A server without the capability greys the entries out and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup

from ..channels.from_params import COMPRESSION_BY_NAME, VIDEO_CODEC_BY_NAME
from ..codecs.video import supported_codecs

if TYPE_CHECKING:
    from ..channels.spice_session import SpiceSession
    from .main_window import MainWindow

COMPRESSIONS = (
    ("auto-glz", "Automatic (GLZ)"),
    ("auto-lz", "Automatic (LZ)"),
    ("quic", "QUIC"),
    ("glz", "GLZ"),
    ("lz", "LZ"),
    ("lz4", "LZ4"),
    ("off", "Off (raw pixels)"),
)
CODECS = (("mjpeg", "MJPEG"), ("vp8", "VP8"), ("vp9", "VP9"), ("h264", "H.264"), ("h265", "H.265"))
NO_COMPRESSION_CAP = "This server does not take an image compression from the client."
NO_CODEC_CAP = "This server does not take a video codec order from the client."


@dataclass(frozen=True)
class Quality:
    compression: str | None = None  # None: the server's own choice
    codecs: tuple[str, ...] = ()  # most wanted first; (): the server's order

    def text(self) -> str:
        return f"{self.compression or ''};{','.join(self.codecs)}"

    @classmethod
    def parse(cls, text: str) -> Quality:
        """From text(); unknown names are dropped (a setting written by another version)."""
        compression, _, codecs = text.partition(";")
        return cls(
            compression if compression in COMPRESSION_BY_NAME else None,
            tuple(c for c in codecs.split(",") if c in VIDEO_CODEC_BY_NAME),
        )

    def preferring(self, codec: str) -> Quality:
        """This codec first, then the others in the usual order."""
        return Quality(self.compression, (codec, *(c for c, _label in CODECS if c != codec)))


PROFILES = {
    "lan": Quality("lz", ("mjpeg", "vp8", "h264", "vp9", "h265")),
    "wan": Quality("glz", ("vp8", "vp9", "h264", "h265", "mjpeg")),
}


def decodable() -> set[str]:
    codes = set(supported_codecs())
    return {name for name, code in VIDEO_CODEC_BY_NAME.items() if code in codes}


class QualityMenu:
    """One per viewer: installs its entries in every window and applies the choices to the current session."""

    def __init__(self, session: Callable[[], SpiceSession], remember: Callable[[Quality], None]) -> None:
        self._session = session
        self._remember = remember
        self.quality = Quality()
        self._windows: list[dict[str, QAction]] = []

    def install(self, window: MainWindow) -> None:
        actions: dict[str, QAction] = {}
        for name, label in (("lan", "LAN profile (lossless, low latency)"), ("wan", "WAN profile (least bandwidth)")):
            actions[f"profile-{name}"] = window.add_action(
                "quality", label, lambda p=PROFILES[name]: self.apply(p), f"quality-{name}"
            )
        pictures = QActionGroup(window)
        for name, label in COMPRESSIONS:
            action = window.add_action(
                "quality",
                f"Pictures: {label}",
                lambda n=name: self.apply(Quality(n, self.quality.codecs)),
                f"compression-{name}",
            )
            action.setCheckable(True)
            pictures.addAction(action)
            actions[f"compression-{name}"] = action
        videos = QActionGroup(window)
        usable = decodable()
        for name, label in CODECS:
            action = window.add_action(
                "quality",
                f"Video: prefer {label}",
                lambda n=name: self.apply(self.quality.preferring(n)),
                f"codec-{name}",
            )
            action.setCheckable(True)
            videos.addAction(action)
            action.setVisible(name in usable)  # only what this installation decodes
            actions[f"codec-{name}"] = action
        self._windows.append(actions)
        self.refresh()

    def apply(self, quality: Quality, *, remember: bool = True) -> None:
        """Send it to the server now (what the server takes of it) and show it checked."""
        self.quality = quality
        session = self._session()
        session.set_preferences(
            compression=COMPRESSION_BY_NAME[quality.compression] if quality.compression else None,
            video_codecs=tuple(VIDEO_CODEC_BY_NAME[c] for c in quality.codecs) if quality.codecs else None,
        )
        if remember:
            self._remember(quality)
        self.refresh()

    def capabilities(self) -> tuple[bool, bool] | None:
        """Whether the server takes (a compression, a codec order); None before a display has linked."""
        linked = [d for d in self._session().displays() if d.is_linked]
        if not linked:
            return None
        return any(d.can_prefer()[0] for d in linked), any(d.can_prefer()[1] for d in linked)

    def refresh(self) -> None:
        """Checks follow the current choice; entries the server cannot take are greyed out, with the reason."""
        known = self.capabilities()
        can = {"compression": known[0] if known else False, "codec": known[1] if known else False}
        for actions in list(self._windows):
            try:
                self._show(actions, can, known=known is not None)
            except RuntimeError:  # the window was closed: Qt deleted its actions
                self._windows.remove(actions)

    def _show(self, actions: dict[str, QAction], can: dict[str, bool], known: bool) -> None:
        for key, action in actions.items():
            kind, _, name = key.partition("-")
            able = can.get(kind, can["compression"] or can["codec"])
            action.setEnabled(able or not known)  # before a display has linked nobody knows yet
            reason = NO_COMPRESSION_CAP if kind == "compression" else NO_CODEC_CAP if kind == "codec" else ""
            action.setToolTip("" if able or not known else reason)
            if kind == "compression":
                action.setChecked(name == self.quality.compression)
            elif kind == "codec":
                action.setChecked(bool(self.quality.codecs) and name == self.quality.codecs[0])
