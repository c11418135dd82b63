"""Shared look of likekit's figures: one colour per cause, used by every plot."""

from __future__ import annotations

#: colour of each cause, in every figure of the kit
CAUSE_COLORS: dict[str, str] = {
    "glitch": "#f2a541",
    "purge": "#d1495b",
    "trend_decline": "#00798c",
    "status": "#6c757d",
}
