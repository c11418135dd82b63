"""What one video shows on its own: its data quality, status changes, glitches and purges
from its own increments, and a trend decline after its peak."""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
from scipy import stats

from likekit.diagnosis.increments import MIN_INCREMENTS, video_edges
from likekit.diagnosis.options import FLICKER_BACK, Options
from likekit.diagnosis.removal import one_off
from likekit.schema import Event

#: a glitch recovers within hours (servers come back, apps update within days but flicker
#: snapshot by snapshot): a jump later than this after a drop is an event of its own
GLITCH_MAX_HOURS = 24


def signed(x: float) -> str:
    """A number of likes with its sign and thousands separators."""
    return f"{x:+,.0f}"


def video_status(table: pd.DataFrame) -> pd.DataFrame:
    """Per video: snapshots, observed likes and a status for degenerate input."""
    # grouped by integer codes, the string ids factorized once
    codes, ids = pd.factorize(table["video_id"])
    likes = table["likes"].astype("Float64")
    hours = table["timestamp"].diff() / pd.Timedelta(hours=1)
    hours = hours.where(np.r_[False, codes[1:] == codes[:-1]])
    info = pd.DataFrame(
        {
            "snapshots": pd.Series(codes).groupby(codes, sort=False).size(),
            "observed": likes.notna().groupby(codes, sort=False).sum(),
            "distinct": likes.groupby(codes, sort=False).nunique(),
            "median_step_h": hours.groupby(codes, sort=False).median(),
            "max_step_h": hours.groupby(codes, sort=False).max(),
        }
    )
    info.index = pd.Index(ids, name="video_id")
    status = np.select(
        [
            info["observed"] == 0,
            info["observed"] == 1,
            info["observed"] < MIN_INCREMENTS + 1,
            info["distinct"] == 1,
            info["max_step_h"] > 10 * info["median_step_h"],
        ],
        ["all_missing", "one_snapshot", "too_short", "constant", "large_gaps"],
        default="ok",
    )
    info["status"] = status
    return info


def status_events(
    table: pd.DataFrame, status: np.ndarray, removed: np.ndarray, blank: np.ndarray
) -> list[Event]:
    """One status event per run of status snapshots (snapshots with no value at all, which
    say nothing, neither break nor end a run)."""
    edges = video_edges(table["video_id"])
    code = np.repeat(np.arange(len(edges) - 1), np.diff(edges))  # each row's video
    names = table["video_id"].iloc[edges[:-1]].to_numpy(dtype=object)
    ts = table["timestamp"].dt.tz_convert(None).to_numpy()
    res = table["resolution"].to_numpy(dtype=float)
    likes = table["likes"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    likes = likes + (res - 1) / 2  # mid-value of what the display means
    rank = np.cumsum(~blank)  # position among the snapshots that say something
    idx = np.flatnonzero(status & ~blank)
    if not len(idx):
        return []
    new_run = np.r_[True, (np.diff(rank[idx]) > 1) | (code[idx[1:]] != code[idx[:-1]])]
    # last level shown before each row, and whether a shown level comes later in the video
    shown = pd.Series(np.where(status | blank, np.nan, likes))
    level_before = shown.groupby(code).ffill().groupby(code).shift().to_numpy()
    shown_later = shown[::-1].notna().groupby(code[::-1]).cummax()[::-1].to_numpy()
    rows = []
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
        rows.append(
            Event.measured(
                video_id=names[code[first]],
                cause="status",
                start=ts[first],
                end=ts[last],
                delta=-level_before[first],
                sd=0.0,
                recovered=after,
                score=np.inf,
                detail=kind,
                evidence=text,
            )
        )
    return rows


def single_video_events(inc: pd.DataFrame, *, options: Options) -> list[Event]:
    """Glitches and purges of every video that raised an alarm, from its own increments."""
    arrays = {
        "ts": inc["timestamp"].dt.tz_convert(None).to_numpy(),
        "prev": inc["prev_timestamp"].dt.tz_convert(None).to_numpy(),
        "excess": inc["excess"].to_numpy(float),
        "z": inc["z"].to_numpy(float),
        "noise": inc["noise_det"].to_numpy(float),
        "delta": inc["delta"].to_numpy(float),
        "views": inc["views_delta"].to_numpy(float),
        "gap": inc["gap"].to_numpy(float),
        "res": inc["resolution"].to_numpy(float),
        "fell": inc["fell"].to_numpy(bool),
        "one_off": one_off(inc, options.z_video),
    }
    edges = video_edges(inc["video_id"])
    names = inc["video_id"].iloc[edges[:-1]].to_numpy(dtype=object)
    flagged = np.abs(arrays["z"]) >= options.z_alarm
    out: list[Event] = []
    for v, lo, hi in zip(names, edges[:-1], edges[1:], strict=True):
        if flagged[lo:hi].any():
            one = {k: x[lo:hi] for k, x in arrays.items()}
            out += _one_video(str(v), one, options=options)
    return out


def _one_video(v: str, a: dict[str, np.ndarray], *, options: Options) -> list[Event]:
    """Glitches and purges of one video from its own increments (no panel information).

    ``a`` holds the video's increments as arrays: ts, prev (UTC datetime64), excess, z,
    noise, delta, views (views gained), gap, res (display resolution), fell and one_off
    (evidence of removal, see :mod:`likekit.diagnosis.removal`).
    """
    used = np.zeros(len(a["ts"]), dtype=bool)  # increments already part of an event
    out = _freezes(v, a, used, options=options)
    closed = _recoveries(a, used, options=options)
    return out + _drops(v, a, used, closed, options=options)


def _freezes(v: str, a: dict[str, np.ndarray], used: np.ndarray, *, options: Options) -> list:
    """Catch-up jumps after a run of increments where the count stood still or fell:
    freezes. Marks the increments they take in ``used``."""
    ts, last_bad = a["ts"], a["prev"]  # at a recovery, prev is the last affected snapshot
    excess, z, noise, delta = a["excess"], a["z"], a["noise"], a["delta"]
    z_alarm = options.z_alarm
    log_level = _stall_level(options.z_video)
    out = []
    # a step is part of a stall only where the count fell short of its trend there: a
    # rounded count ("1.8K") growing slower than its display step stands still for days
    # by itself, which says nothing about when a freeze began
    short = excess < 0
    exact = (delta == 0) & short  # an exact count that stood still
    # a count that stood still or fell (a big drop before a jump is a drop); one that
    # merely rose slower is a slowdown, no evidence of a frozen counter
    still_or_fell = (delta <= 0) & (z > -z_alarm) & short
    for j in np.flatnonzero(z >= z_alarm):
        stalled = exact if j > 0 and delta[j - 1] == 0 else still_or_fell
        k = j
        while k > 0 and not used[k - 1] and stalled[k - 1]:
            k -= 1
        if k == j:
            continue  # no stall before the jump
        deficit = excess[k:j].sum()
        # an exact count that stood still while ``expected`` likes were due: under Poisson
        # counting that happens with probability exp(-expected)
        expected = float((delta[k:j] - excess[k:j]).sum())
        exact_stall = k < j and (delta[k:j] == 0).all() and (a["res"][k:j] == 1).all()
        # (compared as logs: exp(-expected) overflows where a count fell by millions)
        stood_still = exact_stall and expected >= log_level
        stalled_alone = deficit <= -excess[j] / 2 or stood_still
        if k < j and stalled_alone and _short_of_views(a, k, j, options.z_video):
            used[k : j + 1] = True
            out.append(
                Event.measured(
                    video_id=v,
                    cause="glitch",
                    start=ts[k],
                    end=last_bad[j],
                    delta=-excess[j],
                    sd=noise[j],
                    recovered=True,
                    score=excess[j] / noise[j],
                    detail="freeze",
                    evidence=f"count stalled for {j - k} snapshots, then caught up by "
                    f"{signed(excess[j])} likes ({excess[j] / noise[j]:.1f}x noise)",
                )
            )
    return out


def _short_of_views(a: dict[str, np.ndarray], k: int, j: int, z: float) -> bool:
    """Whether the likes of the stall ``k`` .. ``j - 1`` fell short, beyond counting noise
    (at ``z``), of what its own views predict at the likes per view of the stall and its
    catch-up ``j`` together (which a frozen like counter does not change). A video that
    was seen little before a launch gains few likes in a day by itself: its centred trend,
    pulled up by the launch, makes that look like a stall. True where the views cannot
    tell: none in the table, or they stood still too (a stale counter freezes both)."""
    views = a["views"][k : j + 1]
    if not np.isfinite(views).all() or min(views[:-1].sum(), views.sum()) <= 0:
        return True
    expected = max(a["delta"][k : j + 1].sum(), 0.0) / views.sum() * views[:-1].sum()
    rounding = a["res"][k:j].max() ** 2 / 6  # the stall's first and last counts, rounded
    return a["delta"][k:j].sum() - expected <= -z * math.sqrt(expected + rounding)


@functools.cache
def _stall_level(z: float) -> float:
    """-log of the normal tail beyond ``z``: the fewest likes an exact count must have been
    due to stand still with a chance below it (compared as logs: exp(-expected)
    overflows where a count fell by millions)."""
    return -math.log(stats.norm.sf(z))


def _recoveries(a: dict[str, np.ndarray], used: np.ndarray, *, options: Options) -> dict:
    """First drop of each glitch -> the increment that recovered it.

    A recovery closes the most recent open drops (drops nest like brackets; a glitch may
    deepen in steps) when it is a jump of matching size (half to twice their sum, within
    noise) that brings the level back at least half way. A jump that makes up half the
    drop, both measured against the pace of the two increments before the drop, and
    brings the shown count back to where it stood within FLICKER_BACK snapshots (later, a
    growing count is back anyway) is a match too: at coarse snapshots the trend is the mean
    of a few increments, the glitch's own among them, so the excess of its recovery
    understates it; so is a rise within FLICKER_BACK snapshots of the drop,
    beyond the drop's noise (a flickering count's noise is measured on the flicker itself
    and swings from one increment to the next). Marks later steps in ``used``.
    """
    ts, excess, z, noise = a["ts"], a["excess"], a["z"], a["noise"]
    delta, gap = a["delta"], a["gap"]
    rate = delta / gap
    # the pace before each increment: the mean rate of the two before it
    pace = np.zeros(len(rate))
    pace[1:2] = rate[:1]
    pace[2:] = (rate[:-2] + rate[1:-1]) / 2
    z_alarm, z_video = options.z_alarm, options.z_video
    cum, shown = np.cumsum(excess), np.cumsum(delta)
    open_drops: list[int] = []
    closed: dict[int, int] = {}
    # rises within FLICKER_BACK snapshots of a drop are candidates whatever their z-score
    drops = np.flatnonzero((z <= -z_alarm) & ~used)
    if not len(drops):
        return closed  # nothing to recover
    soon = np.unique((drops[:, None] + np.arange(1, FLICKER_BACK + 1)).ravel())
    soon = soon[soon < len(z)]
    near = np.zeros(len(z), dtype=bool)
    near[soon] = True
    candidates = ((z <= -z_alarm) | (z >= z_video) | (near & (delta > 0))) & ~used
    candidates[: drops[0]] = False  # a rise before any drop recovers none
    # the loop reads one value at a time: Python floats (and integer microseconds) are
    # several times faster to index and combine than numpy scalars, and equal to them
    ts = ts.astype("datetime64[us]").view(np.int64).tolist()
    since = a["prev"].astype("datetime64[us]").view(np.int64).tolist()
    excess, z, noise, delta, gap, pace, cum, shown = (
        x.tolist() for x in (excess, z, noise, delta, gap, pace, cum, shown)
    )
    max_us = GLITCH_MAX_HOURS * 3_600_000_000
    for k in np.flatnonzero(candidates).tolist():
        if z[k] <= -z_alarm:
            open_drops.append(k)
            continue
        jump, total, fall = excess[k], 0.0, 0.0
        for m in range(len(open_drops) - 1, -1, -1):
            i = open_drops[m]
            # the recovery came after the snapshot before it (across a missing snapshot,
            # maybe just after the drop): too late only where the glitch must have lasted
            # GLITCH_MAX_HOURS
            if since[k] - ts[i] >= max_us:
                break  # too late to be its recovery (bought likes, say)
            total += excess[i]
            fall += delta[i] - pace[i] * gap[i]
            tol = z_video * math.hypot(noise[i], noise[k])
            back = cum[k] - cum[i] + excess[i]
            above = delta[k] - pace[i] * gap[k]
            made_up = (
                k - i <= FLICKER_BACK  # later, a growing count is back anyway
                and fall < 0
                and above >= -fall / 2
                and shown[k] - shown[i] + delta[i] >= 0
            )
            if z[k] < z_video:  # a rise near the drop: beyond the drop's noise, made up
                matches = made_up and above >= z_video * noise[i]
            else:
                matches = (-total / 2 <= jump and back >= total / 2) or made_up
            if matches and jump <= -2 * total + tol:
                closed[i] = k
                used[open_drops[m + 1 :]] = True  # steps of the same glitch
                del open_drops[m:]
                break
    return closed


def _drops(v: str, a: dict, used: np.ndarray, closed: dict, *, options: Options) -> list:
    """Every alarming drop not yet used that shows evidence of removal: a glitch when it was
    recovered and the count fell, else a purge when the count fell or lost in that interval
    alone (a slowdown, a ramp or users leaving is none of them)."""
    ts, last_bad, excess = a["ts"], a["prev"], a["excess"]
    out = []
    alarms = np.flatnonzero((a["z"] <= -options.z_alarm) & ~used)
    # the drops read as Python values (numpy scalars made most of the loop's time)
    drops, noise = excess[alarms], a["noise"][alarms]
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = (np.abs(drops) / noise).tolist()
    drops, noise = drops.tolist(), noise.tolist()
    fell, one_off = a["fell"][alarms].tolist(), a["one_off"][alarms].tolist()
    for n, i in enumerate(alarms.tolist()):
        if not (fell[n] or (i not in closed and one_off[n])):
            continue
        drop, sd, score = drops[n], noise[n], scores[n]
        size = f"{signed(drop)} likes ({score:.1f}x noise)"
        if i in closed:
            j = closed[i]
            used[i : j + 1] = True
            hours = (ts[j] - ts[i]) / np.timedelta64(1, "h")
            kind = {"cause": "glitch", "end": last_bad[j], "recovered": True, "detail": "drop"}
            text = f"drop of {size} recovered {hours:g} h later by {signed(excess[j])}"
        else:
            used[i] = True
            kind = {"cause": "purge", "end": ts[i], "recovered": False, "detail": "step"}
            text = f"permanent step of {size}, never recovered"
        out.append(
            Event.measured(
                video_id=v,
                start=ts[i],
                delta=drop,
                sd=sd,
                score=score,
                evidence=text,
                **kind,
            )
        )
    return out


def trend_declines(inc: pd.DataFrame, events: pd.DataFrame, *, options: Options) -> list[Event]:
    """A significant decline of the corrected level after its peak, per video (vectorized:
    purge steps and glitch windows are replaced by the local trend, the level is summed per
    video, and its fall from the peak to the lowest point after it is tested against the
    summed noise of the increments in between)."""
    if inc.empty:
        return []
    codes, names = pd.factorize(inc["video_id"])
    t0 = inc["timestamp"].min()
    hours = ((inc["timestamp"] - t0) / pd.Timedelta(hours=1)).to_numpy(float)
    corrected = inc["delta"].to_numpy(float).copy()
    inside = _inside_steps(inc, events, codes, names, hours)
    corrected[inside] = (inc["delta"] - inc["excess"]).to_numpy(float)[inside]
    level = pd.Series(corrected).groupby(codes).cumsum()
    peak = level.groupby(codes).idxmax().to_numpy()
    after = np.arange(len(level)) >= peak[codes]
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
    # read one value at a time: numpy arrays (an Index or .iloc per event was most of it)
    ts, names = inc["timestamp"].dt.tz_convert(None).to_numpy(), names.to_numpy(dtype=object)
    found = (sd > 0) & (decline <= -options.z_alarm * sd) & (duration >= 24)
    return [
        Event.measured(
            video_id=names[k],
            cause="trend_decline",
            start=ts[peak[k]],
            end=ts[low[k]],
            delta=float(decline[k]),
            sd=sd[k],
            recovered=False,
            score=-decline[k] / sd[k],
            detail="decline",
            evidence=f"after its peak the count fell by {signed(decline[k])} likes over "
            f"{duration[k] / 24:.1f} days, not explained by purges or glitches",
        )
        for k in np.flatnonzero(found)
    ]


def _inside_steps(
    inc: pd.DataFrame, events: pd.DataFrame, codes: np.ndarray, names: pd.Index, hours: np.ndarray
) -> np.ndarray:
    """Increments (sorted by video and time) inside a purge step or a glitch window."""
    span = hours.max() + 2.0
    key = codes * span + hours
    steps = events.loc[events["cause"].isin(["purge", "glitch"])]
    ecode = names.get_indexer(steps["video_id"])
    steps, ecode = steps.loc[ecode >= 0], ecode[ecode >= 0]
    if not len(steps):
        return np.zeros(len(key), dtype=bool)
    t0 = inc["timestamp"].min()
    start_h = ((steps["start"] - t0) / pd.Timedelta(hours=1)).to_numpy(float)
    end_h = ((steps["end"] - t0) / pd.Timedelta(hours=1)).to_numpy(float)
    lo = np.searchsorted(key, ecode * span + start_h, side="left")
    hi = np.searchsorted(key, ecode * span + end_h, side="right")
    # a glitch's end is its last affected snapshot: the increment after it, the recovery,
    # belongs to it too
    glitch = (steps["cause"] == "glitch").to_numpy()
    nxt = np.minimum(hi, len(key) - 1)
    hi = np.where(glitch & (hi < len(key)) & (codes[nxt] == ecode), hi + 1, hi)
    mark = np.zeros(len(key) + 1)
    np.add.at(mark, lo, 1)
    np.add.at(mark, hi, -1)
    return np.cumsum(mark)[:-1] > 0
