"""Errors of drawing: a command that cannot be drawn is logged and skipped."""

from typing import TypeVar

T = TypeVar("T")


class DrawError(ValueError):
    """A draw command refers to something that does not exist or cannot be drawn."""


def required(value: T | None, what: str) -> T:
    """A field the layout makes optional (a switch member, a nullable pointer) that this command needs."""
    if value is None:
        raise DrawError(f"{what} missing")
    return value
