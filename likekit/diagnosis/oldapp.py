"""An out-of-date app on every video at once: a panel-wide spell of flicker that an update ends.

An old app under-counts some of the snapshots it takes, on every video, until it is updated:
each video's shown count falls and comes back again and again, and the falls stop on every
video at once. One video alone often cannot show it (the flicker inflates the very noise its
falls are measured against, above all at 6-hourly or daily snapshots), but the panel can.

:func:`old_app` reads it on the panel's grid (so a table worked through in chunks of videos,
or in Dask partitions, gives the same answer):

1. the falls of the shown count made up within FLICKER_BACK snapshots
   (:func:`likekit.diagnosis.flicker.falls`), counted per bin over all videos;
2. the update: the bin where the panel's rate of falls drops most sharply, a day (or two)
   before against a day (or two) after (likelihood-ratio test, Bonferroni over every bin
   and both widths, at ``wave_alpha``): counts that fade or reach a plateau change their
   rate of falls over days, an update at once; the spell began at the last sharp rise
   before it (the table's start where none);
3. each video at that known time: more falls beyond its own two-way noise in the spell
   than its rate of falls elsewhere explains (binomial, at ``z_video``): counts hovering
   while likes and un-likes both arrive fall by about as much as they move otherwise;
4. on every video: more videos flicker than that level gives by chance (binomial, at
   ``wave_alpha``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from likekit.diagnosis.flicker import FLICKER_BACK, regained_falls
from likekit.diagnosis.options import Options
from likekit.diagnosis.stream import CHUNK_ROWS, video_cuts


class Flickered(NamedTuple):
    """What one video showed in an old app's spell."""

    first: int  # bin of its first fall in the spell
    last: int  # bin of its last fall
    falls: int  # falls beyond its own noise
    snapshots: int  # its increments in the spell
    p_value: float
    deepest: float  # the deepest of those falls, likes beyond the trend
    var: float  # that fall's noise variance


class OldApp(NamedTuple):
    """A spell of panel-wide flicker: bins ``first`` .. ``last``, its p-value, and what each
    video row that flickered in it showed."""

    first: int
    last: int
    p_value: float
    videos: dict[int, Flickered]


def old_app(grid, options: Options) -> OldApp | None:
    """The spell of old-app flicker the panel ``grid`` shows (see the module), or None.

    Steps 1 and 3 read one video at a time (per-bin counts, per-video results: the grid's
    ``per_bin`` and ``per_video``), so that a grid held in parts
    (:class:`~likekit.diagnosis.grid.ShardedGrid`) is read where its parts are."""
    k, n = grid.per_bin(_fall_counts, options)
    if not n.sum():
        return None
    n_bins = len(k)
    # a day or two of bins either side (three at least): an update stops the falls at once,
    # while counts that fade or reach a plateau change their rate of falls over days
    day = int(round(pd.Timedelta(days=1) / grid.axis.step))
    widths = (max(day, 3), max(2 * day, 3))
    tests = n_bins * len(widths)  # Bonferroni over every bin and width
    ends = np.max([_local_change(k, n, w, falling=True) for w in widths], axis=0)
    last = int(np.argmax(ends))
    p = min(1.0, float(stats.chi2.sf(2 * ends[last], 1)) * tests)
    if ends[last] <= 0 or p > options.wave_alpha:
        return None
    # where the spell began: the last bin before it where the falls rose at once (the
    # table's start where none did)
    rises = np.max(
        [_local_change(k[: last + 1], n[: last + 1], w, falling=False) for w in widths], axis=0
    )
    p_rise = stats.chi2.sf(2 * rises, 1) * tests
    began = np.flatnonzero((rises > 0) & (p_rise <= options.wave_alpha))
    first = int(began[-1]) + 1 if len(began) else 0
    keep, *shown = grid.per_video(_flickering, first, last, options)
    videos = {
        int(r): Flickered(*(int(v[r]) for v in shown[:4]), *(float(v[r]) for v in shown[4:]))
        for r in np.flatnonzero(keep)
    }
    # on every video: more of them flicker in the spell than the test's level gives by chance
    seen = int((shown[3] > 0).sum())  # videos with increments in the spell
    if stats.binom.sf(len(videos) - 1, seen, stats.norm.sf(options.z_video)) > options.wave_alpha:
        return None
    return OldApp(first, last, p, videos)


def _fall_counts(grid, options: Options) -> np.ndarray:
    """Per bin: the falls made up within FLICKER_BACK snapshots, and the increments."""
    n_bins = grid.axis.n_bins
    if not len(grid.row):
        return np.zeros((2, n_bins))
    order = _by_video(grid)
    fell = _made_up_falls(grid, order, grid.row[order], options)
    k = np.bincount(grid.col[order][fell], minlength=n_bins).astype(float)
    return np.stack([k, np.bincount(grid.col, minlength=n_bins).astype(float)])


def _by_video(grid) -> np.ndarray:
    """The grid's increments by video, then time."""
    return np.lexsort((grid.col, grid.row))


def _local_change(k: np.ndarray, n: np.ndarray, width: int, *, falling: bool) -> np.ndarray:
    """Per bin b: the log-likelihood ratio of one rate of falls over the ``width`` bins up
    to b and another over the ``width`` bins after it, against one rate over both (0 where
    the rate after is not lower, ``falling``, or not higher)."""
    k_cum, n_cum = np.r_[0.0, np.cumsum(k)], np.r_[0.0, np.cumsum(n)]
    b = np.arange(len(k))
    lo, mid, hi = np.maximum(b + 1 - width, 0), b + 1, np.minimum(b + 1 + width, len(k))
    k_a, n_a = k_cum[mid] - k_cum[lo], n_cum[mid] - n_cum[lo]
    k_b, n_b = k_cum[hi] - k_cum[mid], n_cum[hi] - n_cum[mid]
    llr = _loglik(k_a, n_a) + _loglik(k_b, n_b) - _loglik(k_a + k_b, n_a + n_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        after, before = k_b / n_b, k_a / n_a
    way = after < before if falling else after > before
    return np.where(way & (n_a > 0) & (n_b > 0), llr, 0.0)


def _loglik(k, n):
    """Binomial log-likelihood of ``k`` falls in ``n`` increments at their own rate."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, k / np.where(n > 0, n, 1), 0.0)
        return np.nan_to_num(k * np.log(p)) + np.nan_to_num((n - k) * np.log1p(-p))


def _made_up_falls(grid, order: np.ndarray, row: np.ndarray, options: Options) -> np.ndarray:
    """Per increment of ``grid`` in ``order``: the shown count fell beyond the display step
    and the counting noise of the video's net loss, and made it up within FLICKER_BACK
    snapshots (:func:`likekit.diagnosis.flicker.regained_falls`, on the grid's columns, the
    detector's trend standing for the previous day's). ``order``: the increments by video
    and time, ``row``: their videos; they are read a slice of whole videos at a time (the
    falls' working set is a dozen columns per increment: the whole panel's at once took
    400 MB at 5,000 videos)."""
    fell = np.zeros(len(order), dtype=bool)
    for a, b in video_cuts(row, CHUNK_ROWS):
        inc = _increments(grid, order[a:b], row[a:b])
        fell[a:b] = regained_falls(inc, options=options).to_numpy(dtype=bool)
    return fell


def _increments(grid, at: np.ndarray, row: np.ndarray) -> pd.DataFrame:
    """The columns :func:`~likekit.diagnosis.flicker.falls` reads, of the grid's increments
    ``at`` (whole videos in time order; ``row``: their videos)."""
    delta, gap = grid.inc_delta[at].astype(float), grid.inc_gap[at].astype(float)
    level = np.cumsum(delta)  # the shown count, up to a constant per video
    first = np.r_[True, row[1:] != row[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(row)), 0))
    level -= (level - delta)[start]
    resolution = grid.inc_step[at] + 1.0  # the larger of the two display steps
    return pd.DataFrame(
        {
            "video_id": row,
            "delta": delta,
            "gap": gap,
            "trend": (delta - grid.inc_excess[at]) / gap,
            "resolution": resolution,
            "prev_resolution": resolution,
            "likes": level,
            "prev_likes": level - delta,
        }
    )


def _held(row: np.ndarray, delta: np.ndarray, fell: np.ndarray) -> np.ndarray:
    """Per increment (by video, then time): a fall of ``fell``, or one of the increments
    after it up to the one that brought the count back where it stood before it (within
    FLICKER_BACK snapshots): the flicker itself, held down and let go."""
    held = fell.copy()
    level = np.cumsum(delta)  # the shown count, up to a constant per video
    at = np.flatnonzero(fell)
    before = level[at] - delta[at]
    going = np.ones(len(at), dtype=bool)  # falls not made up yet
    for k in range(1, FLICKER_BACK + 1):
        q = np.minimum(at + k, len(row) - 1)
        going &= (at + k < len(row)) & (row[q] == row[at])
        held[q[going]] = True
        going &= level[q] < before
    return held


def _flickering(grid, first: int, last: int, options: Options) -> tuple[np.ndarray, ...]:
    """The videos that fell beyond their own two-way noise more often in bins first..last
    than their rate of falls elsewhere explains (binomial at ``z_video``; two falls at
    least): per video, whether it did, then what it showed (the fields of
    :class:`Flickered`, one array each).

    A count near its plateau, or hovering while likes and un-likes both arrive, falls and
    comes back by itself by about as much as it moves otherwise; an old app's falls are
    larger than that. The yardstick is the video's own variance in the spell (its excess
    over the trend, never below the Poisson variance of the likes moving), measured on the
    increments outside the falls (:func:`_held`: an old app holds a count down for a
    snapshot or a few and lets it go at once; those falls and rises would inflate it),
    plus the display rounding of the fall's two counts."""
    order = _by_video(grid)
    row, col, ex = grid.row[order], grid.col[order], grid.inc_excess[order]
    gap, fell = grid.inc_gap[order], _made_up_falls(grid, order, row, options)
    inside = (col >= first) & (col <= last)
    clean = inside & ~_held(row, grid.inc_delta[order].astype(float), fell)
    n_videos = len(grid.videos)
    n_clean = np.maximum(np.bincount(row[clean], minlength=n_videos), 1)
    square = np.bincount(row[clean], weights=ex[clean] ** 2 / gap[clean], minlength=n_videos)
    moved = np.abs(grid.inc_delta[order][clean]) / gap[clean]
    per_step = np.maximum(square, np.bincount(row[clean], weights=moved, minlength=n_videos))
    var = gap * (per_step / n_clean)[row] + (grid.inc_step[order] + 1) ** 2 / 6
    beyond = inside & fell & (ex <= -options.z_video * np.sqrt(var))
    m = np.bincount(row[inside], minlength=n_videos)
    f = np.bincount(row[beyond], minlength=n_videos)
    m_all = np.bincount(row, minlength=n_videos)
    f_out = np.bincount(row[fell & ~inside], minlength=n_videos)
    rate = (f_out + 1) / (m_all - m + 2)
    p = stats.binom.sf(f - 1, m, rate)
    keep = (f >= 2) & (p <= stats.norm.sf(options.z_video))
    # per video: its first and last fall in the spell, and its deepest fall beyond noise
    spans = inside & fell
    first_col = np.full(n_videos, len(grid.times))
    last_col = np.full(n_videos, -1)
    np.minimum.at(first_col, row[spans], col[spans])
    np.maximum.at(last_col, row[spans], col[spans])
    at = np.flatnonzero(beyond)
    at = at[np.lexsort((ex[at], row[at]))]  # by video, deepest first
    deepest = np.zeros(n_videos, dtype=np.int64)
    heads, head_at = np.unique(row[at], return_index=True)
    deepest[heads] = at[head_at]
    return keep, first_col, last_col, f, m, p, ex[deepest], var[deepest]
