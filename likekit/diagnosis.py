"""Diagnose disappearing likes: find every drop in a creator's table and name its cause.

The detector works on snapshot-to-snapshot increments of each video (displayed counts read
at the middle of their display step). Each increment is compared with the video's local
trend (mean increment over half a day either side, outliers left out) and standardized by
its noise: the robust SD of the increments over a day either side (never below the Poisson
floor of integer counts: the mean absolute increment), combined with the display resolution.
The z-score is calibrated for the uncertainty of that noise estimate (Student t with the
degrees of freedom of a MAD). The "local noise" of issue 5 §4, used to state event sizes, is
:func:`local_noise`. Thresholds come from error rates, not tuned constants:

* one video alone raises an alarm at the z-score whose normal tail, times the number of
  increments in a month, is ``false_alarms`` (expected false alarms per video-month);
* the panel is scanned bin by bin for synchronized drops, outages and catch-ups (see
  ``likekit._waves``); a wave's p-value is calibrated for every bin and test scanned and
  must be below ``wave_alpha``;
* once a wave says *when*, each video is tested at that time alone at level ``video_alpha``.

A drop that a later jump of matching size brings back (at least half way) is a glitch; a
drop that stays is a purge; a count that stood still and then caught up is a (freeze)
glitch; snapshots missing on many videos at once are an outage; glitches of a video at most
a day apart are one episode; likes at zero (or missing while views go on) after having been
positive are a status change; a significant fall of the purge- and glitch-corrected level
after its peak is a trend decline, described lazily by :func:`likekit.fit_decay`.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from likekit import _detect, _removal, _waves
from likekit.data import format_count, load_counts

__all__ = ["Diagnosis", "diagnose", "event_sizes", "local_noise", "score_events"]

CAUSES = ("glitch", "purge", "trend_decline", "status")
EVENT_COLUMNS = [
    "video_id",
    "cause",
    "start",
    "end",
    "likes_delta",
    "delta_low",
    "delta_high",
    "recovered",
    "score",
    "detail",
    "wave",
    "evidence",
]
WAVE_COLUMNS = [
    "wave",
    "time",
    "end",
    "cause",
    "n_videos",
    "likes_delta",
    "recovered",
    "z",
    "p_value",
]
_MONTH_H = 30 * 24.0
#: a glitch recovers within hours (servers come back, apps update within days but flicker
#: snapshot by snapshot): a jump later than this after a drop is an event of its own
GLITCH_MAX_HOURS = 24
#: bins after a panel-wide drop in which making it up (half way) shows it was not permanent
COMPENSATE = 2
#: glitches of a video at most this many snapshot steps apart are one episode
MERGE_STEPS = 24
#: a flickering app shows each snapshot in full with even odds: a fall it causes is made up
#: within this many snapshots but for a chance of 2^-3
FLICKER_BACK = 3
_Z95 = float(stats.norm.isf(0.025))


def local_noise(counts: Any) -> pd.DataFrame:
    """Local noise of every snapshot, as defined in issue 5 §4.

    ``noise = sqrt(s^2 + r^2 / 6)`` where ``r`` is the display resolution of the snapshot
    and ``s`` the robust standard deviation of the video's snapshot-to-snapshot increments
    around their local trend over the previous day: each increment minus the median
    increment of the day before it, then ``1.4826 x`` the median absolute value of those
    residuals over the previous day (the current increment excluded). ``r^2 / 6`` is the
    variance of the difference of two counts each truncated to a step of ``r``.

    Increments across missing snapshots count per step of the video's median interval (a
    gap of g steps: g times the trend, sqrt(g) times the noise). When the previous day holds
    fewer than 5 increments (daily snapshots), the last 5 increments are used; the first
    snapshots of a video, before any window is full, take the first value computed after
    them; a video too short for any window takes its whole-series median.

    Parameters
    ----------
    counts : DataFrame, str or Path
        A like-count table in the data contract (anything :func:`likekit.load_counts` reads).

    Returns
    -------
    DataFrame
        One row per input snapshot: video_id, timestamp, resolution, delta (increment from
        the previous observed snapshot), trend (median increment per step over the previous
        day), s, noise.
    """
    return _detect.local_noise_table(load_counts(counts))


# ---------------------------------------------------------------------------------------
# per-video quality


def _video_status(table: pd.DataFrame) -> pd.DataFrame:
    """Per video: snapshots, observed likes and a status for degenerate input."""
    g = table.groupby("video_id", sort=False)
    likes = table["likes"].astype("Float64")
    hours = table["timestamp"].diff() / pd.Timedelta(hours=1)
    hours = hours.where(table["video_id"].eq(table["video_id"].shift()))
    info = pd.DataFrame(
        {
            "snapshots": g.size(),
            "observed": likes.notna().groupby(table["video_id"], sort=False).sum(),
            "distinct": likes.groupby(table["video_id"], sort=False).nunique(),
            "median_step_h": hours.groupby(table["video_id"], sort=False).median(),
            "max_step_h": hours.groupby(table["video_id"], sort=False).max(),
        }
    )
    status = np.select(
        [
            info["observed"] == 0,
            info["observed"] == 1,
            info["observed"] < _detect.MIN_INCREMENTS + 1,
            info["distinct"] == 1,
            info["max_step_h"] > 10 * info["median_step_h"],
        ],
        ["all_missing", "one_snapshot", "too_short", "constant", "large_gaps"],
        default="ok",
    )
    info["status"] = status
    return info


# ---------------------------------------------------------------------------------------
# events


def _utc(t) -> pd.Timestamp:
    t = pd.Timestamp(t)
    return t.tz_localize("UTC") if t.tzinfo is None else t


def _event(video, cause, start, end, delta, sd, recovered, score, detail, evidence, wave=None):
    start, end = _utc(start), _utc(end)
    half = _Z95 * sd if np.isfinite(sd) else np.nan
    return {
        "video_id": video,
        "cause": cause,
        "start": start,
        "end": end,
        "likes_delta": delta,
        "delta_low": delta - half,
        "delta_high": delta + half,
        "recovered": recovered,
        "score": score,
        "detail": detail,
        "wave": wave,
        "evidence": evidence,
    }


def _n(x: float) -> str:
    return f"{x:+,.0f}"


def _status_events(
    table: pd.DataFrame, status: np.ndarray, removed: np.ndarray, blank: np.ndarray
) -> list[dict]:
    """One status event per run of status snapshots (snapshots with no value at all, which
    say nothing, neither break nor end a run)."""
    rows = []
    vid = table["video_id"].to_numpy(dtype=object)
    ts = table["timestamp"].dt.tz_convert(None).to_numpy()
    res = table["resolution"].to_numpy(dtype=float)
    likes = table["likes"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    likes = likes + (res - 1) / 2  # mid-value of what the display means
    rank = np.cumsum(~blank)  # position among the snapshots that say something
    idx = np.flatnonzero(status & ~blank)
    if not len(idx):
        return rows
    new_run = np.r_[True, (np.diff(rank[idx]) > 1) | (vid[idx[1:]] != vid[idx[:-1]])]
    # last level shown before each row, and whether a shown level comes later in the video
    code = pd.factorize(vid)[0]
    shown = pd.Series(np.where(status | blank, np.nan, likes))
    level_before = shown.groupby(code).ffill().groupby(code).shift().to_numpy()
    shown_later = shown[::-1].notna().groupby(code[::-1]).cummax()[::-1].to_numpy()
    for run in np.split(idx, np.flatnonzero(new_run)[1:]):
        first, last = run[0], run[-1]
        after = bool(shown_later[last])
        kind = "video_removed" if removed[run].all() else "likes_hidden"
        text = (
            "likes and views gone: the video was removed"
            if kind == "video_removed"
            else "likes gone (zero or missing) while views go on: the like count was hidden"
        )
        text += "; shown again later" if after else ""
        level = level_before[first]
        rows.append(
            _event(
                vid[first],
                "status",
                pd.Timestamp(ts[first]),
                pd.Timestamp(ts[last]),
                -level,
                0.0,
                after,
                np.inf,
                kind,
                text,
            )
        )
    return rows


def _single_video(v: str, a: dict[str, np.ndarray], z_alarm: float, z_video: float) -> list[dict]:
    """Glitches and purges of one video from its own increments (no panel information).

    ``a`` holds the video's increments as arrays: ts, prev (UTC datetime64), excess, z,
    noise, delta, res (display resolution).
    """
    out: list[dict] = []
    ts, last_bad = a["ts"], a["prev"]  # at a recovery, prev is the last affected snapshot
    excess, z, noise, delta = a["excess"], a["z"], a["noise"], a["delta"]
    used = np.zeros(len(ts), dtype=bool)
    cum = np.cumsum(excess)
    for j in np.flatnonzero(z >= z_alarm):
        # a catch-up jump after a run of stalled (or below-trend) increments: a freeze
        if j > 0 and delta[j - 1] == 0:
            stalled = delta == 0  # an exact count that stood still
        else:
            # a count that stood still or fell (a big drop before a jump is a drop); one
            # that merely rose slower is a slowdown, no evidence of a frozen counter
            stalled = (delta <= 0) & (z > -z_alarm)
        k = j
        while k > 0 and not used[k - 1] and stalled[k - 1]:
            k -= 1
        deficit = excess[k:j].sum()
        # an exact count that stood still while ``expected`` likes were due: under Poisson
        # counting that happens with probability exp(-expected)
        expected = float((delta[k:j] - excess[k:j]).sum())
        exact_stall = k < j and (delta[k:j] == 0).all() and (a["res"][k:j] == 1).all()
        # (compared as -log: exp(-expected) overflows on a count that fell by millions)
        stood_still = exact_stall and expected >= -math.log(stats.norm.sf(z_video))
        if k < j and (deficit <= -excess[j] / 2 or stood_still):
            used[k : j + 1] = True
            out.append(
                _event(
                    v,
                    "glitch",
                    pd.Timestamp(ts[k]),
                    pd.Timestamp(last_bad[j]),
                    -excess[j],
                    noise[j],
                    True,
                    excess[j] / noise[j],
                    "freeze",
                    f"count stalled for {j - k} snapshots, then caught up by "
                    f"{_n(excess[j])} likes ({excess[j] / noise[j]:.1f}x noise)",
                )
            )
    # a recovery closes the most recent open drop (drops nest like brackets) when it is a
    # jump of matching size (half to twice the drop, within noise) that brings the level
    # back at least half way
    # a recovery closes the most recent open drops (drops nest like brackets; a glitch may
    # deepen in steps) when it is a jump of matching size (half to twice their sum, within
    # noise) that brings the level back at least half way
    open_drops: list[int] = []
    closed: dict[int, int] = {}  # first drop of a glitch -> its recovery
    for k in np.flatnonzero(((z <= -z_alarm) | (z >= z_video)) & ~used):
        if z[k] <= -z_alarm:
            open_drops.append(k)
            continue
        jump, total = excess[k], 0.0
        for m in range(len(open_drops) - 1, -1, -1):
            i = open_drops[m]
            if ts[k] - ts[i] > np.timedelta64(GLITCH_MAX_HOURS, "h"):
                break  # too late to be its recovery (bought likes, say)
            total += excess[i]
            tol = z_video * math.hypot(noise[i], noise[k])
            back = cum[k] - cum[i] + excess[i]
            if -total / 2 <= jump <= -2 * total + tol and back >= total / 2:
                closed[i] = k
                used[open_drops[m + 1 :]] = True  # steps of the same glitch
                del open_drops[m:]
                break
    for i in np.flatnonzero((z <= -z_alarm) & ~used):
        drop = excess[i]
        # evidence of removal: a glitch's drop shows a fall of the count; a purge, that or
        # a loss in that interval alone (not a slowdown, a ramp or users leaving)
        if not (a["fell"][i] or (i not in closed and a["one_off"][i])):
            continue
        if i in closed:
            j = closed[i]
            used[i : j + 1] = True
            hours = (ts[j] - ts[i]) / np.timedelta64(1, "h")
            out.append(
                _event(
                    v,
                    "glitch",
                    pd.Timestamp(ts[i]),
                    pd.Timestamp(last_bad[j]),
                    drop,
                    noise[i],
                    True,
                    abs(drop) / noise[i],
                    "drop",
                    f"drop of {_n(drop)} likes ({abs(drop) / noise[i]:.1f}x noise) "
                    f"recovered {hours:g} h later by {_n(excess[j])}",
                )
            )
        else:
            used[i] = True
            out.append(
                _event(
                    v,
                    "purge",
                    pd.Timestamp(ts[i]),
                    pd.Timestamp(ts[i]),
                    drop,
                    noise[i],
                    False,
                    abs(drop) / noise[i],
                    "step",
                    f"permanent step of {_n(drop)} likes ({abs(drop) / noise[i]:.1f}x "
                    "noise), never recovered",
                )
            )
    return out


def _trend_declines(inc: pd.DataFrame, events: pd.DataFrame, z_alarm: float) -> list[dict]:
    """A significant decline of the corrected level after its peak, per video (vectorized:
    purge steps and glitch windows are replaced by the local trend, the level is summed per
    video, and its fall from the peak to the lowest point after it is tested against the
    summed noise of the increments in between)."""
    if inc.empty:
        return []
    codes, names = pd.factorize(inc["video_id"])
    t0 = inc["timestamp"].min()
    hours = ((inc["timestamp"] - t0) / pd.Timedelta(hours=1)).to_numpy(float)
    span = hours.max() + 2.0
    key = codes * span + hours
    expected = (inc["delta"] - inc["excess"]).to_numpy(float)
    corrected = inc["delta"].to_numpy(float).copy()
    steps = events.loc[events["cause"].isin(["purge", "glitch"])]
    ecode = names.get_indexer(steps["video_id"])
    steps, ecode = steps.loc[ecode >= 0], ecode[ecode >= 0]
    if len(steps):
        start_h = ((steps["start"] - t0) / pd.Timedelta(hours=1)).to_numpy(float)
        end_h = ((steps["end"] - t0) / pd.Timedelta(hours=1)).to_numpy(float)
        lo = np.searchsorted(key, ecode * span + start_h, side="left")
        hi = np.searchsorted(key, ecode * span + end_h, side="right")
        # a glitch's end is its last affected snapshot: the increment after it, the
        # recovery, belongs to it too
        glitch = (steps["cause"] == "glitch").to_numpy()
        nxt = np.minimum(hi, len(key) - 1)
        hi = np.where(glitch & (hi < len(key)) & (codes[nxt] == ecode), hi + 1, hi)
        mark = np.zeros(len(key) + 1)
        np.add.at(mark, lo, 1)
        np.add.at(mark, hi, -1)
        inside = np.cumsum(mark)[:-1] > 0
        corrected[inside] = expected[inside]
    level = pd.Series(corrected).groupby(codes).cumsum()
    peak = level.groupby(codes).idxmax().to_numpy()
    pos = np.arange(len(level))
    after = pos >= peak[codes]
    low = pd.Series(np.where(after, level, np.inf)).groupby(codes).idxmin().to_numpy()
    # counting noise adds up along the way: the net change is likes given minus likes
    # withdrawn, Poisson counts whose variance is their sum, which the summed absolute
    # (corrected) increments estimate; display rounding counts only at the two ends
    var = np.cumsum(np.abs(corrected))
    res = inc["resolution"].to_numpy(float)
    sd = np.sqrt(np.maximum(var[low] - var[peak], 0.0) + (res[low] ** 2 + res[peak] ** 2) / 12)
    lev = level.to_numpy()
    decline = lev[low] - lev[peak]
    duration = hours[low] - hours[peak]
    ts = inc["timestamp"]
    out = []
    for k in np.flatnonzero((sd > 0) & (decline <= -z_alarm * sd) & (duration >= 24)):
        out.append(
            _event(
                names[k],
                "trend_decline",
                ts.iloc[peak[k]],
                ts.iloc[low[k]],
                float(decline[k]),
                sd[k],
                False,
                -decline[k] / sd[k],
                "decline",
                f"after its peak the count fell by {_n(decline[k])} likes over "
                f"{duration[k] / 24:.1f} days, not explained by purges or glitches",
            )
        )
    return out


def _hit_by_wave(move: np.ndarray, var: np.ndarray, seen: np.ndarray, z_video: float) -> np.ndarray:
    """The videos a wave moved: each video's move (its excess over its local trend, signed
    so that the wave's direction is positive) tested one-sided against its counting noise.

    A video is hit at level ``z_video``, or where the false discovery rate among the videos
    called hit stays at the same level: the two-stage adaptive Benjamini-Hochberg procedure
    of Benjamini, Krieger and Yekutieli (2006), whose first stage estimates how many videos
    the wave left alone. When the panel shows that most videos moved, a smaller move of one
    of them is more likely part of the wave than chance.
    """
    z = np.where(seen & (var > 0), move / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
    p = stats.norm.sf(z)
    hit = seen & (z >= z_video)
    m = int(seen.sum())
    if m < 2:
        return hit
    q = float(stats.norm.sf(z_video))
    q /= 1 + q
    ranked = np.sort(p[seen])
    rank = np.arange(1, m + 1)

    def step_up(level: float) -> float:
        """Largest p-value the Benjamini-Hochberg step-up procedure rejects (0: none)."""
        below = np.flatnonzero(ranked <= rank * level / m)
        return float(ranked[below.max()]) if len(below) else 0.0

    first = int((ranked <= step_up(q)).sum()) if step_up(q) > 0 else 0
    if 0 < first < m:
        hit |= seen & (p <= step_up(q * m / (m - first)))
    elif first == m:
        hit |= seen
    return hit


def _scan_waves(
    inc: pd.DataFrame, single: pd.DataFrame, z_alarm: float, z_video: float, alpha: float
) -> tuple[pd.DataFrame, list[dict], pd.DataFrame]:
    """Creator-wide waves; per-video events they reveal; ``single`` with wave ids set."""
    grid = _waves.Grid.build(inc)
    single = single.copy()
    waves: list[dict] = []
    extra: list[dict] = []
    if grid.excess.shape[1] == 0 or len(grid.videos) < 2:
        return pd.DataFrame(columns=WAVE_COLUMNS), extra, single
    t0, step = grid.times[0], (grid.times[1] - grid.times[0] if len(grid.times) > 1 else None)
    p_down, z_down = _waves.bin_pvalues(grid, z_alarm, -1)
    p_up, z_up = _waves.bin_pvalues(grid, z_alarm, +1)
    ups = _waves.significant_runs(p_up, alpha)
    up_used = set()

    def to_bin(col):
        if step is None or not len(single):
            return np.zeros(len(single), dtype=int)
        return np.rint(((single[col] - t0) / step).to_numpy(dtype=float)).astype(int)

    single_bin, single_end = to_bin("start"), to_bin("end")
    row_of = {v: k for k, v in enumerate(grid.videos)}
    single_row = single["video_id"].map(row_of).fillna(-1).to_numpy(dtype=int)
    single_step = single["cause"].isin(["purge", "glitch"]).to_numpy()
    single_wave = single["wave"].to_numpy(dtype=object, na_value=None).copy()

    def attach(wave_id, b0, b_last, hit, cause, recovered, detail, m0, m1, sign):
        """Tag single-video events of ``hit`` videos at the wave [b0, b_last]; add the faint
        ones, measured over bins m0..m1 (a freeze by the catch-up that ends it, sign -1)."""
        window_ex, window_n2, _ = grid.window(m0, m1)
        near = single_step & (single_bin <= b_last + 1) & (single_end >= b0 - 1)
        near &= hit[np.maximum(single_row, 0)] & (single_row >= 0)
        single_wave[near] = wave_id
        # a faint step is called permanent only where the video was seen after it
        followed = grid.seen[:, b_last + 1 : b_last + 1 + COMPENSATE].any(axis=1) | recovered
        for r in np.setdiff1d(np.flatnonzero(hit & followed), single_row[near]):
            ex, sd = sign * window_ex[r], math.sqrt(window_n2[r])
            what = "outage" if recovered else "purge wave"
            extra.append(
                _event(
                    grid.videos[r],
                    cause,
                    grid.times[b0],
                    grid.times[b_last],
                    ex,
                    sd,
                    recovered,
                    abs(ex) / sd,
                    detail,
                    f"{_n(ex)} likes ({abs(ex) / sd:.1f}x noise) at the time of {what} "
                    f"{wave_id}, found by synchrony across the panel",
                    wave_id,
                )
            )

    usual = grid.stalled.sum(axis=1) / np.maximum(grid.seen.sum(axis=1), 1)

    def standing_still(hit: np.ndarray) -> np.ndarray:
        """Bins where more of the hit videos stood still than their usual rates of standing
        still explain (one-sided normal test on the count, at level ``z_video``)."""
        seen = grid.seen[hit]
        u = usual[hit][:, None] * seen
        k = grid.stalled[hit].sum(axis=0)
        sd = np.sqrt((u * (1 - u)).sum(axis=0))
        return (k - u.sum(axis=0) >= z_video * sd) & (sd > 0)

    for b0, b1 in _waves.significant_runs(p_down, alpha):
        ex, n2, seen = grid.window(b0, b1)
        hit = seen & (ex <= -z_video * np.sqrt(n2))
        if hit.sum() < 2:
            continue
        drop = ex[hit].sum()
        recovered_at = None
        for c0, c1 in ups:
            if c0 <= b1 or (c0, c1) in up_used:
                continue
            if grid.times[c0] - grid.times[b1] > pd.Timedelta(hours=GLITCH_MAX_HOURS):
                break
            jump = grid.excess[hit, c0 : c1 + 1].sum()
            if jump >= -drop / 2 and grid.excess[hit, b0 : c1 + 1].sum() >= drop / 2:
                recovered_at = (c0, c1)
                up_used.add((c0, c1))
                break
        if recovered_at is None:
            # a drop made up within the next COMPENSATE bins (a snapshot taken early, then
            # late) is not permanent, even without a significant catch-up
            after = grid.excess[hit, b1 + 1 : b1 + 1 + COMPENSATE].sum(axis=0).cumsum()
            back = np.flatnonzero(drop + after >= drop / 2)
            if len(back):
                recovered_at = (b1 + 1 + back[0], b1 + 1 + back[0])
        recovered = recovered_at is not None
        if recovered:
            evident = _removal.glitch_evidence(grid, b0, b1, hit)
        else:
            evident = _removal.loss_evidence(grid, b0, b1, hit, z_video, COMPENSATE)
        if evident.sum() < 2:
            continue  # a shared slowdown: no count fell, stood still or resumed its rate
        if not recovered and not _removal.wave_one_off(grid, b0, b1, evident, z_video, 2):
            continue  # no step: the rate was no higher before (a spell of un-likes ends)
        wave_id = len(waves) + 1
        cause = "glitch" if recovered else "purge"
        waves.append(
            {
                "wave": wave_id,
                "time": grid.times[b0],
                "end": grid.times[recovered_at[0] - 1 if recovered else b1],
                "cause": cause,
                "n_videos": int(hit.sum()),
                "likes_delta": float(drop),
                "recovered": recovered,
                "z": float(z_down[b0 : b1 + 1].min()),
                "p_value": float(p_down[b0 : b1 + 1].min()),
            }
        )
        if recovered:
            # the catch-up measures what was missing at the end (a frozen count fell
            # behind by the likes given while it was frozen), which began when the
            # videos stopped moving
            c0, c1 = recovered_at
            # the videos it hit are those that fell, or caught up when it ended
            up_ex, up_n2, up_seen = grid.window(c0, c1)
            hit |= up_seen & (up_ex >= z_video * np.sqrt(up_n2))
            waves[-1]["n_videos"] = int(hit.sum())
            still = standing_still(hit)
            while still[b0] and b0 > 0 and still[b0 - 1]:  # a freeze, not a drop
                b0 -= 1
            waves[-1]["time"] = grid.times[b0]
            attach(wave_id, b0, c0 - 1, hit, cause, True, "drop", c0, c1, -1)
        else:
            # a permanent wave: once it is known, the videos it took a little from too
            hit = _hit_by_wave(-ex, n2, seen, z_video)
            hit = _removal.loss_evidence(grid, b0, b1, hit, z_video, COMPENSATE)
            waves[-1]["n_videos"] = int(hit.sum())
            waves[-1]["likes_delta"] = float(ex[hit].sum())
            attach(wave_id, b0, b0, hit, cause, False, "step", b0, b1, 1)
    for c0, c1 in ups:
        if (c0, c1) in up_used:
            continue
        ex, n2, seen = grid.window(c0, c1)
        hit = seen & (ex >= z_video * np.sqrt(n2))
        if hit.sum() < 2:
            continue
        comb = grid.excess[hit].sum(axis=0)
        still = standing_still(hit)
        k = c0
        while k > 0 and (comb[k - 1] < 0 or still[k - 1]):
            k -= 1
        if k == c0 or (comb[k:c0].sum() > -ex[hit].sum() / 2 and not still[k:c0].all()):
            continue  # a synchronized rise without a deficit before it: bought likes
        hit = _removal.glitch_evidence(grid, k, c0 - 1, hit)
        if hit.sum() < 2:
            continue  # a catch-up after a shared slowdown (a snapshot read early)
        wave_id = len(waves) + 1
        waves.append(
            {
                "wave": wave_id,
                "time": grid.times[k],
                "end": grid.times[c0],
                "cause": "glitch",
                "n_videos": int(hit.sum()),
                "likes_delta": float(-ex[hit].sum()),
                "recovered": True,
                "z": float(-z_up[c0 : c1 + 1].max()),
                "p_value": float(p_up[c0 : c1 + 1].min()),
            }
        )
        attach(wave_id, k, c0 - 1, hit, "glitch", True, "freeze", c0, c1, -1)
    # a purge one video shows on its own anchors a wave of the videos that fell short with it
    lone = single["cause"].eq("purge").to_numpy() & pd.isna(single_wave) & (single_row >= 0)
    lone &= (single_bin > 0) & (single_bin < grid.excess.shape[1])
    for i in np.flatnonzero(lone):
        if not pd.isna(single_wave[i]):
            continue  # an earlier anchor's wave took it
        b, anchor = int(single_bin[i]), int(single_row[i])
        p, _ = _removal.anchored_pvalue(grid, b, anchor, int(lone.sum()))
        if p > alpha:
            continue
        ex, n2, seen = grid.window(b, b)
        hit = _removal.loss_evidence(grid, b, b, _hit_by_wave(-ex, n2, seen, z_video), z_video, 2)
        hit[anchor] = True
        hit &= ~_removal.made_up(grid, b, hit, FLICKER_BACK)
        if not hit[anchor] or hit.sum() < 2 or not _removal.wave_one_off(grid, b, b, hit, z_video, 2):
            continue
        wave_id = len(waves) + 1
        waves.append(
            {
                "wave": wave_id,
                "time": grid.times[b],
                "end": grid.times[b],
                "cause": "purge",
                "n_videos": int(hit.sum()),
                "likes_delta": float(ex[hit].sum()),
                "recovered": False,
                "z": -float(stats.norm.isf(max(p, 1e-300))),
                "p_value": p,
            }
        )
        attach(wave_id, b, b, hit, "purge", False, "step", b, b, 1)
    single["wave"] = pd.array(single_wave, dtype="Int64")
    return pd.DataFrame(waves, columns=WAVE_COLUMNS), extra, single


def _missing_outages(
    table: pd.DataFrame, blank: np.ndarray, step_h: float, alpha: float, first_wave: int
) -> tuple[list[dict], list[dict]]:
    """Outages seen as snapshots missing on many videos at once (binomial scan over bins,
    against the panel's own rate of missing snapshots, corrected for every bin)."""
    if blank.sum() < 2 or table["video_id"].nunique() < 2:
        return [], []
    t0 = table["timestamp"].min()
    col = np.rint(((table["timestamp"] - t0) / pd.Timedelta(hours=step_h)).to_numpy(float))
    col = col.astype(int)
    n = np.bincount(col)
    k = np.bincount(col, weights=blank.astype(float))
    rate = (blank.sum() + 1) / (len(blank) + 1)
    p = np.where(k >= 2, stats.binom.sf(k - 1, n, rate) * max(int((n >= 2).sum()), 1), 1.0)
    waves, events = [], []
    vid = table["video_id"].to_numpy(dtype=object)
    ts = table["timestamp"]
    for b0, b1 in _waves.significant_runs(np.minimum(p, 1.0), alpha):
        inside = blank & (col >= b0) & (col <= b1)
        wave_id = first_wave + len(waves)
        frame = pd.DataFrame({"video_id": vid[inside], "timestamp": ts[inside].to_numpy()})
        spans = frame.groupby("video_id")["timestamp"].agg(["min", "max", "size"])
        for v, span in spans.iterrows():
            events.append(
                _event(
                    v,
                    "glitch",
                    span["min"],
                    span["max"],
                    0.0,
                    0.0,
                    True,
                    np.nan,
                    "missing",
                    f"{span['size']} snapshots missing during outage "
                    f"{wave_id}, which left {len(spans)} videos without counts",
                    wave_id,
                )
            )
        waves.append(
            {
                "wave": wave_id,
                "time": ts[inside].min(),
                "end": ts[inside].max(),
                "cause": "glitch",
                "n_videos": len(spans),
                "likes_delta": 0.0,
                "recovered": True,
                "z": float(stats.norm.isf(max(p[b0 : b1 + 1].min(), 1e-300))),
                "p_value": float(p[b0 : b1 + 1].min()),
            }
        )
    return waves, events


def _falls(inc: pd.DataFrame, z_video: float) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Increments where the shown count fell the way a flickering app makes it fall, the
    stricter ones that may link a flicker forward, and the looser ones that may extend a
    known flicker back (see :func:`_merge_glitches`)."""
    # a count of likes falls only by un-likes: a fall beyond the counting noise of the
    # video's net loss per step (when its trend falls) and the display rounding (the flicker
    # itself inflates the robust noise of the increments, so that cannot be the yardstick)
    floor = inc["gap"] * np.maximum(-inc["trend"], 0.0)
    floor += (inc["prev_resolution"] ** 2 + inc["resolution"] ** 2) / 12.0
    is_fall = (-inc["delta"] >= z_video * np.sqrt(floor)) & (inc["delta"] < 0)
    # a flicker's fall comes back (the next snapshots are shown in full again), while the
    # un-likes of a fading video stay lost: a fall counts once the count regains its level
    nxt = inc.groupby("video_id", sort=False)["likes"]
    regained = pd.concat([nxt.shift(-k) for k in range(1, FLICKER_BACK + 1)], axis=1).max(axis=1)
    size_ok = is_fall
    is_fall = size_ok & (regained >= inc["prev_likes"])
    # before a known flicker's first alarm, the old app may hold the count down for several
    # snapshots in a row: a fall made up within the episode's gap (MERGE_STEPS snapshots)
    # is one of its falls (the binomial test of a lone glitch counts these falls alike)
    ahead = inc["likes"].iloc[::-1].groupby(inc["video_id"].iloc[::-1], sort=False)
    later = ahead.rolling(MERGE_STEPS, min_periods=1, closed="left").max()
    later = pd.Series(later.to_numpy(), index=inc.index[::-1]).reindex(inc.index)
    is_back = size_ok & (later >= inc["prev_likes"])
    # going forward, a link of up to MERGE_STEPS healthy increments must hold a false fall
    # with chance video_alpha only (else a rising video's odd un-like chains on and on)
    z_link = stats.norm.isf(stats.norm.sf(z_video) / MERGE_STEPS)
    is_link = is_fall & (-inc["delta"] >= z_link * np.sqrt(floor))
    return is_fall, is_link, is_back


def _flickers(inc: pd.DataFrame, gap: pd.Timedelta, z_video: float, z_alarm: float) -> list[dict]:
    """Flicker episodes no single drop revealed: a chain of falls (each at most ``gap`` from
    the next) that the video shows more often than elsewhere, binomial test at the
    single-video alarm level."""
    is_fall, _, _ = _falls(inc, z_video)
    # alone, a fall must also be beyond the video's counting noise (a fading count hovers)
    is_fall &= -inc["delta"] >= z_video * np.sqrt(inc["count_var"])
    out: list[dict] = []
    level = stats.norm.sf(z_alarm)
    vid = inc["video_id"].to_numpy(dtype=object)
    ts = inc["timestamp"].dt.tz_convert(None).to_numpy()
    fall = is_fall.to_numpy()
    excess, noise = inc["excess"].to_numpy(float), inc["noise_det"].to_numpy(float)
    edges = np.r_[0, np.flatnonzero(vid[1:] != vid[:-1]) + 1, len(vid)]
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        at = np.flatnonzero(fall[lo:hi]) + lo
        if len(at) < 2:
            continue
        for chain in np.split(at, np.flatnonzero(np.diff(ts[at]) > gap.to_timedelta64()) + 1):
            m, f = chain[-1] - chain[0] + 1, len(chain)
            rate = (len(at) - f + 1) / (hi - lo - m + 2)
            p = stats.binom.sf(f - 1, m, rate)
            if f < 2 or p > level:
                continue
            deepest = chain[np.argmin(excess[chain])]
            drop = float(excess[deepest])
            out.append(
                _event(
                    vid[lo],
                    "glitch",
                    pd.Timestamp(ts[chain[0]]),
                    pd.Timestamp(ts[chain[-1]]),
                    drop,
                    float(noise[deepest]),
                    True,
                    float(stats.norm.isf(max(p, 1e-300))),
                    "flicker",
                    f"{f} falls of the shown count in {m} snapshots, each made up within "
                    f"{FLICKER_BACK} snapshots (p = {p:.1g}): an app that under-counts "
                    f"some snapshots; deepest {_n(drop)} likes",
                )
            )
    return out


def _merge_glitches(
    events: pd.DataFrame, gap: pd.Timedelta, inc: pd.DataFrame, z_video: float
) -> pd.DataFrame:
    """Glitches of a video at most ``gap`` apart are one episode (an app that under-counts
    every other snapshot until it is updated is one glitch, not dozens); a drop of a single
    video that did not recover (no wave behind it) inside such an episode is one of its
    drops whose recovery was lost in the flicker, not a purge. A panel-wide outage (a wave)
    joins a video's episode only where they overlap: it is an event of its own.

    An episode of several drops (flicker) began with its first fall, which may be too small for
    the single-video alarm: it is extended back over earlier falls of the shown count (a
    negative increment beyond the display rounding and the Poisson noise of the video's net loss
    per step, at level ``z_video``, that the count makes up within MERGE_STEPS snapshots, within
    FLICKER_BACK for a wave's outage), each at most ``gap`` from the next (once the video is
    known to flicker, each snapshot is tested on its own), and forward to its last fall. A lone
    glitch is extended so only when the video fell more often over the extension than elsewhere
    (binomial test at level ``z_video``): the end of a flicker whose drops were too small to be
    seen one by one."""
    member = (events["cause"] == "glitch") | ((events["cause"] == "purge") & events["wave"].isna())
    g = events.loc[member].sort_values(["video_id", "start"]).assign(n=1)
    g["own"] = g["wave"].isna()
    if not (g["cause"] == "glitch").any():
        return events
    episode = _episodes(g, gap)
    has_glitch = (g["cause"] == "glitch").groupby(episode).transform("any")
    keep = g.loc[~has_glitch, EVENT_COLUMNS]  # lone purges stay what they are
    merged = _collapse(g.loc[has_glitch], episode[has_glitch])
    strict, is_link, is_fall = _falls(inc, z_video)
    # per video, once (episodes are looked up one by one), as naive UTC datetime64 arrays
    naive = inc["timestamp"].dt.tz_convert(None)
    stamps = naive.groupby(inc["video_id"], sort=False)
    spans = {v: t.to_numpy() for v, t in stamps}
    falls = {v: t.to_numpy() for v, t in naive[is_fall].groupby(inc["video_id"], sort=False)}
    links = {v: t.to_numpy() for v, t in naive[is_link].groupby(inc["video_id"], sort=False)}
    firm = {v: t.to_numpy() for v, t in naive[strict].groupby(inc["video_id"], sort=False)}
    n_inc = stamps.size()
    none = naive.to_numpy()[:0]
    gap64 = gap.to_timedelta64()
    taken = set(
        zip(events["video_id"], events["start"].dt.tz_convert(None).to_numpy(), strict=True)
    )
    starts = merged["start"].dt.tz_convert(None).to_numpy().copy()
    ends = merged["end"].dt.tz_convert(None).to_numpy().copy()
    for k in range(len(merged)):
        v = merged["video_id"].iloc[k]
        # a wave's outage begins sharply: it goes back only over the falls a flicker makes up
        # at once (else it would run back into a flicker that ended hours before it)
        when = (falls if merged["own"].iloc[k] else firm).get(v, none)
        start, end = starts[k], ends[k]
        for t in when[when < start][::-1]:
            if start - t > gap64 or (v, t) in taken:
                break
            start = t
        if merged["own"].iloc[k]:
            # a video's own flicker goes on to its last fall, over the events its falls
            # lead to (an app update that ends it on many videos at once)
            ahead = links.get(v, none)
            for t in ahead[ahead > end]:
                if t - end > gap64:
                    break
                end = t
        if start == starts[k] and end == ends[k]:
            continue
        if merged["n"].iloc[k] == 1:
            # a lone glitch is part of a flicker only if the video fell more often over
            # the chain of falls than elsewhere (binomial test against its own rate)
            def added(t: np.ndarray, k: int = k, start=start, end=end) -> int:
                """How many of ``t`` the extension adds (the glitch itself left out)."""
                return int((((t >= start) & (t < starts[k])) | ((t > ends[k]) & (t <= end))).sum())

            m, f = added(spans[v]), added(when)
            rate = (len(when) - f + 1) / (n_inc[v] - m + 2)
            if stats.binom.sf(f - 1, m, rate) > stats.norm.sf(z_video):
                continue
        starts[k], ends[k] = start, end
    merged["start"] = pd.to_datetime(starts, utc=True).astype(events["start"].dtype)
    merged["end"] = pd.to_datetime(ends, utc=True).astype(events["end"].dtype)
    merged = merged.sort_values(["video_id", "start"], ignore_index=True)
    merged = _collapse(merged, _episodes(merged, gap))  # extended episodes may now meet
    several = merged["n"] > 1
    hours = gap / pd.Timedelta(hours=1)
    merged.loc[several, "evidence"] = [
        f"{n} drops at most {hours:g} h apart that came and went (one episode); deepest "
        f"{_n(d)} likes"
        for n, d in zip(merged.loc[several, "n"], merged.loc[several, "likes_delta"], strict=True)
    ]
    rest = events.loc[~member]
    return pd.concat([rest, keep, merged[EVENT_COLUMNS]], ignore_index=True)


def _episodes(g: pd.DataFrame, gap: pd.Timedelta) -> pd.Series:
    """Episode number of each glitch (sorted by video and start): a new episode when the
    video changes, when it starts more than ``gap`` after the episode's end, or when it
    belongs to another creator-wide wave than the episode (two outages are two events).
    A wave's glitch joins an episode holding the video's own glitches (column ``own``, or
    no wave) only where they overlap, whatever its wave: an outage a few hours after a
    flicker is an event of its own, while the synchronized drops of an app that flickers on
    every video, and its update, are where the flicker's falls lead."""
    ids = np.empty(len(g), dtype=np.int64)
    episode, video, end, wave, has_own = -1, None, None, None, False
    own = g["own"] if "own" in g else g["wave"].isna()
    for k, (v, start, stop, w, mine) in enumerate(
        zip(g["video_id"], g["start"], g["end"], g["wave"].astype(object), own, strict=True)
    ):
        w = None if pd.isna(w) else w
        if v != video:
            joins = False
        elif mine:
            joins = start - end <= gap
        elif has_own:
            joins = start <= end
        else:
            joins = start - end <= gap and wave in (None, w)
        if not joins:
            episode, video, end, wave, has_own = episode + 1, v, stop, w, bool(mine)
        else:
            end, wave, has_own = max(end, stop), wave if wave is not None else w, has_own or mine
        ids[k] = episode
    return pd.Series(ids, index=g.index)


def _collapse(g: pd.DataFrame, episode: pd.Series) -> pd.DataFrame:
    """One glitch per episode: its span, deepest drop (with its interval), strongest score."""
    merged = g.groupby(episode).agg(
        video_id=("video_id", "first"),
        start=("start", "min"),
        end=("end", "max"),
        likes_delta=("likes_delta", "min"),
        score=("score", "max"),
        detail=("detail", "first"),
        wave=("wave", "first"),
        evidence=("evidence", "first"),
        n=("n", "sum"),
        own=("own", "max"),
    )
    merged["cause"] = "glitch"
    merged["recovered"] = True
    deepest = g.loc[g.groupby(episode)["likes_delta"].idxmin()].set_index(episode.unique())
    merged["delta_low"] = deepest["delta_low"].to_numpy()
    merged["delta_high"] = deepest["delta_high"].to_numpy()
    return merged.reset_index(drop=True)


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    df["video_id"] = df["video_id"].astype("str")
    df["cause"] = df["cause"].astype("str")
    for c in ("start", "end"):
        df[c] = pd.to_datetime(df[c], utc=True).astype("datetime64[us, UTC]")
    for c in ("likes_delta", "delta_low", "delta_high", "score"):
        df[c] = df[c].astype(float)
    df["recovered"] = df["recovered"].astype(bool)
    df["wave"] = df["wave"].astype("Int64")
    df["detail"] = df["detail"].astype("str")
    df["evidence"] = df["evidence"].astype("str")
    return df


def _typical_step_h(table: pd.DataFrame) -> float:
    same = table["video_id"].eq(table["video_id"].shift())
    hours = (table["timestamp"].diff() / pd.Timedelta(hours=1))[same]
    return float(hours.median()) if len(hours) and hours.median() > 0 else 1.0


def _alarm_z(false_alarms: float, step_h: float) -> float:
    """z whose one-sided normal tail gives ``false_alarms`` per month of increments."""
    per_month = _MONTH_H / step_h
    return float(stats.norm.isf(min(false_alarms / per_month, 0.5)))


def diagnose(
    counts: Any,
    *,
    false_alarms: float = 0.01,
    wave_alpha: float = 0.01,
    video_alpha: float = 0.05,
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

    Returns
    -------
    Diagnosis

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
    for name, value in (
        ("false_alarms", false_alarms),
        ("wave_alpha", wave_alpha),
        ("video_alpha", video_alpha),
    ):
        if not 0 < value < 1:
            raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
    table = load_counts(counts)
    videos = _video_status(table)
    z_alarm = _alarm_z(false_alarms, _typical_step_h(table))
    # a fall to zero from L likes is beyond Poisson counting noise at the alarm level when
    # sqrt(L) >= z_alarm
    zero, removed = _detect.status_mask(table, min_level=z_alarm**2)
    blank = _detect.blank_mask(table)
    events = _status_events(table, zero, removed, blank)
    work = table.assign(likes=table["likes"].mask(zero))
    usable = videos.index[~videos["status"].isin(["all_missing", "one_snapshot"])]
    work = work.loc[work["video_id"].isin(usable)]
    inc = _detect.increments(work)
    step_h = float(np.nanmedian(inc["step_h"])) if len(inc) else 1.0
    z_video = float(stats.norm.isf(video_alpha))
    inc = inc.loc[np.isfinite(inc["z"])]
    inc = inc.assign(fell=_removal.fell(inc, z_video))
    arrays = {
        "ts": inc["timestamp"].dt.tz_convert(None).to_numpy(),
        "prev": inc["prev_timestamp"].dt.tz_convert(None).to_numpy(),
        "excess": inc["excess"].to_numpy(float),
        "z": inc["z"].to_numpy(float),
        "noise": inc["noise_det"].to_numpy(float),
        "delta": inc["delta"].to_numpy(float),
        "res": inc["resolution"].to_numpy(float),
        "fell": inc["fell"].to_numpy(bool),
        "one_off": _removal.one_off(inc),
    }
    vid = inc["video_id"].to_numpy(dtype=object)
    edges = np.r_[0, np.flatnonzero(vid[1:] != vid[:-1]) + 1, len(vid)]
    flagged = np.abs(arrays["z"]) >= z_alarm
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        if flagged[lo:hi].any():
            one = {k: x[lo:hi] for k, x in arrays.items()}
            events += _single_video(str(vid[lo]), one, z_alarm, z_video)
    single = _frame(events)
    waves, extra, single = _scan_waves(inc, single, z_alarm, z_video, wave_alpha)
    gone_waves, gone = _missing_outages(table, blank & ~zero, step_h, wave_alpha, len(waves) + 1)
    events = pd.concat([single, _frame(extra + gone)], ignore_index=True)
    events = _removal.spread_losses(events, inc)
    # at most a day (daily snapshots: glitches on consecutive days, not 24 days apart)
    gap = pd.Timedelta(hours=min(MERGE_STEPS * step_h, GLITCH_MAX_HOURS))
    events = pd.concat([events, _frame(_flickers(inc, gap, z_video, z_alarm))], ignore_index=True)
    events = _merge_glitches(events, gap, inc, z_video)
    events = pd.concat([events, _frame(_trend_declines(inc, events, z_alarm))], ignore_index=True)
    if gone_waves:
        waves = pd.concat([waves, pd.DataFrame(gone_waves)], ignore_index=True)
    events = events.sort_values(["video_id", "start"], ignore_index=True)
    return Diagnosis(table, events, waves, videos, inc, z_alarm=z_alarm, z_video=z_video)


class Diagnosis:
    """What :func:`diagnose` found: events per video, creator-wide waves, a summary.

    Attributes
    ----------
    events : DataFrame
        One row per event: video_id, cause ("glitch", "purge", "trend_decline", "status"),
        start, end (UTC; a purge has end == start), likes_delta (negative for a loss) with
        its 95% interval delta_low/delta_high, recovered, score, detail (kind of event:
        "step", "drop", "freeze", "flicker", "missing", "decline", "likes_hidden",
        "video_removed"), wave (id in ``waves`` when the event is part of one) and a
        plain-language evidence string.
        ``score`` is the size of the event in units of its noise (|likes_delta| over the
        standard deviation of the increment, or for a trend decline of the level change,
        that it was measured on); status changes, which are certain, score infinity;
        missing snapshots, which have no size, NaN.
    waves : DataFrame
        Creator-wide events found by synchrony: wave, time, end, cause ("purge" for a
        permanent wave, "glitch" for an outage that recovered), n_videos, likes_delta (sum
        over the videos hit), recovered, z (combined z-score of the move that revealed it,
        negative for a loss) and p_value (against videos moving independently, calibrated
        for every bin and test scanned).
    videos : DataFrame
        Per video: snapshots, observed likes, status ("ok", "all_missing", "one_snapshot",
        "too_short", "constant", "large_gaps").
    increments : DataFrame
        The standardized increments the detector worked on (see ``likekit._detect``).
    z_alarm, z_video : float
        The single-video alarm level and the per-video level at a wave.

    Trend declines are described by :meth:`fit` (a :func:`likekit.fit_decay` fit, computed
    on first use) and :attr:`trend_declines` (their half-life and plateau).
    """

    def __init__(self, counts, events, waves, videos, increments, *, z_alarm, z_video):
        self.counts = counts
        self.events = events
        self.waves = waves
        self.videos = videos
        self.increments = increments
        self.z_alarm = z_alarm
        self.z_video = z_video
        self._fits: dict[str, Any] = {}

    def __repr__(self) -> str:
        by = self.events["cause"].value_counts().to_dict()
        return (
            f"<Diagnosis: {len(self.videos)} videos, {len(self.events)} events {by}, "
            f"{len(self.waves)} waves>"
        )

    # -- trend declines, fitted lazily -----------------------------------------------

    def fit(self, video_id: str):
        """The decay fit (:func:`likekit.fit_decay`) of a video's decline, computed once.

        Its detected glitches, purges and status changes are excluded from the fit. Returns
        None when the decay module is not available.
        """
        if video_id not in self._fits:
            try:
                from likekit.decay import fit_decay
            except ImportError:
                return None
            one = self.counts.loc[self.counts["video_id"] == video_id]
            if one.empty:
                raise KeyError(f"no video {video_id!r} in this diagnosis")
            exclude = self.events.loc[
                (self.events["video_id"] == video_id) & (self.events["cause"] != "trend_decline")
            ]
            self._fits[video_id] = fit_decay(one, model="auto", exclude=exclude)
        return self._fits[video_id]

    @cached_property
    def trend_declines(self) -> pd.DataFrame:
        """The trend-decline events with their decay fit: model, half_life, plateau."""
        out = self.events.loc[self.events["cause"] == "trend_decline"].copy()
        fits = [self.fit(v) for v in out["video_id"]]
        out["model"] = [getattr(f, "model", None) for f in fits]
        out["half_life"] = [getattr(f, "half_life", np.nan) for f in fits]
        out["plateau"] = [getattr(f, "plateau", np.nan) for f in fits]
        return out

    # -- summary -------------------------------------------------------------------------

    def summary(self) -> pd.DataFrame:
        """One row per video: what happened to its likes, in numbers and in one sentence.

        Columns: likes_peak, likes_now (last observed), purge_loss (sum of purge steps,
        negative), decline (change since the peak not explained by purges after it: the net
        of un-likes over new likes), glitch_hours (time under glitches), status, verdict.
        """
        obs = self.counts.loc[self.counts["likes"].notna(), ["video_id", "timestamp", "likes"]]
        obs = obs.assign(likes=obs["likes"].astype(float))
        g = obs.groupby("video_id", sort=False)
        out = pd.DataFrame(index=self.videos.index)
        out["likes_peak"] = g["likes"].max()
        out["likes_now"] = g["likes"].last()
        peak_at = obs.loc[g["likes"].idxmax(), ["video_id", "timestamp"]].set_index("video_id")
        ev = self.events
        purges = ev.loc[ev["cause"] == "purge"]
        out["purge_loss"] = purges.groupby("video_id")["likes_delta"].sum()
        after = purges["start"] > purges["video_id"].map(peak_at["timestamp"])
        purged_after = purges.loc[after].groupby("video_id")["likes_delta"].sum()
        out["purge_loss"] = out["purge_loss"].fillna(0.0).where(out["likes_peak"].notna())
        change = out["likes_now"] - out["likes_peak"] - purged_after.reindex(out.index).fillna(0)
        out["decline"] = change.clip(upper=0.0)
        glitch = ev.loc[ev["cause"] == "glitch"]
        hours = (glitch["end"] - glitch["start"]) / pd.Timedelta(hours=1)
        out["glitch_hours"] = hours.groupby(glitch["video_id"]).sum().reindex(out.index)
        out["glitch_hours"] = out["glitch_hours"].fillna(0.0).where(out["likes_peak"].notna())
        out["status"] = self.videos["status"]
        kinds = ev.groupby("video_id")["detail"].agg(set)
        n_glitch = glitch.groupby("video_id").size()
        out["verdict"] = [
            _verdict(
                out.at[v, "status"],
                kinds.get(v, set()),
                int(n_glitch.get(v, 0)),
                out.at[v, "purge_loss"],
                change.get(v, np.nan),
            )
            for v in out.index
        ]
        return out.rename_axis("video_id")

    # -- plots ---------------------------------------------------------------------------

    def plot(self, video_id: str | None = None, ax=None):
        """One video's series with its events shaded by cause, or (None) the whole panel.

        The panel view shows every video's likes as a share of its peak, aligned in time,
        with the waves marked. Returns the matplotlib Axes.
        """
        import matplotlib.pyplot as plt

        from likekit.plots import CAUSE_COLORS, concise_dates

        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4))
        concise_dates(ax)
        obs = self.counts.loc[self.counts["likes"].notna()]
        if video_id is None:
            for _, one in obs.groupby("video_id", sort=False):
                y = one["likes"].astype(float)
                ax.plot(one["timestamp"], y / max(y.max(), 1), lw=0.8, alpha=0.6, color="0.3")
            for w in self.waves.itertuples():
                ax.axvline(w.time, color=CAUSE_COLORS[w.cause], lw=1.5, alpha=0.8)
                ax.annotate(
                    f"wave {w.wave}: {w.n_videos} videos",
                    (w.time, 1.02),
                    xycoords=("data", "axes fraction"),
                    fontsize=7,
                    rotation=30,
                )
            ax.set_ylabel("likes / peak")
            # room above the axes for the slanted wave labels
            ax.set_title(f"{obs['video_id'].nunique()} videos, {len(self.waves)} waves", pad=48)
            return ax
        one = obs.loc[obs["video_id"] == video_id]
        if one.empty and video_id not in self.videos.index:
            raise KeyError(f"no video {video_id!r} in this diagnosis")
        ax.plot(one["timestamp"], one["likes"].astype(float), color="0.2", lw=1)
        seen = set()
        for e in self.events.loc[self.events["video_id"] == video_id].itertuples():
            label = None if e.cause in seen else e.cause
            seen.add(e.cause)
            if e.end > e.start:
                ax.axvspan(e.start, e.end, color=CAUSE_COLORS[e.cause], alpha=0.3, label=label)
            else:
                ax.axvline(e.start, color=CAUSE_COLORS[e.cause], lw=2, label=label)
        if seen:
            ax.legend(loc="best", fontsize=8)
        ax.set_ylabel("likes")
        ax.set_title(str(video_id))
        return ax


def _verdict(status: str, kinds: set, n_glitch: int, purge: float, decline: float) -> str:
    """One sentence per video from its status, the kinds of its events and their sizes."""
    if status == "all_missing":
        return "no like count was observed for this video"
    if status in ("one_snapshot", "too_short"):
        return "too few snapshots to say anything"
    if "video_removed" in kinds:
        return "the video was removed"
    if "likes_hidden" in kinds:
        return "the like count was hidden"
    parts = []
    if purge < 0:
        parts.append(f"{format_count(int(-purge))} likes were removed by purges")
    if "decline" in kinds:
        parts.append(f"un-likes outweigh new likes since the peak ({decline:+,.0f})")
    if n_glitch:
        parts.append(f"{n_glitch} glitch(es) came and went")
    if not parts:
        return "nothing lost: no purge, glitch or lasting decline was found"
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------
# scoring against a simulation's ground truth


def _micros(times: pd.Series) -> np.ndarray:
    """UTC times as integer microseconds (comparable whatever their zone or unit)."""
    return (
        pd.to_datetime(times, utc=True)
        .dt.tz_convert(None)
        .to_numpy("datetime64[us]")
        .astype(np.int64)
    )


def event_sizes(events: pd.DataFrame, counts: Any) -> pd.Series:
    """Size of each event in units of the local noise (issue 5 §4) at its start.

    ``|likes_delta| / noise`` with the noise of the video's first observed snapshot at or
    after the event's start, or of the snapshot before it if larger (the coarser display
    resolution of the two bounds how well the drop can be seen); used to split true events
    into clear (>= 5) and faint ones.
    """
    # the larger noise of the snapshots either side of the start: a drop from "1.2K" (known
    # to within 100) to an exact 1,150 is only as clear as the coarser of the two
    noise = local_noise(counts)[["video_id", "timestamp", "noise"]].dropna()
    noise["noise"] = np.maximum(
        noise["noise"], noise.groupby("video_id")["noise"].shift().fillna(0.0)
    )
    keyed = events.reset_index(drop=True).assign(_row=lambda e: np.arange(len(e)))
    keyed = keyed.assign(
        timestamp=pd.to_datetime(keyed["start"], utc=True).astype(noise["timestamp"].dtype),
        video_id=keyed["video_id"].astype(str),
    )
    merged = pd.merge_asof(
        keyed.sort_values("timestamp"),
        noise.sort_values("timestamp"),
        on="timestamp",
        by="video_id",
        direction="forward",
    ).sort_values("_row")
    return pd.Series(
        np.abs(merged["likes_delta"].to_numpy(float)) / merged["noise"].to_numpy(float),
        index=events.index,
    )


def score_events(
    detected: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    tolerance: str | pd.Timedelta = "2h",
    evaluate: pd.Series | np.ndarray | None = None,
    match: str = "start",
) -> pd.DataFrame:
    """Precision, recall and F1 per cause of detected events against true events.

    A detection matches a true event of the same video and cause whose start is within
    ``tolerance`` of its own (each true event matched at most once, nearest start first).

    Parameters
    ----------
    detected, truth : DataFrame
        Events with video_id, cause, start, likes_delta and optionally end (taken equal to
        start when absent), e.g. ``Diagnosis.events`` and ``Simulation.events``.
    tolerance : str or Timedelta
        Largest start difference of a match.
    evaluate : boolean array over ``truth``, optional
        The true events to score (e.g. only the clear ones). A detection that matches a true
        event left out is neither a hit nor a false alarm.
    match : {"start", "overlap"}
        "overlap" also accepts a detection whose span [start, end] meets the true event's
        span widened by ``tolerance``: for long glitches (an old app under-counting for a
        week) whose true start, the first snapshot the old app showed, may come long before
        anything is visible.

    Returns
    -------
    DataFrame
        Index cause; columns tp, fp, fn, precision, recall, f1 and rel_error (median
        |detected - true| / |true| of likes_delta over the matches).
    """
    if match not in ("start", "overlap"):
        raise ValueError(f"match must be 'start' or 'overlap', got {match!r}")
    tol = pd.Timedelta(tolerance) / pd.Timedelta(microseconds=1)
    keep = np.ones(len(truth), dtype=bool) if evaluate is None else np.asarray(evaluate, bool)
    rows = {}
    for cause in CAUSES:
        d = detected.loc[detected["cause"] == cause]
        t = truth.loc[truth["cause"] == cause]
        tkeep = keep[(truth["cause"] == cause).to_numpy()]
        tp = fp = 0
        errors = []
        taken = np.zeros(len(t), dtype=bool)
        t_vid = t["video_id"].astype(str).to_numpy()
        t_start, t_end = _micros(t["start"]), _micros(t.get("end", t["start"]))
        t_delta = t["likes_delta"].to_numpy(dtype=float)
        d_start, d_end = _micros(d["start"]), _micros(d.get("end", d["start"]))
        for row, start, end in zip(d.itertuples(), d_start, d_end, strict=True):
            cand = np.flatnonzero((t_vid == str(row.video_id)) & ~taken)
            gaps = np.abs(t_start[cand] - start)
            ok = gaps <= tol
            if match == "overlap":
                ok |= (start <= t_end[cand] + tol) & (end >= t_start[cand] - tol)
            if ok.any():
                best = cand[ok][np.argmin(gaps[ok])]
                taken[best] = True
                if tkeep[best]:
                    tp += 1
                    if t_delta[best] != 0:
                        errors.append(abs(row.likes_delta - t_delta[best]) / abs(t_delta[best]))
                continue
            fp += 1
        fn = int((~taken & tkeep).sum())
        precision = tp / (tp + fp) if tp + fp else np.nan
        recall = tp / (tp + fn) if tp + fn else np.nan
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else np.nan
        rows[cause] = {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "rel_error": float(np.median(errors)) if errors else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("cause")
