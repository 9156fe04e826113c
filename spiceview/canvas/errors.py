"""Errors of drawing: a command that cannot be drawn is logged and skipped."""


class DrawError(ValueError):
    """A draw command refers to something that does not exist or cannot be drawn."""
