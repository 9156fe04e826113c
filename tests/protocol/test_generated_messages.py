"""messages/classes.py is generated from the layouts; the checked-in copy must be what the generator writes now."""

from __future__ import annotations

from tools.generate_messages import OUT, generate


def test_checked_in_classes_match_the_layouts() -> None:
    assert OUT.read_text() == generate(), "messages/classes.py is stale: run python -m tools.generate_messages"


def test_a_class_made_directly_maps_to_its_number_before_its_layout_was_used() -> None:
    """In a fresh interpreter (nothing bound yet), every generated client and server class finds its number."""
    import subprocess
    import sys

    script = """
from spiceview.protocol.messages import classes
from spiceview.protocol.messages.registry import SCHEMAS
for schema in SCHEMAS.values():
    for table, number_of in ((schema.client, schema.client_number), (schema.server, schema.server_number)):
        for number, defn in table.items():
            made = getattr(classes, defn.layout.name)()  # before defn.cls was ever looked at
            assert number_of(made) == number, (defn.name, number)
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]
