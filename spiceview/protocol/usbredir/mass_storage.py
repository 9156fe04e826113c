"""An emulated USB mass-storage device: bulk-only transport (BOT) carrying SCSI block commands (a disk) or MMC
commands (a CD-ROM of an ISO image), backed by a file.

Pure logic over a file object: the usb-host adapter (host.py) feeds it the guest's control requests and bulk
transfers and sends back what it answers. A disk image is read-only unless `writable`; hostile or unknown
commands get SCSI CHECK CONDITION with sense data (never an exception), transfers are bounded by the CBW and the
medium's size, and a CBW that is not one (wrong signature or length) stalls the pipe as the BOT spec says.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

BLOCK = 512
CD_BLOCK = 2048
CBW = struct.Struct("<IIIBBB16s")  # signature, tag, data length, flags, LUN, CB length, CB
CSW = struct.Struct("<IIIB")
CBW_SIGNATURE, CSW_SIGNATURE = 0x43425355, 0x53425355
PASSED, FAILED, PHASE_ERROR = 0, 1, 2
MAX_TRANSFER = 1024 * 1024  # one command moves at most this much (Linux asks for 120-240 KiB at most)
VENDOR_ID, PRODUCT_ID = 0x1209, 0x0001  # pid.codes' test identifiers: no one else's product
BULK_IN, BULK_OUT = 0x81, 0x02
# Sense keys and additional sense codes (SPC)
NOT_READY, MEDIUM_ERROR, ILLEGAL_REQUEST, DATA_PROTECT = 0x02, 0x03, 0x05, 0x07
INVALID_OPCODE, LBA_OUT_OF_RANGE, INVALID_FIELD, WRITE_PROTECTED = (0x20, 0), (0x21, 0), (0x24, 0), (0x27, 0)
MMC = (0x43, 0x4A, 0x46, 0x51, 0xBB)  # READ TOC, GET EVENT STATUS, GET CONFIGURATION, READ DISC INFO, SET CD SPEED


def descriptors(product: str, serial: str) -> dict[tuple[int, int], bytes]:
    """(descriptor type, index) -> bytes: device, configuration (interface, two bulk endpoints), strings."""
    device = struct.pack("<BBHBBBBHHHBBBB", 18, 1, 0x0200, 0, 0, 0, 64, VENDOR_ID, PRODUCT_ID, 0x0100, 1, 2, 3, 1)
    interface = struct.pack("<BBBBBBBBB", 9, 4, 0, 0, 2, 0x08, 0x06, 0x50, 0)  # mass storage, SCSI, bulk-only
    ep_in = struct.pack("<BBBBHB", 7, 5, BULK_IN, 2, 512, 0)
    ep_out = struct.pack("<BBBBHB", 7, 5, BULK_OUT, 2, 512, 0)
    body = interface + ep_in + ep_out
    config = struct.pack("<BBHBBBBB", 9, 2, 9 + len(body), 1, 1, 0, 0x80, 50) + body
    qualifier = struct.pack("<BBHBBBBBB", 10, 6, 0x0200, 0, 0, 0, 64, 1, 0)

    def string(text: str) -> bytes:
        raw = text.encode("utf-16-le")[:250]
        return bytes([2 + len(raw), 3]) + raw

    return {
        (1, 0): device,
        (2, 0): config,
        (6, 0): qualifier,
        (3, 0): bytes([4, 3, 0x09, 0x04]),  # US English
        (3, 1): string("spiceview"),
        (3, 2): string(product),
        (3, 3): string(serial),
    }


@dataclass
class Sense:
    key: int = 0
    asc: int = 0
    ascq: int = 0


class MassStorage:
    """One LUN over BOT. Call `bulk_out(data)` for the guest's OUT transfers and `bulk_in(length)` for its IN
    requests (None: nothing to send yet, the request waits); `reset()` for a BOT reset."""

    def __init__(
        self,
        medium: BinaryIO,
        size: int,
        *,
        writable: bool = False,
        product: str = "Shared disk image",
        cdrom: bool = False,
    ) -> None:
        self.cdrom = cdrom
        self.block = CD_BLOCK if cdrom else BLOCK
        if size <= 0 or size % self.block:
            raise ValueError(f"an image of {size} bytes: not a whole number of {self.block}-byte blocks")
        self.medium = medium
        self.blocks = size // self.block
        self.writable = writable and not cdrom  # a CD-ROM is read-only whatever is asked
        self.product = product
        self.sense = Sense()
        self._tag = 0
        self._residue = 0
        self._status = PASSED
        self._in = bytearray()  # data waiting for IN requests (then the CSW)
        self._out_left = 0  # bytes still expected from the guest for the current command
        self._out_data = bytearray()
        self._write_at: int | None = None
        self._csw_due = False
        self._short = False
        self.stalled = False

    def reset(self) -> None:
        self._short = False
        self._in.clear()
        self._out_data.clear()
        self._out_left = 0
        self._csw_due = False
        self.stalled = False

    # --- the pipes ----------------------------------------------------------------------------------------

    def bulk_out(self, data: bytes) -> bool:
        """The guest's OUT transfer; False: the pipe stalls (not a valid CBW where one was due)."""
        if self._out_left:
            take = data[: self._out_left]
            self._out_data += take
            self._out_left -= len(take)
            if not self._out_left:
                self._finish_write()
            return True
        if len(data) != CBW.size:
            self.stalled = True
            return False
        signature, tag, length, flags, lun, cb_length, cb = CBW.unpack(data)
        if signature != CBW_SIGNATURE or not 1 <= cb_length <= 16:
            self.stalled = True
            return False
        self._tag = tag
        self._in.clear()
        self._short = False
        self._command(cb[:cb_length], min(length, MAX_TRANSFER), bool(flags & 0x80), lun, length)
        return True

    def bulk_in(self, length: int) -> bytes | None:
        """Up to `length` bytes for the guest's IN request: command data, then the CSW; None: nothing yet."""
        if self._in:
            chunk = bytes(self._in[:length])
            del self._in[:length]
            return chunk
        if self._short:
            self._short = False
            return b""
        if self._csw_due:
            self._csw_due = False
            return CSW.pack(CSW_SIGNATURE, self._tag, self._residue, self._status)
        return None

    # --- SCSI ---------------------------------------------------------------------------------------------

    def _command(self, cb: bytes, length: int, data_in: bool, lun: int, asked: int) -> None:
        op = cb[0]
        self._status, self._residue = PASSED, asked
        reply: bytes | None = None
        if lun != 0:
            reply = self._fail(ILLEGAL_REQUEST, (0x25, 0))  # logical unit not supported
        elif op == 0x00:  # TEST UNIT READY
            reply = b""
        elif op == 0x03:  # REQUEST SENSE
            s = self.sense
            reply = struct.pack(">BBBIBIBBBBBB", 0x70, 0, s.key, 0, 10, 0, s.asc, s.ascq, 0, 0, 0, 0)
            self.sense = Sense()
        elif op == 0x12:  # INQUIRY
            reply = self._inquiry(cb)
        elif op in (0x1A, 0x5A):  # MODE SENSE (6) / (10): no pages, the write-protect bit
            wp = 0 if self.writable else 0x80
            reply = bytes([3, 0, wp, 0]) if op == 0x1A else bytes([0, 6, 0, wp, 0, 0, 0, 0])
        elif op in (0x1E, 0x1B, 0x35, 0x2F):  # PREVENT ALLOW, START STOP, SYNCHRONIZE CACHE, VERIFY
            if op == 0x35:
                self.medium.flush()
            reply = b""
        elif op == 0x25:  # READ CAPACITY (10)
            reply = struct.pack(">II", min(self.blocks - 1, 0xFFFFFFFF), self.block)
        elif op == 0x9E and (cb[1] & 0x1F) == 0x10:  # READ CAPACITY (16)
            reply = struct.pack(">QI", self.blocks - 1, self.block) + bytes(20)
        elif op == 0x23:  # READ FORMAT CAPACITIES
            reply = struct.pack(">I", 8) + struct.pack(">I", self.blocks) + bytes([2]) + self.block.to_bytes(3, "big")
        elif self.cdrom and op in MMC:
            reply = self._mmc(op, cb)
        elif op in (0x28, 0xA8, 0x88, 0x08):  # READ (10) / (12) / (16) / (6)
            reply = self._read(op, cb)
        elif op in (0x2A, 0xAA, 0x8A, 0x0A):  # WRITE (10) / (12) / (16) / (6)
            self._start_write(op, cb, length, data_in)
            return
        else:
            reply = self._fail(ILLEGAL_REQUEST, INVALID_OPCODE)
        if data_in and reply:
            data = reply[:length]
            self._in += data
            self._residue = asked - len(data)
        elif data_in and asked:
            self._short = True  # no data (a failed command): a zero-length packet ends the data phase
        elif not data_in and asked:
            self._out_left = min(asked, MAX_TRANSFER)  # data the command did not want: taken and dropped
            self._write_at = None
        self._csw_due = not self._out_left

    def _inquiry(self, cb: bytes) -> bytes:
        if cb[1] & 1:  # vital product data pages: only the list of them (none)
            return bytes([0, cb[2], 0, 0]) if cb[2] == 0 else self._fail(ILLEGAL_REQUEST, INVALID_FIELD)
        vendor = b"spiceviw"
        product = self.product.encode("ascii", "replace")[:16].ljust(16)
        kind = 0x05 if self.cdrom else 0x00  # CD/DVD device, or direct-access block device
        return bytes([kind, 0x80, 0x05, 0x02, 31, 0, 0, 0]) + vendor + product + b"0.1 "

    def _lba_count(self, op: int, cb: bytes) -> tuple[int, int]:
        if op in (0x28, 0x2A):
            lba, count = struct.unpack_from(">IxH", cb, 2)
        elif op in (0xA8, 0xAA):
            lba, count = struct.unpack_from(">II", cb, 2)
        elif op in (0x88, 0x8A):
            lba, count = struct.unpack_from(">QI", cb, 2)
        else:  # (6): 21-bit LBA, 0 blocks means 256
            lba = int.from_bytes(cb[1:4], "big") & 0x1FFFFF
            count = cb[4] or 256
        return lba, count

    def _read(self, op: int, cb: bytes) -> bytes:
        lba, count = self._lba_count(op, cb)
        if lba + count > self.blocks:
            return self._fail(ILLEGAL_REQUEST, LBA_OUT_OF_RANGE)
        count = min(count, MAX_TRANSFER // self.block)
        try:
            self.medium.seek(lba * self.block)
            data = self.medium.read(count * self.block)
        except OSError:
            return self._fail(MEDIUM_ERROR, (0x11, 0))  # unrecovered read error
        return data.ljust(count * self.block, b"\0")

    def _start_write(self, op: int, cb: bytes, length: int, data_in: bool) -> None:
        lba, count = self._lba_count(op, cb)
        if not self.writable:
            self._fail(DATA_PROTECT, WRITE_PROTECTED)
        elif lba + count > self.blocks or data_in:
            self._fail(ILLEGAL_REQUEST, LBA_OUT_OF_RANGE if not data_in else INVALID_FIELD)
        self._write_at = lba * self.block if self._status == PASSED else None
        self._out_left = 0 if data_in else min(length, count * self.block, MAX_TRANSFER)
        self._out_data.clear()
        self._residue = length - self._out_left if self._status == PASSED else length
        if not self._out_left:
            self._csw_due = True

    def _finish_write(self) -> None:
        if self._write_at is not None and self._status == PASSED:
            try:
                self.medium.seek(self._write_at)
                self.medium.write(bytes(self._out_data))
            except OSError:
                self._fail(MEDIUM_ERROR, (0x0C, 0))  # write error
        self._out_data.clear()
        self._write_at = None
        self._csw_due = True

    def _mmc(self, op: int, cb: bytes) -> bytes:
        """The multimedia commands a CD-ROM answers: one data track from block 0, no events, no changes."""
        if op == 0x43:  # READ TOC/PMA/ATIP: the table of contents (format 0) or the session (format 1)
            form = cb[2] & 0x0F
            if form == 1:
                return struct.pack(">HBB", 10, 1, 1) + struct.pack(">BBBBI", 0, 0x14, 1, 0, 0)
            track = struct.pack(">BBBBI", 0, 0x14, 1, 0, 0)
            lead_out = struct.pack(">BBBBI", 0, 0x14, 0xAA, 0, self.blocks)
            return struct.pack(">HBB", 2 + len(track) + len(lead_out), 1, 1) + track + lead_out
        if op == 0x4A:  # GET EVENT STATUS NOTIFICATION: nothing happened
            return struct.pack(">HBB", 2, 0x80, 0)
        if op == 0x46:  # GET CONFIGURATION: the current profile is a CD-ROM
            return struct.pack(">IHH", 4, 0, 0x0008)
        if op == 0x51:  # READ DISC INFORMATION: a finished disc with one session and one track
            return struct.pack(">HBBBBBB", 32, 0x0E, 1, 1, 1, 1, 0) + bytes(26)
        return b""  # SET CD SPEED and the like: done

    def _fail(self, key: int, code: tuple[int, int]) -> bytes:
        self._status = FAILED
        self.sense = Sense(key, code[0], code[1])
        return b""
