"""Signals from channel threads: called at once on the connecting thread, queued for any other, never Qt for a
windowless session."""

from __future__ import annotations

import subprocess
import sys
import threading

from spiceview.channels.signals import Signal, wait_for_events


class Emitter:
    changed = Signal(int)


def test_a_receiver_on_the_emitting_thread_is_called_at_once() -> None:
    emitter, got = Emitter(), []
    emitter.changed.connect(got.append)
    emitter.changed.emit(1)
    assert got == [1]
    emitter.changed.disconnect(got.append)
    emitter.changed.emit(2)
    assert got == [1]


def test_from_another_thread_a_receiver_waits_for_its_own_thread_in_order() -> None:
    emitter, got, threads = Emitter(), [], []
    emitter.changed.connect(lambda value: (got.append(value), threads.append(threading.get_ident())))
    worker = threading.Thread(target=lambda: [emitter.changed.emit(i) for i in range(100)])
    worker.start()
    worker.join()
    assert got == []  # nothing runs behind this thread's back
    wait_for_events(1.0)
    assert got == list(range(100)) and set(threads) == {threading.get_ident()}


def test_each_instance_has_its_own_receivers() -> None:
    a, b, got = Emitter(), Emitter(), []
    a.changed.connect(got.append)
    b.changed.emit(5)
    assert got == []


def test_a_windowless_session_never_loads_qt() -> None:
    program = (
        "import sys\n"
        "import spiceview.headless.screenshot, spiceview.headless.session, spiceview.channels.from_params\n"
        "import spiceview.channels.display_channel, spiceview.channels.inputs_channel\n"
        "import spiceview.channels.playback_channel, spiceview.channels.record_channel\n"
        "import spiceview.channels.cursor_channel\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))\n"
    )
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[]"


def test_a_screenshot_session_loads_no_agent_code() -> None:
    """spiceview --screenshot opens its session without the guest agent (as spicy-screenshot does)."""
    program = (
        "import sys\n"
        "from spiceview.channels.from_params import client_from_params\n"
        "from spiceview.session.uri import parse_spice_uri\n"
        "client = client_from_params(parse_spice_uri('spice://127.0.0.1:1'), with_agent=False)\n"
        "print(sorted(m for m in sys.modules if 'agent_link' in m or 'agent.session' in m))\n"
    )
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[]"
