"""The one exception every decoder raises on bad input."""


class DecodeError(ValueError):
    """Compressed data is truncated, corrupt or inconsistent with its header.

    Decoders raise only this on bad input, so the display channel can log it and go on.
    """
