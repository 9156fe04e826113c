"""The spicevmc channels' messages (spice.proto's SpicevmcChannel): a byte stream to a device in the VM; the
usbredir channels carry usbredir's protocol in it."""

from ..schema import U8, U32, Bytes
from . import ChannelSchema
from .base import BASE

SPICEVMC = ChannelSchema("Spicevmc", BASE)

MSG_DATA = SPICEVMC.server_msg(101, "data", ("data", Bytes()))
# Only after the client announced LZ4 (SPICE_SPICEVMC_CAP_DATA_COMPRESS_LZ4), which spiceview does not.
MSG_COMPRESSED_DATA = SPICEVMC.server_msg(
    102, "compressed_data", ("type", U8), ("uncompressed_size", U32), ("compressed_data", Bytes())
)

MSGC_DATA = SPICEVMC.client_msg(101, "data", ("data", Bytes()))
