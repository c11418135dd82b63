"""Shared look of likekit's figures: one colour per cause, used by every plot."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: colour of each cause, in every figure of the kit
CAUSE_COLORS: dict[str, str] = {
    "glitch": "#f2a541",
    "purge": "#d1495b",
    "trend_decline": "#00798c",
    "status": "#6c757d",
}


def concise_dates(ax: Axes) -> Axes:
    """Short date labels that do not collide ("Jan 05", "12:00") on a time axis."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax
