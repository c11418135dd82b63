"""The panel's shared rhythm: what every video does at once is not a loss.

Attention has a daily and weekly rhythm (fewer likes at night, on weekends), panel-wide
slowdowns (a holiday evening), and a tracker reads every video at nearly the same moments
(a snapshot taken early makes one interval short on every video at once). All of them move
the videos together; a scan for synchronized drops whose null is videos moving
independently reads them as purge waves. Two defences, both used by
:func:`likekit.diagnosis.scan.bin_pvalues`:

* :func:`shared_slowdown`: the slowdown the whole panel shares in a bin (its median relative
  shortfall, when that leaves the counts rising) is taken out of every video's z-score
  before the scan: the common factor;
* :func:`period_bins`: the scan's null shifts each video's series by whole periods (days
  for sub-daily snapshots, weeks for daily ones), so that the rhythm left over stays
  aligned in the null as in the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: shifts by whole periods need at least this many periods in the table
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


def shared_slowdown(
    excess: np.ndarray, expected: np.ndarray, noise: np.ndarray, seen: np.ndarray
) -> np.ndarray:
    """Per video and bin: the z-score share of a slowdown the whole panel shares.

    A slowdown moves every video (each by its expected increment times a share); a purge
    moves those it hits. The panel's shared move in a bin is read from the upper quartile
    of the videos' relative excess (excess / expected, over at least MIN_VIDEOS videos with
    a positive expected increment), against its usual value over the bins: it moves with a
    slowdown, and stays put while a wave hits fewer than three quarters of the videos.
    Between -1 and 0 it is a slowdown (a holiday evening, a tracker reading early): each
    video's expected increment times it, in units of its noise, is no loss. At -1 or below
    the counts fell, which no slowdown does: nothing is explained away.
    """
    ok = seen & (expected > 0)
    enough = ok.sum(axis=0) >= MIN_VIDEOS
    if not enough.any():
        return np.zeros(excess.shape)
    with np.errstate(all="ignore"):
        rel = np.where(ok, excess / np.where(ok, expected, 1.0), np.inf)
        # upper quartile per bin over the videos seen (unseen sort last, as +inf)
        n = ok.sum(axis=0)
        upper = np.sort(rel, axis=0)[(3 * np.maximum(n - 1, 0)) // 4, np.arange(rel.shape[1])]
        upper = np.where(enough, upper, np.nan)
        share = np.nan_to_num(upper - np.nanmedian(upper))
        share = np.where((share > -1) & (share < 0), share, 0.0)
        return np.where(ok & (noise > 0), share * expected / np.where(noise > 0, noise, 1), 0)
