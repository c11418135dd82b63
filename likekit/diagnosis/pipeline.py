"""Diagnose disappearing likes: find every drop in a creator's table and name its cause.

The detector works on snapshot-to-snapshot increments of each video (displayed counts read
at the middle of their display step). Each increment is compared with the video's local
trend (mean increment over half a day either side, outliers left out) and standardized by
its noise: the robust SD of the increments over a day either side (never below the Poisson
floor of integer counts: the mean absolute increment), combined with the display resolution.
The z-score is calibrated for the uncertainty of that noise estimate (Student t with the
degrees of freedom of a MAD). Thresholds come from error rates, not tuned constants:

* one video alone raises an alarm at the z-score whose normal tail, times the number of
  increments in a month, is ``false_alarms`` (expected false alarms per video-month);
* the panel is scanned bin by bin for synchronized drops, outages and catch-ups (see
  :mod:`likekit.diagnosis.scan`); a wave's p-value is calibrated for every bin and test
  scanned and must be below ``wave_alpha``;
* once a wave says *when*, each video is tested at that time alone at level ``video_alpha``.

A drop that a later jump of matching size brings back (at least half way) is a glitch; a
drop that stays is a purge; a count that stood still and then caught up is a (freeze)
glitch; snapshots missing on many videos at once are an outage; glitches of a video at most
a day apart are one episode; likes at zero (or missing while views go on) after having been
positive are a status change; a significant fall of the purge- and glitch-corrected level
after its peak is a trend decline, described lazily by :func:`likekit.fit_decay`.

The stages, in order, each given the run's one :class:`~likekit.diagnosis.options.Options`:

======================  ============================================================
stage                   module
======================  ============================================================
status, data quality    :mod:`likekit.diagnosis.single` (``video_status``, ``status_events``)
increments              :mod:`likekit.diagnosis.increments`
single-video events     :mod:`likekit.diagnosis.single`
evidence of removal     :mod:`likekit.diagnosis.removal`
creator-wide waves      :mod:`likekit.diagnosis.scan`, :mod:`likekit.diagnosis.rhythm`,
                        :mod:`likekit.diagnosis.waves`
flicker episodes        :mod:`likekit.diagnosis.flicker`
trend declines          :mod:`likekit.diagnosis.single`
result                  :mod:`likekit.diagnosis.result`, :mod:`likekit.diagnosis.accounting`
======================  ============================================================
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from likekit.data import load_counts
from likekit.diagnosis.flicker import flickers, merge_glitches
from likekit.diagnosis.increments import blank_mask, increments, status_mask
from likekit.diagnosis.options import Options
from likekit.diagnosis.removal import fell, partly_recovered, spread_losses
from likekit.diagnosis.result import Diagnosis
from likekit.diagnosis.single import (
    single_video_events,
    status_events,
    trend_declines,
    video_status,
)
from likekit.diagnosis.waves import WaveReader, missing_outages
from likekit.schema import events_frame, waves_frame


def diagnose(
    counts: Any,
    *,
    false_alarms: float = 0.01,
    wave_alpha: float = 0.01,
    video_alpha: float = 0.05,
    panel: str | None = None,
) -> Diagnosis:
    """Find every drop in a creator's like counts and attribute it to its cause.

    Parameters
    ----------
    counts : DataFrame, str or Path
        A like-count table in the data contract (anything :func:`likekit.load_counts`
        reads); never modified.
    false_alarms : float
        Expected false single-video events per video-month of healthy data; sets the
        single-video alarm level (about 4.2 sigma for hourly snapshots).
    wave_alpha : float
        Chance that a panel without any wave shows one (p-values are corrected for every
        window scanned).
    video_alpha : float
        Once a wave is found, the level at which each video is tested at the wave time (the
        rate at which a video the wave did not touch is called hit).
    panel : str, optional
        A column splitting the table into panels (e.g. "creator_id"): each panel's videos
        are diagnosed together, waves are scanned within a panel, and events, waves and
        videos carry the column (:mod:`likekit.diagnosis.panels`). None: one panel.

    Returns
    -------
    Diagnosis

    Raises
    ------
    LikekitInputError
        When the table breaks the data contract or an option is not a rate in (0, 1).

    Notes
    -----
    Deterministic: the random time shifts that calibrate the wave scan use a fixed seed, so
    the same table gives the same diagnosis.

    Examples
    --------
    >>> import likekit as lk
    >>> sim = lk.simulate("purge_waves", n_videos=20, days=30, seed=7)
    >>> diag = lk.diagnose(sim.counts)
    >>> diag.events.columns.tolist()[:6]
    ['video_id', 'cause', 'start', 'end', 'likes_delta', 'delta_low']
    >>> (diag.waves["cause"] == "purge").any()
    np.True_
    """
    if panel is not None:
        from likekit.diagnosis.panels import diagnose_panels

        rates = dict(false_alarms=false_alarms, wave_alpha=wave_alpha, video_alpha=video_alpha)
        return diagnose_panels(counts, panel, diagnose, **rates)
    options = Options.checked(
        false_alarms=false_alarms, wave_alpha=wave_alpha, video_alpha=video_alpha
    )
    table = load_counts(counts)
    options = options.for_table(table)
    videos = video_status(table)
    # a fall to zero from L likes is beyond Poisson counting noise at the alarm level when
    # sqrt(L) >= z_alarm
    zero, removed = status_mask(table, min_level=options.z_alarm**2)
    blank = blank_mask(table)
    status = status_events(table, zero, removed, blank)
    usable = videos.index[~videos["status"].isin(["all_missing", "one_snapshot"])]
    work = table.assign(likes=table["likes"].mask(zero))
    inc = increments(work.loc[work["video_id"].isin(usable)])
    step_h = float(np.nanmedian(inc["step_h"])) if len(inc) else 1.0
    options = replace(options, step_h=step_h)
    inc = inc.loc[np.isfinite(inc["z"])]
    inc = inc.assign(fell=fell(inc, options.z_video))
    single = events_frame(status + single_video_events(inc, options=options))
    waves, faint, single_wave = WaveReader(inc, single, options=options).read()
    single["wave"] = pd.array(single_wave, dtype="Int64")
    more_waves, gone = missing_outages(
        table, blank & ~zero, first_wave=len(waves) + 1, options=options
    )
    events = pd.concat([single, events_frame(faint + gone)], ignore_index=True)
    events = spread_losses(events, inc)
    events = pd.concat([events, events_frame(flickers(inc, options=options))], ignore_index=True)
    events = merge_glitches(events, inc, options=options)
    hidden = events_frame(partly_recovered(events, inc, options.z_alarm))
    events = pd.concat([events, hidden], ignore_index=True)
    declines = events_frame(trend_declines(inc, events, options=options))
    events = pd.concat([events, declines], ignore_index=True)
    events = events.sort_values(["video_id", "start"], ignore_index=True)
    events, waves = _in_time_order(events, waves_frame(waves + more_waves))
    return Diagnosis(table, events, waves, videos, inc, options=options)


def _in_time_order(events: pd.DataFrame, waves: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Waves sorted by time and numbered 1, 2, ... in that order; events follow."""
    waves = waves.sort_values(["time", "wave"], kind="stable", ignore_index=True)
    number = dict(zip(waves["wave"], range(1, len(waves) + 1), strict=True))
    waves["wave"] = np.arange(1, len(waves) + 1, dtype=np.int64)
    events["wave"] = events["wave"].map(number, na_action="ignore").astype("Int64")
    return events, waves
