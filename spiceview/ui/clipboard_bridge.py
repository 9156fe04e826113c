"""The client's clipboard (Qt) and the guest's (agent), both ways: text and images, CLIPBOARD and PRIMARY.

Client -> guest: when the local clipboard changes (and not because of us) we grab the guest's clipboard with the
types we can offer; when the guest pastes, it asks and we answer from the local clipboard.
Guest -> client: when the guest grabs, we put a lazy QMimeData on the local clipboard; when a local program
pastes, Qt asks that object for the data, and we ask the guest and wait (a nested event loop, bounded).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QBuffer, QByteArray, QEventLoop, QIODevice, QMimeData, QObject, QTimer
from PySide6.QtGui import QClipboard, QGuiApplication, QImage

from ..channels.agent_link import AgentLink
from ..protocol.agent.messages import ClipboardType, Selection

log = logging.getLogger(__name__)

MIME_BY_TYPE = {
    ClipboardType.UTF8_TEXT: "text/plain;charset=utf-8",
    ClipboardType.IMAGE_PNG: "image/png",
    ClipboardType.IMAGE_BMP: "image/bmp",
    ClipboardType.IMAGE_JPG: "image/jpeg",
    ClipboardType.IMAGE_TIFF: "image/tiff",
}
QT_MODES = {Selection.CLIPBOARD: QClipboard.Mode.Clipboard, Selection.PRIMARY: QClipboard.Mode.Selection}
REQUEST_TIMEOUT_MS = 5000


def local_types(mime: QMimeData | None) -> tuple[int, ...]:
    """What the local clipboard can offer the guest."""
    if mime is None:
        return ()
    types: list[int] = []
    if mime.hasText():
        types.append(ClipboardType.UTF8_TEXT)
    if mime.hasImage():
        # PNG for Linux agents, BMP for Windows ones: the agent takes what it understands.
        types += [ClipboardType.IMAGE_PNG, ClipboardType.IMAGE_BMP]
    return tuple(types)


def encode_local(mime: QMimeData, clip_type: int) -> bytes | None:
    if clip_type == ClipboardType.UTF8_TEXT and mime.hasText():
        return mime.text().encode("utf-8")
    if clip_type in (ClipboardType.IMAGE_PNG, ClipboardType.IMAGE_BMP) and mime.hasImage():
        image = QImage(mime.imageData())
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG" if clip_type == ClipboardType.IMAGE_PNG else "BMP")
        return bytes(buffer.data())
    return None


class GuestMimeData(QMimeData):
    """The guest's clipboard on the local one: data is fetched from the guest when someone pastes."""

    def __init__(self, bridge: ClipboardBridge, selection: int, types: tuple[int, ...]) -> None:
        super().__init__()
        self.bridge = bridge
        self.selection = selection
        self.guest_types = types
        self._cache: dict[int, bytes] = {}

    def formats(self) -> list[str]:
        found = []
        if ClipboardType.UTF8_TEXT in self.guest_types:
            found += ["text/plain;charset=utf-8", "text/plain", "UTF8_STRING"]
        found += [MIME_BY_TYPE[t] for t in self.guest_types if t != ClipboardType.UTF8_TEXT and t in MIME_BY_TYPE]
        if any(t in self.guest_types for t in (ClipboardType.IMAGE_PNG, ClipboardType.IMAGE_BMP)):
            found.append("application/x-qt-image")
        return found

    def hasFormat(self, mime_type: str) -> bool:  # noqa: N802 - Qt API
        return mime_type in self.formats()

    def retrieveData(self, mime_type: str, preferred: object) -> object:  # noqa: N802 - Qt API
        if mime_type.startswith("text/plain") or mime_type == "UTF8_STRING":
            data = self._fetch(ClipboardType.UTF8_TEXT)
            return None if data is None else data.decode("utf-8", "replace")
        for clip_type in (ClipboardType.IMAGE_PNG, ClipboardType.IMAGE_BMP, ClipboardType.IMAGE_JPG):
            if clip_type in self.guest_types and (
                mime_type == MIME_BY_TYPE[clip_type]
                or mime_type.startswith("image")
                or mime_type == "application/x-qt-image"
            ):
                data = self._fetch(clip_type)
                if data is None:
                    return None
                if mime_type == MIME_BY_TYPE[clip_type]:
                    return QByteArray(data)
                image = QImage()
                image.loadFromData(data)
                return image
        return None

    def _fetch(self, clip_type: int) -> bytes | None:
        if clip_type not in self._cache:
            data = self.bridge.fetch_from_guest(self.selection, clip_type)
            if data is None:
                return None
            self._cache[clip_type] = data
        return self._cache[clip_type]


class ClipboardBridge(QObject):
    def __init__(self, agent: AgentLink, enabled: bool = True) -> None:
        super().__init__()
        self.agent = agent
        self.enabled = enabled
        self.clipboard = QGuiApplication.clipboard()
        self._ours: dict[int, QMimeData] = {}  # what we put on the local clipboard for the guest
        self._waiting: dict[tuple[int, int], bytes | None] = {}
        self._loop: QEventLoop | None = None
        self.clipboard.changed.connect(self._local_changed)
        agent.guest_clipboard_grab.connect(self._guest_grab)
        agent.guest_clipboard_release.connect(self._guest_release)
        agent.guest_clipboard_request.connect(self._guest_request)
        agent.clipboard_data.connect(self._guest_data)
        agent.clipboard_failed.connect(self._guest_failed)
        agent.capabilities_changed.connect(lambda _caps: self._offer_current())

    def detach(self) -> None:
        """Stop following the local clipboard (the session is over; a new one brings its own bridge)."""
        self.enabled = False
        try:
            self.clipboard.changed.disconnect(self._local_changed)
        except (RuntimeError, TypeError):
            pass

    # --- client -> guest ----------------------------------------------------------------------------------

    def _selections(self) -> list[int]:
        found = [Selection.CLIPBOARD]
        if self.clipboard.supportsSelection():
            found.append(Selection.PRIMARY)
        return found

    def _offer_current(self) -> None:
        for selection in self._selections():
            self._local_changed(QT_MODES[selection])

    def _local_changed(self, mode: QClipboard.Mode) -> None:
        if not self.enabled:
            return
        selection = next((s for s, m in QT_MODES.items() if m == mode), None)
        if selection is None:
            return
        mime = self.clipboard.mimeData(mode)
        if isinstance(mime, GuestMimeData) or mime is self._ours.get(selection):
            return  # our own change, made for the guest
        types = local_types(mime)
        if types:
            self.agent.clipboard_grab(selection, types)
        else:
            self.agent.clipboard_release(selection)

    def _guest_request(self, selection: int, clip_type: int) -> None:
        data = None
        if self.enabled:
            mime = self.clipboard.mimeData(QT_MODES.get(selection, QClipboard.Mode.Clipboard))
            if mime is not None and not isinstance(mime, GuestMimeData):
                data = encode_local(mime, clip_type)
        self.agent.clipboard_reply(selection, clip_type, data)

    # --- guest -> client ----------------------------------------------------------------------------------

    def _guest_grab(self, selection: int, types: tuple[int, ...]) -> None:
        mode = QT_MODES.get(selection)
        if not self.enabled or mode is None:
            return
        mime = GuestMimeData(self, selection, tuple(types))
        self._ours[selection] = mime
        self.clipboard.setMimeData(mime, mode)

    def _guest_release(self, selection: int) -> None:
        mode = QT_MODES.get(selection)
        if mode is not None and isinstance(self.clipboard.mimeData(mode), GuestMimeData):
            self.clipboard.clear(mode)

    def fetch_from_guest(self, selection: int, clip_type: int) -> bytes | None:
        """Ask the guest for its clipboard and wait for the answer (bounded)."""
        key = (selection, clip_type)
        self._waiting.pop(key, None)
        self.agent.clipboard_request(selection, clip_type)
        loop = QEventLoop()
        self._loop = loop
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(REQUEST_TIMEOUT_MS)
        while key not in self._waiting and timer.isActive():
            loop.exec()
        self._loop = None
        return self._waiting.pop(key, None)

    def _guest_data(self, selection: int, clip_type: int, data: bytes) -> None:
        self._waiting[(selection, clip_type)] = data
        if self._loop is not None:
            self._loop.quit()

    def _guest_failed(self, selection: int, clip_type: int, reason: str) -> None:
        log.info("guest clipboard request failed: %s", reason)
        self._waiting[(selection, clip_type)] = None
        if self._loop is not None:
            self._loop.quit()
