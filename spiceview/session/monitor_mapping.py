"""remote-viewer's --monitor-mapping option, checked before anything connects."""

from __future__ import annotations

from .errors import ConfigError


def parse_mapping(text: str | None) -> dict[int, int]:
    """remote-viewer's monitor-mapping syntax: '1:2;2:1' = guest monitor 1 on client screen 2, 2 on 1."""
    if not text:
        return {}
    mapping: dict[int, int] = {}
    for pair in filter(None, (p.strip() for p in text.split(";"))):
        guest, _, client = pair.partition(":")
        if not (guest.strip().isdigit() and client.strip().isdigit()):
            raise ConfigError(f"monitor mapping {text!r}: {pair!r} is not GUEST:CLIENT")
        g, c = int(guest), int(client)
        if g < 1 or c < 1 or g in mapping or c in mapping.values():
            raise ConfigError(f"monitor mapping {text!r}: monitors count from 1, each once")
        mapping[g] = c
    return mapping
