"""The simulation's tables, read from a finished :class:`~likekit.simulation.simulator.Simulator`:
what the app shows (``counts``), the truth per step, the events, videos, bot accounts and
bot likes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from likekit.data import display_bounds, format_count

if TYPE_CHECKING:
    from likekit.simulation.simulator import Simulator

__all__ = [
    "TRUTH_COUNTS",
    "accounts_table",
    "bot_likes_table",
    "counts_table",
    "events_table",
    "truth_table",
    "videos_table",
]

_UTC_US = pd.DatetimeTZDtype(unit="us", tz="UTC")
_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas 3's default ``str`` dtype
#: the truth's integer columns, in the order of the simulator's block
TRUTH_COUNTS = (
    "likes",
    "organic_given",
    "unliked",
    "bot_given",
    "bot_purged",
    "glitch_offset",
    "views",
)


def _strings(codes: np.ndarray, labels: list[str], na: np.ndarray | None = None) -> pd.Series:
    """A ``str`` column from integer codes into ``labels`` (fast for millions of rows)."""
    arr = pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32, copy=False), mask=na), pa.array(labels, pa.large_string())
    )
    return pd.Series(pd.array(arr.cast(pa.large_string()), dtype=_STR), copy=False)


def _repeated_ids(ids: list[str], per: int) -> pd.Series:
    """``ids`` (ASCII, all of one length) each repeated ``per`` times as a ``str`` column,
    written straight into Arrow buffers (the dictionary route is ~20x slower for millions)."""
    width = len(ids[0])
    chars = np.frombuffer("".join(ids).encode("ascii"), dtype=np.uint8).reshape(-1, width)
    n = len(ids) * per
    offsets = np.arange(n + 1, dtype=np.int64) * width
    data = np.repeat(chars, per, axis=0)
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    return pd.Series(pd.array(arr, dtype=_STR), copy=False)


def _render(values: np.ndarray, na: np.ndarray, rounding: str) -> pd.Series:
    """Display strings of counts (NA where ``na``): ``format_count`` once per distinct value."""
    codes = np.zeros(len(values), dtype=np.int64)
    uniq, codes[~na] = np.unique(values[~na], return_inverse=True)
    return _strings(codes, [format_count(int(v), rounding=rounding) for v in uniq], na)


def counts_table(sim: Simulator, display: bool) -> pd.DataFrame:
    """What the app shows at the snapshot steps, sorted by video and time."""
    p, every = sim.p, sim.every
    snap = np.arange(0, sim.T, every)
    served = sim.col("likes")[:, ::every] + sim.col("glitch_offset")[:, ::every]
    # views are copied (the truth keeps its own); comments and shares are only shown
    views = np.array(sim.col("views")[:, ::every])
    comments, shares = (np.ascontiguousarray(a[:, ::every]) for a in (sim.comments, sim.shares))
    sources = (sim.col("views"), sim.comments, sim.shares)
    frozen = [  # read every frozen value before writing any (comments may be in place)
        (
            np.ix_(hit, np.flatnonzero((snap >= s) & (snap < e))),
            [a[hit, shown] for a in sources],
        )
        for hit, s, e, shown in sim.stale
    ]
    for where, values in frozen:
        for a, value in zip((views, comments, shares), values, strict=True):
            a[where] = value[:, None]
    hidden = removed = np.zeros(served.shape, dtype=bool)
    if sim.status.any():
        after = sim.after(snap, sim.status_step)
        hidden = after & (sim.status == 1)[:, None]
        removed = after & (sim.status == 2)[:, None]
        served[hidden | removed] = 0
        for a in (views, comments, shares):
            a[removed] = 0
    missing = np.array(sim.missing[:, ::every])
    if p.missing_prob > 0:  # independent misses: a binomial number of uniform places
        n = missing.size
        missing.ravel()[sim.rng.choice(n, sim.rng.binomial(n, p.missing_prob), False)] = True
    likes_na = (missing | hidden if p.hidden_as == "na" else missing.copy()).ravel()
    missing = missing.ravel()
    lower, resolution = display_bounds(served.ravel(), p.display_rounding)
    resolution[likes_na] = 1
    keys = _keys(sim, snap)
    counts = pd.DataFrame(
        {
            "video_id": keys[0],
            "timestamp": keys[1],
            "likes": pd.arrays.IntegerArray(lower, likes_na),
            "resolution": resolution,
            # each column its own mask: a write into one must not show in another
            "views": pd.arrays.IntegerArray(views.ravel(), missing.copy()),
            "comments": pd.arrays.IntegerArray(comments.ravel(), missing.copy()),
            "shares": pd.arrays.IntegerArray(shares.ravel(), missing),
        },
        copy=False,
    )
    if display:
        counts["display"] = _render(served.ravel(), likes_na, p.display_rounding)
    if p.removed_as == "drop":
        counts = counts[~removed.ravel()].reset_index(drop=True)
    return counts


def _keys(sim: Simulator, steps: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """``video_id`` and ``timestamp`` columns for ``steps`` of every video (built once
    when counts and truth share them: pandas' copy-on-write keeps them apart)."""
    if sim.key_cache is None or len(sim.key_cache[0]) != sim.V * len(steps):
        videos = _repeated_ids(sim.ids, len(steps))
        us = sim.start.value // 1000 + np.tile(steps * sim.step_us, sim.V)
        times = pd.Series(us.view("M8[us]"), copy=False).dt.tz_localize("UTC")
        sim.key_cache = (videos, times)
    return sim.key_cache


def truth_table(sim: Simulator) -> pd.DataFrame:
    """Per video and step: the truth's counts and the un-like hazard."""
    truth = pd.DataFrame(sim.block.T, columns=list(TRUTH_COUNTS), copy=False)
    videos, times = _keys(sim, np.arange(sim.T))
    truth.insert(0, "video_id", videos)
    truth.insert(1, "timestamp", times)
    truth["unlike_hazard"] = sim.hazard.ravel()
    return truth


def events_table(sim: Simulator) -> pd.DataFrame:
    """The true events, sorted by video, start and cause (same columns when empty)."""
    columns = ["video_id", "cause", "start", "end", "likes_delta", "detail", "wave"]
    if not sim.events:
        return pd.DataFrame(
            {
                "video_id": pd.Series([], dtype=_STR),
                "cause": pd.Series([], dtype=_STR),
                "start": pd.Series([], dtype=_UTC_US),
                "end": pd.Series([], dtype=_UTC_US),
                "likes_delta": pd.Series([], dtype=np.int64),
                "detail": pd.Series([], dtype=_STR),
                "wave": pd.Series([], dtype="Int64"),
            }
        )
    ev = pd.concat(sim.events, ignore_index=True)
    ev = ev.sort_values(["video", "start", "cause"], kind="stable", ignore_index=True)
    ev["video_id"] = _strings(ev["video"].to_numpy(), sim.ids)
    ev["start"] = sim.times(ev["start"].to_numpy())
    ev["end"] = sim.times(ev["end"].to_numpy())
    ev["cause"] = ev["cause"].astype(_STR)
    ev["detail"] = ev["detail"].astype(_STR)
    return ev[columns]


def videos_table(sim: Simulator) -> pd.DataFrame:
    """Per video: its trend, peak views, trend start and peak, status and its time."""
    peak_hours = sim.trend_start[sim.trend] + sim.p.rise_hours
    status = np.array(["", "likes_hidden", "video_removed"])[sim.status]
    return pd.DataFrame(
        {
            "video_id": pd.array(sim.ids, dtype=_STR),
            "trend": sim.trend,
            "peak_views": sim.scale,
            "trend_start": sim.start + pd.to_timedelta(sim.trend_start[sim.trend], "h"),
            "peak": sim.start + pd.to_timedelta(peak_hours, "h"),
            "status": pd.array(status, dtype=_STR),
            "status_time": sim.times(sim.status_step).where(sim.status > 0),
        }
    )


def accounts_table(sim: Simulator) -> pd.DataFrame:
    """Per bot account: its kind and when (and by which wave) a purge removed it."""
    removed = sim.account_removed
    kind = np.where(np.arange(len(removed)) < sim.p.n_spam_accounts, "spam", "farm")
    purged = removed < sim.T
    return pd.DataFrame(
        {
            "account": np.arange(len(removed)),
            "kind": pd.array(kind, dtype=_STR),
            "removed": sim.times(removed).where(purged),
            "wave": pd.arrays.IntegerArray(sim.account_wave, ~purged),
        }
    )


def bot_likes_table(sim: Simulator) -> pd.DataFrame:
    """Every bot like given in the window, and when a purge took it."""
    account, video, given, gone = sim.bot_records
    return pd.DataFrame(
        {
            "account": account,
            "video_id": _strings(video, sim.ids),
            "given": sim.times(given),
            "removed": sim.times(gone).where(gone < sim.T),
        }
    )
