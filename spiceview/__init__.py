"""spiceview: a desktop SPICE client."""

__version__ = "0.1.0"
