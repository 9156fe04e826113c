"""Driving a VM over SPICE from Python: look at its screen, wait for a picture, type, click, use its agent.

    import spiceview

    with spiceview.connect("spice://127.0.0.1:5900", timeout=30) as vm:
        vm.wait_for_image("login.png")            # (x, y) where it appeared
        vm.type("secret\\n")
        vm.key("ctrl-alt-delete")
        vm.click(100, 200)
        vm.screenshot("after.png")

Every wait has a timeout (the session's, or the call's own); a failure raises ScriptError (WaitTimeout when a
wait ran out, SessionLost when the server went away) with one message that says what was waited for. Regions are
(x, y, width, height) in guest pixels of display 0 (or the `display` given to connect).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..canvas.png import read_png, write_png
from ..channels.signals import wait_for_events
from ..headless.session import HeadlessSession
from ..protocol.constants import MouseButton, MouseMode
from ..session.errors import ConfigError
from ..session.target import load_target
from . import matching
from .keys import KeyNameError, Stroke, parse_combo, text_strokes
from .matching import Region

if TYPE_CHECKING:
    from ..channels.inputs_channel import InputsChannel

POLL_S = 0.05
# In client mouse mode with a guest agent the server hands pointer positions to the agent, which moves the pointer
# later than the keys that follow arrive: a key typed at once went to the window under the old position.
AGENT_POINTER_SETTLE_S = 0.15
KEY_GAP_S = 0.04  # between typed characters: QEMU's emulated PS/2 keyboard loses keys sent in a burst
BUTTONS = {1: MouseButton.LEFT, 2: MouseButton.MIDDLE, 3: MouseButton.RIGHT, 4: MouseButton.UP, 5: MouseButton.DOWN}
BUTTON_MASKS = {
    MouseButton.LEFT: 1,
    MouseButton.MIDDLE: 2,
    MouseButton.RIGHT: 4,
    MouseButton.UP: 8,
    MouseButton.DOWN: 16,
}
Picture = np.ndarray | str | Path


class ScriptError(Exception):
    """A step that could not be done; str() is the one-line reason."""


class WaitTimeout(ScriptError):
    """A wait ran out of time."""


class SessionLost(ScriptError):
    """The server closed the session, or could not be reached."""


def connect(target: str | Path, *, password: str | None = None, timeout: float = 30.0, display: int = 0) -> Console:
    """A session to a spice:// URI or a .vv file, connected and showing its first complete picture."""
    try:
        params, _vv = load_target(target)
        params.require_endpoint()
    except ConfigError as exc:
        raise ScriptError(str(exc)) from None
    console = Console(params, password=password, timeout=timeout, display=display)
    try:
        console.wait_for_screen()
    except SessionLost:
        console.close()
        raise SessionLost(console.session.error or "the session ended") from None  # the reason alone
    except ScriptError:
        console.close()
        raise
    return console


class Console:
    def __init__(self, params: Any, *, password: str | None, timeout: float, display: int) -> None:
        self.timeout = timeout
        self.display_id = display
        self.session = HeadlessSession(params, password=password, timeout=timeout)
        self._buttons = 0
        self._pointer = (0, 0)  # where this script last put the pointer (vncdotool starts at the corner too)
        self._held: list[int] = []
        self.key_gap = KEY_GAP_S
        self._moved_at = 0.0

    # --- life cycle ---------------------------------------------------------------------------------------

    def __enter__(self) -> Console:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release what the script holds down, then disconnect."""
        try:
            if not self.session.error and (self._held or self._buttons):
                for code in reversed(self._held):
                    self._send_key(code, down=False)
                for button, mask in BUTTON_MASKS.items():
                    if self._buttons & mask:
                        self.mouse_up(int(button))
        except ScriptError:
            pass
        self.session.close()

    # --- looking ------------------------------------------------------------------------------------------

    def wait_for_screen(self, timeout: float | None = None) -> None:
        """The display exists and the server has sent its first complete picture."""
        self._wait(lambda: self._display_ready(), timeout, "the first picture of the display")

    def screenshot(self, path: str | Path | None = None, region: Region | None = None) -> np.ndarray:
        """The screen (or a region of it) as an (H, W, 3) R, G, B array; written as PNG when a path is given."""
        picture = self._crop(self._screen(), region)
        if path is not None:
            try:
                write_png(picture, str(path))
            except OSError as exc:
                raise ScriptError(f"cannot write {path}: {exc.strerror or exc}") from None
        return picture

    def wait_for_change(self, region: Region | None = None, timeout: float | None = None) -> None:
        """Until the region's pixels differ from what they are now."""
        before = self.screenshot(region=region)
        self._wait(
            lambda: not np.array_equal(self.screenshot(region=region), before),
            timeout,
            f"a change {self._where(region)}",
        )

    def wait_until_stable(self, seconds: float, region: Region | None = None, timeout: float | None = None) -> None:
        """Until the region has not changed for `seconds` (past a clock or a blinking cursor: give a region)."""
        last = [self.screenshot(region=region)]
        since = [time.monotonic()]

        def stable() -> bool:
            now = self.screenshot(region=region)
            if not np.array_equal(now, last[0]):
                last[0], since[0] = now, time.monotonic()
            return time.monotonic() - since[0] >= seconds

        self._wait(stable, timeout, f"{seconds:g} s without a change {self._where(region)}")

    def find_image(
        self, template: Picture, region: Region | None = None, threshold: float = 0
    ) -> tuple[int, int] | None:
        """Where the template is on the screen now (top-left x, y), or None."""
        picture = self._template(template)
        try:
            return matching.find(self._screen(), picture, threshold, region)
        except ValueError as exc:
            raise ScriptError(str(exc)) from None

    def wait_for_image(
        self,
        template: Picture,
        region: Region | None = None,
        timeout: float | None = None,
        threshold: float = 0,
    ) -> tuple[int, int]:
        """Until the template appears (anywhere, or inside the region); returns where (top-left x, y).
        threshold: how far any colour channel of any pixel may differ (0: exact)."""
        picture = self._template(template)
        found: list[tuple[int, int]] = []
        seen: list[tuple[int, ...]] = [()]

        def appeared() -> bool:
            drawn = self._drawn()
            if drawn == seen[0]:
                return False  # nothing new on the screen: the last search still holds
            seen[0] = drawn
            where = self.find_image(picture, region, threshold)
            if where is not None:
                found.append(where)
            return where is not None

        self._wait(appeared, timeout, f"{self._name(template)} {self._where(region)}")
        return found[0]

    def move_to_image(
        self, template: Picture, region: Region | None = None, timeout: float | None = None, threshold: float = 0
    ) -> tuple[int, int]:
        """Wait for the picture, then put the pointer on its centre (a button found by its looks); returns the
        centre."""
        picture = self._template(template)
        x, y = self.wait_for_image(template, region, timeout, threshold)
        centre = (x + picture.shape[1] // 2, y + picture.shape[0] // 2)
        self.move(*centre)
        return centre

    def wait_for_image_at(
        self, template: Picture, x: int, y: int, timeout: float | None = None, threshold: float = 0
    ) -> None:
        """Until the screen at (x, y) shows the template (vncdotool's rexpect)."""
        picture = self._template(template)
        region = (x, y, picture.shape[1], picture.shape[0])

        def there() -> bool:
            return matching.differs_at_most(self.screenshot(region=region), picture, threshold)

        self._wait(there, timeout, f"{self._name(template)} at {x},{y}")

    def pause(self, seconds: float) -> None:
        """Wait, while the session keeps answering the guest (time.sleep would leave, say, a clipboard request
        from the guest unanswered until the next call)."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if self.session.error is not None:
                raise SessionLost(f"the session ended: {self.session.error}")
            wait_for_events(min(POLL_S, left))

    # --- keyboard -----------------------------------------------------------------------------------------

    def key(self, combo: str) -> None:
        """Press and release a key or a combination: "enter", "ctrl-alt-delete", "shift-f10", "A"."""
        stroke = self._combo(combo)
        for code in stroke.scancodes:
            self._send_key(code, down=True)
        for code in reversed(stroke.scancodes):
            self._send_key(code, down=False)
        self._flush()

    def press(self, combo: str) -> None:
        """Press and hold (vncdotool's keydown); release() or the end of the session lets go."""
        for code in self._combo(combo).scancodes:
            self._send_key(code, down=True)
            self._held.append(code)
        self._flush()

    def release(self, combo: str) -> None:
        for code in reversed(self._combo(combo).scancodes):
            self._send_key(code, down=False)
            if code in self._held:
                self._held.remove(code)
        self._flush()

    def type(self, text: str) -> None:
        """Type text as a US keyboard types it (see spiceview.scripting.keys); a character the US layout cannot
        type is refused before anything is sent."""
        try:
            strokes = text_strokes(text)
        except KeyNameError as exc:
            raise ScriptError(str(exc)) from None
        for stroke in strokes:
            for code in stroke.scancodes:
                self._send_key(code, down=True)
            for code in reversed(stroke.scancodes):
                self._send_key(code, down=False)
            self.pause(self.key_gap)

    # --- mouse --------------------------------------------------------------------------------------------

    def move(self, x: int, y: int) -> None:
        """Put the pointer at (x, y) of the display."""
        inputs = self._inputs()
        if self.session.client.main.mouse_mode == MouseMode.CLIENT:
            inputs.position(x, y, self._buttons, self.display_id)
        else:  # server mouse mode: relative motion from where the guest's cursor is (or was left)
            cursor = self.session.client.cursor()
            px, py = cursor.state()[1] if cursor is not None and cursor.is_linked else self._pointer
            inputs.motion(x - px, y - py, self._buttons)
        self._pointer = (x, y)
        self._moved_at = time.monotonic()
        self._flush()

    def click(self, x: int | None = None, y: int | None = None, button: int = 1) -> None:
        """Press and release a button (1 left, 2 middle, 3 right, 4/5 wheel), at (x, y) or where the pointer is."""
        if x is not None and y is not None:
            self.move(x, y)
        self.mouse_down(button)
        self.mouse_up(button)

    def double_click(self, x: int | None = None, y: int | None = None, button: int = 1) -> None:
        self.click(x, y, button)
        self.click(button=button)

    def mouse_down(self, button: int = 1) -> None:
        which = self._button(button)
        self._buttons |= BUTTON_MASKS[which]
        self._inputs().button_press(which, self._buttons)
        self._flush()

    def mouse_up(self, button: int = 1) -> None:
        which = self._button(button)
        self._buttons &= ~BUTTON_MASKS[which]
        self._inputs().button_release(which, self._buttons)
        self._flush()

    def drag(self, x: int, y: int, *, button: int = 1, steps: int = 10, to: tuple[int, int] | None = None) -> None:
        """From (x, y) to `to` with the button held, in steps (an application sees a drag, not a jump); without
        `to`, from where the pointer is to (x, y) (vncdotool's drag X Y)."""
        start, end = ((x, y), to) if to is not None else (self._pointer, (x, y))
        self.move(*start)
        self.mouse_down(button)
        for i in range(1, steps + 1):
            self.move(
                round(start[0] + (end[0] - start[0]) * i / steps), round(start[1] + (end[1] - start[1]) * i / steps)
            )
            time.sleep(0.01)
        self.mouse_up(button)

    def scroll(self, clicks: int, x: int | None = None, y: int | None = None) -> None:
        """Turn the wheel: clicks > 0 scrolls up, < 0 down."""
        if x is not None and y is not None:
            self.move(x, y)
        for _ in range(abs(clicks)):
            self.click(button=4 if clicks > 0 else 5)

    # --- guest agent --------------------------------------------------------------------------------------

    def set_clipboard(self, text: str) -> None:
        """Offer text as the client's clipboard (the guest agent pastes it)."""
        self._call(lambda: self.session.set_clipboard_text(text), "the guest agent")

    def get_clipboard(self, timeout: float | None = None) -> str:
        """The text on the guest's clipboard."""
        data = self._call(lambda: self.session.get_clipboard(timeout=timeout), "the guest's clipboard")
        return data.decode("utf-8", errors="replace")

    def send_file(self, path: str | Path, timeout: float | None = None) -> None:
        """Copy a file into the guest (its agent's transfer directory)."""
        if not Path(path).is_file():
            raise ScriptError(f"{path}: no such file")
        self._call(lambda: self.session.send_file(path, timeout), f"the transfer of {path}")

    def statistics(self) -> dict[str, Any]:
        """The link and display figures (spiceview.channels.stats): rates since the previous call."""
        return self.session.statistics()

    # --- helpers ------------------------------------------------------------------------------------------

    def _wait(self, condition: Any, timeout: float | None, what: str) -> None:
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            if self.session.error is not None:
                raise SessionLost(f"the session ended while waiting for {what}: {self.session.error}")
            if condition():
                return
            if time.monotonic() > deadline:
                raise WaitTimeout(f"timed out after {limit:g} s waiting for {what}")
            wait_for_events(POLL_S)

    def _call(self, fn: Any, what: str) -> Any:
        try:
            return fn()
        except TimeoutError as exc:
            raise WaitTimeout(f"timed out waiting for {what} ({exc})") from None
        except ConnectionError as exc:
            raise SessionLost(f"the session ended: {exc}") from None
        except RuntimeError as exc:
            raise ScriptError(str(exc)) from None

    def _display_ready(self) -> bool:
        for display in self.session.client.displays():
            if display.channel_id == self.display_id:
                return display.primary is not None and display.mark_event.is_set()
        return False

    def _screen(self) -> np.ndarray:
        self.wait_for_screen()
        display = next(d for d in self.session.client.displays() if d.channel_id == self.display_id)
        primary = display.primary
        if primary is None:
            raise SessionLost("the display has no screen (the guest turned it off)")
        return primary.rgb_copy()

    def _drawn(self) -> tuple[int, ...]:
        """Changes whenever the screen may have: drawing commands, stream frames, a new primary surface."""
        for display in self.session.client.displays():
            if display.channel_id == self.display_id:
                return (display.draw_count, display.stream_frames, id(display.primary))
        return ()

    def _crop(self, picture: np.ndarray, region: Region | None) -> np.ndarray:
        try:
            return matching.crop(picture, region).copy()
        except ValueError as exc:
            raise ScriptError(str(exc)) from None

    def _template(self, template: Picture) -> np.ndarray:
        if isinstance(template, np.ndarray):
            if template.ndim != 3 or template.shape[2] != 3 or template.dtype != np.uint8:
                raise ScriptError(
                    f"a template is an (H, W, 3) uint8 R, G, B array, not {template.dtype} {template.shape}"
                )
            return template
        if not Path(template).is_file():
            raise ScriptError(f"{template}: no such file")
        try:
            return read_png(str(template))
        except ValueError as exc:
            raise ScriptError(str(exc)) from None

    @staticmethod
    def _name(template: Picture) -> str:
        return "the picture" if isinstance(template, np.ndarray) else str(template)

    @staticmethod
    def _where(region: Region | None) -> str:
        return "on the screen" if region is None else "in {2}x{3}+{0}+{1}".format(*region)

    def _combo(self, combo: str) -> Stroke:
        try:
            return parse_combo(combo)
        except KeyNameError as exc:
            raise ScriptError(str(exc)) from None

    def _button(self, button: int) -> MouseButton:
        if button not in BUTTONS:
            raise ScriptError(f"mouse button {button} does not exist (1 left, 2 middle, 3 right, 4/5 wheel)")
        return BUTTONS[button]

    def _inputs(self) -> InputsChannel:
        return self._call(self.session.inputs, "the inputs channel")

    def _send_key(self, code: int, *, down: bool) -> None:
        main = self.session.client.main
        if main.mouse_mode == MouseMode.CLIENT and main.agent_connected:
            self.pause(self._moved_at + AGENT_POINTER_SETTLE_S - time.monotonic())
        self._call(lambda: self.session.send_scancode(code, down=down), "the inputs channel")

    def _flush(self) -> None:
        wait_for_events(0)
