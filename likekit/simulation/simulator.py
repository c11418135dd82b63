"""The simulator of a creator's panel (:class:`Simulator`): one run of the generative model.

It draws a creator's panel of videos in discrete steps (hourly by default) with
one ``numpy.random.default_rng(seed)``, vectorized over videos and steps (only the un-likes,
which depend on the likes still standing, are drawn step by step, vectorized over videos):

- attention: views per step follow a trend curve that rises linearly, peaks and relaxes
  (exponentially or as a power law) toward a baseline; several videos can share one curve;
- organic likes: each view likes with probability ``like_prob`` (drawn by Poisson thinning:
  likes and the other views are independent Poisson counts);
- un-likes: a share ``fickle_share`` of organic likes can be withdrawn, each with an hourly
  hazard ``unlike_hazard`` times how far the trend has faded (zero up to the peak);
- bot likes: bought bursts (blocks of accounts from a farm) and spam bots (accounts that like
  many of the creator's videos), every like owned by one account;
- purge waves: at platform-wide times each surviving bot account is removed with probability
  ``purge_prob``; all its likes on every video vanish at that step, and it likes no more;
- glitches: server outages shared by the videos (counts frozen, partly dropped or missing)
  that recover when they end; an out-of-date app that under-counts some snapshots until an
  update;
- status changes: the creator hides the like count, or the video is removed;
- observation: snapshots every ``snapshot_hours``, some missing, shown the way the app shows
  them (:func:`likekit.data.format_count`): ``likes`` is the lower bound of the display.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from likekit.data import LikekitInputError, display_bounds
from likekit.simulation import tables
from likekit.simulation.params import SimParams
from likekit.simulation.result import Simulation
from likekit.simulation.tables import TRUTH_COUNTS

__all__ = ["Simulator"]

_HOUR = pd.Timedelta(hours=1)
_OUTAGE_KINDS = ("stale", "partial", "missing")
#: video-steps above which a progress bar is shown (a couple of seconds of work)
_PROGRESS_MIN = 2_000_000
#: per cent of a typical run's time spent in each stage, for the progress bar
_WORK = {"attention": 5, "organic": 40, "un-likes": 15, "bots": 5, "glitches": 5, "tables": 30}


class Simulator:
    """One run. Arrays are (videos, steps): a video's series is contiguous and the tables are
    their flattening. Only the un-like recursion walks the steps (over a transposed copy)."""

    def __init__(
        self, p: SimParams, step: pd.Timedelta, rng: np.random.Generator, progress: bool | None
    ) -> None:
        self.p, self.rng = p, rng
        self.h = step / _HOUR  # hours per step
        self.T = int(round(p.days * 24 / self.h))
        self.V = int(p.n_videos)
        if self.T < 2:
            raise LikekitInputError(f"days={p.days} with step={step} gives fewer than 2 steps")
        every = p.snapshot_hours / self.h
        if abs(every - round(every)) > 1e-9 or round(every) < 1:
            raise LikekitInputError(
                f"snapshot_hours={p.snapshot_hours} is not a multiple of {step}"
            )
        self.every = int(round(every))
        try:
            start = pd.Timestamp(p.start)
        except ValueError:
            raise LikekitInputError(f"start must be a date and time, got {p.start!r}") from None
        start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
        self.start = start.as_unit("us")
        self.step_us = int(step / pd.Timedelta(microseconds=1))
        self.show = self.T * self.V >= _PROGRESS_MIN if progress is None else progress
        width = max(2, len(str(self.V - 1)))
        self.ids = [f"v{i:0{width}d}" for i in range(self.V)]
        self.wave_id = 0
        self.events: list[pd.DataFrame] = []
        self.key_cache: tuple[pd.Series, pd.Series] | None = None  # see tables._keys
        # the truth's integer columns, filled in place and handed to pandas without a copy
        self.block = np.zeros((len(TRUTH_COUNTS), self.V * self.T), dtype=np.int64)

    # -- helpers -------------------------------------------------------------------------

    def col(self, name: str) -> np.ndarray:
        return self.block[TRUTH_COUNTS.index(name)].reshape(self.V, self.T)

    def stage(self, name: str, share: int) -> None:
        """Progress: ``name`` is done, ``share`` per cent of a typical run's time."""
        self.bar.set_postfix_str(name, refresh=False)
        self.bar.update(share)

    def times(self, steps: np.ndarray) -> pd.DatetimeIndex:
        us = self.start.value // 1000 + np.asarray(steps, dtype=np.int64) * self.step_us
        return pd.DatetimeIndex(us.view("M8[us]"), tz="UTC")

    def steps_of_hours(self, hours: np.ndarray | float) -> np.ndarray:
        return np.floor(np.asarray(hours) / self.h).astype(np.int64)

    def next_wave(self) -> int:
        self.wave_id += 1
        return self.wave_id

    def add_events(self, videos, cause, start, end, delta, detail, wave=None) -> None:
        videos = np.asarray(videos, dtype=np.int64)
        n = len(videos)
        if n == 0:
            return
        full = np.broadcast_to
        self.events.append(
            pd.DataFrame(
                {
                    "video": videos,
                    "cause": full(cause, n),
                    "start": full(np.asarray(start, dtype=np.int64), n),
                    "end": full(np.asarray(end, dtype=np.int64), n),
                    "likes_delta": full(np.asarray(delta, dtype=np.int64), n),
                    "detail": full(np.asarray(detail, dtype=object), n),
                    "wave": pd.array(full(pd.NA if wave is None else wave, n), dtype="Int64"),
                }
            )
        )

    def slots(self, n: int, lo: float, hi: float, length: np.ndarray | int = 0) -> np.ndarray:
        """One random step in each of ``n`` equal slots of ``[lo, hi)`` (shares of T)."""
        edges = np.linspace(lo * self.T, hi * self.T, n + 1)
        room = np.maximum(np.diff(edges) - length, 1)
        return (edges[:-1] + self.rng.random(n) * room).astype(np.int64)

    def after(self, steps: np.ndarray, at: np.ndarray) -> np.ndarray:
        """(videos, len(steps)) mask: the step is at or after the video's ``at``."""
        return np.asarray(steps)[None, :] >= at[:, None]

    # -- mechanisms ----------------------------------------------------------------------

    def attention(self) -> None:
        """Expected views per step and un-like hazard per step (V, T); status changes."""
        p, rng, T, V = self.p, self.rng, self.T, self.V
        n_trends = math.ceil(V / p.videos_per_trend)
        self.trend = rng.permutation(V) // p.videos_per_trend
        self.trend_start = rng.random(n_trends) * p.trend_start_max_days * 24  # hours
        self.scale = p.peak_views * np.exp(p.video_scale_sigma * rng.standard_normal(V))
        # one curve per trend, (n_trends, T), in hours since the trend started
        tau = np.arange(T)[None, :] * self.h - self.trend_start[:, None]
        since_peak = np.maximum(tau - p.rise_hours, 0)
        if p.fade == "exponential":
            relax = np.exp(-since_peak / p.fade_hours)
        else:
            relax = (1 + since_peak / p.fade_hours) ** -p.fade_exponent
        rising = tau < p.rise_hours
        level = p.baseline_share + (1 - p.baseline_share) * np.where(
            rising, np.clip(tau / p.rise_hours, 0, 1), relax
        )
        fade = np.where(rising, 0.0, 1 - relax) * (1 - (1 - p.unlike_hazard) ** self.h)
        # status: hidden (views go on) or removed (no more views, likes or un-likes)
        u = rng.random(V)
        self.status = np.where(u < p.hide_prob, 1, np.where(u < p.hide_prob + p.remove_prob, 2, 0))
        self.status_step = np.full(V, T, dtype=np.int64)
        changed = self.status > 0
        self.status_step[changed] = (T * (0.3 + 0.6 * rng.random(changed.sum()))).astype(int)
        self.rate = level[self.trend]
        self.rate *= (self.scale * self.h)[:, None]
        if p.daily_amplitude or p.weekly_amplitude:
            self.rate *= self.rhythm()[None, :]
        self.hazard = fade[self.trend]
        if p.churn_hazard:
            self.hazard += 1 - (1 - p.churn_hazard) ** self.h
        if (self.status == 2).any():
            gone = self.after(np.arange(T), np.where(self.status == 2, self.status_step, T))
            self.rate[gone] = 0
            self.hazard[gone] = 0
        self.stage("attention", _WORK["attention"])

    def rhythm(self) -> np.ndarray:
        """Attention's daily and weekly rhythm per step (UTC clock), mean about 1."""
        p = self.p
        start = self.start.tz_convert(None)
        hours = (start - start.normalize()) / _HOUR + np.arange(self.T) * self.h
        days = start.day_of_week + hours / 24
        daily = 1 + p.daily_amplitude * np.cos(2 * np.pi * (hours - p.daily_peak_hour) / 24)
        weekly = 1 + p.weekly_amplitude * np.cos(2 * np.pi * (days - p.weekly_peak_day) / 7)
        return daily * weekly

    def backlash(self) -> None:
        """Users leave the creator: a share of the standing organic likes of some videos is
        withdrawn evenly over a few days (recorded as trend declines by their net count)."""
        p, rng, T = self.p, self.rng, self.T
        hit = np.flatnonzero(rng.random(self.V) < p.backlash_video_share)
        begin = int(T * (0.3 + 0.4 * rng.random()))
        end = min(begin + max(int(round(p.backlash_days * 24 / self.h)), 1), T)
        given, unliked = self.col("organic_given"), self.col("unliked")
        standing = given[hit, begin] - unliked[hit, begin]
        lost = rng.binomial(np.maximum(standing, 0), p.backlash_share)
        per_step = rng.multinomial(lost, np.full(end - begin, 1 / (end - begin)))
        extra = np.zeros((len(hit), T), dtype=np.int64)
        extra[:, begin:end] = np.cumsum(per_step, axis=1)
        extra[:, end:] = extra[:, end - 1 : end]
        # never more un-likes than likes given (fickle un-likes may have taken some already)
        unliked[hit] = np.minimum(unliked[hit] + extra, given[hit])

    def organic(self) -> None:
        """Organic likes, un-likes, views, comments and shares, cumulative (V, T)."""
        p, rng, rate = self.p, self.rng, self.rate
        fickle_share = p.fickle_share if p.unlike_hazard > 0 or p.churn_hazard > 0 else 0.0
        mean = np.empty_like(rate)  # one buffer for the Poisson means

        def draw(share: float) -> np.ndarray:
            return rng.poisson(np.multiply(rate, share, out=mean))

        loyal = draw(p.like_prob * (1 - fickle_share))
        others = draw(1 - p.like_prob)
        self.comments = np.cumsum(draw(p.comment_prob), axis=1)
        self.shares = np.cumsum(draw(p.share_prob), axis=1)
        if fickle_share > 0:
            fickle = draw(p.like_prob * fickle_share)
            del mean
            self.stage("organic", _WORK["organic"])
            self.unlikes(fickle)
            loyal += fickle
            del fickle
        else:
            self.stage("organic", _WORK["organic"] + _WORK["un-likes"])
        others += loyal
        np.cumsum(others, axis=1, out=self.col("views"))
        np.cumsum(loyal, axis=1, out=self.col("organic_given"))
        if p.backlash_share > 0:
            self.backlash()

    def unlikes(self, fickle: np.ndarray) -> None:
        """Each standing fickle like is withdrawn with the step's hazard: step by step."""
        fickle_t = np.ascontiguousarray(fickle.T)
        hazard_t = np.ascontiguousarray(self.hazard.T)
        total_t = np.empty_like(fickle_t)
        standing = np.zeros(self.V, dtype=np.int64)
        total = np.zeros(self.V, dtype=np.int64)
        for t in range(self.T):
            gone = self.rng.binomial(standing, hazard_t[t])
            standing -= gone
            standing += fickle_t[t]  # likes given in step t can be withdrawn from t + 1
            total += gone
            total_t[t] = total
            # whole per cents, summing to the stage's share
            self.stage(
                "un-likes", (t + 1) * _WORK["un-likes"] // self.T - t * _WORK["un-likes"] // self.T
            )
        self.col("unliked")[:] = total_t.T

    def bots(self) -> None:
        """Bot likes (bursts, spam) owned by accounts; purge waves remove accounts."""
        p, rng, T, V = self.p, self.rng, self.T, self.V
        n_spam, n_farm = p.n_spam_accounts, p.n_farm_accounts
        # spam accounts 0..n_spam-1 like each video with a probability, a while after its
        # trend starts
        acc_s, vid_s = np.nonzero(rng.random((n_spam, V)) < p.spam_like_prob)
        delay = rng.exponential(p.spam_delay_hours, len(vid_s))
        step_s = self.steps_of_hours(self.trend_start[self.trend[vid_s]] + delay)
        # bursts: a block of consecutive farm accounts from a random position
        buyers = np.flatnonzero(rng.random(V) < p.burst_prob) if n_farm else np.array([], int)
        size = np.minimum(rng.poisson(p.burst_size, len(buyers)), n_farm)
        first = rng.integers(0, max(n_farm, 1), len(buyers))
        begin = (rng.random(len(buyers)) * T / 2).astype(np.int64)
        k = np.repeat(np.arange(len(buyers)), size)
        rank = np.arange(len(k)) - np.repeat(np.cumsum(size) - size, size)
        acc_b = n_spam + (first[k] + rank) % max(n_farm, 1)
        step_b = begin[k] + self.steps_of_hours(rng.random(len(k)) * p.burst_hours)
        account = np.concatenate([acc_s, acc_b]).astype(np.int64)
        video = np.concatenate([vid_s, buyers[k]]).astype(np.int64)
        given = np.concatenate([step_s, step_b])
        # purge waves: each surviving account is removed with purge_prob
        n_acc = n_spam + n_farm
        removed = np.full(n_acc, T, dtype=np.int64)
        wave_of = np.zeros(n_acc, dtype=np.int64)
        wave_steps = np.sort(self.slots(p.purge_waves, 0.25, 0.95))
        wave_ids = np.array([self.next_wave() for _ in wave_steps], dtype=np.int64)
        for w, s in zip(wave_ids, wave_steps, strict=True):
            hit = (removed == T) & (rng.random(n_acc) < p.purge_prob)
            removed[hit], wave_of[hit] = s, w
        # a like happens in the window, on a video still up, from an account not yet removed
        keep = (given < T) & (given < removed[account])
        keep &= (self.status[video] != 2) | (given < self.status_step[video])
        account, video, given = account[keep], video[keep], given[keep]
        order = np.argsort((video * T + given) * max(n_acc, 1) + account)
        account, video, given = account[order], video[order], given[order]
        gone = removed[account]
        purged = gone < T
        flat = np.bincount(video * T + given, minlength=T * V).reshape(V, T)
        np.cumsum(flat, axis=1, out=self.col("bot_given"))
        flat = np.bincount(video[purged] * T + gone[purged], minlength=T * V).reshape(V, T)
        np.cumsum(flat, axis=1, out=self.col("bot_purged"))
        # one purge event per wave and video it took likes from, while the video's count was
        # still shown (a purge of a hidden or removed video's likes cannot be seen)
        for w, s in zip(wave_ids, wave_steps, strict=True):
            lost = np.bincount(video[purged & (gone == s)], minlength=V)
            hit = np.flatnonzero((lost > 0) & (self.status_step > s))
            self.add_events(hit, "purge", s, s, -lost[hit], "purge", w)
        self.account_removed, self.account_wave = removed, wave_of
        self.bot_records = (account, video, given, gone)
        self.stage("bots", _WORK["bots"])

    def glitches(self) -> None:
        """Served-minus-true offsets, stale windows and missing values from glitches."""
        p, rng, T, V = self.p, self.rng, self.T, self.V
        true, offset = self.col("likes"), self.col("glitch_offset")
        self.missing = np.zeros((V, T), dtype=bool)
        self.stale: list[tuple[np.ndarray, int, int, int]] = []  # videos, start, end, shown
        lengths = np.maximum(
            np.round(p.outage_hours * (0.5 + rng.random(p.outages)) / self.h), 1
        ).astype(np.int64)
        starts = self.slots(p.outages, 0.1, 0.95, lengths)
        if p.outage_kind == "mixed":
            kinds = rng.choice(_OUTAGE_KINDS, p.outages)
        else:
            kinds = np.full(p.outages, p.outage_kind)
        for s, n, kind in zip(starts, lengths, kinds, strict=True):
            e = min(s + n, T)
            hit = np.flatnonzero((rng.random(V) < p.outage_share) & (self.status_step > s))
            drop = p.partial_drop_min + (p.partial_drop_max - p.partial_drop_min) * rng.random(
                len(hit)
            )
            window = true[hit, s:e]
            if kind == "stale":  # every counter shows its value from before the outage
                shown = max(s - 1, 0)
                off = true[hit, shown][:, None] - window
                self.stale.append((hit, s, e, shown))
            elif kind == "partial":
                off = np.floor(window * (1 - drop)[:, None]).astype(np.int64) - window
            else:
                off = np.zeros_like(window)
                self.missing[hit, s:e] = True
            offset[hit, s:e] = off
            deepest = off[np.arange(len(hit)), np.abs(off).argmax(axis=1)]
            self.add_events(hit, "glitch", s, e - 1, deepest, f"server_{kind}", self.next_wave())
        if p.client_glitch:
            # the old app takes a share of the snapshots until the update, on every video
            update = min(int(round(p.client_update_days * 24 / self.h)), T)
            steps = np.arange(update)
            old = (rng.random((V, update)) < p.client_share) & (steps % self.every == 0)
            old &= ~self.after(steps, self.status_step)
            window = true[:, :update]
            off = np.floor(window * (1 - p.client_undercount)).astype(np.int64) - window
            off[~old] = 0
            offset[:, :update] = np.where(old, off, offset[:, :update])
            # the event spans the snapshots where the old app's under-count can be seen: it
            # shows fewer likes than were shown at an earlier snapshot (before that, it only
            # slows a rising count down, which nothing tells from a slower video)
            snaps = steps[steps % self.every == 0]
            served = window[:, snaps] + offset[:, snaps]
            shown = display_bounds(served, p.display_rounding)[0]
            before = np.maximum.accumulate(shown, axis=1)
            seen = np.zeros_like(old)
            seen[:, snaps[1:]] = shown[:, 1:] < before[:, :-1]
            wrong = old & (off != 0) & seen
            hit = np.flatnonzero(wrong.any(axis=1))
            if len(hit):
                first = wrong[hit].argmax(axis=1)
                last = update - 1 - wrong[hit, ::-1].argmax(axis=1)
                deepest = off[hit, np.abs(off[hit]).argmax(axis=1)]
                wave = self.next_wave()
                self.add_events(hit, "glitch", first, last, deepest, "client_undercount", wave)
        self.stage("glitches", _WORK["glitches"])

    def trend_declines(self) -> None:
        """``trend_decline`` events: the organic net count falls materially after its peak."""
        net = self.col("organic_given") - self.col("unliked")
        # only while the count is shown: after a status change a decline cannot be seen
        hidden = self.after(np.arange(self.T), self.status_step)
        net[hidden] = np.iinfo(np.int64).min
        rows = np.arange(self.V)
        peak_step = net.argmax(axis=1)
        peak = net[rows, peak_step]
        net[~self.after(np.arange(self.T), peak_step) | hidden] = np.iinfo(np.int64).max
        low_step = net.argmin(axis=1)
        low = net[rows, low_step]
        hit = np.flatnonzero((peak - low >= self.p.decline_min_share * peak) & (peak > low))
        self.add_events(
            hit, "trend_decline", peak_step[hit], low_step[hit], (low - peak)[hit], "unlikes"
        )

    # -- assembly ------------------------------------------------------------------------

    def run(self, scenario: str, seed: int, display: bool) -> Simulation:
        self.bar = tqdm(total=100, desc="simulate", unit="%", disable=not self.show, leave=False)
        with self.bar:
            self.attention()
            self.organic()
            self.bots()
            likes = self.col("likes")
            np.subtract(self.col("organic_given"), self.col("unliked"), out=likes)
            likes += self.col("bot_given")
            likes -= self.col("bot_purged")
            self.glitches()
            self.trend_declines()
            # status: the shown likes (what the app would show then) fall to nothing
            changed = np.flatnonzero(self.status > 0)
            at = self.status_step[changed]
            served = likes[changed, at] + self.col("glitch_offset")[changed, at]
            shown = display_bounds(served, self.p.display_rounding)[0]
            detail = np.where(self.status[changed] == 1, "likes_hidden", "video_removed")
            self.add_events(changed, "status", at, self.T - 1, -shown, detail)
            counts = tables.counts_table(self, display)
            self.stage("tables", _WORK["tables"])
            return Simulation(
                counts=counts,
                truth=tables.truth_table(self),
                events=tables.events_table(self),
                videos=tables.videos_table(self),
                accounts=tables.accounts_table(self),
                bot_likes=tables.bot_likes_table(self),
                params=self.p,
                scenario=scenario,
                seed=seed,
            )
