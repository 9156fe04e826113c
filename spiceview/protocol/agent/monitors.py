"""Guest display layout messages: MONITORS_CONFIG, DISPLAY_CONFIG, and MOUSE_STATE.

MONITORS_CONFIG lists the monitors the guest should have (spice-gtk sends 32 bpp). Facts that shape it:
- Monitor i of the list is guest display i. An agent with SPARSE_MONITORS_CONFIG takes disabled monitors as
  0x0 entries in their slots; an older agent gets the enabled monitors only, packed (so ids shift).
- x/y count only with the USE_POS flag. MONITORS_CONFIG_POSITION is the *client's* capability (it handles
  multi-monitor configs that are not multi-head); no agent capability gates the positions.
- The physical-size block (flag PHYSICAL_SIZE, one VDAgentMonitorMM per monitor after the monitors) is left out
  unless asked for: spice-vdagentd 0.22 (Debian 12) rejects the whole message when it is there.
- At least one monitor must have a size; spice-server takes at most 256.

MOUSE_STATE is what the *server* sends the agent in client mouse mode; the builder is here for completeness
and for tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .display_settings import DisplaySettings
from .messages import (
    AgentCap,
    DisplayConfig,
    DisplayConfigFlag,
    MonConfig,
    MonitorMM,
    MonitorsConfig,
    MonitorsFlag,
    MouseState,
    build_payload,
)

MAX_MONITORS = 256
DEFAULT_DEPTH = 32


@dataclass(frozen=True, slots=True)
class MonitorSpec:
    width: int
    height: int
    x: int = 0
    y: int = 0
    enabled: bool = True
    depth: int = DEFAULT_DEPTH
    width_mm: int = 0
    height_mm: int = 0

    @property
    def active(self) -> bool:
        return self.enabled and self.width > 0 and self.height > 0


def monitors_config(
    monitors: Sequence[MonitorSpec],
    agent_caps: Iterable[int],
    *,
    use_position: bool = True,
    physical_size: bool = False,
) -> object:
    """The MONITORS_CONFIG value for these monitors (index = guest display id). Raises ValueError."""
    caps = frozenset(agent_caps)
    if len(monitors) > MAX_MONITORS:
        raise ValueError(f"{len(monitors)} monitors; at most {MAX_MONITORS}")
    if not any(m.active for m in monitors):
        raise ValueError("at least one monitor must be enabled and have a size")
    for m in monitors:
        if not (0 <= m.width <= 0xFFFFFFFF and 0 <= m.height <= 0xFFFFFFFF and 0 <= m.depth <= 0xFFFFFFFF):
            raise ValueError(f"bad monitor size {m}")
        if not (-(1 << 31) <= m.x < 1 << 31 and -(1 << 31) <= m.y < 1 << 31):
            raise ValueError(f"bad monitor position {m}")
        if physical_size and not (0 <= m.width_mm <= 0xFFFF and 0 <= m.height_mm <= 0xFFFF):
            raise ValueError(f"bad physical size {m}")
    if AgentCap.SPARSE_MONITORS_CONFIG in caps:
        chosen = list(monitors)
    else:
        chosen = [m for m in monitors if m.active]
    entries = [
        MonConfig.cls(height=m.height, width=m.width, depth=m.depth, x=m.x, y=m.y)
        if m.active
        else MonConfig.cls(height=0, width=0, depth=0, x=0, y=0)
        for m in chosen
    ]
    flags = (MonitorsFlag.USE_POS if use_position else 0) | (MonitorsFlag.PHYSICAL_SIZE if physical_size else 0)
    sizes = None
    if physical_size:
        sizes = [
            MonitorMM.cls(height=m.height_mm, width=m.width_mm) if m.active else MonitorMM.cls(height=0, width=0)
            for m in chosen
        ]
    return MonitorsConfig.cls(num_of_monitors=len(entries), flags=int(flags), monitors=entries, physical_sizes=sizes)


def encode_monitors_config(
    monitors: Sequence[MonitorSpec],
    agent_caps: Iterable[int],
    *,
    use_position: bool = True,
    physical_size: bool = False,
) -> bytes:
    value = monitors_config(monitors, agent_caps, use_position=use_position, physical_size=physical_size)
    return build_payload(MonitorsConfig, value)


def align_left_to_right(monitors: Sequence[MonitorSpec]) -> list[MonitorSpec]:
    """Put the monitors side by side at y=0, in order of their distance from the origin (as spice-gtk aligns)."""
    order = sorted(range(len(monitors)), key=lambda i: (math.hypot(monitors[i].x, monitors[i].y), i))
    out = list(monitors)
    x = 0
    for i in order:
        m = monitors[i]
        out[i] = replace(m, x=x, y=0)
        if m.active:
            x += m.width
    return out


def display_config_flags(settings: DisplaySettings) -> int:
    flags = DisplayConfigFlag(0)
    if settings.disable_wallpaper:
        flags |= DisplayConfigFlag.DISABLE_WALLPAPER
    if settings.disable_font_smooth:
        flags |= DisplayConfigFlag.DISABLE_FONT_SMOOTH
    if settings.disable_animation:
        flags |= DisplayConfigFlag.DISABLE_ANIMATION
    if settings.color_depth is not None:
        flags |= DisplayConfigFlag.SET_COLOR_DEPTH
    return int(flags)


def encode_display_config(settings: DisplaySettings) -> bytes:
    depth = settings.color_depth or 0
    if not 0 <= depth <= 0xFFFFFFFF:
        raise ValueError(f"bad color depth {depth}")
    return build_payload(DisplayConfig, DisplayConfig.cls(flags=display_config_flags(settings), depth=depth))


def encode_mouse_state(x: int, y: int, buttons: int, display_id: int = 0) -> bytes:
    """VDAgentMouseState: `buttons` is an AgentButtonMask (bit 1 = left), not a SPICE button state."""
    return build_payload(MouseState, MouseState.cls(x=x, y=y, buttons=buttons, display_id=display_id))
