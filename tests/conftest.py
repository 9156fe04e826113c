"""Shared fixtures: real servers from spiceview_lab, stopped by PID at teardown, and an artifacts dir."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from spiceview_lab.requirements import require

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session", autouse=True)
def qt_application() -> object:
    """One QApplication per test process, made before any test: a QWidget needs one, and a bare QCoreApplication
    made first (by any code) would abort the whole process when a QWidget comes (which test runs first in a
    worker depends on how xdist shares them out)."""
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["spiceview-tests", "-platform", "offscreen"])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # Remember each phase's report so fixtures can keep server logs of failed tests.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    rep = getattr(request.node, "rep_call", None)
    return rep is None or rep.failed


def _artifacts(request: pytest.FixtureRequest) -> Path:
    name = f"{request.node.path.stem}.{request.node.name}"
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9_.=-]+", "_", name)[:150]


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """test-artifacts/<module>.<test>/ (emptied first): PNGs and logs for humans to look at."""
    path = _artifacts(request)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture
def xspice(request: pytest.FixtureRequest) -> Iterator[Callable[..., object]]:
    """Factory: xspice(**XspiceServer options) -> a started XspiceServer; all are stopped at teardown.

    The logs of the servers of a failed test are copied to its artifacts dir.
    """
    require("Xspice", "spiceqxl")
    from spiceview_lab.xspice import XspiceServer

    servers: list[XspiceServer] = []

    def start(**options: object) -> XspiceServer:
        # keep_files: the teardown below decides (logs of failed tests go to the artifacts dir).
        server = XspiceServer(**{"keep_files": True, **options})  # type: ignore[arg-type]
        servers.append(server)
        return server.start()

    yield start
    for server in reversed(servers):
        server.stop()
        if server.tmpdir is not None:
            if _failed(request):
                keep = _artifacts(request) / f"xspice-{server.tmpdir.name}"
                keep.mkdir(parents=True, exist_ok=True)
                for log in server.tmpdir.rglob("*.log"):
                    shutil.copy(log, keep / log.name)
            shutil.rmtree(server.tmpdir, ignore_errors=True)


@pytest.fixture
def xvfb() -> Iterator[Callable[..., object]]:
    """Factory: xvfb(width=1280, height=1024, depth=24) -> a started XvfbServer (client side display)."""
    require("Xvfb")
    from spiceview_lab.xvfb import XvfbServer

    servers: list[XvfbServer] = []

    def start(width: int = 1280, height: int = 1024, depth: int = 24) -> XvfbServer:
        server = XvfbServer(width, height, depth)
        servers.append(server)
        return server.start()

    yield start
    for server in reversed(servers):
        server.stop()
