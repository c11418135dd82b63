"""How a creator-wide wave is read, once the scan (:mod:`likekit.diagnosis.scan`) says when.

* A significant run of synchronized drops is a **purge wave** unless the videos it hit make
  the loss up within GLITCH_MAX_HOURS (a significant catch-up of at least half the drop),
  or within the next COMPENSATE bins: then it is an **outage** (a glitch wave). An outage
  begins where the videos it hit stopped moving (a frozen count falls behind slowly).
* A significant run of synchronized rises with a deficit, or a standstill, before it is a
  freeze that ended (an outage too); without one it is bought likes, not an event.
* Once a wave is known, every video is tested at its time alone: a purge's videos by the
  two-stage Benjamini-Krieger-Yekutieli procedure (:func:`hit_by_wave`), an outage's at
  level ``z_video``. Videos hit without a single-video event get a faint event of their
  own; single-video events at the wave are tagged with its id.
* Snapshots missing on many videos at once are an outage too (:func:`missing_outages`).
* An old app's flicker on every video, whose falls stop at once at its update, is an
  outage too (:mod:`likekit.diagnosis.oldapp`), one flicker event per video it shows on.
* Every wave needs evidence of removal (:mod:`likekit.diagnosis.removal`): an outage's
  videos fell or stood still; a purge wave's videos fell or were seen before it, lost in
  that interval alone together, gained again after it, and do not go on losing after it.
  A purge one video shows on its own anchors a wave of the videos that fell short with it
  at that snapshot.
* Users leaving is no wave: a synchronized loss no larger than twice what the same videos
  lost over the day before or after it (a backlash's fluctuation, start or end), and a
  catch-up that leaves most of its deficit, are un-likes (trend declines).
* A drop is made up by a rise before the next significant drop, not after it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import fdrcorrection_twostage

from likekit.diagnosis.flicker import FLICKER_BACK
from likekit.diagnosis.grid import Grid, readable
from likekit.diagnosis.oldapp import old_app
from likekit.diagnosis.options import Options
from likekit.diagnosis.removal import (
    anchored_pvalue,
    decline_bins,
    glitch_evidence,
    loss_evidence,
    loss_z,
    made_up,
    resumed,
    wave_one_off,
)
from likekit.diagnosis.scan import significant_runs
from likekit.diagnosis.single import GLITCH_MAX_HOURS, signed
from likekit.formatting import when
from likekit.schema import Event, Wave

#: bins after a panel-wide drop in which making it up (half way) shows it was not permanent
COMPENSATE = 2


def hit_by_wave(z: np.ndarray, seen: np.ndarray, z_video: float) -> np.ndarray:
    """The videos a wave moved: each video's move (its excess over its local trend, signed
    so that the wave's direction is positive) as a z-score of its counting noise
    (:func:`~likekit.diagnosis.removal.loss_z`), tested one-sided.

    A video is hit at level ``z_video``, or where the false discovery rate among the videos
    called hit stays at the same level: the two-stage adaptive Benjamini-Hochberg procedure
    of Benjamini, Krieger and Yekutieli (2006), whose first stage estimates how many videos
    the wave left alone. When the panel shows that most videos moved, a smaller move of one
    of them is more likely part of the wave than chance.
    """
    z = np.where(seen, z, 0.0)
    hit = seen & (z >= z_video)
    if seen.sum() < 2:
        return hit
    rejected, *_ = fdrcorrection_twostage(
        stats.norm.sf(z[seen]), alpha=float(stats.norm.sf(z_video)), method="bky"
    )
    hit[np.flatnonzero(seen)[rejected]] = True
    return hit


class WaveReader:
    """Reads the waves of one panel; :meth:`read` returns them with the events they add."""

    def __init__(self, grid: Grid, single: pd.DataFrame, *, options: Options, scan: tuple | None):
        """``grid``: the panel's grid (:meth:`Grid.build`, or stacked from chunks:
        :class:`~likekit.diagnosis.grid.GridStack`, or held in parts where they are:
        :class:`~likekit.diagnosis.grid.ShardedGrid`, read through its methods and a
        window of bins at a time); ``scan``: the scan's ((p, z) of drops,
        (p, z) of rises) per bin on its axis (:func:`likekit.diagnosis.scan.scan_pvalues` of
        the summed sums), None where there is no panel to read
        (:func:`~likekit.diagnosis.grid.readable`)."""
        self.grid = grid
        self.options = options
        self.scan = scan
        self.waves: list[Wave] = []
        self.extra: list[Event] = []
        self.single_wave = single["wave"].to_numpy(dtype=object, na_value=None).copy()
        if grid.times is not None and len(grid.times) > 1:
            t0, step = grid.times[0], grid.times[1] - grid.times[0]
            self.single_bin, self.single_end = (
                np.rint(((single[c] - t0) / step).to_numpy(dtype=float)).astype(int)
                for c in ("start", "end")
            )
        else:
            self.single_bin = self.single_end = np.zeros(len(single), dtype=int)
        row_of = {v: k for k, v in enumerate(grid.videos)}
        self.single_row = single["video_id"].map(row_of).fillna(-1).to_numpy(dtype=int)
        self.single_step = single["cause"].isin(["purge", "glitch"]).to_numpy()
        self.single_purge = single["cause"].eq("purge").to_numpy()
        self.usual = grid.stall_rate()
        # per bin (p-value, Stouffer z) of synchronized drops and rises; runs of rises, and
        # those a drop's recovery has taken
        self.down = self.up = (np.ones(0), np.zeros(0))
        self.ups: list[tuple[int, int]] = []
        self.drops: list[tuple[int, int]] = []
        self.up_used: set[tuple[int, int]] = set()

    def read(self) -> tuple[list[Wave], list[Event], np.ndarray]:
        """Waves, the faint events they reveal, and the wave id of each single event."""
        grid, o = self.grid, self.options
        if not readable(grid.axis, len(grid.videos)):
            return self.waves, self.extra, self.single_wave
        self.down, self.up = self.scan
        self.ups = significant_runs(self.up[0], o.wave_alpha)
        self.drops = significant_runs(self.down[0], o.wave_alpha)
        for b0, b1 in self.drops:
            self._drop(b0, b1)
        for c0, c1 in self.ups:
            if (c0, c1) not in self.up_used:
                self._catch_up(c0, c1)
        self._anchored()
        self._old_app()
        return self.waves, self.extra, self.single_wave

    # -- synchronized drops ----------------------------------------------------------------

    def _drop(self, b0: int, b1: int) -> None:
        """A significant run of drops: an outage if its videos made it up, else a purge."""
        ex, n2, seen = self.grid.window(b0, b1)
        hit = seen & (ex <= -self.options.z_video * np.sqrt(n2))
        if hit.sum() < 2:
            return
        drop = ex[hit].sum()
        # judged at its deepest bin: a run of losses on the same videos is users leaving
        deepest = b0 + int(np.argmin(self.grid.excess[hit, b0 : b1 + 1].sum(axis=0)))
        if self._leaving(deepest, hit, -float(self.grid.excess[hit, deepest].sum())):
            return  # a fluctuation of the un-likes the same videos give all day
        p, z = self.down
        test = {"z": float(z[b0 : b1 + 1].min()), "p_value": float(p[b0 : b1 + 1].min())}
        recovered_at = self._recovery(b0, b1, hit, drop)
        z_video = self.options.z_video
        if recovered_at is not None:
            if glitch_evidence(self.grid, b0, b1, hit).sum() >= 2:
                self._outage(b0, hit, drop, recovered_at, test)
            return  # else a shared slowdown: no count fell or stood still
        per_bin = np.sort(-self.grid.excess[hit, b0 : b1 + 1].sum(axis=0))
        if len(per_bin) > 1 and per_bin[-2] >= per_bin[-1] / 2:
            return  # a loss spread over consecutive snapshots: users leaving, not a step
        evident = loss_evidence(self.grid, b0, b1, hit, z_video, COMPENSATE)
        # not a shared decline's crossings
        evident = self._beyond_crossings(b0, b1, evident, (ex, n2, seen))
        if evident.sum() < 2 or not wave_one_off(self.grid, b0, b1, evident, z_video, COMPENSATE):
            return  # no loss in that interval alone: a slowdown, or un-likes going on
        if not self._resumed(b0, b1, evident):
            return  # the videos slowed down together and stayed slow: no likes removed
        # a permanent wave: once it is known, the videos it took a little from too (not
        # those that made it up at once: an old app's flicker)
        hit = hit_by_wave(loss_z(self.grid, b0, b1, (ex, n2)), seen, z_video)
        hit = loss_evidence(self.grid, b0, b1, hit, z_video, COMPENSATE)
        hit &= ~made_up(self.grid, b0, hit, FLICKER_BACK, self.options.z_alarm)
        if hit.sum() < 2:
            return
        wave = self._add(b0, b1, "purge", hit, float(ex[hit].sum()), test)
        self._attach(wave, hit=hit, first=b0, last=b0, detail="step", measure=(b0, b1), sign=1)

    def _recovery(self, b0: int, b1: int, hit: np.ndarray, drop: float) -> tuple | None:
        """The run of bins (first, last) in which the videos ``hit`` made up ``drop``: a
        significant catch-up of at least half of it within GLITCH_MAX_HOURS, or (without
        one) a return half way, beyond the noise of its bins at level ``z_video``, by more
        of its videos than chance would, within the next COMPENSATE bins (a snapshot taken
        early, then late); None for a permanent drop. A rise after the next significant drop
        is that drop's recovery."""
        grid = self.grid
        # a rise after the next synchronized drop makes that one up, not this one
        until = min([d0 for d0, _ in self.drops if d0 > b1], default=len(grid.times))
        for c0, c1 in self.ups:
            if c0 <= b1 or (c0, c1) in self.up_used:
                continue
            if c0 > until or grid.times[c0] - grid.times[b1] > pd.Timedelta(hours=GLITCH_MAX_HOURS):
                break
            jump = grid.excess[hit, c0 : c1 + 1].sum()
            if jump >= -drop / 2 and grid.excess[hit, b0 : c1 + 1].sum() >= drop / 2:
                self.up_used.add((c0, c1))
                return c0, c1
        later = grid.excess[hit, b1 + 1 : b1 + 1 + COMPENSATE]
        after = later.sum(axis=0).cumsum()
        # beyond the noise of those bins, and made up by more of its videos than chance
        # would (each at level z_video; binomial at wave_alpha): one rounded count at a
        # display boundary moves a whole step back by itself ("1.0K" <-> 998), and would
        # make up a small purge of every other video
        each = np.cumsum(later, axis=1)
        each_n2 = np.cumsum(grid.noise2[hit, b1 + 1 : b1 + 1 + COMPENSATE], axis=1)
        lost = grid.excess[hit, b0 : b1 + 1].sum(axis=1)[:, None]
        o = self.options
        made = (lost < 0) & (each >= -lost / 2) & (each >= o.z_video * np.sqrt(each_n2))
        by_chance = stats.binom.sf(made.sum(axis=0) - 1, hit.sum(), stats.norm.sf(o.z_video))
        back = np.flatnonzero(
            (drop + after >= drop / 2)
            & (after >= o.z_video * np.sqrt(each_n2.sum(axis=0)))
            & (by_chance <= o.wave_alpha)
        )
        return (b1 + 1 + back[0], b1 + 1 + back[0]) if len(back) else None

    def _outage(self, b0: int, hit: np.ndarray, drop: float, recovered_at, test: dict) -> None:
        """A drop that came back. The catch-up measures what was missing at the end (a
        frozen count fell behind by the likes given while it was frozen), which began when
        the videos stopped moving; the videos it hit fell, or caught up when it ended."""
        c0, c1 = recovered_at
        up_ex, up_n2, up_seen = self.grid.window(c0, c1)
        hit = hit | (up_seen & (up_ex >= self.options.z_video * np.sqrt(up_n2)))
        still = self._standing_still(hit)
        while still[b0] and b0 > 0 and still[b0 - 1]:  # a freeze, not a drop
            b0 -= 1
        wave = self._add(b0, c0 - 1, "glitch", hit, float(drop), test)
        self._attach(wave, hit=hit, first=b0, last=c0 - 1, detail="drop", measure=(c0, c1), sign=-1)

    # -- synchronized rises ----------------------------------------------------------------

    def _catch_up(self, c0: int, c1: int) -> None:
        """A synchronized rise that ends a deficit or a standstill: a freeze that ended."""
        grid = self.grid
        ex, n2, seen = grid.window(c0, c1)
        hit = seen & (ex >= self.options.z_video * np.sqrt(n2))
        hit = self._beyond_crossings(c0, c1, hit, (ex, n2, seen), sign=-1)  # not crossing up
        if hit.sum() < 2:
            return
        comb = grid.bin_sums("excess", hit)
        still = self._standing_still(hit)
        # a frozen count falls behind by the likes due in each bin, beyond the noise of
        # the hit videos there (a bin short of its trend by chance is no part of it)
        behind = comb <= -self.options.z_video * np.sqrt(grid.bin_sums("noise2", hit))
        k = c0
        while k > 0 and (behind[k - 1] or still[k - 1]):
            k -= 1
        if k == c0 or (comb[k:c0].sum() > -ex[hit].sum() / 2 and not still[k:c0].all()):
            return  # a synchronized rise without a deficit before it: bought likes
        hit = glitch_evidence(grid, k, c0 - 1, hit)
        deficit = -float(grid.excess[hit, k:c0].sum())
        if hit.sum() < 2 or float(grid.excess[hit, c0 : c1 + 1].sum()) < deficit / 2:
            return  # a catch-up after a shared slowdown (a snapshot read early), or a
            # rise that leaves most of the deficit: the end of a spell of un-likes
        if self._leaving(k, hit, deficit) or self._leaving(c0 - 1, hit, deficit):
            return  # the videos were losing likes around the deficit: users leaving
        p, z = self.up
        test = {"z": float(-z[c0 : c1 + 1].max()), "p_value": float(p[c0 : c1 + 1].min())}
        wave = self._add(k, c0, "glitch", hit, float(-ex[hit].sum()), test)
        self._attach(
            wave, hit=hit, first=k, last=c0 - 1, detail="freeze", measure=(c0, c1), sign=-1
        )

    def _standing_still(self, hit: np.ndarray) -> np.ndarray:
        """Bins where more of the hit videos stood still than their usual rates of standing
        still explain (one-sided normal test on the count, at level ``z_video``)."""
        k, u, var = self.grid.still_sums(hit, self.usual)
        sd = np.sqrt(var)
        return (k - u >= self.options.z_video * sd) & (sd > 0)

    def _resumed(self, b0: int, b1: int, hit: np.ndarray) -> bool:
        """Whether the videos ``hit`` together gained again after bins b0..b1 at least half
        way back to their rate before (summed rates over COMPENSATE bins either side,
        :func:`likekit.diagnosis.removal.resumed`): a loss in that interval, not a rate
        that fell and stayed down. Videos not seen on both sides say nothing."""
        grid = self.grid
        before = grid.rate(max(b0 - COMPENSATE, 0), b0 - 1)
        during, after = grid.rate(b0, b1), grid.rate(b1 + 1, b1 + COMPENSATE)
        both = hit & np.isfinite(before) & np.isfinite(during) & np.isfinite(after)
        if not both.any():
            return True
        return bool(resumed(before[both].sum(), during[both].sum(), after[both].sum()))

    def _beyond_crossings(
        self, b0: int, b1: int, hit: np.ndarray, window: tuple, sign: int = 1
    ) -> np.ndarray:
        """The videos of ``hit`` whose loss (``sign`` 1; -1: rise) in bins b0..b1 is more
        than a rounded count crossing a display step, as the panel's counts cross them
        around it; ``window``: ``grid.window(b0, b1)``, which the caller has read.

        A count shown as "1.2K" that users slowly leave falls one step when its true count
        crosses a boundary; videos of one trend decline together and cross on the same day
        now and then (and counts at a plateau cross up together when the morning's likes
        come). A move within one display step plus the counting noise of the likes given
        and withdrawn is therefore evidence only where more such moves came at once than
        the panel's own rate of shown moves that way over the day either side (not counting
        b0..b1; binomial over the rounded videos seen, at level ``wave_alpha``) explains:
        in a panel whose counts do not fall, one step down on several videos is rare."""
        grid = self.grid
        ex, n2, seen = window
        step = grid.step(b0, b1)
        # the walk of the likes given and withdrawn: the noise less the display rounding
        walk = np.sqrt(np.maximum(n2 - (step + 1) ** 2 / 6, 0))
        within = hit & (step > 0) & (-sign * ex - step < self.options.z_video * walk)
        if not within.any():
            return hit
        moves = trials = 0
        day = self._day()
        for lo, hi in ((max(b0 - day, 0), b0 - 1), (b1 + 1, b1 + day)):
            moved, rounded = grid.shown_moves(lo, hi, sign)
            moves, trials = moves + int(moved), trials + int(rounded)
        # a video's chance of a shown move in b0..b1 at the panel's rate per snapshot
        chance = 1 - (1 - (moves + 1) / (trials + 1)) ** (b1 - b0 + 1)
        could = seen & (step > 0) & ~(hit & ~within)
        p = stats.binom.sf(int(within.sum()) - 1, int(could.sum()), chance)
        return hit & ~within if p > self.options.wave_alpha else hit

    def _day(self) -> int:
        """Bins in a day, and at least three."""
        return max(int(round(pd.Timedelta(days=1) / self.grid.axis.step)), 3)

    def _leaving(self, b: int, hit: np.ndarray, loss: float) -> bool:
        """Users leaving: over the day before bin ``b`` or the day after it, the videos
        ``hit`` lost at least half the ``loss`` (likes, > 0) read at b, beyond their
        counting noise (at level ``z_video``). The day's loss leaves out its largest bin
        not next to b: a spell of un-likes loses in many bins, another purge in one. A
        synchronized loss then is a fluctuation of a longer spell of un-likes (a
        backlash), or its start or end, not a purge or an outage: those are steps larger
        than the loss around them."""
        grid = self.grid
        day = self._day()  # at least three snapshots (two when the largest is left out)
        for lo, hi in ((b - day, b - 1), (b + 1, b + day)):
            # a day of increments telescopes: the display rounding counts at its ends only
            sums = grid.day_loss(lo, hi, hit)
            per_bin, walk, ends = sums[:-2], sums[-2], sums[-1]
            # ... unless next to b: a loss spread over consecutive snapshots is a spell
            far = per_bin[:-1] if lo < b else per_bin[1:]
            lost = float(per_bin.sum() - max(far.max(initial=0.0), 0.0))
            sd = math.sqrt(walk + ends)
            if lost >= max(loss / 2, self.options.z_video * sd, 1e-9):
                return True
        return False

    # -- waves anchored on one video's purge ---------------------------------------------

    def _anchored(self) -> None:
        """A purge one video shows on its own says when: the other videos that fell short
        at that snapshot (Bonferroni over them and over the anchors tried), lost in it
        alone and did not make it up within FLICKER_BACK bins, make it a wave. An anchor
        that lost on the snapshots either side of it too is users leaving, not a purge."""
        grid, o = self.grid, self.options
        n_bins = grid.excess.shape[1]
        lone = self.single_purge & pd.isna(self.single_wave) & (self.single_row >= 0)
        lone &= (self.single_bin > 0) & (self.single_bin < n_bins)
        for i in np.flatnonzero(lone):
            if not pd.isna(self.single_wave[i]):
                continue  # an earlier anchor's wave took it
            b, anchor = int(self.single_bin[i]), int(self.single_row[i])
            at = grid.times[b]  # (a DatetimeIndex boxes a Timestamp on every read)
            if any(w.time == at for w in self.waves):
                continue  # a wave at that snapshot was read already
            grid.prefetch(self._anchor_reads(b))
            alone = np.arange(len(grid.videos)) == anchor
            if made_up(grid, b, alone, FLICKER_BACK, 0.0)[anchor]:
                continue  # its own loss came back at once: a flicker, not a purge
            # (a window of bins, as a sharded grid is read)
            if 0 < b < n_bins - 1 and (grid.z[anchor, b - 1 : b + 2][::2] <= -o.z_video).all():
                continue  # a loss between two losses: a spell of users leaving (a trend
                # decline, as removal.spread_losses reads it), not a purge at once
            p = anchored_pvalue(grid, b, anchor, int(lone.sum()))
            if p > o.wave_alpha:
                continue
            grid.prefetch(self._anchored_wave_reads(b))
            ex, n2, seen = grid.window(b, b)
            hit = hit_by_wave(loss_z(grid, b, b, (ex, n2)), seen, o.z_video)
            hit = loss_evidence(grid, b, b, hit, o.z_video, COMPENSATE)
            hit[anchor] = True
            hit &= ~made_up(grid, b, hit, FLICKER_BACK, o.z_video)
            if not hit[anchor] or hit.sum() < 2:
                continue
            if not wave_one_off(grid, b, b, hit, o.z_video, COMPENSATE):
                continue
            if not self._resumed(b, b, hit):
                continue
            if self._leaving(b, hit, -float(ex[hit].sum())):
                continue
            test = {"z": -float(stats.norm.isf(max(p, 1e-300))), "p_value": p}
            wave = self._add(b, b, "purge", hit, float(ex[hit].sum()), test)
            self._attach(wave, hit=hit, first=b, last=b, detail="step", measure=(b, b), sign=1)

    def _anchor_reads(self, b: int) -> list[tuple]:
        """What :meth:`_anchored` reads of every video to test an anchor at bin ``b``
        (announced: a grid in parts answers them in one round, not one each)."""
        after = slice(b + 1, b + 1 + FLICKER_BACK)  # made_up
        return [("window", b, b), ("excess", after), ("noise2", after), ("z", slice(b - 1, b + 2))]

    def _anchored_wave_reads(self, b: int) -> list[tuple]:
        """What :meth:`_anchored` reads of every video once an anchor at bin ``b`` passed:
        loss_evidence, wave_one_off, _resumed and _attach at b (announced, as
        :meth:`_anchor_reads`)."""
        lo = max(b - COMPENSATE, 0)
        return [
            ("fell", slice(b, b + 1)),
            ("seen", slice(lo, b)),
            ("rate", b + 1, b + COMPENSATE),
            ("rate", b, b),
            ("rate", lo, b - 1),
            ("window", lo, b - 1),
            ("z", slice(b, b + 1)),
            ("rate", max(b - decline_bins(self.grid), 0), b - 1),
            ("step", b, b),
            ("seen", slice(b + 1, b + 1 + COMPENSATE)),
        ]

    # -- an old app on every video -------------------------------------------------------

    def _old_app(self) -> None:
        """A spell of flicker on the whole panel that an update ended
        (:func:`likekit.diagnosis.oldapp.old_app`): an outage wave, one flicker event per
        video that fell more often in it than elsewhere (its own falls merge with it)."""
        spell = old_app(self.grid, self.options)
        if spell is None or len(spell.videos) < 2:
            return
        grid = self.grid
        hit = np.zeros(len(grid.videos), dtype=bool)
        hit[list(spell.videos)] = True
        drop = sum(v.deepest for v in spell.videos.values())
        test = {"z": -float(stats.norm.isf(max(spell.p_value, 1e-300))), "p_value": spell.p_value}
        wave = self._add(spell.first, spell.last, "glitch", hit, drop, test)
        for r, (b0, b1, f, m, p, deepest, var) in spell.videos.items():
            sd = math.sqrt(var)
            self.extra.append(
                Event.measured(
                    video_id=grid.videos[r],
                    cause="glitch",
                    start=grid.times[b0],
                    end=grid.times[b1],
                    delta=deepest,
                    sd=sd,
                    recovered=True,
                    score=abs(deepest) / sd if sd > 0 else math.nan,
                    detail="flicker",
                    evidence=f"{f} falls of the shown count in {m} snapshots (p = {p:.1g}), "
                    f"each made up within {FLICKER_BACK} snapshots, while the panel's falls "
                    f"came and went until they stopped on every video at once (p = "
                    f"{spell.p_value:.1g}): an old app until its update; "
                    f"deepest {signed(deepest)} likes",
                    wave=wave.wave,
                )
            )

    # -- recording -------------------------------------------------------------------------

    def _add(self, b0: int, b_end: int, cause: str, hit, likes_delta: float, test) -> Wave:
        wave = Wave(
            wave=len(self.waves) + 1,
            time=self.grid.times[b0],
            end=self.grid.times[b_end],
            cause=cause,
            n_videos=int(hit.sum()),
            likes_delta=likes_delta,
            recovered=cause == "glitch",
            **test,
        )
        self.waves.append(wave)
        return wave

    def _attach(self, wave: Wave, *, hit, first: int, last: int, detail, measure, sign) -> None:
        """Tag single-video events of ``hit`` videos at ``wave`` (bins ``first`` to
        ``last``); add the faint ones, measured over the bins ``measure`` (first, last),
        signed by ``sign`` (-1: a freeze or drop measured by the catch-up that ends it)."""
        grid, b0 = self.grid, first
        window_ex, window_n2, _ = grid.window(*measure)
        near = self.single_step & (self.single_bin <= last + 1) & (self.single_end >= b0 - 1)
        near &= hit[np.maximum(self.single_row, 0)] & (self.single_row >= 0)
        self.single_wave[near] = wave.wave
        # a faint step is called permanent only where the video was seen after it
        followed = grid.seen[:, last + 1 : last + 1 + COMPENSATE].any(axis=1) | wave.recovered
        # named by its time, not its number: waves are renumbered in time order later
        what = f"{'outage' if wave.recovered else 'purge wave'} of {when(wave.time)}"
        start, end = grid.times[b0], grid.times[last]  # read once, not per video
        # a video the measure's bins did not see (its snapshots ended before a catch-up) has
        # no size to give there: it is counted in the wave, not measured
        measured = window_n2 > 0
        for r in np.setdiff1d(np.flatnonzero(hit & followed & measured), self.single_row[near]):
            ex, sd = sign * window_ex[r], math.sqrt(window_n2[r])
            self.extra.append(
                Event.measured(
                    video_id=grid.videos[r],
                    cause=wave.cause,
                    start=start,
                    end=end,
                    delta=ex,
                    sd=sd,
                    recovered=wave.recovered,
                    score=abs(ex) / sd,
                    detail=detail,
                    evidence=f"{signed(ex)} likes ({abs(ex) / sd:.1f}x noise) at the time of "
                    f"{what}, found by synchrony across the panel",
                    wave=wave.wave,
                )
            )


def missing_outages(
    table: pd.DataFrame, blank: np.ndarray, *, first_wave: int, options: Options
) -> tuple[list[Wave], list[Event]]:
    """Outages seen as snapshots missing on many videos at once (binomial scan over bins,
    against the panel's own rate of missing snapshots, corrected for every bin).

    In three steps that add up over disjoint sets of videos (the Dask path runs them on
    each partition): per-bin counts (:func:`missing_counts`), the significant runs of bins
    they give (:func:`missing_runs`), each run's videos (:func:`missing_spans`)."""
    t0, step_h = table["timestamp"].min(), options.step_h
    counts = missing_counts(table, blank, t0, step_h)
    runs = missing_runs(counts, table["video_id"].nunique(), options)
    return missing_waves(runs, missing_spans(table, blank, t0, step_h, runs), first_wave)


def _missing_bins(table: pd.DataFrame, t0: pd.Timestamp, step_h: float) -> np.ndarray:
    """Each snapshot's bin on the grid of ``step_h`` hours from ``t0`` (the first snapshot)."""
    stamps = table["timestamp"]
    return np.rint(((stamps - t0) / pd.Timedelta(hours=step_h)).to_numpy(float)).astype(int)


def missing_counts(
    table: pd.DataFrame, blank: np.ndarray, t0: pd.Timestamp, step_h: float
) -> np.ndarray:
    """Per bin from ``t0``: snapshots, and those without any value (``blank``), ``[2, bin]``
    (as long as the last snapshot's bin: pad with zeros to add up sets of videos)."""
    col = _missing_bins(table, t0, step_h)
    n = np.bincount(col)
    return np.stack([n, np.bincount(col[blank], minlength=len(n))])


def missing_runs(
    counts: np.ndarray, n_videos: int, options: Options
) -> list[tuple[int, int, float]]:
    """The runs of bins (first, last, smallest p-value) with more snapshots missing than
    the panel's rate explains, from the panel's :func:`missing_counts` (all its videos)."""
    n, k = counts
    if k.sum() < 2 or n_videos < 2:
        return []
    rate = (k.sum() + 1) / (n.sum() + 1)
    p = np.where(k >= 2, stats.binom.sf(k - 1, n, rate) * max(int((n >= 2).sum()), 1), 1.0)
    runs = significant_runs(np.minimum(p, 1.0), options.wave_alpha)
    return [(b0, b1, float(p[b0 : b1 + 1].min())) for b0, b1 in runs]


def missing_spans(
    table: pd.DataFrame, blank: np.ndarray, t0: pd.Timestamp, step_h: float, runs: list
) -> list[pd.DataFrame]:
    """Per run of :func:`missing_runs`: the first and last snapshot without any value of
    each video in it, and how many (``min``, ``max``, ``size`` by ``video_id``)."""
    col = _missing_bins(table, t0, step_h) if runs else None
    spans = []
    for b0, b1, _ in runs:
        inside = blank & (col >= b0) & (col <= b1)
        # the rows inside only: an object array of every id would cost ~70 bytes a row
        rows = table.loc[inside, ["video_id", "timestamp"]]
        frame = pd.DataFrame({c: rows[c].to_numpy() for c in rows.columns})
        spans.append(frame.groupby("video_id")["timestamp"].agg(["min", "max", "size"]))
    return spans


def missing_waves(
    runs: list[tuple[int, int, float]], spans: list[pd.DataFrame], first_wave: int
) -> tuple[list[Wave], list[Event]]:
    """The outages of :func:`missing_runs` and their videos' events, from each run's
    :func:`missing_spans` (of all the panel's videos, in video order), numbered from
    ``first_wave``."""
    waves, events = [], []
    for (_, _, p_min), spans_of in zip(runs, spans, strict=True):
        wave_id, start = first_wave + len(waves), spans_of["min"].min()
        # named by its time, not its number: waves are renumbered in time order later
        outage = f"the outage of {when(start)}, which left {len(spans_of)} videos without counts"
        events += [
            Event.measured(
                video_id=v,
                cause="glitch",
                start=first,
                end=last,
                delta=0.0,
                sd=0.0,
                recovered=True,
                score=np.nan,
                detail="missing",
                evidence=f"{size} snapshots missing during {outage}",
                wave=wave_id,
            )
            # read column by column (iterrows builds a Series per video)
            for v, first, last, size in zip(
                spans_of.index, spans_of["min"], spans_of["max"], spans_of["size"], strict=True
            )
        ]
        waves.append(
            Wave(
                wave=wave_id,
                time=start,
                end=spans_of["max"].max(),
                cause="glitch",
                n_videos=len(spans_of),
                likes_delta=0.0,
                recovered=True,
                z=float(stats.norm.isf(max(p_min, 1e-300))),
                p_value=p_min,
            )
        )
    return waves, events
