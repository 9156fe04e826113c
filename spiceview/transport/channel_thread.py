"""Each channel's I/O loop runs on its own QThread."""

from __future__ import annotations

from PySide6.QtCore import QThread

from .channel_loop import ChannelLoop


class ChannelThread(QThread):
    def __init__(self, loop: ChannelLoop, name: str) -> None:
        super().__init__()
        self.loop = loop
        self.setObjectName(name)

    def run(self) -> None:
        self.loop.run()
