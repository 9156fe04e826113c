"""Input without a server: Qt events to SPICE messages (buttons incl. side buttons, wheel, hotkeys, focus loss),
and the inputs channel's motion window. The channel's messages are captured instead of sent."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QWheelEvent

from spiceview.channels.inputs_channel import InputsChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.constants import INPUT_MOTION_ACK_BUNCH, MouseButton, MouseMode
from spiceview.protocol.messages import inputs as imsg
from spiceview.transport.connect import Endpoint


@pytest.fixture(scope="module")
def app():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["test", "-platform", "offscreen"])


class Recorder:
    def __init__(self) -> None:
        self.sent: list[object] = []

    def send(self, msg: object) -> None:
        self.sent.append(msg)


class FakeLoop:
    """Stands in for the channel's I/O loop: runs calls at once and records what would go on the wire."""

    def __init__(self) -> None:
        self.conn = Recorder()

    def call_soon(self, fn) -> None:  # noqa: ANN001
        fn()

    def send(self, msg: object) -> None:
        self.conn.send(msg)


def make_inputs() -> tuple[InputsChannel, list[object]]:
    inputs = InputsChannel(SpiceSession(lambda t, tls: Endpoint("127.0.0.1", 1)))
    loop = FakeLoop()
    inputs._loop = loop  # type: ignore[assignment]
    return inputs, loop.conn.sent


def make_screen(app):  # noqa: ANN001
    from spiceview.ui.red_screen import RedScreen

    screen = RedScreen()
    screen.resize(800, 600)
    inputs, sent = make_inputs()
    screen.input.set_inputs(inputs)
    screen.input.set_mouse_mode(MouseMode.CLIENT)
    return screen, inputs, sent


def mouse(kind: QEvent.Type, button: Qt.MouseButton, x: float = 10, y: float = 20) -> QMouseEvent:
    return QMouseEvent(kind, QPointF(x, y), QPointF(x, y), button, button, Qt.KeyboardModifier.NoModifier)


def test_buttons_including_side_buttons(app) -> None:
    screen, _, sent = make_screen(app)
    for qt_button, spice_button, mask in [
        (Qt.MouseButton.LeftButton, MouseButton.LEFT, 1),
        (Qt.MouseButton.RightButton, MouseButton.RIGHT, 4),
        (Qt.MouseButton.BackButton, MouseButton.SIDE, 32),
        (Qt.MouseButton.ForwardButton, MouseButton.EXTRA, 64),
    ]:
        sent.clear()
        screen.mousePressEvent(mouse(QEvent.Type.MouseButtonPress, qt_button))
        screen.mouseReleaseEvent(mouse(QEvent.Type.MouseButtonRelease, qt_button))
        press = [m for m in sent if isinstance(m, imsg.MSGC_MOUSE_PRESS.cls)]
        release = [m for m in sent if isinstance(m, imsg.MSGC_MOUSE_RELEASE.cls)]
        assert [(m.button, m.buttons_state) for m in press] == [(spice_button, mask)]
        assert [(m.button, m.buttons_state) for m in release] == [(spice_button, 0)]
        position = [m for m in sent if isinstance(m, imsg.MSGC_MOUSE_POSITION.cls)]
        assert (position[0].x, position[0].y) == (10, 20)  # the click lands where the pointer is


def test_wheel_notches_and_touchpad_deltas(app) -> None:
    screen, _, sent = make_screen(app)

    def wheel(dy: int) -> None:
        screen.wheelEvent(
            QWheelEvent(
                QPointF(5, 5),
                QPointF(5, 5),
                QPoint(0, 0),
                QPoint(0, dy),
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
                Qt.ScrollPhase.NoScrollPhase,
                False,
            )
        )

    wheel(240)  # two notches up
    for _ in range(4):
        wheel(-30)  # a touchpad: one notch down in four small steps
    buttons = [m.button for m in sent if isinstance(m, imsg.MSGC_MOUSE_PRESS.cls)]
    assert buttons == [MouseButton.UP, MouseButton.UP, MouseButton.DOWN]


def key(kind: QEvent.Type, native: int, qt_key: Qt.Key) -> QKeyEvent:
    return QKeyEvent(kind, qt_key, Qt.KeyboardModifier.NoModifier, native, 0, 0)


def test_release_hotkey_and_focus_loss(app) -> None:
    screen, inputs, sent = make_screen(app)
    screen.input.set_mouse_mode(MouseMode.SERVER)
    screen.input.pointer_grabbed = True
    # Ctrl (xcb keycode 37) then Alt (64): the default release hotkey; both still reach the guest.
    screen.keyPressEvent(key(QEvent.Type.KeyPress, 37, Qt.Key.Key_Control))
    screen.keyPressEvent(key(QEvent.Type.KeyPress, 64, Qt.Key.Key_Alt))
    assert not screen.input.pointer_grabbed
    downs = [m.code for m in sent if isinstance(m, imsg.MSGC_KEY_DOWN.cls)]
    assert downs == [0x1D, 0x38]
    # Losing focus with keys held releases them in the guest.
    sent.clear()
    screen.focusOutEvent(_focus_out())
    ups = sorted(m.code for m in sent if isinstance(m, imsg.MSGC_KEY_UP.cls))
    assert ups == [0x9D, 0xB8]
    assert not inputs.pressed


def _focus_out():
    from PySide6.QtGui import QFocusEvent

    return QFocusEvent(QEvent.Type.FocusOut)


def test_hotkey_with_an_ordinary_key_is_swallowed(app) -> None:
    screen, _, sent = make_screen(app)
    screen.input.set_release_hotkey("shift+f12")
    screen.keyPressEvent(key(QEvent.Type.KeyPress, 50, Qt.Key.Key_Shift))  # xcb Shift_L
    screen.keyPressEvent(key(QEvent.Type.KeyPress, 96, Qt.Key.Key_F12))  # xcb F12
    assert [m.code for m in sent if isinstance(m, imsg.MSGC_KEY_DOWN.cls)] == [0x2A]


def test_send_keys_ctrl_alt_del(app) -> None:
    screen, _, sent = make_screen(app)
    screen.input.send_keys(["ctrl", "alt", "delete"])
    assert [type(m).__name__ for m in sent] == ["MsgcInputsKeyDown"] * 3 + ["MsgcInputsKeyUp"] * 3
    assert [m.code for m in sent] == [0x1D, 0x38, 0x53E0, 0xD3E0, 0xB8, 0x9D]


def test_motion_window_coalesces_until_acked() -> None:
    inputs, sent = make_inputs()
    window = 2 * INPUT_MOTION_ACK_BUNCH
    for i in range(window + 5):
        inputs.position(i, i, 0, 0)
    positions = [m for m in sent if isinstance(m, imsg.MSGC_MOUSE_POSITION.cls)]
    assert len(positions) == window  # the rest waits for the server's ack
    inputs.on_message(imsg.MSG_MOUSE_MOTION_ACK.cls(), 1)
    positions = [m for m in sent if isinstance(m, imsg.MSGC_MOUSE_POSITION.cls)]
    assert len(positions) == window + 1 and (positions[-1].x, positions[-1].y) == (window + 4, window + 4)
    # Relative motion adds up while held back.
    sent.clear()
    inputs.pointer.in_flight = window
    for _ in range(3):
        inputs.motion(2, -1, 0)
    assert sent == []
    inputs.on_message(imsg.MSG_MOUSE_MOTION_ACK.cls(), 2)
    (motion,) = sent
    assert (motion.dx, motion.dy) == (6, -3)
