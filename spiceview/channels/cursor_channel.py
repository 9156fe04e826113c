"""CursorChannel: the guest's pointer shape and position (hardware cursor), with its cache."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..canvas.cursors import CursorCache, CursorError, CursorShape
from ..protocol.constants import ChannelType
from ..protocol.messages import cursor as cmsg
from ..protocol.messages.classes import (
    Cursor,
    MsgCursorHide,
    MsgCursorInit,
    MsgCursorMove,
    MsgCursorReset,
    MsgCursorSet,
    Point16,
)
from .channel_base import ChannelBase
from .signals import Signal

if TYPE_CHECKING:
    from .channel_session import ChannelSession


class CursorChannel(ChannelBase):
    channel_type = ChannelType.CURSOR

    # Emitted on the channel thread; receivers in the GUI thread read `shape`, `position`, `visible`.
    shape_changed = Signal()
    moved = Signal()

    def __init__(self, session: ChannelSession, channel_id: int = 0) -> None:
        super().__init__(session, channel_id)
        self.cache = CursorCache()
        self._lock = threading.Lock()
        self.shape: CursorShape | None = None
        self.position = (0, 0)
        self.visible = False
        self.errors = 0
        self.handlers.update(
            {
                cmsg.MSG_INIT: self._on_init,
                cmsg.MSG_SET: self._on_set,
                cmsg.MSG_MOVE: self._on_move,
                cmsg.MSG_HIDE: self._on_hide,
                cmsg.MSG_RESET: self._on_reset,
                cmsg.MSG_TRAIL: lambda m: None,  # trails are a Windows-guest nicety; no client draws them
                cmsg.MSG_INVAL_ONE: lambda m: self.cache.inval_one(m.id),
                cmsg.MSG_INVAL_ALL: lambda m: self.cache.inval_all(),
            }
        )

    def state(self) -> tuple[CursorShape | None, tuple[int, int], bool]:
        with self._lock:
            return self.shape, self.position, self.visible

    def _apply(self, cursor: Cursor, position: Point16, visible: bool) -> None:
        try:
            shape = self.cache.resolve(cursor)
        except CursorError as exc:
            self.errors += 1
            self.log.warning("cursor shape ignored: %s", exc)
            return
        with self._lock:
            self.shape = shape
            self.position = (position.x, position.y)
            self.visible = visible and shape is not None
        self.shape_changed.emit()

    def _on_init(self, msg: MsgCursorInit) -> None:
        self.cache.inval_all()  # a new (or migrated) session starts with an empty cache, as in spice-gtk
        self._apply(msg.cursor, msg.position, bool(msg.visible))

    def _on_set(self, msg: MsgCursorSet) -> None:
        self._apply(msg.cursor, msg.position, bool(msg.visible))

    def _on_move(self, msg: MsgCursorMove) -> None:
        with self._lock:
            self.position = (msg.position.x, msg.position.y)
        self.moved.emit()

    def _on_hide(self, msg: MsgCursorHide) -> None:
        with self._lock:
            self.visible = False
        self.shape_changed.emit()

    def _on_reset(self, msg: MsgCursorReset) -> None:
        self.cache.inval_all()
        with self._lock:
            self.shape = None
            self.visible = False
        self.shape_changed.emit()
