"""Options given on the command line apply to a connection chosen in the connect dialog too (they were dropped)."""

from __future__ import annotations

import pytest

from spiceview.cli import build_parser
from spiceview.session.errors import ConfigError
from spiceview.session.params import ConnectionParams


def test_full_screen_zoom_and_title_reach_the_dialogs_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from spiceview.ui import app

    monkeypatch.setattr(app, "ask_for_target", lambda: ConnectionParams(host="vm.example", port=5900))
    args = build_parser().parse_args(["-f", "--zoom", "150", "--title", "Build box"])
    params = app.params_from_dialog(args)
    assert params is not None
    assert (params.host, params.port, params.fullscreen, params.zoom, params.title) == (
        "vm.example",
        5900,
        True,
        150,
        "Build box",
    )


def test_a_bad_option_is_said_after_the_dialog_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from spiceview.ui import app

    monkeypatch.setattr(app, "ask_for_target", lambda: ConnectionParams(host="vm.example", port=5900))
    with pytest.raises(ConfigError, match="--zoom 5: must be between 10 and 400"):
        app.params_from_dialog(build_parser().parse_args(["--zoom", "5"]))


def test_cancelling_the_dialog_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from spiceview.ui import app

    monkeypatch.setattr(app, "ask_for_target", lambda: None)
    assert app.params_from_dialog(build_parser().parse_args(["-f"])) is None
