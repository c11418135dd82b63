"""One video's snapshots for a decay fit: validated by the loader, with exclusions applied.

The table is checked by :func:`likekit.load_counts` (one validator: a bad cell is named by the
same row and message as when the table is loaded). Excluded windows (glitches, purges from
:func:`likekit.diagnose`) drop their snapshots and the increments that cross them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from likekit.data import LikekitInputError, load_counts

_HOUR = pd.Timedelta(hours=1)


def as_frame(counts: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """The one-video table as a frame with timestamp and likes (a Series: exact likes)."""
    if isinstance(counts, pd.Series):
        if not isinstance(counts.index, pd.DatetimeIndex):
            raise LikekitInputError("a Series of likes must be indexed by timestamp")
        return pd.DataFrame({"timestamp": counts.index, "likes": counts.to_numpy()})
    if not isinstance(counts, pd.DataFrame):
        raise LikekitInputError(
            f"counts must be a DataFrame or a Series, got {type(counts).__name__}"
        )
    missing = [c for c in ("timestamp", "likes") if c not in counts.columns]
    if missing:
        raise LikekitInputError(f"counts has no column {', '.join(map(repr, missing))}")
    return counts


def load_one(counts: pd.DataFrame | pd.Series) -> tuple[str | None, pd.DataFrame]:
    """One video's table in the data contract (sorted by time) and its id (None if none).

    ``video_id`` is optional for a single video; the loader needs one, so a blank stands in.
    """
    frame = as_frame(counts)
    named = "video_id" in frame.columns
    table = load_counts(frame if named else frame.assign(video_id="-"))
    ids = pd.unique(table["video_id"])
    if len(ids) > 1:
        raise LikekitInputError(
            f"fit_decay takes one video, got {len(ids)} ({', '.join(map(str, ids[:3]))}, "
            "...): use fit_decay_many"
        )
    return (str(ids[0]) if named else None), table


def columns(table: pd.DataFrame) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Times, lower bounds and steps of the snapshots with a count (a loaded table)."""
    lower = table["likes"].to_numpy(float, na_value=np.nan)
    shown = ~np.isnan(lower)
    stamps = pd.DatetimeIndex(table["timestamp"])[shown]
    return stamps, lower[shown], table["resolution"].to_numpy(float)[shown]


def windows(exclude: pd.DataFrame | None, video: str | None) -> list[tuple[Any, Any]]:
    """Excluded (start, end) windows of this video (an end of NaT means start).

    Events whose cause is "trend_decline" are what is being fitted, not excluded: the events
    of :func:`likekit.diagnose` can be passed as they are.
    """
    if exclude is None or len(exclude) == 0:
        return []
    if not isinstance(exclude, pd.DataFrame) or "start" not in exclude.columns:
        raise LikekitInputError("exclude must be a DataFrame with a 'start' (and 'end') column")
    if "video_id" in exclude.columns and video is not None:
        exclude = exclude[exclude["video_id"].astype(str) == video]
    if "cause" in exclude.columns:
        exclude = exclude[exclude["cause"] != "trend_decline"]
    start = pd.to_datetime(exclude["start"], utc=True)
    end = pd.to_datetime(exclude["end"], utc=True) if "end" in exclude.columns else start
    end = end.fillna(start)
    return list(zip(start, end, strict=True))


@dataclass(frozen=True)
class Snapshots:
    """One video's usable snapshots, outside the excluded windows, in time order."""

    stamps: pd.DatetimeIndex
    #: the middle of what each display means
    y: np.ndarray
    #: display step of each level
    r: np.ndarray
    #: whether the increment from snapshot i-1 to i is usable (crosses no window)
    keep: np.ndarray
    #: hours since the first snapshot
    hours: np.ndarray
    #: the level with the excluded steps taken out: where the peak is found, start values
    corrected: np.ndarray


def snapshots(
    stamps: pd.DatetimeIndex, lower: np.ndarray, r: np.ndarray, excluded: list[tuple[Any, Any]]
) -> Snapshots:
    """The snapshots outside ``excluded``, with the increments that cross none marked."""
    y = lower + (r - 1) / 2  # middle of what is shown
    if excluded:
        inside = np.zeros(len(stamps), bool)
        for ws, we in excluded:
            inside |= (stamps >= ws) & (stamps <= we)
        stamps, y, r = stamps[~inside], y[~inside], r[~inside]
    keep = np.ones(len(stamps), bool)
    for ws, we in excluded:  # increments that cross a window
        keep[1:] &= ~((stamps[:-1] <= we) & (stamps[1:] >= ws))
    # hours from the first snapshot (integer time units: DatetimeIndex arithmetic is slow)
    per_hour = _HOUR / pd.Timedelta(1, unit=stamps.unit)
    hours = (stamps.asi8 - stamps.asi8[0]) / per_hour
    corrected = y[0] + np.r_[0.0, np.cumsum(np.where(keep[1:], np.diff(y), 0.0))]
    return Snapshots(stamps, y, r, keep, hours, corrected)
