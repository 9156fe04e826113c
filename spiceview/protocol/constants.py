"""Constants of the SPICE protocol, as spice-protocol's spice/protocol.h and spice/enums.h define them."""

from enum import IntEnum, IntFlag

MAGIC = b"REDQ"
VERSION_MAJOR = 2
VERSION_MINOR = 2
TICKET_PUBKEY_BYTES = 162  # a 1024-bit RSA key as DER SubjectPublicKeyInfo
TICKET_ENCRYPTED_BYTES = 128
MAX_PASSWORD_LENGTH = 60
MAX_NUM_STREAMS = 64
INPUT_MOTION_ACK_BUNCH = 4


class ChannelType(IntEnum):
    MAIN = 1
    DISPLAY = 2
    INPUTS = 3
    CURSOR = 4
    PLAYBACK = 5
    RECORD = 6
    TUNNEL = 7
    SMARTCARD = 8
    USBREDIR = 9
    PORT = 10
    WEBDAV = 11


# Names used by secure-channels lists (.vv files, URIs, the CLI), as spice-gtk spells them.
CHANNEL_NAMES: dict[int, str] = {
    ChannelType.MAIN: "main",
    ChannelType.DISPLAY: "display",
    ChannelType.INPUTS: "inputs",
    ChannelType.CURSOR: "cursor",
    ChannelType.PLAYBACK: "playback",
    ChannelType.RECORD: "record",
    ChannelType.TUNNEL: "tunnel",
    ChannelType.SMARTCARD: "smartcard",
    ChannelType.USBREDIR: "usbredir",
    ChannelType.PORT: "port",
    ChannelType.WEBDAV: "webdav",
}


class LinkErr(IntEnum):
    OK = 0
    ERROR = 1
    INVALID_MAGIC = 2
    INVALID_DATA = 3
    VERSION_MISMATCH = 4
    NEED_SECURED = 5
    NEED_UNSECURED = 6
    PERMISSION_DENIED = 7
    BAD_CONNECTION_ID = 8
    CHANNEL_NOT_AVAILABLE = 9


class CommonCap(IntEnum):
    PROTOCOL_AUTH_SELECTION = 0
    AUTH_SPICE = 1
    AUTH_SASL = 2
    MINI_HEADER = 3


class MainCap(IntEnum):
    SEMI_SEAMLESS_MIGRATE = 0
    NAME_AND_UUID = 1
    AGENT_CONNECTED_TOKENS = 2
    SEAMLESS_MIGRATE = 3


class DisplayCap(IntEnum):
    SIZED_STREAM = 0
    MONITORS_CONFIG = 1
    COMPOSITE = 2
    A8_SURFACE = 3
    STREAM_REPORT = 4
    LZ4_COMPRESSION = 5
    PREF_COMPRESSION = 6
    GL_SCANOUT = 7
    MULTI_CODEC = 8
    CODEC_MJPEG = 9
    CODEC_VP8 = 10
    CODEC_H264 = 11
    PREF_VIDEO_CODEC_TYPE = 12
    CODEC_VP9 = 13
    CODEC_H265 = 14


class InputsCap(IntEnum):
    KEY_SCANCODE = 0


class PlaybackCap(IntEnum):
    CELT_0_5_1 = 0
    VOLUME = 1
    LATENCY = 2
    OPUS = 3


class RecordCap(IntEnum):
    CELT_0_5_1 = 0
    VOLUME = 1
    OPUS = 2


class NotifySeverity(IntEnum):
    INFO = 0
    WARN = 1
    ERROR = 2


class MigrateFlags(IntFlag):
    NEED_FLUSH = 1
    NEED_DATA_TRANSFER = 2


class MouseMode(IntFlag):
    SERVER = 1
    CLIENT = 2


class ClipType(IntEnum):
    NONE = 0
    RECTS = 1


class PathFlags(IntFlag):
    BEGIN = 1 << 0
    END = 1 << 1
    CLOSE = 1 << 3
    BEZIER = 1 << 4


class VideoCodecType(IntEnum):
    MJPEG = 1
    VP8 = 2
    H264 = 3
    VP9 = 4
    H265 = 5


class StreamFlags(IntFlag):
    TOP_DOWN = 1


class BrushType(IntEnum):
    NONE = 0
    SOLID = 1
    PATTERN = 2


class MaskFlags(IntFlag):
    INVERS = 1


class ImageType(IntEnum):
    BITMAP = 0
    QUIC = 1
    RESERVED = 2
    LZ_PLT = 100
    LZ_RGB = 101
    GLZ_RGB = 102
    FROM_CACHE = 103
    SURFACE = 104
    JPEG = 105
    FROM_CACHE_LOSSLESS = 106
    ZLIB_GLZ_RGB = 107
    JPEG_ALPHA = 108
    LZ4 = 109


class ImageCompression(IntEnum):
    INVALID = 0
    OFF = 1
    AUTO_GLZ = 2
    AUTO_LZ = 3
    QUIC = 4
    GLZ = 5
    LZ = 6
    LZ4 = 7


class ImageFlags(IntFlag):
    CACHE_ME = 1
    HIGH_BITS_SET = 2
    CACHE_REPLACE_ME = 4


class BitmapFmt(IntEnum):
    INVALID = 0
    BIT1_LE = 1
    BIT1_BE = 2
    BIT4_LE = 3
    BIT4_BE = 4
    BIT8 = 5
    BIT16 = 6  # 0555
    BIT24 = 7  # 3 bytes, B G R
    BIT32 = 8  # 4 bytes, xRGB little endian
    RGBA = 9  # 4 bytes, ARGB little endian
    BIT8_A = 10  # 1 byte, alpha


class BitmapFlags(IntFlag):
    PAL_CACHE_ME = 1
    PAL_FROM_CACHE = 2
    TOP_DOWN = 4


class JpegAlphaFlags(IntFlag):
    TOP_DOWN = 1


class ScaleMode(IntEnum):
    INTERPOLATE = 0
    NEAREST = 1


class Ropd(IntFlag):
    INVERS_SRC = 1 << 0
    INVERS_BRUSH = 1 << 1
    INVERS_DEST = 1 << 2
    OP_PUT = 1 << 3
    OP_OR = 1 << 4
    OP_AND = 1 << 5
    OP_XOR = 1 << 6
    OP_BLACKNESS = 1 << 7
    OP_WHITENESS = 1 << 8
    OP_INVERS = 1 << 9
    INVERS_RES = 1 << 10


class LineFlags(IntFlag):
    START_WITH_GAP = 1 << 2
    STYLED = 1 << 3


class StringFlags(IntFlag):
    RASTER_A1 = 1
    RASTER_A4 = 2
    RASTER_A8 = 4
    RASTER_TOP_DOWN = 8


class SurfaceFlags(IntFlag):
    PRIMARY = 1
    STREAMING_MODE = 2


class SurfaceFmt(IntEnum):
    INVALID = 0
    FMT_1_A = 1
    FMT_8_A = 8
    FMT_16_555 = 16
    FMT_16_565 = 80
    FMT_32_xRGB = 32
    FMT_32_ARGB = 96


class AlphaFlags(IntFlag):
    DEST_HAS_ALPHA = 1
    SRC_SURFACE_HAS_ALPHA = 2


class ResourceType(IntEnum):
    INVALID = 0
    PIXMAP = 1


class CompositeFlags(IntFlag):
    HAS_MASK = 1 << 19
    HAS_SRC_TRANSFORM = 1 << 20
    HAS_MASK_TRANSFORM = 1 << 21
    SOURCE_OPAQUE = 1 << 22
    MASK_OPAQUE = 1 << 23
    DEST_OPAQUE = 1 << 24
    COMPONENT_ALPHA = 1 << 18


COMPOSITE_OP_MASK = 0xFF
COMPOSITE_SRC_FILTER_SHIFT = 8
COMPOSITE_MASK_FILTER_SHIFT = 11
COMPOSITE_SRC_REPEAT_SHIFT = 14
COMPOSITE_MASK_REPEAT_SHIFT = 16


class KeyboardModifiers(IntFlag):
    SCROLL_LOCK = 1
    NUM_LOCK = 2
    CAPS_LOCK = 4


class MouseButton(IntEnum):
    INVALID = 0
    LEFT = 1
    MIDDLE = 2
    RIGHT = 3
    UP = 4
    DOWN = 5
    SIDE = 6
    EXTRA = 7


class MouseButtonMask(IntFlag):
    LEFT = 1
    MIDDLE = 2
    RIGHT = 4
    UP = 8
    DOWN = 16
    SIDE = 32
    EXTRA = 64


class CursorType(IntEnum):
    ALPHA = 0
    MONO = 1
    COLOR4 = 2
    COLOR8 = 3
    COLOR16 = 4
    COLOR24 = 5
    COLOR32 = 6


class CursorFlags(IntFlag):
    NONE = 1
    CACHE_ME = 2
    FROM_CACHE = 4


class AudioDataMode(IntEnum):
    INVALID = 0
    RAW = 1
    CELT_0_5_1 = 2
    OPUS = 3


class AudioFmt(IntEnum):
    INVALID = 0
    S16 = 1


class DataCompressionType(IntEnum):
    NONE = 0
    LZ4 = 1
