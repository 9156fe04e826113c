"""Which message schema belongs to which channel type."""

from ..constants import ChannelType
from . import ChannelSchema
from .audio import PLAYBACK, RECORD
from .base import BASE
from .cursor import CURSOR
from .display import DISPLAY
from .inputs import INPUTS
from .main import MAIN
from .spicevmc import SPICEVMC

SCHEMAS: dict[int, ChannelSchema] = {
    ChannelType.MAIN: MAIN,
    ChannelType.DISPLAY: DISPLAY,
    ChannelType.INPUTS: INPUTS,
    ChannelType.CURSOR: CURSOR,
    ChannelType.PLAYBACK: PLAYBACK,
    ChannelType.RECORD: RECORD,
    ChannelType.USBREDIR: SPICEVMC,
}


def schema_for(channel_type: int) -> ChannelSchema:
    """The schema of a channel type; channels spiceview does not speak get the common messages only."""
    return SCHEMAS.get(channel_type, BASE)
