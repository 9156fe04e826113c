"""Channel threads hand results to the GUI thread through Qt signals; the installed PySide6 must survive that.

PySide6 6.12.0 on Python 3.11 drops a reference to True on every cross-thread emit or postEvent and aborts
the interpreter after a few hundred; pyproject.toml keeps it out. This test runs the pattern in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal
app = QCoreApplication([])
class Emitter(QObject):
    sig = Signal(object)
class Sink(QObject):
    got = 0
    def slot(self, value):
        Sink.got += 1
emitter, sink = Emitter(), Sink()
emitter.sig.connect(sink.slot)
class Worker(QThread):
    def run(self):
        for i in range(20000):
            emitter.sig.emit(i)
worker = Worker()
worker.start()
worker.wait()
app.processEvents()
print(Sink.got)
"""


def test_cross_thread_signals_do_not_corrupt_the_interpreter() -> None:
    run = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "20000"
