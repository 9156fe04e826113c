"""messages/classes.py is generated from the layouts; the checked-in copy must be what the generator writes now."""

from __future__ import annotations

from tools.generate_messages import OUT, generate


def test_checked_in_classes_match_the_layouts() -> None:
    assert OUT.read_text() == generate(), "messages/classes.py is stale: run python -m tools.generate_messages"
