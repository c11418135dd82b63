"""Panel synchrony for :func:`likekit.diagnose`: the scan statistics for creator-wide waves
(how a significant bin is read as a wave is in :mod:`likekit.diagnosis.waves`).

The increments of every video are put on one time grid (the panel's typical snapshot
step). In each bin four statistics test "the videos dropped together" against "they moved
independently":

* Stouffer: the sum of the videos' z-scores, each clipped to the single-video alarm level
  (so that one huge drop cannot pass for a wave) and standardized by the video's own mean
  and SD of clipped z-scores, over the square root of the number of videos;
* counts: how many videos fell past the one-sided 5% and 0.5% levels and the single-video
  alarm level, against a Poisson law whose mean is the sum of the videos' own rates of
  passing that level (never below the normal tail).

A bin's statistic is the smallest p-value of the four tests. Its maximum over all bins is
calibrated by shifting the videos' series in time at random (which keeps every video's own
behaviour and breaks their alignment: the null of videos moving independently), so that a
bin's p-value is the chance that a panel without any wave shows a bin as extreme somewhere:
it is corrected for every bin and every test scanned.

Every test is a function of per-bin sums over the videos, so the scan is reducible. The
videos are summed into N_BLOCKS blocks (a hash of the video id picks the block) and the
null shifts whole blocks by whole periods of the panel's rhythm; each shifted panel re-reads
its own shared slowdown (:mod:`likekit.diagnosis.rhythm`) from per-bin histograms. Disjoint
sets of videos (the chunks or partitions of a large table, on the panel's one
:class:`BinAxis`) give histograms and :class:`ScanSums` that add up to the panel's, in two
passes (:func:`scan_panel`, on a :class:`Grid` or on a
:class:`~likekit.diagnosis.grid.ShardedGrid` whose parts each add up their own)::

    lags = null_lags(axis)
    shares = shared_share(sum(slowdown_counts(g, lags) for g in grids))
    sums = sum(scan_sums(g, shares, lags, z_alarm) for g in grids)
    (p_down, z_down), (p_up, z_up) = scan_pvalues(sums)
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import stats

from likekit.diagnosis.grid import BinAxis, Grid, ShardedGrid
from likekit.diagnosis.rhythm import (
    REL_EDGES,
    period_bins,
    rel_bucket,
    shared_share,
    slowdown_ratio,
)

__all__ = ["BinAxis", "Grid", "ScanSums", "scan_panel", "scan_pvalues", "scan_sums"]

#: random time shifts that calibrate the scan's maximum
N_PERM = 100
#: the null shifts blocks of videos (a hash of the id picks the block): more blocks than
#: distinct shifts, so that a wave's videos land apart in the null as they would one by one
N_BLOCKS = 128
EULER_GAMMA = 0.5772156649015329
#: one-sided 5% and 0.5% normal levels: the counts of videos past them are tested in each bin
COUNT_LEVELS = (float(stats.norm.isf(0.05)), float(stats.norm.isf(0.005)))
#: the scan's per-bin sums (:class:`ScanSums`): Stouffer sum of the drop direction, videos
#: seen, videos past each level (drops then rises), their expected counts (same order)
STOUFFER, SEEN, PASSES, EXPECTED = 0, 1, 2, 2 + 2 * 3
N_SERIES = EXPECTED + 2 * 3
#: levels whose passes are counted: COUNT_LEVELS and the single-video alarm level
N_LEVELS = len(COUNT_LEVELS) + 1
#: numpy sums fewer values than this one after the other (more, in partial sums)
PAIRWISE = 8
#: threads that work through the shifted panels (the scan runs while no other stage of
#: diagnose works: the second core is free)
SCAN_THREADS = 2


def period_of(axis: BinAxis) -> int:
    """Bins in the panel's rhythm period on ``axis`` (0: none)."""
    return period_bins(axis.step if axis.n_bins > 1 else None, axis.n_bins)


def null_lags(axis: BinAxis, n_perm: int = N_PERM, seed: int = 0, max_shift: int = 48):
    """(n_perm, N_BLOCKS) circular shifts of the blocks in bins (0 to n_bins - 1): whole
    periods of the panel's rhythm when it spans enough of them (the rhythm left stays
    aligned in the null as in the data; any number of periods, so that few blocks share a
    shift), else 1 to ``max_shift`` bins either way (never beyond half the grid)."""
    rng = np.random.default_rng(seed)
    period = period_of(axis)
    size = (n_perm, N_BLOCKS)
    if period:
        lag = period * rng.integers(1, max(axis.n_bins // period, 2), size=size)
    else:
        lag = rng.integers(1, max(min(max_shift, axis.n_bins // 2), 2) + 1, size=size)
    return (lag * rng.choice([-1, 1], size)) % max(axis.n_bins, 1)


@dataclass(frozen=True)
class _Blocks:
    """A grid's videos by block: ``order`` sorts its rows by block, ``first`` is the first
    sorted row of each block present, ``ids`` the block of each, ``of_row`` the position
    (in ``ids``) of each sorted row's block."""

    block: np.ndarray  # per video, in the grid's row order
    order: np.ndarray
    first: np.ndarray
    ids: np.ndarray
    of_row: np.ndarray

    @classmethod
    def of(cls, videos: np.ndarray) -> _Blocks:
        block = np.array([zlib.crc32(str(v).encode()) % N_BLOCKS for v in videos], dtype=int)
        order = np.argsort(block, kind="stable")
        change = np.r_[True, np.diff(block[order]) != 0] if len(block) else np.zeros(0, bool)
        ids = block[order][change]
        return cls(block, order, np.flatnonzero(change), ids, np.cumsum(change) - 1)

    def sums(self, x: np.ndarray | Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Per block present: the sum of the sorted rows of ``x``, to the bit as
        ``np.add.reduceat(x, self.first, axis=0)`` gives it (whose cost per block is many
        times that of the few rows each holds): a block's first row plus the sum of the
        others, which numpy adds one after the other when fewer than PAIRWISE (reduceat's
        own for a block with more). ``x`` may be a function giving the rows at the sorted
        positions it is passed (the whole array is then never made)."""
        rows = x.__getitem__ if isinstance(x, np.ndarray) else x
        size = np.diff(np.r_[self.first, len(self.order)])
        out = rows(self.first)
        two = np.flatnonzero(size > 1)
        rest = rows(self.first[two] + 1)
        for i in range(2, min(int(size.max(initial=0)), PAIRWISE)):
            more = size[two] > i
            rest[more] += rows(self.first[two[more]] + i)
        out[two] += rest
        for g in np.flatnonzero(size > PAIRWISE):
            block = rows(np.arange(self.first[g], self.first[g] + size[g]))
            out[g] = np.add.reduceat(block, [0], axis=0)[0]
        return out


def _each_copy(fn: Callable[[int], None], n: int, *also: Callable[[], None]) -> None:
    """``fn(k)`` for k in 0..n - 1, each filling its own copy's rows of an array, and each
    of ``also`` (work of its own, which runs beside the copies): on SCAN_THREADS threads
    (numpy lets go of the GIL over whole arrays), with the same result as one after the
    other."""
    with ThreadPoolExecutor(SCAN_THREADS) as pool:
        beside = [pool.submit(f) for f in also]
        for _ in pool.map(fn, range(n)):  # (raises what a call raised)
            pass
        for done in beside:
            done.result()


def _shifted(twice: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """The sum over blocks of ``per_block[m, ..., bin]`` with block m shifted circularly by
    ``lag[m]`` bins (its bin b lands at b + lag), given ``twice``: each block's bins twice
    over (``[..., 2 * n_bins]``), so that a circular shift is one slice."""
    n_bins = twice.shape[-1] // 2
    out = np.zeros(twice.shape[1:-1] + (n_bins,))
    for m, shift in enumerate(lag):
        out += twice[m, ..., n_bins - shift : 2 * n_bins - shift]
    return out


def slowdown_counts(grid: Grid, lags: np.ndarray) -> np.ndarray:
    """Histograms of the relative excess of ``grid``'s videos per bin, ``[copy, bin,
    bucket]`` (int32): copy 0 the data, copy k its k-th shifted panel (``lags[k - 1]``). They add up
    over disjoint sets of videos; :func:`likekit.diagnosis.rhythm.shared_share` reads the
    shared slowdown of each copy from the panel's."""
    bucket = rel_bucket(grid)
    n_bins = bucket.shape[1]
    n_buckets = len(REL_EDGES) + 1
    size = n_bins * n_buckets
    out = np.zeros((1 + len(lags), n_bins, n_buckets), dtype=np.int32)
    row, col = np.nonzero(bucket >= 0)
    block = _Blocks.of(grid.videos).block[row]
    by = np.argsort(block, kind="stable")  # (counts: in any order)
    cell = (col * n_buckets + bucket[row, col])[by]  # where each value lands in the data
    per_block = np.bincount(block, minlength=N_BLOCKS)
    out[0] = np.bincount(cell, minlength=size).reshape(n_bins, n_buckets)

    def shifted(k: int) -> None:
        # a shift by ``lag`` bins moves a value lag * n_buckets cells on, circularly
        lands = cell + np.repeat(lags[k] * n_buckets, per_block)
        lands[lands >= size] -= size
        out[k + 1] = np.bincount(lands, minlength=size).reshape(n_bins, n_buckets)

    _each_copy(shifted, len(lags))
    return out


@dataclass(frozen=True)
class ScanSums:
    """The scan's per-bin sums over a set of videos, before the null's shifts: each block's
    sums ``blocks[block, series, bin]``, and what the copies' shared slowdowns change,
    ``gains[copy, series, bin]`` (copy 0 the data, copy k the k-th shifted panel, whose
    block m is shifted by ``lags[k - 1, m]`` bins). The sums of disjoint sets of videos add
    up to their union's; each block is shifted once, in :attr:`sums`, however many sets
    were added."""

    blocks: np.ndarray
    gains: np.ndarray
    lags: np.ndarray

    def __add__(self, other: ScanSums) -> ScanSums:
        return ScanSums(self.blocks + other.blocks, self.gains + other.gains, self.lags)

    def __radd__(self, other: object) -> ScanSums:
        return self if other == 0 else NotImplemented  # sum() starts from 0

    @property
    def sums(self) -> np.ndarray:
        """The per-bin sums ``[copy, series, bin]`` of the data and each shifted panel."""
        twice = np.concatenate([self.blocks, self.blocks], axis=-1)
        out = self.gains.copy()

        def add(k: int) -> None:
            out[k] += _shifted(twice, self.lags[k - 1] if k else np.zeros(N_BLOCKS, int))

        _each_copy(add, len(out))
        return out


@dataclass(frozen=True)
class _Moved:
    """The cells of a grid's ``[video, bin]`` arrays (videos sorted by block) that a shared
    slowdown moves, those with a ratio (:func:`~likekit.diagnosis.rhythm.slowdown_ratio`;
    elsewhere a slowdown changes nothing), sorted by block, then bin, then video: their
    video ``row``, z, ratio, video's ``inv_sd`` and level code; ``first`` and ``size``
    say where the cells of each block and bin are, at ``block * 2 * n_bins + bin`` and
    again at ``... + n_bins + bin`` (blocks by position; a circular shift reads no modulo)."""

    row: np.ndarray
    z: np.ndarray
    ratio: np.ndarray
    inv_sd: np.ndarray
    code: np.ndarray
    first: np.ndarray
    size: np.ndarray

    @classmethod
    def of(
        cls, z: np.ndarray, ratio: np.ndarray, inv_sd: np.ndarray, code: np.ndarray, blocks: _Blocks
    ) -> _Moved:
        row, col = np.nonzero(ratio)
        n_bins = ratio.shape[1]
        key = blocks.of_row[row] * n_bins + col
        by = np.argsort(key, kind="stable")  # (videos stay in order within a block and bin)
        row, col = row[by], col[by]
        size = np.bincount(key, minlength=len(blocks.ids) * n_bins)
        first = np.cumsum(size) - size
        size, first = (np.tile(x.reshape(-1, n_bins), 2).ravel() for x in (size, first))
        cells = row, z[row, col], ratio[row, col], inv_sd[row, 0], code[row, col]
        return cls(*cells, first, size)

    def at(self, at: np.ndarray, lag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cells that land in bins ``at`` when each block present is shifted by its
        ``lag`` (0 to n_bins - 1), block by block, each block's column (of ``at``) by
        column (so each column's video by video), and the column of each."""
        twice = len(self.first) // len(lag)
        key = (np.arange(len(lag)) * twice - lag)[:, None] + (at + twice // 2)[None, :]
        first, size = np.take(self.first, key).ravel(), np.take(self.size, key).ravel()
        ends = np.cumsum(size)
        cell = np.repeat(first - ends + size, size) + np.arange(ends[-1])
        return cell, np.repeat(np.tile(np.arange(len(at)), len(lag)), size)


def scan_sums(grid: Grid, shares: np.ndarray, lags: np.ndarray, z_alarm: float) -> ScanSums:
    """The scan's per-bin sums of ``grid``'s videos in the data and in each shifted panel,
    given each copy's shared slowdown ``shares[copy, bin]``: per block, and the slowdowns'
    gains per copy (:class:`ScanSums`; the blocks are shifted once the sets are added).

    Videos differ (a count shown as "1.2K" moves in steps of 100, a small exact count by
    ones): each video's z-scores net of the shared slowdown are clipped to the alarm level
    and standardized by the video's own mean and SD, and each video passes a level at its
    own rate (drops and rises apart), all read from the data. In a shifted panel a video
    keeps its own series and statistics, and loses the slowdown that panel shares there.
    """
    n_videos, n_bins = grid.seen.shape
    gains = np.zeros((1 + len(lags), N_SERIES, n_bins))
    per_block = np.zeros((N_BLOCKS, N_SERIES, n_bins))
    if not n_videos:
        return ScanSums(per_block, gains, lags)
    blocks = _Blocks.of(grid.videos)
    seen, z = grid.seen[blocks.order], grid.z[blocks.order]  # z is 0 where not seen
    ratio = slowdown_ratio(grid)[blocks.order]  # ... and so is ratio
    n_seen = np.maximum(seen.sum(axis=1), 1)[:, None]
    z_data = z - shares[0] * ratio
    clipped = np.clip(-z_data, -z_alarm, z_alarm) * seen  # the drop direction
    mean = clipped.sum(axis=1, keepdims=True) / n_seen
    sd = np.sqrt(((clipped - mean) ** 2 * seen).sum(axis=1, keepdims=True) / n_seen)
    inv_sd = np.where(sd > 0, 1 / np.where(sd > 0, sd, 1.0), 0.0)  # a still video adds 0
    levels = np.array([*COUNT_LEVELS, z_alarm])
    code = _levels_passed(z, levels)
    moved = _Moved.of(z, ratio, inv_sd, code, blocks)

    def block_sums() -> None:
        # a video's rate of passing each level (drops, then rises), from the data
        rates = [
            np.maximum((((sign * z_data >= lv) & seen).sum(axis=1) + 1) / (n_seen[:, 0] + 1), t)
            for sign in (-1, 1)
            for lv, t in zip(levels, stats.norm.sf(levels), strict=True)
        ]
        rate = np.stack(rates, axis=1)
        # per block: the series of the videos' z-scores before any shared slowdown, the
        # seen counts and those past each level (whole numbers: summed in any order, as
        # integers; a bin not seen has z = 0, which passes no level), and the expected
        # counts
        stouffer = blocks.sums(np.clip(-z, -z_alarm, z_alarm) * inv_sd)
        stouffer -= blocks.sums(mean * inv_sd * seen)
        per_block[blocks.ids, STOUFFER] = stouffer
        per_block[blocks.ids, SEEN:EXPECTED] = blocks.sums(lambda i: _counted(seen[i], code[i]))
        per_block[blocks.ids, EXPECTED:] = blocks.sums(
            lambda i: rate[i][:, :, None] * seen[i][:, None, :]
        )

    def copy_gains(k: int) -> None:
        at = np.flatnonzero(shares[k])
        if not len(at):
            return
        lag = lags[k - 1][blocks.ids] if k else np.zeros(len(blocks.ids), dtype=int)
        # where the copy shares a slowdown, each video's bin that lands there loses it:
        # bin ``at`` of the copy holds bin at - lag of each video (circularly; lags are
        # 0 to n_bins - 1); only the cells with a ratio move
        cell, col = moved.at(at, lag)
        z_src = moved.z[cell]
        z_net = moved.ratio[cell]
        z_net *= shares[k, at][col]
        np.subtract(z_src, z_net, out=z_net)
        # the drop direction's clipped z, net less before: clip(-x) is -clip(x) exactly
        gain = np.clip(z_src, -z_alarm, z_alarm)
        gain -= np.clip(z_net, -z_alarm, z_alarm)
        gain *= moved.inv_sd[cell]
        gains[k, STOUFFER, at] += _column_sums(gain, col, len(at), moved.row, cell, n_videos)
        change = _count_change(moved.code[cell], _levels_passed(z_net, levels), col, len(at))
        gains[k, PASSES:EXPECTED, at] += change.T

    _each_copy(copy_gains, 1 + len(lags), block_sums)  # (the blocks' sums beside the copies)
    return ScanSums(per_block, gains, lags)


def _column_sums(
    values: np.ndarray, col: np.ndarray, n_cols: int, row: np.ndarray, cell: np.ndarray, n_rows: int
) -> np.ndarray:
    """The column sums of the ``[row, column]`` array (n_rows, n_cols) that holds
    ``values`` at (``row[cell]``, ``col``) and zeros elsewhere, to the bit as numpy's
    ``sum(axis=0)`` of it gives them, given the values row by row within each column:
    numpy adds the rows of two or more columns one after the other, as bincount adds its
    weights (the zeros add nothing), but the rows of one column in partial sums."""
    if n_cols > 1:
        return np.bincount(col, weights=values, minlength=n_cols)
    whole = np.zeros(n_rows)
    whole[row[cell]] = values
    return whole.sum(keepdims=True)


def _counted(seen: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Per video (``[video, bin]`` arrays): whether seen, then whether past each level
    (drops, then rises, from the codes of :func:`_levels_passed`), ``[video, 1 + 2 *
    N_LEVELS, bin]`` as integers (whose sums are exact in any order). The levels are
    ascending, as :func:`_levels_passed` reads them."""
    j = np.arange(1, N_LEVELS + 1)[:, None]
    out = np.empty((len(seen), 1 + 2 * N_LEVELS, seen.shape[1]), dtype=np.int32)
    out[:, 0] = seen
    out[:, 1 : 1 + N_LEVELS] = code[:, None, :] <= -j
    out[:, 1 + N_LEVELS :] = code[:, None, :] >= j
    return out


def _levels_passed(z: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Per value of ``z``: how many levels it rises past less how many it drops past (as
    :func:`_counted`; int8). A value passes levels on one side only, and those below the
    highest it passes (the levels are positive and ascending)."""
    code = np.zeros(z.shape, dtype=np.int8)
    for lv in levels:
        code += z >= lv
        code -= z <= -lv
    return code


def _count_change(
    before: np.ndarray, after: np.ndarray, col: np.ndarray, n_cols: int
) -> np.ndarray:
    """Per column (0 to n_cols - 1) of values in column ``col``, given their codes of
    :func:`_levels_passed` ``before`` and ``after``: how many more values pass each level
    (drops, then rises, as :func:`_counted`) after than before, ``[level, column]``: whole
    numbers, read from the few values that changed."""
    changed = np.flatnonzero(before != after)
    before, after = before[changed], after[changed]
    j = np.arange(1, N_LEVELS + 1)[:, None]
    delta = np.concatenate(
        [(after <= -j).astype(int) - (before <= -j), (after >= j).astype(int) - (before >= j)]
    )
    where = np.arange(2 * N_LEVELS)[:, None] * n_cols + col[changed]
    size = 2 * N_LEVELS * n_cols
    return np.bincount(where.ravel(), weights=delta.ravel(), minlength=size).reshape(-1, n_cols)


def _bin_stats(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin (of ``sums[..., series, bin]``): -log of the smallest p-value of the tests
    (uncorrected) for drops and for rises, and the Stouffer z of drops."""
    n = sums[..., SEEN, :]
    stouffer = sums[..., STOUFFER, :] / np.sqrt(np.maximum(n, 1))
    out = []
    for j, p in enumerate((stats.norm.sf(stouffer), stats.norm.sf(-stouffer))):
        for i in range(3):
            past, expected = sums[..., PASSES + 3 * j + i, :], sums[..., EXPECTED + 3 * j + i, :]
            p = np.minimum(p, stats.poisson.sf(past - 1, expected))
        out.append(-np.log(np.maximum(np.where(n >= 2, p, 1.0), 1e-300)))
    return out[0], out[1], stouffer


def scan_pvalues(
    sums: ScanSums,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Per-bin (p-value corrected for every bin scanned, Stouffer z) of synchronized drops
    and of synchronized rises, from the panel's :class:`ScanSums`; z is negative for drops
    and positive for rises in both.

    The maximum of a bin's statistic over the bins is calibrated by the shifted panels
    (each block of videos shifted circularly in time: the videos' own behaviour is kept,
    their alignment broken, which is the null of independent videos), with a Gumbel law
    fitted to their maxima for p-values beyond their range.
    """
    sums = sums.sums
    down, up, stouffer = _bin_stats(sums[0])
    null_down, null_up, _ = _bin_stats(sums[1:])
    seen = sums[0, SEEN] >= 2
    return (
        (_gumbel_p(down, null_down.max(axis=1), seen), -stouffer),
        (_gumbel_p(up, null_up.max(axis=1), seen), -stouffer),
    )


def _gumbel_p(observed: np.ndarray, maxima: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """The chance that the null's maximum reaches ``observed``, from a Gumbel law fitted
    to the null ``maxima`` by moments (1 where fewer than two videos were seen)."""
    scale = max(float(np.std(maxima)) * math.sqrt(6) / math.pi, 1e-9)
    loc = float(np.mean(maxima)) - EULER_GAMMA * scale
    with np.errstate(over="ignore"):  # far below the null's maxima: exp -> inf, p -> 1
        p = -np.expm1(-np.exp(-(observed - loc) / scale))
    return np.where(seen, np.clip(p, 0.0, 1.0), 1.0)


def scan_panel(
    grid: Grid | ShardedGrid, z_alarm: float, **null: int
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The scan of a panel's grid: (p, z) of drops and of rises per bin; ``null`` is passed
    on to :func:`null_lags` (n_perm, seed, max_shift). A grid in parts gives each part's
    histograms, then sums, and adds them up (two passes over its parts)."""
    lags = null_lags(grid.axis, **null)
    shares = shared_share(grid.per_bin(slowdown_counts, lags))
    return scan_pvalues(grid.per_bin(scan_sums, shares, lags, z_alarm))


def significant_runs(p: np.ndarray, alpha: float) -> list[tuple[int, int]]:
    """Runs of consecutive bins with p <= alpha, as (first, last) bin."""
    hits = np.flatnonzero(p <= alpha)
    if not len(hits):
        return []
    breaks = np.flatnonzero(np.diff(hits) > 1)
    starts = np.r_[hits[0], hits[breaks + 1]]
    ends = np.r_[hits[breaks], hits[-1]]
    return list(zip(starts.tolist(), ends.tolist(), strict=True))
