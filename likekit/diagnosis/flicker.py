"""Flicker and glitch episodes: an old app that under-counts some snapshots is one glitch.

The shown count of a video falls only by un-likes; a flickering app makes it fall and come
back snapshot after snapshot. :func:`flickers` finds chains of such falls that no single
drop revealed; :func:`merge_glitches` joins a video's glitches at most ``options.gap``
apart into one episode and extends each episode over the falls that belong to it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from likekit.diagnosis.increments import DETECT_SPARSE, video_edges
from likekit.diagnosis.options import FLICKER_BACK, MERGE_STEPS, Options
from likekit.diagnosis.single import signed
from likekit.schema import EVENT_COLUMNS, Event

__all__ = ["FLICKER_BACK", "Falls", "falls", "flickers", "merge_glitches", "regained_falls"]


class Falls(NamedTuple):
    """Increments where the shown count fell the way a flickering app makes it fall."""

    #: beyond noise and made up within FLICKER_BACK snapshots
    regained: pd.Series
    #: ... and large enough to link a flicker forward over MERGE_STEPS healthy increments
    link: pd.Series
    #: beyond noise and made up within MERGE_STEPS snapshots (may extend a flicker back)
    back: pd.Series


def falls(inc: pd.DataFrame, *, options: Options) -> Falls:
    """The falls of every video's shown count (see :class:`Falls`)."""
    size_ok, floor = _beyond_noise(inc, options.z_video)
    video = pd.factorize(inc["video_id"])[0]
    # before a known flicker's first alarm, the old app may hold the count down for several
    # snapshots in a row: a fall made up within the episode's gap (MERGE_STEPS snapshots)
    # is one of its falls (the binomial test of a lone glitch counts these falls alike)
    soon, later = _made_up_within(inc, video, (FLICKER_BACK, MERGE_STEPS))
    is_regained, is_back = size_ok & soon, size_ok & later
    # going forward, a link of up to MERGE_STEPS healthy increments must hold a false fall
    # with chance video_alpha only (else a rising video's odd un-like chains on and on)
    z_link = stats.norm.isf(stats.norm.sf(options.z_video) / MERGE_STEPS)
    is_link = is_regained & (-inc["delta"] >= z_link * np.sqrt(floor))
    return Falls(regained=is_regained, link=is_link, back=is_back)


def regained_falls(inc: pd.DataFrame, *, options: Options) -> pd.Series:
    """:attr:`Falls.regained` alone (what the panel's old-app test counts)."""
    size_ok, _ = _beyond_noise(inc, options.z_video)
    (soon,) = _made_up_within(inc, pd.factorize(inc["video_id"])[0], (FLICKER_BACK,))
    return size_ok & soon


def _beyond_noise(inc: pd.DataFrame, z_video: float) -> tuple[pd.Series, pd.Series]:
    """Per increment: whether the shown count fell the way a flickering app makes it fall,
    and the variance it fell beyond."""
    # a count of likes falls only by un-likes: a fall beyond the counting noise of the
    # video's net loss per step (when its trend falls) and the display rounding (the flicker
    # itself inflates the robust noise of the increments, so that cannot be the yardstick)
    floor = inc["gap"] * np.maximum(-inc["trend"], 0.0)
    floor += (inc["prev_resolution"] ** 2 + inc["resolution"] ** 2) / 12.0
    size_ok = (-inc["delta"] >= z_video * np.sqrt(floor)) & (inc["delta"] < 0)
    # a rounded count ("12.3K") sitting at a display boundary falls a step and comes back by
    # itself when likes and un-likes both arrive: a shown fall of one step may be a true
    # fall of one like (the flicker's own noise inflates any yardstick from the increments,
    # so a fall of one step is no flicker's fall, one of two or more steps is)
    step = np.maximum(inc["resolution"], inc["prev_resolution"])
    size_ok &= (step == 1) | (-inc["delta"] > 1.5 * step)
    return size_ok, floor


def _made_up_within(inc: pd.DataFrame, video: np.ndarray, windows: tuple[int, ...]) -> list:
    """Per increment and per window ``n`` of ``windows`` (increasing): the count regained
    its level before the fall within ``n`` snapshots (a flicker's fall comes back, the next
    snapshots being shown in full again, while the un-likes of a fading video stay lost).
    ``video``: codes of the rows' videos."""
    before = inc["prev_likes"].to_numpy(float)
    return [
        pd.Series(ahead >= before, index=inc.index)
        for ahead in _ahead_max(inc["likes"].to_numpy(float), video, windows)
    ]


def _ahead_max(values: np.ndarray, video: np.ndarray, windows: tuple[int, ...]) -> list:
    """Per window ``n`` of ``windows`` (increasing) and per row: the largest of the next
    ``n`` values of the same video (``video``: codes of rows sorted by video), NaN where
    there is none; missing values left out. One pass over the longest window, the shorter
    ones read on the way."""
    out = np.full(len(values), -np.inf)
    found = []
    for k in range(1, max(windows) + 1):
        if k < len(values):
            ahead = np.where(video[k:] == video[:-k], values[k:], -np.inf)
            np.fmax(out[:-k], ahead, out=out[:-k])
        if k in windows:
            found.append(np.where(out == -np.inf, np.nan, out))
    return found


def flickers(inc: pd.DataFrame, found: Falls, *, options: Options) -> list[Event]:
    """Flicker episodes no single drop revealed: a chain of falls (each at most
    ``options.gap`` from the next) that the video shows more often than elsewhere, binomial
    test at the single-video alarm level. ``found``: the falls of ``inc``."""
    # alone, a fall must also be beyond the video's counting noise (a fading count hovers)
    is_fall = found.regained & (-inc["delta"] >= options.z_video * np.sqrt(inc["count_var"]))
    level = stats.norm.sf(options.z_alarm)
    ts = inc["timestamp"].dt.tz_convert(None).to_numpy()
    fall = is_fall.to_numpy()
    excess, noise = inc["excess"].to_numpy(float), inc["noise_det"].to_numpy(float)
    edges = video_edges(inc["video_id"])
    # the ids read once per video (a frame looked up per event was most of the time)
    names = inc["video_id"].iloc[edges[:-1]].to_numpy(dtype=object)
    gap = options.gap.to_timedelta64()
    chains, sizes = [], []  # every chain of two falls or more, with (m, f, rate) for its test
    for name, lo, hi in zip(names, edges[:-1], edges[1:], strict=True):
        at = np.flatnonzero(fall[lo:hi]) + lo
        if len(at) < 2:
            continue
        for chain in np.split(at, np.flatnonzero(np.diff(ts[at]) > gap) + 1):
            m, f = chain[-1] - chain[0] + 1, len(chain)
            if f >= 2:
                chains.append((name, chain))
                sizes.append((m, f, (len(at) - f + 1) / (hi - lo - m + 2)))
    # one vectorized test for all chains (a scalar scipy call per chain was most of the time)
    m_all, f_all, rate_all = np.array(sizes, dtype=float).reshape(-1, 3).T
    p_all = stats.binom.sf(f_all - 1, m_all, rate_all)
    scores = stats.norm.isf(np.maximum(p_all, 1e-300))
    out: list[Event] = []
    for k in np.flatnonzero(p_all <= level):
        (name, chain), m, f, p = chains[k], int(m_all[k]), int(f_all[k]), p_all[k]
        deepest = chain[np.argmin(excess[chain])]
        drop = float(excess[deepest])
        out.append(
            Event.measured(
                video_id=name,
                cause="glitch",
                start=ts[chain[0]],
                end=ts[chain[-1]],
                delta=drop,
                sd=float(noise[deepest]),
                recovered=True,
                score=float(scores[k]),
                detail="flicker",
                evidence=f"{f} falls of the shown count in {m} snapshots, each made up "
                f"within {FLICKER_BACK} snapshots (p = {p:.1g}): an app that under-counts "
                f"some snapshots; deepest {signed(drop)} likes",
            )
        )
    return out


def merge_glitches(
    events: pd.DataFrame, inc: pd.DataFrame, found: Falls, *, options: Options
) -> pd.DataFrame:
    """Glitches of a video at most ``options.gap`` apart are one episode (an app that
    under-counts every other snapshot until it is updated is one glitch, not dozens); a
    drop of a single video that did not recover (no wave behind it) inside such an episode
    is one of its drops whose recovery was lost in the flicker, not a purge. So is a purge
    wave's member whose own fall one jump made up within MERGE_STEPS snapshots
    (:func:`_jumped_back`): an old app's under-counts that happen to meet on a few videos
    read as a purge wave, but a purge's likes stay lost, and a count that jumped back where
    it stood was mis-shown. A panel-wide outage (a wave) joins a video's episode only where
    they overlap: it is an event of its own.

    An episode of several drops (flicker) began with its first fall, which may be too small
    for the single-video alarm: it is extended back over earlier falls of the shown count (a
    negative increment beyond the display rounding and the Poisson noise of the video's net
    loss per step, at level ``z_video``, that the count makes up within MERGE_STEPS
    snapshots, within FLICKER_BACK for a wave's outage), each at most ``gap`` from the next
    (once the video is known to flicker, each snapshot is tested on its own), and forward
    to its last fall. A lone glitch is extended so only when the video fell more often over
    the extension than elsewhere (binomial test at level ``z_video``): the end of a flicker
    whose drops were too small to be seen one by one.
    """
    glitch = (events["cause"] == "glitch").to_numpy()
    if not glitch.any():
        return events  # no episode for a purge to join
    times = _Stamps(inc)
    purge = (events["cause"] == "purge").to_numpy()
    lone = events["wave"].isna().to_numpy()
    fall = _jumped_back(events, purge & ~lone, inc, times, found, options.z_video)
    member = glitch | (purge & lone) | fall
    g = events.loc[member].assign(n=1, fall=fall[member]).sort_values(["video_id", "start"])
    # a flicker is the video's own, also where the panel found it (an old app: a wave), and
    # so are its falls
    g["own"] = g["wave"].isna() | (g["detail"] == "flicker") | g["fall"]
    gap = options.gap
    episode = _episodes(g, gap)
    has_glitch = (g["cause"] == "glitch").groupby(episode).transform("any")
    keep = g.loc[~has_glitch, EVENT_COLUMNS]  # lone purges stay what they are
    merged = _collapse(g.loc[has_glitch], episode[has_glitch])
    merged = _extend(merged, events, times, found, options=options)
    merged = merged.sort_values(["video_id", "start"], ignore_index=True)
    merged = _collapse(merged, _episodes(merged, gap))  # extended episodes may now meet
    merged = _collapse(merged, _still_flickering(merged, times, found, options=options))
    several = merged["n"] > 1
    hours = gap / pd.Timedelta(hours=1)
    merged.loc[several, "evidence"] = [
        f"{n} drops at most {hours:g} h apart that came and went (one episode); deepest "
        f"{signed(d)} likes"
        for n, d in zip(merged.loc[several, "n"], merged.loc[several, "likes_delta"], strict=True)
    ]
    rest = events.loc[~member]
    return pd.concat([rest, keep, merged[EVENT_COLUMNS]], ignore_index=True)


def _jumped_back(
    events: pd.DataFrame,
    which: np.ndarray,
    inc: pd.DataFrame,
    times: _Stamps,
    found: Falls,
    z: float,
) -> np.ndarray:
    """Per event: one of ``which`` that starts at a fall of its video's shown count
    (:attr:`Falls.back`) that a single jump brought back to where it stood within
    MERGE_STEPS snapshots. The first snapshot back at that level rose by at least half the
    fall beyond the trend, and by more likes (less the display step) than the video's
    two-way counting gives in one interval but with chance ``sf(z)``: Poisson at its
    activity, the mean absolute increment over a day either side (DETECT_SPARSE
    increments at least), the falls of :attr:`Falls.back` and the increments right after
    them left out (the flicker would inflate it). An app that shows the count in full
    again makes it up at once; a purge's likes come back only as new ones arrive, and a
    count hovering at a plateau moves back by a like or two by itself. ``times``: the
    increments' times, as :func:`merge_glitches` reads them."""
    out = np.zeros(len(events), dtype=bool)
    at = np.flatnonzero(which)
    if not len(at):
        return out
    edges = video_edges(inc["video_id"])
    ids = inc["video_id"].iloc[edges[:-1]].to_numpy(dtype=object)
    spans = zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True)
    bounds = dict(zip(ids, spans, strict=True))
    ts = times.naive.astype("datetime64[us]", copy=False)
    likes, before = inc["likes"].to_numpy(float), inc["prev_likes"].to_numpy(float)
    delta, gap = inc["delta"].to_numpy(float), inc["gap"].to_numpy(float)
    moves = np.abs(delta) / gap
    excess, step_h = inc["excess"].to_numpy(float), inc["step_h"].to_numpy(float)
    step = np.maximum(inc["resolution"], inc["prev_resolution"]).to_numpy(float)
    back = found.back.to_numpy(bool)
    # the activity leaves out the flicker's own falls and the rises right after them
    quiet = ~back & ~np.r_[False, back[:-1]]
    quiet[edges[:-1]] = ~back[edges[:-1]]
    level = stats.norm.sf(z)
    starts = events["start"].dt.tz_convert(None).to_numpy()[at].astype("datetime64[us]")
    videos = events["video_id"].to_numpy(dtype=object)[at]
    for k, v, t in zip(at.tolist(), videos, starts, strict=True):
        lo, hi = bounds.get(v, (0, 0))
        i = lo + int(np.searchsorted(ts[lo:hi], t))
        if i >= hi or ts[i] != t or not back[i]:
            continue
        ahead = np.arange(i + 1, min(i + 1 + MERGE_STEPS, hi))
        j = int(ahead[np.argmax(likes[ahead] >= before[i])])  # back is set: one is there
        half = max(int(round(24 / step_h[j])), DETECT_SPARSE)
        near = slice(max(j - half, lo), min(j + half + 1, hi))
        calm = moves[near][quiet[near]]
        activity = float(calm.mean()) if len(calm) else 0.0
        rise = delta[j] - (step[j] - 1)  # the rise certain under the display's rounding
        chance = stats.poisson.sf(np.ceil(rise) - 1, gap[j] * activity)
        out[k] = excess[j] >= -excess[i] / 2 and rise > 0 and chance <= level
    return out


class _Stamps:
    """The naive UTC times of the increments, split by video on demand (the video ids are
    factorized once: grouping the string ids again for every mask was most of the time)."""

    def __init__(self, inc: pd.DataFrame) -> None:
        self.naive = inc["timestamp"].dt.tz_convert(None).to_numpy()
        self.codes, ids = pd.factorize(inc["video_id"])
        self.ids = ids.to_numpy(dtype=object)  # an Index read one id at a time is slow

    def by_video(self, mask: pd.Series | None = None) -> dict[str, np.ndarray]:
        """Per video, its times (where ``mask``) as datetime64 arrays in time order."""
        keep = np.ones(len(self.codes), bool) if mask is None else mask.to_numpy(bool)
        codes, times = self.codes[keep], self.naive[keep]
        order = np.argsort(codes, kind="stable")
        codes, times = codes[order], times[order]
        if not len(codes):
            return {}
        cut = np.flatnonzero(codes[1:] != codes[:-1]) + 1
        heads = codes[np.r_[0, cut]]
        return {self.ids[c]: t for c, t in zip(heads, np.split(times, cut), strict=True)}


def _still_flickering(
    merged: pd.DataFrame, times: _Stamps, found: Falls, *, options: Options
) -> pd.Series:
    """Episode numbers in which a wave's glitch that follows a video's own flicker within
    ``options.gap`` joins it when the snapshots shown in full between them are a run the
    flicker makes by chance: at the flicker's own rate of falls ``q`` (falls per snapshot
    in its span), ``k`` snapshots in full in a row have the chance ``(1 - q)^k``, kept at
    ``video_alpha`` or more (an old app's under-counts that happen to meet on many videos
    just before its update are its falls; an outage half a day after the update is not)."""
    stamps, fell = times.by_video(), times.by_video(found.back)
    none = times.naive[:0]
    starts = merged["start"].dt.tz_convert(None).to_numpy()
    ends = merged["end"].dt.tz_convert(None).to_numpy()
    gap64 = options.gap.to_timedelta64()
    ids = np.arange(len(merged))
    videos, owns = merged["video_id"].to_numpy(object), merged["own"].to_numpy(bool)
    for k in range(1, len(merged)):
        v = videos[k]
        if v != videos[k - 1] or not owns[k - 1] or owns[k]:
            continue
        if starts[k] <= ends[k - 1] or starts[k] - ends[k - 1] > gap64:
            continue
        t, f = stamps.get(v, none), fell.get(v, none)
        span = (t >= starts[k - 1]) & (t <= ends[k - 1])
        q = ((f >= starts[k - 1]) & (f <= ends[k - 1])).sum() / max(span.sum(), 1)
        between = int(((t > ends[k - 1]) & (t < starts[k])).sum())
        if q < 1 and (1 - q) ** between >= options.video_alpha:
            ids[k:] -= 1
    return pd.Series(ids, index=merged.index)


def _extend(
    merged: pd.DataFrame,
    events: pd.DataFrame,
    times: _Stamps,
    found: Falls,
    *,
    options: Options,
) -> pd.DataFrame:
    """Each episode extended back over the falls before it and (a video's own flicker)
    forward over its later falls; see :func:`merge_glitches`. Times are read as integer
    microseconds (Python integers: numpy scalars made most of the time)."""
    spans = times.by_video()
    back, firm = times.by_video(found.back), times.by_video(found.regained)
    links = times.by_video(found.link)
    none = times.naive[:0]
    gap = options.gap // pd.Timedelta(microseconds=1)
    taken: dict[str, set[int]] = {}  # per video, the starts of its events
    event_starts = _micros(events["start"].dt.tz_convert(None).to_numpy()).tolist()
    for v, t in zip(events["video_id"].to_numpy(dtype=object), event_starts, strict=True):
        taken.setdefault(v, set()).add(t)
    starts = merged["start"].dt.tz_convert(None).to_numpy().astype("datetime64[us]")
    ends = merged["end"].dt.tz_convert(None).to_numpy().astype("datetime64[us]")
    starts_us, ends_us = _micros(starts), _micros(ends)  # views: writing them writes both
    videos, owns, sizes = (merged[c].to_numpy() for c in ("video_id", "own", "n"))
    lone = []  # (episode, start, end, (m, f, rate)): extensions a binomial test must pass
    for k in range(len(merged)):
        v, own = videos[k], owns[k]
        first, last = int(starts_us[k]), int(ends_us[k])
        # a wave's outage begins sharply: it goes back only over the falls a flicker makes up
        # at once (else it would run back into a flicker that ended hours before it)
        when = _micros((back if own else firm).get(v, none))
        start = _walk(when[when < first][::-1], first, gap, taken.get(v, set()))
        end = last
        if own:
            # a video's own flicker goes on to its last fall, over the events its falls
            # lead to (an app update that ends it on many videos at once)
            ahead = _micros(links.get(v, none))
            end = _walk(ahead[ahead > last], last, gap, set())
        if start == first and end == last:
            continue
        if sizes[k] == 1:
            stamps = _micros(spans[v])
            lone.append((k, start, end, _added((first, last), (start, end), stamps, when)))
            continue
        starts_us[k], ends_us[k] = start, end
    if lone:
        # one vectorized test for every lone glitch (a scalar scipy call each was slow)
        m, f, rate = np.array([x[3] for x in lone], dtype=float).T
        passed = stats.binom.sf(f - 1, m, rate) <= stats.norm.sf(options.z_video)
        for (k, start, end, _), ok in zip(lone, passed, strict=True):
            if ok:
                starts_us[k], ends_us[k] = start, end
    merged["start"] = pd.to_datetime(starts, utc=True).astype(events["start"].dtype)
    merged["end"] = pd.to_datetime(ends, utc=True).astype(events["end"].dtype)
    return merged


def _micros(times: np.ndarray) -> np.ndarray:
    """Naive datetime64[us] times as integer microseconds (a view)."""
    return times.astype("datetime64[us]", copy=False).view(np.int64)


def _walk(chain: np.ndarray, edge: int, gap: int, stops: set[int]) -> int:
    """From ``edge`` over ``chain`` (falls in the order they are walked over): the last fall
    reached before one more than ``gap`` from the one before it, or one of ``stops``."""
    for t in chain.tolist():
        if abs(t - edge) > gap or t in stops:
            break
        edge = t
    return edge


def _added(glitch, extended, stamps: np.ndarray, when: np.ndarray) -> tuple[int, int, float]:
    """Whether a lone glitch's extension is part of a flicker is a binomial test: the video
    fell more often over the chain of falls (``when``) than elsewhere, against its own
    rate, the glitch itself left out. Its snapshots and falls added, and that rate."""
    (g0, g1), (start, end) = glitch, extended

    def added(t: np.ndarray) -> int:
        # times in [start, g0) and in (g1, end], g0 <= g1: two searches of the sorted times
        before = np.searchsorted(t, [start, g0], side="left")
        after = np.searchsorted(t, [g1, end], side="right")
        return int(before[1] - before[0] + after[1] - after[0])

    m, f = added(stamps), added(when)
    return m, f, (len(when) - f + 1) / (len(stamps) - m + 2)


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
    # read as Python values, times as integer microseconds (Timestamps made most of the time)
    gap = gap // pd.Timedelta(microseconds=1)
    columns = (
        g["video_id"].to_numpy(dtype=object),
        *(_micros(g[c].dt.tz_convert(None).to_numpy()).tolist() for c in ("start", "end")),
        g["wave"].astype(object).tolist(),
        own.to_numpy(dtype=bool).tolist(),
    )
    for k, (v, start, stop, w, mine) in enumerate(zip(*columns, strict=True)):
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
    """One glitch per episode: its span, deepest drop (with its interval), strongest score.

    As ``g.groupby(episode)`` aggregates (first non-missing value, min, max, sum; the
    deepest drop is the first row at the episode's least ``likes_delta``), on the rows
    sorted by episode with ``reduceat``: a grouped aggregation of ten columns cost several
    times as much, on a few rows per episode.
    """
    order = np.argsort(episode.to_numpy(), kind="stable")
    g, ep = g.iloc[order], episode.to_numpy()[order]
    first = np.flatnonzero(np.r_[True, ep[1:] != ep[:-1]]) if len(ep) else np.zeros(0, int)
    owner = np.cumsum(np.r_[False, ep[1:] != ep[:-1]])  # each row's episode, 0, 1, ...

    def first_of(rows: np.ndarray) -> np.ndarray:
        """The first of ``rows`` (ascending) in each episode that has any."""
        return rows[np.r_[True, owner[rows][1:] != owner[rows][:-1]]] if len(rows) else rows

    def reduce(ufunc, column: str) -> np.ndarray:
        return ufunc.reduceat(g[column].to_numpy(), first)

    def span(ufunc, column: str) -> pd.Series:
        naive = ufunc.reduceat(g[column].dt.tz_convert(None).to_numpy(), first)
        return pd.Series(naive).dt.tz_localize("UTC").astype(g[column].dtype)

    delta = g["likes_delta"].to_numpy(float)
    least = np.fmin.reduceat(delta, first)
    deepest = first_of(np.flatnonzero(delta == least[owner]))
    wave = g["wave"]
    known = first_of(np.flatnonzero(wave.notna().to_numpy()))
    first_wave = pd.array([pd.NA] * len(first), dtype=wave.dtype)
    first_wave[owner[known]] = wave.array[known]
    pick = g.iloc[first]
    merged = pd.DataFrame(
        {
            "video_id": pick["video_id"].array,
            "start": span(np.minimum, "start"),
            "end": span(np.maximum, "end"),
            "likes_delta": least,
            "score": np.fmax.reduceat(g["score"].to_numpy(float), first),
            "detail": pick["detail"].array,
            "wave": first_wave,
            "evidence": pick["evidence"].array,
            "n": reduce(np.add, "n"),
            "own": reduce(np.maximum, "own"),
        }
    )
    merged["cause"] = "glitch"
    merged["recovered"] = True
    merged["delta_low"] = g["delta_low"].to_numpy()[deepest]
    merged["delta_high"] = g["delta_high"].to_numpy()[deepest]
    return merged
