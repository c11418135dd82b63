"""Evidence of removal: what a purge or glitch claim must show beyond a slowdown.

A purge or a glitch says likes were removed or mis-shown. A video slowing down (it ages, it
is night, the tracker read it early) falls short of its trend too, so a shortfall alone is
no evidence. A video carries evidence at a time when

* its shown count *fell* beyond its two-way counting noise and the display step (likes
  fall only by un-likes, removal or a wrong display), or
* (a loss) it was seen before and after, and its rate resumed after the shortfall: a
  one-interval loss, not a slowdown that lasts (which is the trend), or
* (a glitch) its count stood still (a frozen counter).

A wave needs its videos to have lost in that interval together (:func:`wave_one_off`), not
to go on losing after it, and not to make the loss up at once (:func:`made_up`: an old
app's flicker). A purge one video shows on its own says *when*; other videos falling short
at that very snapshot are then a wave (:func:`anchored_pvalue`): a platform-wide purge
seen in a small table (two channels, daily counts) whose synchrony scan has too little
power. A loss spread over consecutive snapshots of one video outside any wave is users
leaving, a trend decline (:func:`spread_losses`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from likekit.diagnosis.increments import video_edges
from likekit.schema import Event, events_frame

_Z95 = float(stats.norm.isf(0.025))


def fell(inc: pd.DataFrame, z: float) -> np.ndarray:
    """Per increment: the shown count fell beyond counting noise and the display step.

    A shown fall of ``k`` display steps means a true fall above ``(k - 1)`` steps, so one
    step less than the shown fall is certain; that must exceed ``z`` times the two-way
    counting noise of the step (likes given and withdrawn, ``walk_var``).
    """
    step = np.maximum(inc["resolution"], inc["prev_resolution"]).to_numpy(float)
    certain = -inc["delta"].to_numpy(float) - (step - 1)
    return (certain > 0) & (certain >= z * np.sqrt(inc["walk_var"].to_numpy(float)))


def resumed(before: np.ndarray, during: np.ndarray, after: np.ndarray) -> np.ndarray:
    """A loss in one interval, not a slowdown: the rate (mean increment per snapshot) was
    higher before it and came back after it at least half way. A video that slows down as
    it ages, or that users keep leaving, never comes back; one picking up speed was not
    higher before."""
    short = before - during
    return (short > 0) & (after - during >= short / 2)


def loss_evidence(grid, b0: int, b1: int, hit: np.ndarray, z: float, after: int) -> np.ndarray:
    """The videos of ``hit`` whose loss over bins b0..b1 can be part of a purge: their count
    fell there, or they were seen before and after it (a shortfall needs a rate to fall
    short of, and one to come back to), and their loss does not go on after it (users
    leaving). Whether the videos together lost in that interval alone is
    :func:`wave_one_off`."""
    fell_here = grid.fell[:, b0 : b1 + 1].any(axis=1)
    seen_before = grid.seen[:, max(b0 - after, 0) : b0].any(axis=1)
    rate_after = grid.rate(b1 + 1, b1 + after)
    during = grid.rate(b0, b1)
    goes_on = np.isfinite(rate_after) & (rate_after < 0) & (rate_after <= during / 2)
    return hit & (fell_here | (seen_before & np.isfinite(rate_after))) & ~goes_on


def loss_z(grid, b0: int, b1: int, window: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per video: its loss over bins b0..b1 as a z-score of its noise (positive: a loss),
    as a wave's members are tested (``window``: the excess and noise variance of
    :meth:`Grid.window` over b0..b1). An exact count: its excess against its counting
    noise. A rounded count ("597.3K"): the exact chance of a shown increment as low as its
    own under its trend and counting noise, the true count's place within its display step
    being unknown (uniform). A count rising by 3.8 steps a snapshot shows +3 steps in one
    snapshot of five by rounding alone: the normal noise of rounding scores that as a loss
    of a whole step beyond noise."""
    ex, n2 = window
    exact = -ex / np.sqrt(np.where(n2 > 0, n2, np.inf))
    r = grid.step(b0, b1) + 1.0  # the display step (1: an exact count)
    # the counting noise of the true increment: the variance less the rounding of the two
    # counts at the window's ends (of every increment in it: a wider sd, a smaller z)
    sd = np.sqrt(np.maximum(n2 - r**2 / 6, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        # P(shown <= its own) = E_u Phi((ex + r - u) / sd), u uniform on [0, r)
        chance = np.where(
            sd > 0,
            sd / r * (_phi_integral((ex + r) / sd) - _phi_integral(ex / sd)),
            (ex + r) / r,
        )
    rounded = stats.norm.isf(np.clip(chance, 1e-300, 1 - 1e-16))
    return np.where(r > 1, rounded, exact)


def _phi_integral(x: np.ndarray) -> np.ndarray:
    """An antiderivative of the standard normal CDF: x Phi(x) + phi(x)."""
    return x * stats.norm.cdf(x) + stats.norm.pdf(x)


def glitch_evidence(grid, b0: int, b1: int, hit: np.ndarray) -> np.ndarray:
    """The videos of ``hit`` whose count fell or stood still in bins b0..b1."""
    span = slice(b0, b1 + 1)
    return hit & (grid.fell[:, span].any(axis=1) | grid.stalled[:, span].any(axis=1))


def anchored_pvalue(grid, b: int, anchor: int, n_anchors: int) -> float:
    """A purge one video shows on its own, found at bin ``b``, as the anchor of a wave: the
    chance that some other video falls short at that very bin as much as the most extreme
    one does (Bonferroni over the other videos seen there and over the ``n_anchors``
    anchors tried)."""
    ex, n2, seen = grid.window(b, b)
    others = seen.copy()
    others[anchor] = False
    if not others.any():
        return 1.0
    z = -ex[others] / np.sqrt(np.maximum(n2[others], 1e-12))
    return min(1.0, float(stats.norm.sf(z.max())) * int(others.sum()) * n_anchors)


def _run_around(
    p: int, member: bool, losing: np.ndarray, excess: np.ndarray, codes: np.ndarray
) -> tuple[int, int]:
    """The first and last of the video's consecutive losing increments around increment
    ``p`` (a wave's member: those that lost at least half as much as it did), each read
    where it is (a mask of every row per purge cost time in the rows)."""

    def near(k: int) -> bool:
        return bool(losing[k] and (not member or excess[k] <= excess[p] / 2))

    lo = hi = p
    while lo > 0 and codes[lo - 1] == codes[p] and near(lo - 1):
        lo -= 1
    while hi + 1 < len(codes) and codes[hi + 1] == codes[p] and near(hi + 1):
        hi += 1
    return lo, hi


def spread_losses(events: pd.DataFrame, inc: pd.DataFrame, z: float) -> pd.DataFrame:
    """Losses of one video on consecutive snapshots as one trend decline.

    A purge removes fake accounts at once, platform-wide: one step at one snapshot. A loss
    spread over consecutive snapshots is users leaving (un-likes, however fast): a purge
    whose neighbouring increments lost too (another purge, or a shortfall beyond ``z``
    times the noise: at daily snapshots a backlash of three days shows one alarm between
    two smaller losses; for a wave's member, only neighbours that lost at least half as
    much as its step) becomes, with them, one trend_decline over the run's span, with its
    summed loss, and the evidence says so. A backlash on many of a creator's videos over
    the same days can be read as a wave, so its members are read too.
    """
    lone = events.loc[events["cause"] == "purge"]
    if lone.empty:
        return events
    # position of each purge among its video's increments (NaN: none at its start), found
    # in its video's rows (sorted by video and time): consecutive runs are neighbours
    edges = video_edges(inc["video_id"])
    codes = np.repeat(np.arange(len(edges) - 1), np.diff(edges))
    video = pd.Index(inc["video_id"].iloc[edges[:-1]]).get_indexer(lone["video_id"])
    ts64 = inc["timestamp"].dt.tz_convert(None).to_numpy()
    starts = lone["start"].dt.tz_convert(None).to_numpy().astype(ts64.dtype)
    pos = np.full(len(lone), np.nan)
    for n, (v, t) in enumerate(zip(video.tolist(), starts, strict=True)):
        if v >= 0:
            at = edges[v] + int(np.searchsorted(ts64[edges[v] : edges[v + 1]], t))
            pos[n] = at if at < edges[v + 1] and ts64[at] == t else np.nan
    lone = lone.assign(pos=pos).dropna(subset=["pos"])
    losing = (inc["z_scan"] <= -z).to_numpy(copy=True)
    losing[lone["pos"].to_numpy(int)] = True
    # run bounds of every purge: back and forward over the video's losing increments
    excess, noise = inc["excess"].to_numpy(float), inc["noise_det"].to_numpy(float)
    pos, in_wave = lone["pos"].to_numpy(int), lone["wave"].notna().to_numpy()
    spans = set()
    for p, member in zip(pos, in_wave, strict=True):
        # a wave's member is a step unless its neighbours lost half as much as it did (as
        # a wave's bins are judged): next to a purge of 120,000 likes, a neighbour short by
        # noise is no spread
        lo, hi = _run_around(p, member, losing, excess, codes)
        if hi > lo:
            spans.add((lo, hi))
    if not spans:
        return events
    # overlapping runs (a wave's member inside a lone purge's run) are one, with every
    # purge inside it
    runs: dict[tuple[int, int], list] = {}
    for lo, hi in sorted(spans):
        last = next(reversed(runs), None)
        if last is not None and lo <= last[1]:
            del runs[last]
            lo, hi = last[0], max(hi, last[1])
        runs[(lo, hi)] = list(lone.index[(pos >= lo) & (pos <= hi)])
    alone = {
        run for run, members in runs.items() if not in_wave[lone.index.get_indexer(members)].any()
    }
    ts = inc["timestamp"]
    rows = []
    for (lo, hi), members in runs.items():
        total = float(excess[lo : hi + 1].sum())
        rows.append(
            Event.measured(
                video_id=inc["video_id"].iloc[lo],
                cause="trend_decline",
                start=ts.iloc[lo],
                end=ts.iloc[hi],
                delta=total,
                sd=float(np.sqrt((noise[lo : hi + 1] ** 2).sum())),
                recovered=False,
                score=float(events.loc[members, "score"].max()),
                detail="decline",
                evidence=f"a loss of {total:+,.0f} likes spread over {hi - lo + 1} consecutive "
                f"snapshots{' on this video only' if (lo, hi) in alone else ''}: users leaving "
                "(un-likes), not a purge, which removes fake accounts at once, platform-wide",
            )
        )
    kept = events.drop(index=[k for m in runs.values() for k in m])
    return pd.concat([kept, events_frame(rows)], ignore_index=True)


def one_off(inc: pd.DataFrame, z: float, k: int = 2) -> np.ndarray:
    """Per increment: a loss in that interval alone (:func:`resumed`), the rates before and
    after being the mean per-step increments of the video's ``k`` neighbours either side,
    and the shortfall below the rate before beyond ``z`` times its noise.

    The alarm compares an increment with a trend over half a day either side, which runs
    ahead of a video about to speed up (a burst of bought likes): its last ordinary steps
    then fall short of the trend without falling short of their neighbours. A removal falls
    short of both: of the rate before by more than noise (the mean of the two sides would
    let a burst after it stand in for a shortfall that never was: a big creator's steady
    +2,400 a step before a +23,200 burst), and :func:`resumed` after. The shortfall's noise
    is the increment's (``noise_det``, per step) and that of the ``k`` neighbours' mean
    before it (1 / k of it).
    """
    rate = inc["delta"] / inc["gap"]
    by = rate.groupby(inc["video_id"], sort=False)
    before = pd.concat([by.shift(i) for i in range(1, k + 1)], axis=1).mean(axis=1, skipna=False)
    after = pd.concat([by.shift(-i) for i in range(1, k + 1)], axis=1).mean(axis=1, skipna=False)
    ok = before.notna() & after.notna()
    noise = inc["noise_det"] / np.sqrt(inc["gap"]) * np.sqrt(1 + 1 / k)
    short = (before - rate >= z * noise).to_numpy()
    return (ok & resumed(before.to_numpy(), rate.to_numpy(), after.to_numpy())).to_numpy() & short


def made_up(grid, b: int, hit: np.ndarray, bins: int, z: float) -> np.ndarray:
    """The videos of ``hit`` that regained at least half their loss at bin ``b`` within the
    next ``bins`` bins, beyond ``z`` times the noise of those bins (a flicker or an outage,
    not a purge; a small loss regained by counting noise alone is no evidence either way)."""
    loss, _, _ = grid.window(b, b)
    out = np.zeros_like(hit)
    rows = np.flatnonzero(hit & (loss < 0))  # read for those alone (often one video)
    later = np.cumsum(grid.excess[rows, b + 1 : b + 1 + bins], axis=1)
    if not later.size:
        return out
    noise = np.sqrt(np.cumsum(grid.noise2[rows, b + 1 : b + 1 + bins], axis=1))
    regained = (later >= -loss[rows, None] / 2) & (later >= z * noise)
    out[rows] = regained.any(axis=1)
    return out


def wave_one_off(grid, b0: int, b1: int, hit: np.ndarray, z: float, after: int) -> bool:
    """Whether the videos of ``hit`` together lost in bins b0..b1 alone: the Stouffer sum of
    their shortfalls against their rate just before, each in units of its noise, is beyond
    ``z``. A rounded count ("1.2K") is scored by the exact chance of its shown fall under
    its trend and counting noise (the scan's z-score): one display step says little about
    the rate. The end of a spell of un-likes, or a slowdown the videos share, is no
    one-off loss (their rate before was no higher)."""
    lo = max(b0 - after, 0)
    during = grid.rate(b0, b1)
    before = grid.rate(lo, b0 - 1)
    ok = hit & np.isfinite(during) & np.isfinite(before)
    if not ok.any():
        return False
    _, n2_during, _ = grid.window(b0, b1)
    _, n2_before, _ = grid.window(lo, b0 - 1)
    width, n_before = b1 - b0 + 1, max(b0 - lo, 1)
    sd = np.sqrt(n2_during / width**2 + n2_before / n_before**2)
    exact = (before - during) / np.where(sd > 0, sd, np.inf)
    rounded = -grid.z[:, b0 : b1 + 1].sum(axis=1) / np.sqrt(width)
    # ... unless it was declining over the day before: then a step down is the decline
    declining = grid.rate(max(b0 - decline_bins(grid), 0), b0 - 1) < 0
    rounded = np.where(declining, 0.0, rounded)
    each = np.where(grid.step(b0, b1) > 0, rounded, exact)[ok]
    return bool(each.sum() / np.sqrt(len(each)) >= z)


def decline_bins(grid) -> int:
    """Bins in the day before a loss over which :func:`wave_one_off` reads a decline (at
    least two)."""
    return max(int(round(pd.Timedelta(days=1) / (grid.times[1] - grid.times[0]))), 2)


def partly_recovered(events: pd.DataFrame, inc: pd.DataFrame, z: float, k: int = 2) -> list[Event]:
    """Purges hidden under a glitch: the count came back, but not all the way.

    A glitch (a drop or a frozen count, at most a day long) ends with the jump that brings
    the count back. When likes were purged while it lasted (an outage and a purge in the
    same hours; at coarse snapshots, in the same interval), the count comes back short of
    where it stood before plus the growth of the interval at the rate of the video's ``k``
    increments either side (the detector's trend has the glitch's own steps in it at coarse
    snapshots). The shortfall is a purge when beyond ``z`` times its noise: the walk
    variance of the glitch's increments and of those the rate is read from, and the display
    rounding of the four shown counts both are read between (a rounded count's rate over a
    few increments is a step or none: "1.4K" rising one step in four hours is no rate of
    25 an hour to fall short of). It happened while the glitch hid
    the count: the event spans the glitch's first snapshot to the recovery, and starts at
    the first (the earliest time it can have happened; the recovery can come a day later).
    """
    short = events.loc[
        (events["cause"] == "glitch")
        & events["detail"].isin(["drop", "freeze"])
        & (events["end"] - events["start"] <= pd.Timedelta(days=1))
    ]
    if short.empty:
        return []
    # each video's rows (the increments are sorted by video): grouping the string ids was
    # most of the time
    edges = video_edges(inc["video_id"])
    ids = inc["video_id"].iloc[edges[:-1]].to_numpy(dtype=object)
    bounds = dict(zip(ids, zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True), strict=True))
    ts = inc["timestamp"].dt.tz_convert(None).to_numpy()
    starts = short["start"].dt.tz_convert(None).to_numpy()
    ends = short["end"].dt.tz_convert(None).to_numpy()
    delta, gap = inc["delta"].to_numpy(float), inc["gap"].to_numpy(float)
    walk = inc["walk_var"].to_numpy(float)
    res, prev_res = inc["resolution"].to_numpy(float), inc["prev_resolution"].to_numpy(float)
    out = []
    for e, start, end in zip(short.itertuples(), starts, ends, strict=True):
        if e.video_id not in bounds:
            continue
        rows = np.arange(*bounds[e.video_id])
        first = np.searchsorted(ts[rows], start, side="left")
        last = np.searchsorted(ts[rows], end, side="right")  # the recovery
        if first < k or last + k >= len(rows):
            continue  # no rate to compare with on one side
        span = rows[first : last + 1]
        before, after = rows[first - k : first], rows[last + 1 : last + 1 + k]
        near = np.concatenate([before, after])
        rate = delta[near].sum() / gap[near].sum()
        lost = float(delta[span].sum() - rate * gap[span].sum())
        # the rate is measured too: lost = (1 + g) (C_last - C_first) - g (C_after - C_before)
        # in the shown counts at the span's ends and the near increments' outer ends, with
        # g the span's share of the near gap; each count rounded, each increment counted
        g = gap[span].sum() / gap[near].sum()
        ends = (1 + g) ** 2 * (prev_res[span[0]] ** 2 + res[span[-1]] ** 2)
        ends += g**2 * (prev_res[before[0]] ** 2 + res[after[-1]] ** 2)
        sd = float(np.sqrt(walk[span].sum() + g**2 * walk[near].sum() + ends / 12))
        if sd > 0 and lost <= -z * sd:
            out.append(
                Event.measured(
                    video_id=e.video_id,
                    cause="purge",
                    start=ts[span[0]],
                    end=ts[span[-1]],
                    delta=lost,
                    sd=sd,
                    recovered=False,
                    score=-lost / sd,
                    detail="step",
                    wave=None,
                    evidence=f"the count came back only part of the way after a glitch: "
                    f"{lost:+,.0f} likes ({-lost / sd:.1f}x noise) stayed lost, purged while "
                    "the glitch hid the count",
                )
            )
    return out
