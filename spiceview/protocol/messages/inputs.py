"""The inputs channel's messages (spice.proto's InputsChannel)."""

from ..schema import I32, U8, U16, U32, Bytes
from . import ChannelSchema
from .base import BASE

INPUTS = ChannelSchema("Inputs", BASE)

MSG_INIT = INPUTS.server_msg(101, "init", ("keyboard_modifiers", U16))
MSG_KEY_MODIFIERS = INPUTS.server_msg(102, "key_modifiers", ("modifiers", U16))
MSG_MOUSE_MOTION_ACK = INPUTS.server_msg(111, "mouse_motion_ack")

MSGC_KEY_DOWN = INPUTS.client_msg(101, "key_down", ("code", U32))
MSGC_KEY_UP = INPUTS.client_msg(102, "key_up", ("code", U32))
MSGC_KEY_MODIFIERS = INPUTS.client_msg(103, "key_modifiers", ("modifiers", U16))
MSGC_KEY_SCANCODE = INPUTS.client_msg(104, "key_scancode", ("data", Bytes()))
MSGC_MOUSE_MOTION = INPUTS.client_msg(111, "mouse_motion", ("dx", I32), ("dy", I32), ("buttons_state", U16))
MSGC_MOUSE_POSITION = INPUTS.client_msg(
    112, "mouse_position", ("x", U32), ("y", U32), ("buttons_state", U16), ("display_id", U8)
)
MSGC_MOUSE_PRESS = INPUTS.client_msg(113, "mouse_press", ("button", U8), ("buttons_state", U16))
MSGC_MOUSE_RELEASE = INPUTS.client_msg(114, "mouse_release", ("button", U8), ("buttons_state", U16))
