"""Live migration between two real QEMUs: the session follows the VM to the destination server.

spiceview links every channel to the destination as soon as the source names it (MIGRATE_BEGIN, or the seamless
variant when both QEMUs run with seamless-migration=on), answers, and moves the channels over when the VM has
moved: seamless keeps the display channel, its surfaces, the caches and the GLZ window; semi-seamless starts the
display afresh on links made in advance. QEMU 7.2's client_migrate_info does not wait for the client: a VM that
finishes moving before the client answered leaves only SWITCH_HOST, the full reconnect (the first test's path).
Stopping the source afterwards must not end the session: it really moved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from spiceview.headless.session import HeadlessSession
from spiceview.protocol.migration import Phase
from spiceview_lab import xwd
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

CURSOR_BLINK_PIXELS = 18  # SeaBIOS's blinking text cursor


def answered(s: HeadlessSession) -> Callable[[], None]:
    """Waits until spiceview has answered the source (what libvirt waits for before it migrates)."""

    def wait() -> None:
        s.wait_until(
            lambda: s.client.migration is not None and s.client.migration.phase is Phase.CONNECTED,
            timeout=15,
            what="spiceview's answer to MIGRATE_BEGIN",
        )

    return wait


def differing_from_screendump(
    s: HeadlessSession,
    server,  # noqa: ANN001
    artifacts_dir: Path,
    name: str,
    settle_s: float = 10.0,
) -> int:
    """Pixels of spiceview's picture that differ from the server's screendump, once they agree (up to the blinking
    cursor) or `settle_s` has passed: a fresh display after a move receives the screen over several draws, and the
    first one is not all of it (a comparison right after it failed now and then under load)."""
    deadline = time.monotonic() + settle_s
    while True:
        dump = xwd.load_ppm(server.qmp.screendump(artifacts_dir / f"{name}.ppm"))
        shot = s.screenshot(artifacts_dir / f"{name}-spiceview.png")
        assert shot.shape[:2] == dump.shape[:2]
        differing = int(np.any(shot[..., :3] != dump[..., :3], axis=-1).sum())
        if differing <= CURSOR_BLINK_PIXELS or time.monotonic() > deadline:
            return differing
        time.sleep(0.2)  # the session's channels keep drawing on their own threads meanwhile


@pytest.mark.parametrize("seamless", [True, False], ids=["seamless", "semi-seamless"])
def test_session_moves_over_links_made_in_advance(artifacts_dir: Path, seamless: bool) -> None:
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    with QemuServer(seamless_migration=seamless) as src, HeadlessSession(src.uri, timeout=60) as s:
        s.wait_for_frame()
        display, glz, pixmaps = s.display(), s.client.glz_window, s.client.pixmap_cache
        with QemuServer(incoming=True, seamless_migration=seamless) as dst:
            assert src.migrate_to(dst, before_migrate=answered(s))["status"] == "completed"
            s.wait_until(lambda: bool(s.client.migrations), timeout=30, what="the hand-over")
            (record,) = s.client.migrations
            assert record["mode"] == ("seamless" if seamless else "semi-seamless"), record
            assert record["phase"] == "done", record
            assert s.client.main.received["migrate_switch_host"] == 0  # no fallback on the wire
            assert s.client.redirect is not None and s.client.redirect[:2] == ("127.0.0.1", dst.port)
            if seamless:  # nothing was reset: the same display channel, surfaces, caches and GLZ window
                assert s.display() is display and s.client.glz_window is glz and s.client.pixmap_cache is pixmaps
                assert display.received["migrate"] == 1 and display.received["migrate_data"] == 1
            else:  # links made in advance, a fresh display on them
                s.wait_until(
                    lambda: s.display() is not display and s.display().primary is not None,
                    timeout=30,
                    what="the destination's display",
                )
            src.stop()  # only the destination serves the session now
            drawn = sum(s.display().received.values())
            s.wait_until(lambda: sum(s.display().received.values()) > drawn, timeout=10, what="a draw")
            assert s.error is None
            assert all(c.is_linked for c in s.client.all_channels()) and s.client.main.is_linked
            assert {c.name for c in s.client.all_channels()} >= {"display-0", "inputs-0", "cursor-0"}
            assert differing_from_screendump(s, dst, artifacts_dir, "dst") <= CURSOR_BLINK_PIXELS


def test_seamless_migration_over_tls_links_the_destinations_tls_port(artifacts_dir: Path) -> None:
    """Every channel on TLS: the links made in advance go to the destination's TLS port, verified with the same CA."""
    require("qemu-system-x86_64")
    from dataclasses import replace

    from spiceview.session.uri import parse_spice_uri
    from spiceview_lab.qemu import QemuServer

    with QemuServer(tls=True, seamless_migration=True) as src:
        assert src.tls_port is not None and src.ca_file is not None
        params = replace(
            parse_spice_uri(f"spice+tls://127.0.0.1:{src.tls_port}"), ca_file=str(src.ca_file), secure_channels=["all"]
        )
        with HeadlessSession(params, timeout=60) as s:
            s.wait_for_frame()
            with QemuServer(tls=True, seamless_migration=True, incoming=True, x509=src.x509) as dst:
                assert src.migrate_to(dst, before_migrate=answered(s))["status"] == "completed"
                s.wait_until(lambda: bool(s.client.migrations), timeout=30, what="the hand-over")
                assert s.client.migrations[0]["mode"] == "seamless", s.client.migrations
                assert all(c.uses_tls for c in [s.client.main, *s.client.all_channels()])
                assert s.client.endpoint_for(0, True).port == dst.tls_port
                src.stop()
                drawn = sum(s.display().received.values())
                s.wait_until(lambda: sum(s.display().received.values()) > drawn, timeout=10, what="a draw")
                assert differing_from_screendump(s, dst, artifacts_dir, "dst") <= CURSOR_BLINK_PIXELS


def test_session_follows_the_vm_to_the_destination(artifacts_dir: Path) -> None:
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    with QemuServer() as src, HeadlessSession(src.uri, timeout=60) as s:
        s.wait_for_frame()
        before = s.display()
        with QemuServer(incoming=True) as dst:
            assert src.migrate_to(dst)["status"] == "completed"
            s.wait_until(
                lambda: (
                    s.client.redirect is not None
                    and s.client.displays()
                    and s.client.displays()[0] is not before
                    and s.client.displays()[0].primary is not None
                ),
                timeout=30,
                what="the display of the destination",
            )
            assert s.client.redirect[:2] == ("127.0.0.1", dst.port)
            # Migrated at once, QEMU did not wait for spiceview's links: usually switch-host, and the record says
            # why; on a fast day the links were up in the few milliseconds the VM took to move.
            record = s.client.migrations[-1]
            assert record["mode"] in ("switch-host", "semi-seamless"), record
            if record["mode"] == "switch-host":
                assert "before the links to the destination were up" in str(record["reason"]), record
            src.stop()  # the source is gone: only the destination serves the session now
            s.wait_for_frame()
            time.sleep(1.0)
            assert s.error is None
            assert all(c.is_linked for c in s.client.all_channels())
            assert {c.name for c in s.client.all_channels()} >= {"display-0", "inputs-0", "cursor-0"}
            s.wait_until(lambda: all(c.finished() for c in s.client.retired_channels), timeout=10)
            differing = differing_from_screendump(s, dst, artifacts_dir, "dst")
            assert differing <= CURSOR_BLINK_PIXELS, f"{differing} pixels differ from the destination's screendump"


def window_shows(window, truth: np.ndarray) -> bool:  # noqa: ANN001
    surface = window.screen_widget.display_layer.surface
    if surface is None:
        return False
    rgb = surface.rgb_copy()
    if rgb.shape[:2] != truth.shape[:2]:
        return False
    return int(np.any(rgb != truth[..., :3][..., ::-1], axis=-1).sum()) <= CURSOR_BLINK_PIXELS


def test_viewer_window_stays_through_a_seamless_migration(qt_application, runner_for, artifacts_dir: Path) -> None:  # noqa: ANN001
    """The real viewer, in-process: the same window before, during and after; the destination's picture in it."""
    require("qemu-system-x86_64")
    from spiceview.session.reconnect import Phase as RunnerPhase
    from spiceview.ui.main_window import MainWindow
    from spiceview_lab.qemu import QemuServer
    from spiceview_lab.qt_wait import pump

    def screendump(server, name: str) -> np.ndarray:  # noqa: ANN001
        return xwd.load_ppm(server.qmp.screendump(artifacts_dir / name))  # B, G, R like xwd captures

    def windows() -> list[MainWindow]:
        return [w for w in qt_application.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]

    with QemuServer(seamless_migration=True) as src:
        runner = runner_for(src.uri)
        pump(
            qt_application,
            lambda: len(windows()) == 1 and window_shows(windows()[0], screendump(src, "src.ppm")),
            30,
            "the picture",
        )
        (window,) = windows()
        client = runner.client
        assert client is not None
        with QemuServer(incoming=True, seamless_migration=True) as dst:

            def wait_for_answer() -> None:
                pump(
                    qt_application,
                    lambda: client.migration is not None and client.migration.phase is Phase.CONNECTED,
                    15,
                    "spiceview's answer",
                )

            assert src.migrate_to(dst, before_migrate=wait_for_answer)["status"] == "completed"
            pump(qt_application, lambda: bool(client.migrations), 30, "the hand-over")
            assert client.migrations[0]["mode"] == "seamless", client.migrations
            src.stop()
            pump(
                qt_application,
                lambda: window_shows(window, screendump(dst, "dst.ppm")),
                30,
                "the destination's picture",
            )
            qt_application.processEvents()
            assert windows() == [window]  # never closed, never replaced
            assert runner.client is client and runner.plan.phase is RunnerPhase.CONNECTED
            assert runner.plan.failures == 0
            assert client.main.is_linked and client.main.received["migrate_switch_host"] == 0
            port = dst.port
        # The destination goes away too and comes back on its port: the reconnect goes there, not to the source.
        with QemuServer(port=port) as again:
            shows_again = lambda: runner.client is not client and window_shows(window, screendump(again, "again.ppm"))  # noqa: E731
            pump(qt_application, shows_again, 60, "the restarted destination in the same window")
            assert windows() == [window]
