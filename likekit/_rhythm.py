"""The panel's shared rhythm: what every video does at the same clock time, not a loss.

Attention has a daily and weekly rhythm (fewer likes at night, on weekends), and a tracker
reads every video at nearly the same moments (a snapshot taken late makes one interval
long and the next short, on every video at once). Both move all videos together; a scan for
synchronized drops that takes videos moving independently as its null reads them as purge
waves. Two defences, both here:

* :func:`clock_factor`: the part of each bin's shared move that the clock predicts (the
  panel's median z-score at the same time of day on the other days, or of the week on the
  other weeks), removed from every video's z-score before the scan;
* :func:`period_bins`: the scan's null shifts each video's series by whole periods, so that
  the rhythm that is left stays aligned in the null as in the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: a rhythm is estimated from at least this many periods (the median of the others)
MIN_PERIODS = 3
#: a bin's shared move is the median over at least this many videos (fewer: no estimate)
MIN_VIDEOS = 5


def period_bins(step: pd.Timedelta | None, n_bins: int) -> int:
    """Bins in the panel's rhythm period: a day for sub-daily snapshots, a week for daily
    ones, 0 when the table spans fewer than MIN_PERIODS periods or the step divides none."""
    if step is None or step <= pd.Timedelta(0):
        return 0
    for period in (pd.Timedelta(days=1), pd.Timedelta(days=7)):
        k = period / step
        if k >= 2 and abs(k - round(k)) < 1e-6 and n_bins >= MIN_PERIODS * round(k):
            return int(round(k))
    return 0


def clock_factor(z: np.ndarray, seen: np.ndarray, period: int) -> np.ndarray:
    """Per bin: the shared move of the videos that the clock predicts.

    The panel's move in a bin is the median z-score of the videos seen in it (robust to a
    wave that hits a minority of them). What the clock predicts of it is the median of that
    move at the same phase of the period in the *other* periods, so that a one-off drop
    (a purge) is never part of its own prediction. Zero without a period.
    """
    n_bins = z.shape[1]
    if not period or n_bins == 0:
        return np.zeros(n_bins)
    masked = np.where(seen, z, np.nan)
    enough = seen.sum(axis=0) >= MIN_VIDEOS
    with np.errstate(all="ignore"):
        move = np.where(enough, np.nanmedian(np.where(enough, masked, 0.0), axis=0), np.nan)
    n_periods = -(-n_bins // period)
    padded = np.full(n_periods * period, np.nan)
    padded[:n_bins] = move
    table = padded.reshape(n_periods, period)  # rows: periods, columns: phase
    out = np.zeros(n_bins)
    for b in range(n_bins):
        row, phase = divmod(b, period)
        others = np.delete(table[:, phase], row)
        others = others[np.isfinite(others)]
        if len(others) >= MIN_PERIODS - 1:
            out[b] = float(np.median(others))
    return out


def shared_slowdown(
    excess: np.ndarray, expected: np.ndarray, noise: np.ndarray, seen: np.ndarray
) -> np.ndarray:
    """Per video and bin: the z-score share of a slowdown the whole panel shares.

    The panel's relative move in a bin is the median over the videos seen (at least
    MIN_VIDEOS, with a positive expected increment) of excess / expected. Between -1 and 0
    it is a slowdown every video shares (a holiday evening, a tracker reading early):
    each video's expected increment times that share, in units of its noise, is no loss.
    At -1 or below the median video's count fell, which no slowdown does: nothing is
    explained away.
    """
    ok = seen & (expected > 0)
    with np.errstate(all="ignore"):
        rel = np.where(ok, excess / np.where(ok, expected, 1.0), np.nan)
        enough = ok.sum(axis=0) >= MIN_VIDEOS
        share = np.where(enough, np.nanmedian(np.where(enough, rel, 0.0), axis=0), 0.0)
        share = np.where((share > -1) & (share < 0), share, 0.0)
        return np.where(ok & (noise > 0), share * expected / np.where(noise > 0, noise, 1), 0)
