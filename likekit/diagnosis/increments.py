"""Per-video pieces of :func:`likekit.diagnose`: local noise, standardized increments, status.

Everything here works on the long contract table sorted by video and time, vectorized over
videos with grouped rolling windows; only the few candidate jumps are handled one by one.

:func:`increments` returns one row per observed snapshot that has an earlier observed
snapshot in its video. A displayed count is read at the middle of its display step (a
count shown as "1.2K", the lower bound of a step of 100, is taken as 1,249.5). Columns:

===================  ======================================================================
column               meaning
===================  ======================================================================
video_id, timestamp  the snapshot
prev_timestamp       the video's previous observed snapshot
likes, prev_likes    the mid-values of the two displayed counts
delta                ``likes - prev_likes``
views_delta          views gained over the same interval (NaN where the table has none)
resolution           display step of the snapshot (1 for an exact count); prev_resolution
step_h               the video's median snapshot interval (hours)
gap                  the interval in those steps (2 across one missing snapshot)
trend                median per-step increment over the previous day (or last 5 increments)
resid                ``(delta - trend * gap) / sqrt(gap)``
s                    robust SD of ``resid`` over the previous day (1.4826 x MAD)
noise                ``sqrt(gap s^2 + (prev_resolution^2 + resolution^2) / 12)``
excess               ``delta`` minus the detector's trend (mean of the non-outlier
                     increments over half a day either side) times ``gap``
walk_var             variance of the part of the noise that adds up along the series:
                     ``gap`` x max(robust SD^2, Poisson floor) over a day either side
noise_det            ``sqrt(walk_var + rounding)``: the detector's noise of one increment
count_var            counting noise of one video tested at a known time (a wave)
z                    ``excess / noise_det``, calibrated (Student t of a MAD -> normal)
z_scan               ``z``, or for a rounded count that fell by whole display steps the
                     exact chance of that fall (taken by the panel scan only)
===================  ======================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.indexers import BaseIndexer
from scipy import stats

#: MAD -> standard deviation for a normal distribution
MAD_TO_SD = 1.4826
#: fewest increments a noise window must hold; sparser series (daily snapshots) use their
#: last MIN_INCREMENTS increments instead of the previous day
MIN_INCREMENTS = 5
#: sparse videos (fewer than MIN_INCREMENTS snapshots a day): the detector's noise window
#: holds this many increments either side
DETECT_SPARSE = 5
#: a MAD-based SD from n values varies like a chi-square SD with n / DF_PER_VALUE degrees of
#: freedom (asymptotic variance 1.36 sigma^2 / n, i.e. 1 / (2 df))
DF_PER_VALUE = 2.72
#: the detector's trend: mean increment over half a day either side (narrow, so that it
#: follows a rising or fading video; the noise is measured over a day either side)
TREND_WIDTH = "1D"
#: increments further than this many robust SDs from the median trend are left out of the
#: mean trend (3 SDs: a normal increment is left out 0.3% of the time)
OUTLIER_Z = 3.0
#: z-scores are capped here (beyond it the normal tail underflows; nothing depends on more)
Z_MAX = 37.0
_HOUR = pd.Timedelta(hours=1)


def video_edges(ids: pd.Series) -> np.ndarray:
    """Where each video begins in ``ids`` (sorted by video), then its length: video k is
    rows ``edges[k]:edges[k + 1]``. Compared as the ids' own (Arrow) strings: a conversion
    to Python objects costs several times more."""
    if not len(ids):
        return np.zeros(1, dtype=np.int64)  # no video
    new = ids.ne(ids.shift()).to_numpy(dtype=bool)
    return np.r_[0, np.flatnonzero(new[1:]) + 1, len(ids)]


class _Windows(BaseIndexer):
    """Per-video rolling windows over the whole (video, time)-sorted table at once.

    ``DataFrame.groupby(...).rolling(...)`` gives the same windows, but checks each group's
    timestamps with a Python loop on every call (half the cost of :func:`increments`); the
    bounds here are reused for every column: windows of a number of rows for every video
    at once, time spans from one ``searchsorted`` per video (one over every video at once,
    their times moved apart, is no faster: each row's search spans the whole table). ``window``
    is a time span (a string such as "1D") or a number of rows; ``center``: the window
    centred on each row, both ends included, else the window before it (the row
    excluded), as pandas' ``closed="both"`` / ``closed="left"``.
    """

    def __init__(self, stamps: np.ndarray, edges: np.ndarray, window: str | int, center: bool):
        if not isinstance(window, str):  # pandas' fixed windows, clipped to the video
            rows, sizes = np.arange(len(stamps)), np.diff(edges)
            g0, g1 = np.repeat(edges[:-1], sizes), np.repeat(edges[1:], sizes)
            last = rows + 1 + ((window - 1) // 2 if center else 0)
            lo, hi = (last - window - 1, last) if center else (rows - window, rows)
            super().__init__(window_size=0, start=np.clip(lo, g0, g1), end=np.clip(hi, g0, g1))
            return
        start, end = np.empty(len(stamps), np.int64), np.empty(len(stamps), np.int64)
        span = pd.Timedelta(window).value // 1000
        half = span // 2 if center else span
        for g0, g1 in zip(edges[:-1], edges[1:], strict=True):
            t = stamps[g0:g1]
            start[g0:g1] = g0 + np.searchsorted(t, t - half, side="left")
            after = np.searchsorted(t, t + half, side="right") if center else np.arange(len(t))
            end[g0:g1] = g0 + after
        super().__init__(window_size=0, start=start, end=end)

    def get_window_bounds(
        self, num_values=0, min_periods=None, center=None, closed=None, step=None
    ):
        return self.start, self.end


class _Rolling:
    """Rolling statistics of the columns of one (video, time)-sorted frame, per video; each
    window's bounds are computed once and serve every column."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.edges = video_edges(frame["video_id"])
        # integer video codes in row order: grouping by them is grouping by video, without
        # hashing the string ids again
        self.codes = np.repeat(np.arange(len(self.edges) - 1), np.diff(self.edges))
        self.stamps = frame["timestamp"].dt.as_unit("us").array.asi8
        self.windows: dict[tuple[str | int, bool], _Windows] = {}

    def __call__(self, column: str, window: str | int, how: str, center: bool = False) -> pd.Series:
        """``how`` ("median", "mean" or "count") of ``column`` over a window per video: the
        window before each row (the row excluded), or centred on it (the row included)."""
        key = (window, center)
        if key not in self.windows:
            self.windows[key] = _Windows(self.stamps, self.edges, window, center)
        bounds, values = self.windows[key], self.frame[column]
        if how == "count":  # values present in the window, from a running count
            present = np.r_[0, np.cumsum(values.notna().to_numpy(), dtype=np.int64)]
            out = (present[bounds.end] - present[bounds.start]).astype(float)
            out[bounds.end == bounds.start] = np.nan  # as pandas: no rows, no count
        else:
            out = getattr(values.rolling(bounds, min_periods=1), how)().to_numpy()
        return pd.Series(out, index=self.frame.index)

    def last_median(self, column: str, rows: np.ndarray) -> np.ndarray:
        """The median of ``column`` over the MIN_INCREMENTS rows before each of ``rows``
        (the row excluded; as ``self(column, MIN_INCREMENTS, "median")`` where that window
        holds MIN_INCREMENTS values), computed for those rows only."""
        key = (MIN_INCREMENTS, False)
        if key not in self.windows:
            self.windows[key] = _Windows(self.stamps, self.edges, MIN_INCREMENTS, False)
        first = self.windows[key].start[rows]
        values = self.frame[column].to_numpy(dtype=float)
        return np.median(values[first[:, None] + np.arange(MIN_INCREMENTS)], axis=1)


def _windowed_median(roll: _Rolling, column: str) -> pd.Series:
    """Median over the previous day, or over the last MIN_INCREMENTS values when the day
    holds fewer (sparse snapshots). Rows without that much history take the first value
    computed later in their video; videos too short for any window, their overall median.
    """
    enough_day = roll(column, "1D", "count") >= MIN_INCREMENTS
    enough_last = roll(column, MIN_INCREMENTS, "count") >= MIN_INCREMENTS
    out = roll(column, "1D", "median").where(enough_day)
    # the last MIN_INCREMENTS values only where the day holds fewer (a few % of the rows)
    fill = out.isna().to_numpy() & enough_last.to_numpy()
    out[fill] = roll.last_median(column, np.flatnonzero(fill))
    out = out.groupby(roll.codes, sort=False).bfill()
    return out.fillna(roll.frame[column].groupby(roll.codes, sort=False).transform("median"))


def _centred(
    roll: _Rolling, column: str, sparse: pd.Series, how: str, width: str = "2D"
) -> tuple[pd.Series, pd.Series]:
    """``how`` (median, mean) and count of ``column`` in a window of ``width`` centred on
    each row, or (sparse videos) DETECT_SPARSE increments either side."""
    med = roll(column, width, how, center=True)
    n = roll(column, width, "count", center=True)
    if sparse.any():
        w = 2 * DETECT_SPARSE + 1
        med = med.where(~sparse, roll(column, w, how, center=True))
        n = n.where(~sparse, roll(column, w, "count", center=True))
    return med, n


def increments(table: pd.DataFrame) -> pd.DataFrame:
    """Snapshot-to-snapshot increments with their local trend and noise.

    One row per observed snapshot that has an earlier observed snapshot in its video; the
    columns are listed in the module docstring. ``gap`` is the interval in steps of the
    video's median interval, so an increment across missing snapshots is compared with
    ``gap`` steps of trend and sqrt(``gap``) steps of noise.
    """
    inc = _pairs(table)
    roll = _Rolling(inc)
    _previous_day(inc, roll)
    sparse = 24.0 / inc["step_h"] < MIN_INCREMENTS
    _detector(inc, roll, sparse)
    # the panel scan takes the exact chance of a rounded fall (a one-step fall on many
    # rounded videos at once is a wave); the single-video alarm keeps the normal z, since
    # a rounded video's trend, measured in whole display steps, cannot tell a recovery
    # from its next step of growth
    inc["z_scan"] = np.minimum(inc["z"], _rounded_fall_z(inc, roll, sparse))
    return inc.drop(columns=["rate", "abs_resid", "clean_rate", "clean_sq", "activity", "dt"])


def _pairs(table: pd.DataFrame) -> pd.DataFrame:
    """Each observed snapshot with the previous one of its video: likes (mid-values),
    delta, resolutions, dt (hours), step_h, gap and rate (delta per step)."""
    cols = ["video_id", "timestamp", "likes", "resolution"]
    obs = table.loc[table["likes"].notna(), cols + ["views"] * ("views" in table)]
    obs = obs.reset_index(drop=True)
    first = np.zeros(len(obs), dtype=bool)
    first[video_edges(obs["video_id"])[:-1]] = True
    res = obs["resolution"].to_numpy(dtype=float)
    # a displayed count is the lower bound of a step of r: its mid-value is the best level
    likes = obs["likes"].to_numpy(dtype=float) + (res - 1) / 2
    hours = (obs["timestamp"] - obs["timestamp"].iloc[0]) / _HOUR if len(obs) else obs["likes"]
    hours = np.asarray(hours, dtype=float)
    prev = np.roll(np.arange(len(obs)), 1)
    dt = np.where(first, np.nan, hours - hours[prev])
    views = (
        obs["views"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        if "views" in obs
        else np.full(len(obs), np.nan)
    )
    inc = pd.DataFrame(
        {
            "video_id": obs["video_id"],
            "timestamp": obs["timestamp"],
            "prev_timestamp": obs["timestamp"].shift(1),
            "likes": likes,
            "prev_likes": likes[prev],
            "delta": likes - likes[prev],
            "views_delta": views - views[prev],
            "dt": dt,
            "resolution": res,
            "prev_resolution": res[prev],
        }
    )[~first].reset_index(drop=True)
    step = inc.groupby("video_id", sort=False)["dt"].transform("median")
    inc["step_h"] = step
    inc["gap"] = inc["dt"] / step
    # trend and noise are per nominal step, so a gap of g steps has g times the trend and
    # sqrt(g) times the noise of one step
    inc["rate"] = inc["delta"] / inc["gap"]
    return inc


def _previous_day(inc: pd.DataFrame, roll: _Rolling) -> None:
    """Adds trend, resid, s and noise: the local noise over the previous day (issue 5 §4)."""
    inc["trend"] = _windowed_median(roll, "rate")
    inc["resid"] = (inc["delta"] - inc["trend"] * inc["gap"]) / np.sqrt(inc["gap"])
    inc["abs_resid"] = inc["resid"].abs()
    inc["s"] = MAD_TO_SD * _windowed_median(roll, "abs_resid")
    inc["noise"] = np.sqrt(inc["gap"] * inc["s"] ** 2 + _rounding(inc))


def _rounding(inc: pd.DataFrame) -> pd.Series:
    """Variance of the difference of two counts, each truncated to its display step."""
    return (inc["prev_resolution"] ** 2 + inc["resolution"] ** 2) / 12.0


def _detector(inc: pd.DataFrame, roll: _Rolling, sparse: pd.Series) -> None:
    """Adds the detector's excess, walk_var, count_var, noise_det and z.

    The same statistics as the local noise over a window centred on each increment (two
    days, so twice the values and no lag behind a changing trend), with a z-score
    calibrated for the uncertainty of the noise estimate (Student t -> normal scale).
    """
    rounding = _rounding(inc)
    trend_c, _ = _centred(roll, "rate", sparse, "median", TREND_WIDTH)
    inc["abs_resid"] = ((inc["delta"] - trend_c * inc["gap"]) / np.sqrt(inc["gap"])).abs()
    mad, n = _centred(roll, "abs_resid", sparse, "median")
    # second pass: the trend as the mean of the increments that are not outliers, so that
    # sums of excess increments over long spans do not drift (the median of skewed counts
    # is biased low), while events do not pull it
    inc["clean_rate"] = inc["rate"].where(inc["abs_resid"] <= OUTLIER_Z * MAD_TO_SD * mad)
    trend_m, _ = _centred(roll, "clean_rate", sparse, "mean", TREND_WIDTH)
    inc["excess"] = inc["delta"] - trend_m.fillna(trend_c) * inc["gap"]
    # counts are integers: an increment varies at least like a Poisson count of the likes
    # given and withdrawn in it (variance >= their mean >= the mean absolute increment),
    # whatever a MAD of mostly equal values says
    inc["activity"] = inc["rate"].abs()
    activity, _ = _centred(roll, "activity", sparse, "mean")
    spread = np.maximum((MAD_TO_SD * mad) ** 2, activity)
    inc["walk_var"] = inc["gap"] * spread  # the part that adds up along the series
    # the counting noise of one video at a known time (a wave): the variance of its clean
    # increments around their trend, whose MAD collapses on small integers (increments of
    # 0, 1, 2 have a MAD of 1, i.e. an SD of 1.48, whatever their variance), never below
    # the Poisson variance of the likes moving nor the rate that n quiet steps cannot rule out
    clean = (inc["excess"] / np.sqrt(inc["gap"])).where(inc["clean_rate"].notna())
    inc["clean_sq"] = clean**2
    sample_var, n_clean = _centred(roll, "clean_sq", sparse, "mean")
    floor = np.maximum(activity, 1.0 / np.maximum(n_clean, 1))
    per_step = np.maximum(sample_var.fillna(0.0), floor)
    inc["count_var"] = inc["gap"] * per_step + rounding
    inc["noise_det"] = np.sqrt(inc["walk_var"] + rounding)
    raw = (inc["excess"] / inc["noise_det"]).to_numpy()
    df = np.maximum(n.to_numpy() / DF_PER_VALUE, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        calibrated = stats.norm.isf(stats.t.sf(np.abs(raw), df))
    inc["z"] = np.sign(raw) * np.minimum(calibrated, Z_MAX)


def _rounded_fall_z(inc: pd.DataFrame, roll: _Rolling, sparse: pd.Series) -> np.ndarray | float:
    """A rounded count ("1.2K") that shows a fall of whole display steps: its exact chance
    under the video's trend and counting noise, the true count's place within its step
    being unknown (uniform), where the normal noise of rounding would understate it; as a
    z-score (infinity where no such fall)."""
    fell = (inc["resolution"] > 1) & (inc["prev_resolution"] == inc["resolution"])
    fell &= inc["delta"] < 0
    if not fell.any():
        return np.inf
    sd = np.sqrt(inc["walk_var"].to_numpy(float))
    # the trend of a rounded count is its mean increment, display steps included (the
    # trimmed trend of mostly-zero increments is zero); the wave's own fall pulls it
    # down, which only makes a fall less surprising
    mean_rate, _ = _centred(roll, "rate", sparse, "mean")
    expected = (mean_rate * inc["gap"]).to_numpy(float)
    # the chance is computed for those falls only (a few % of the rows)
    at = np.flatnonzero(fell.to_numpy() & (sd > 0))
    r, sd, expected = inc["resolution"].to_numpy(float)[at], sd[at], expected[at]
    steps = -inc["delta"].to_numpy(float)[at] / r
    with np.errstate(divide="ignore", invalid="ignore"):
        c0 = (-(steps - 1) * r - expected) / sd
        chance = sd / r * (_phi_integral(c0) - _phi_integral(c0 - r / sd))
        out = np.full(len(inc), np.inf)
        out[at] = -stats.norm.isf(np.clip(chance, 1e-300, 0.5))
    return out


def _phi_integral(x: np.ndarray) -> np.ndarray:
    """An antiderivative of the standard normal CDF: x Phi(x) + phi(x)."""
    return x * stats.norm.cdf(x) + stats.norm.pdf(x)


def local_noise_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per-snapshot local noise sqrt(s^2 + r^2/6) of issue 5 §4 (see ``local_noise``)."""
    inc = increments(table)
    out = table[["video_id", "timestamp", "resolution"]].copy()
    keys = ["video_id", "timestamp"]
    out = out.merge(inc[[*keys, "delta", "trend", "s"]], on=keys, how="left")
    # the first snapshot of a video (and missing ones) take the next known noise level
    out["s"] = out.groupby("video_id", sort=False)["s"].transform(lambda x: x.bfill().ffill())
    out["noise"] = np.sqrt(out["s"] ** 2 + out["resolution"].astype(float) ** 2 / 6.0)
    out["noise"] = out["noise"].where(table["likes"].notna().to_numpy())  # no value, no noise
    return out


def status_mask(table: pd.DataFrame, min_level: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Snapshots under a status change, and whether each is a removal.

    Likes at zero after having been positive, or missing while views are still reported,
    are a status change: a removal when views are at zero too, hidden likes when views go
    on; only once the count has reached ``min_level`` (below it, a fall to zero can be
    counting noise). A video whose every counter is missing from some time to the end of
    the table, for at least a day, was removed. Returns two boolean arrays over the rows.
    """
    likes = table["likes"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    vid = pd.factorize(table["video_id"])[0]  # integer codes group as the ids do
    seen = pd.Series(np.nan_to_num(likes, nan=0.0)).groupby(vid).cummax().to_numpy() >= min_level
    zero = (likes == 0) & seen
    if "views" not in table:
        return zero, np.zeros(len(table), dtype=bool)
    views = table["views"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    hidden = np.isnan(likes) & ~np.isnan(views) & seen
    blank = pd.Series(np.isnan(likes) & np.isnan(views))
    # trailing run of blank snapshots: blank here and at every later snapshot of the video
    trailing = blank[::-1].groupby(vid[::-1]).cummin()[::-1].to_numpy(dtype=bool)
    hours = ((table["timestamp"] - table["timestamp"].min()) / _HOUR).to_numpy(float)
    start = pd.Series(np.where(trailing, hours, np.nan)).groupby(vid).transform("min")
    last = pd.Series(hours).groupby(vid).transform("max")
    gone = trailing & ((last - start) >= 24).to_numpy() & seen
    removed = (zero & ~(views > 0)) | gone
    return zero | hidden | gone, removed


def blank_mask(table: pd.DataFrame) -> np.ndarray:
    """Snapshots where every counter is missing (no snapshot value at all)."""
    blank = table["likes"].isna().to_numpy().copy()
    for c in ("views", "comments", "shares"):
        if c in table:
            blank &= table[c].isna().to_numpy()
    return blank
