"""Fixtures of the live tests that drive spiceview's own windows in this process (offscreen Qt)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from spiceview.cli import apply_options, build_parser, load_target
from spiceview.ui.app import SessionRunner
from spiceview.ui.preferences import Preferences


@pytest.fixture
def runner_for(qt_application) -> Iterator[Callable[..., SessionRunner]]:  # noqa: ANN001
    """runner_for(uri, *options) -> a started SessionRunner (windows offscreen, no sound), stopped at teardown."""
    runners: list[SessionRunner] = []

    def make(uri: str, *argv: str, before_start: Callable[[SessionRunner], None] | None = None) -> SessionRunner:
        args = build_parser().parse_args(["--spice-disable-audio", "--timeout", "5", *argv, uri])
        params, _vv = load_target(uri)
        runner = SessionRunner(qt_application, apply_options(params, args), args, Preferences(scaling="1:1"))
        runner.ask_credentials = lambda reason, sasl: None  # no dialog in a test unless the test answers
        runners.append(runner)
        if before_start is not None:
            before_start(runner)
        runner.start()
        return runner

    yield make
    for runner in runners:
        if runner.viewer is not None:
            runner.viewer.shutdown()
        runner.stop()
        qt_application.processEvents()
