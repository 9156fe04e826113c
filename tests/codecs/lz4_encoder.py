"""A test-only SPICE LZ4 image encoder, built like spice-server's: a top_down byte, the bitmap
format byte, then big-endian-sized LZ4 blocks of whole rows compressed as one stream (each block
may reference the 64 KiB of rows before it).
"""

from __future__ import annotations

import struct

import lz4.block
import numpy as np


def encode_lz4(rows: np.ndarray, fmt: int, top_down: bool = True, rows_per_block: int = 0) -> bytes:
    """rows: (H, W*bpp) raw wire rows in display order; blocks of `rows_per_block` rows."""
    wire = rows if top_down else rows[::-1]
    raw = wire.tobytes()
    step = (rows_per_block or len(rows)) * rows.shape[1]
    out = bytearray([int(top_down), fmt])
    for start in range(0, len(raw), step):
        history = raw[max(0, start - 65536) : start]
        block = lz4.block.compress(raw[start : start + step], store_size=False, dict=history)
        out += struct.pack(">I", len(block)) + block
    return bytes(out)
