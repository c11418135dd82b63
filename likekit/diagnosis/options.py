"""The options of one :func:`likekit.diagnose` run, and the levels derived from them.

One frozen :class:`Options` object is built per run and passed by keyword to every stage,
so a stage cannot receive the single-video alarm level where it expects the per-video
level at a wave. ``Diagnosis.options`` records it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from numbers import Real

import pandas as pd
from scipy import stats

from likekit.data import LikekitInputError

#: hours in the month that ``false_alarms`` counts per
MONTH_H = 30 * 24.0
#: glitches of a video at most this many snapshot steps apart are one episode ...
MERGE_STEPS = 24
#: ... and at most this many hours apart (the time a glitch takes to recover)
MERGE_MAX_HOURS = 24.0
#: a flickering app shows each snapshot in full with even odds: a fall it causes is made up
#: within this many snapshots but for a chance of 2^-3
FLICKER_BACK = 3


@dataclass(frozen=True, kw_only=True)
class Options:
    """Options of a diagnosis and the test levels derived from them and the table.

    Attributes
    ----------
    false_alarms, wave_alpha, video_alpha : float
        As passed to :func:`likekit.diagnose`.
    z_alarm : float
        Single-video alarm level: the z whose one-sided normal tail gives ``false_alarms``
        per month of increments at the table's typical snapshot interval.
    z_video : float
        Level at which one video is tested at a known time (a wave): ``isf(video_alpha)``.
    step_h : float
        The panel's typical snapshot interval in hours (the median of the videos' own).
    """

    false_alarms: float = 0.01
    wave_alpha: float = 0.01
    video_alpha: float = 0.05
    z_alarm: float = math.nan
    z_video: float = math.nan
    step_h: float = 1.0

    @classmethod
    def checked(cls, *, false_alarms, wave_alpha, video_alpha) -> Options:
        """Options from user values; a value that is not a rate in (0, 1) raises
        :class:`likekit.LikekitInputError`."""
        for name, value in (
            ("false_alarms", false_alarms),
            ("wave_alpha", wave_alpha),
            ("video_alpha", video_alpha),
        ):
            if isinstance(value, bool) or not isinstance(value, Real) or not 0 < value < 1:
                raise LikekitInputError(f"{name} must be a number between 0 and 1, got {value!r}")
        return cls(
            false_alarms=float(false_alarms),
            wave_alpha=float(wave_alpha),
            video_alpha=float(video_alpha),
            z_video=float(stats.norm.isf(video_alpha)),
        )

    def for_table(self, table: pd.DataFrame) -> Options:
        """With the single-video alarm level for ``table``'s typical snapshot interval."""
        return self.for_step(typical_step_h(table))

    def for_step(self, step_h: float) -> Options:
        """With the single-video alarm level for a typical snapshot interval of ``step_h``
        hours (1 when it is not positive or unknown)."""
        return replace(self, z_alarm=alarm_z(self.false_alarms, step_h if step_h > 0 else 1.0))

    @property
    def gap(self) -> pd.Timedelta:
        """Glitches of a video at most this far apart are one episode: MERGE_STEPS
        snapshots, at most a day (daily snapshots: glitches on consecutive days, not 24
        days apart)."""
        return pd.Timedelta(hours=min(MERGE_STEPS * self.step_h, MERGE_MAX_HOURS))


def snapshot_hours(table: pd.DataFrame) -> pd.Series:
    """Hours between consecutive snapshots of each video in ``table`` (sorted by video)."""
    same = table["video_id"].eq(table["video_id"].shift())
    return (table["timestamp"].diff() / pd.Timedelta(hours=1))[same]


def typical_step_h(table: pd.DataFrame) -> float:
    """Median interval between a video's snapshots in ``table`` (hours; NaN when unknown)."""
    return float(snapshot_hours(table).median())


def alarm_z(false_alarms: float, step_h: float) -> float:
    """z whose one-sided normal tail gives ``false_alarms`` per month of increments."""
    per_month = MONTH_H / step_h
    return float(stats.norm.isf(min(false_alarms / per_month, 0.5)))
