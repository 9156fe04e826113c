"""What the user asks of a (Windows) guest's display: plain data, kept apart from the agent's message layouts so
that a session without the agent (a one-shot screenshot) does not load them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    """What DISPLAY_CONFIG asks of a (Windows) guest (monitors.encode_display_config writes it)."""

    disable_wallpaper: bool = False
    disable_font_smooth: bool = False
    disable_animation: bool = False
    color_depth: int | None = None  # bits per pixel, with SET_COLOR_DEPTH
