"""The panel on one time grid: dense video x bin matrices of a panel's increments, and the
per-video sums over bins that the wave reader (:mod:`likekit.diagnosis.waves`) and the
evidence of removal (:mod:`likekit.diagnosis.removal`) ask of it.

A large panel is built a chunk of videos at a time (:class:`GridStack`), each chunk's grid
once: the scan reads each chunk's dense matrices, the reader one grid of the whole panel
holding only what it reads.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from likekit.diagnosis.stream import Measured, median_of_counts


@dataclass(frozen=True)
class BinAxis:
    """The panel's time grid: bin ``k`` is ``t0 + k * step``. One axis for the whole panel,
    so that the grids of disjoint sets of its videos line up."""

    t0: pd.Timestamp | None
    step: pd.Timedelta | None
    n_bins: int

    @classmethod
    def of(cls, inc: pd.DataFrame) -> BinAxis:
        """The grid of a panel's increments: from its first increment, at the median of
        its videos' snapshot steps."""
        if not len(inc):
            return cls(None, None, 0)
        step = pd.Timedelta(hours=float(np.nanmedian(inc["step_h"])))
        t0 = inc["timestamp"].min()
        return cls(t0, step, int(round((inc["timestamp"].max() - t0) / step)) + 1)

    def to_bin(self, times: pd.Series) -> np.ndarray:
        if self.t0 is None or not len(times):
            return np.zeros(len(times), dtype=int)
        return np.rint(((times - self.t0) / self.step).to_numpy(dtype=float)).astype(int)

    @classmethod
    def covering(cls, steps: list[pd.Series], spans: list[tuple]) -> BinAxis:
        """The axis :meth:`of` gives on the increments of several sets of videos at once,
        from each set's value counts of ``step_h`` and (first, last) increment time
        (None for a set without increments)."""
        spans = [s for s in spans if s is not None]
        if not spans:
            return cls(None, None, 0)
        step = pd.Timedelta(hours=median_of_counts(steps, np.nan))
        t0, last = min(a for a, _ in spans), max(b for _, b in spans)
        return cls(t0, step, int(round((last - t0) / step)) + 1)

    @cached_property
    def times(self) -> pd.DatetimeIndex | None:
        """The bins' times (built once: every grid on the axis reads them)."""
        if not self.n_bins:
            return None
        return pd.DatetimeIndex([self.t0 + k * self.step for k in range(self.n_bins)])


#: Grid's readers, the methods the wave reader and the rules read a grid through, by name:
#: how a :class:`ShardedGrid` combines its parts' answers ("per_video": each part's rows
#: put in the panel's video order; "per_bin": added up) and how many of their last
#: arguments are per-video arrays (each part is given its own rows of them). A ShardedGrid
#: has every one of them (see :func:`_sharded`): a rule that reads a grid only through
#: them runs on a grid in parts (Dask partitions) as on a whole one.
READERS: dict[str, tuple[str, int]] = {}


def reader(combine: str, per_video_args: int = 0) -> Callable:
    """Register a :class:`Grid` method in :data:`READERS`."""

    def register(method: Callable) -> Callable:
        READERS[method.__name__] = (combine, per_video_args)
        return method

    return register


@dataclass(frozen=True, kw_only=True)
class Grid(Measured):
    """Dense video x bin matrices of excess increments, noise and z (0 where unobserved)."""

    videos: np.ndarray  # video ids, row order
    axis: BinAxis
    times: pd.DatetimeIndex  # bin times
    excess: np.ndarray
    noise2: np.ndarray
    z: np.ndarray
    seen: np.ndarray  # bool: the video has an increment ending in that bin
    stalled: np.ndarray  # bool: ... and its count did not move
    fell: np.ndarray  # bool: ... and its shown count fell beyond noise (see _removal)
    # the increment the video's local trend expects, and the detector's noise of the
    # increment (the z-score's unit): read by the scan only (None on a GridStack's grid)
    expected: np.ndarray | None
    noise: np.ndarray | None
    # per increment, sorted by the bin it ends in (so that a run of bins is a slice); None
    # on a grid only the scan reads (Grid.unsorted):
    row: np.ndarray | None  # its video row
    col: np.ndarray | None  # the bin it ends in
    start: np.ndarray | None  # the bin of the snapshot it starts from
    inc_excess: np.ndarray | None
    inc_noise2: np.ndarray | None
    inc_delta: np.ndarray | None
    inc_gap: np.ndarray | None
    inc_step: np.ndarray | None  # display step beyond exact counts: max(r, r_prev) - 1
    span: int  # the most bins an increment spans

    def _ending(self, b0: int, b1: int) -> slice:
        """The increments that end in bins b0..b1."""
        # bins as the column's own dtype: a Python int would make numpy cast all of col
        # (32-bit on a GridStack) to 64 bits on every call
        kind = self.col.dtype.type
        return slice(
            int(np.searchsorted(self.col, kind(b0), side="left")),
            int(np.searchsorted(self.col, kind(b1), side="right")),
        )

    @reader("per_video")
    def step(self, b0: int, b1: int) -> np.ndarray:
        """Per video: the largest display step (0 for exact counts) over bins b0..b1."""
        hit = self._ending(b0, b1)
        out = np.zeros(len(self.videos))
        np.maximum.at(out, self.row[hit], self.inc_step[hit])
        return out

    @reader("per_video")
    def rate(self, b0: int, b1: int) -> np.ndarray:
        """Per video: mean shown increment per snapshot step over the increments that end
        in bins b0..b1 (NaN where none)."""
        n = len(self.videos)
        if b1 < b0:
            return np.full(n, np.nan)
        hit = self._ending(b0, b1)
        total = np.bincount(self.row[hit], weights=self.inc_delta[hit], minlength=n)
        steps = np.bincount(self.row[hit], weights=self.inc_gap[hit], minlength=n)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(steps > 0, total / steps, np.nan)

    @reader("per_video")
    def window(self, b0: int, b1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per video: excess and noise variance summed over the increments that overlap
        bins b0..b1 (an increment across missing snapshots counts where it spans), and
        whether there is any."""
        near = self._ending(b0, b1 + self.span)
        row, start = self.row[near], self.start[near]
        hit = start < b1
        n = len(self.videos)
        ex = np.bincount(row[hit], weights=self.inc_excess[near][hit], minlength=n)
        n2 = np.bincount(row[hit], weights=self.inc_noise2[near][hit], minlength=n)
        return ex, n2, np.bincount(row[hit], minlength=n) > 0

    @reader("per_video")
    def stall_rate(self) -> np.ndarray:
        """Per video: the share of its bins seen in which its count stood still."""
        return self.stalled.sum(axis=1) / np.maximum(self.seen.sum(axis=1), 1)

    @reader("per_bin", per_video_args=1)
    def bin_sums(self, name: str, hit: np.ndarray) -> np.ndarray:
        """Per bin: the dense matrix ``name`` (e.g. "excess") summed over the videos ``hit``."""
        return getattr(self, name)[hit].sum(axis=0)

    @reader("per_bin", per_video_args=2)
    def still_sums(self, hit: np.ndarray, usual: np.ndarray) -> np.ndarray:
        """Per bin, over the videos ``hit`` seen there: how many stood still, and the sum
        and variance sum of their usual chances of standing still (``usual``, per video:
        :meth:`stall_rate`), ``[3, bin]``."""
        u = usual[hit][:, None] * self.seen[hit]
        return np.stack([self.stalled[hit].sum(axis=0), u.sum(axis=0), (u * (1 - u)).sum(axis=0)])

    @reader("per_bin", per_video_args=1)
    def day_loss(self, lo: int, hi: int, hit: np.ndarray) -> np.ndarray:
        """Over the increments of the videos ``hit`` that end in bins lo..hi: their shown
        loss per bin (hi - lo + 1 values), then the variance of their counting noise beyond
        the display rounding, then the sum over videos of the largest display rounding
        variance of each (a run of increments telescopes: the rounding counts at its ends)."""
        span = self._ending(lo, hi)
        row = self.row[span]
        mine = hit[row]
        per_bin = np.bincount(
            self.col[span][mine] - lo, weights=-self.inc_delta[span][mine], minlength=hi - lo + 1
        )
        r2 = (self.inc_step[span][mine].astype(float) + 1) ** 2  # float32 on a stack
        walk = np.maximum(self.inc_noise2[span][mine] - r2 / 6, 0).sum()
        ends = np.zeros(len(self.videos))
        np.maximum.at(ends, row[mine], r2 / 6)
        return np.r_[per_bin, walk, ends.sum()]

    @reader("per_bin")
    def shown_moves(self, lo: int, hi: int, sign: int) -> np.ndarray:
        """Over the increments of rounded counts that end in bins lo..hi: how many moved
        the shown count down (``sign`` 1; -1: up), and how many there were."""
        span = self._ending(lo, hi)
        rounded = self.inc_step[span] > 0
        moved = rounded & (-sign * self.inc_delta[span] > 0)
        return np.array([moved.sum(), rounded.sum()])

    def for_reader(self) -> Grid:
        """What the reader reads of this grid, as a :class:`GridStack` holds it: not the
        scan's matrices, bins and rows in 32 bits, the :data:`NARROW` columns in float32
        where every value is exact there (the same answers, ~30% less memory)."""
        narrow = exact_in_32_bits(self)
        per_inc = {
            k: getattr(self, k).astype(np.float32 if k in narrow else t, copy=False)
            for k, t in _PER_INC.items()
        }
        return replace(self, expected=None, noise=None, **per_inc)

    def per_video(self, fn: Callable, *args: Any, split: tuple = ()) -> Any:
        """``fn(self, *args, *split)``: a function of per-video results (an array, or a
        tuple of arrays, with one row per video); ``split``: per-video arrays it reads
        (a :class:`ShardedGrid` gives each part its own rows of them)."""
        return fn(self, *args, *split)

    def per_bin(self, fn: Callable, *args: Any, split: tuple = ()) -> Any:
        """``fn(self, *args, *split)``: a function of sums over videos (what disjoint sets
        of videos give adds up: a :class:`ShardedGrid` adds its parts' results)."""
        return fn(self, *args, *split)

    def prefetch(self, reads: list[tuple]) -> None:
        """A hint of what a rule is about to read (see :meth:`ShardedGrid.prefetch`): a
        whole grid answers each read at once, so there is nothing to do."""

    @classmethod
    def build(cls, inc: pd.DataFrame, axis: BinAxis | None = None) -> Grid:
        """The grid of ``inc``'s videos on ``axis`` (by default, ``inc``'s own)."""
        grid, per_inc = cls.unsorted(inc, BinAxis.of(inc) if axis is None else axis)
        by_col = np.argsort(per_inc["col"], kind="stable")
        return replace(grid, **{name: values[by_col] for name, values in per_inc.items()})

    @classmethod
    def unsorted(cls, inc: pd.DataFrame, axis: BinAxis) -> tuple[Grid, dict[str, np.ndarray]]:
        """The grid of ``inc``'s videos on ``axis`` without its per-increment arrays (None:
        a grid the scan reads, which reads only the dense matrices), and those arrays in
        ``inc``'s row order (:class:`GridStack` sorts a whole panel's by bin once)."""
        row, videos = video_rows(inc)
        col, start = axis.to_bin(inc["timestamp"]), axis.to_bin(inc["prev_timestamp"])
        n_bins = axis.n_bins
        shape = (len(videos), n_bins)
        cell = row * n_bins + col  # (row, col) in the flattened matrices

        def summed(values: pd.Series | None = None) -> np.ndarray:
            """Per video and bin: ``values`` summed over the increments that end there, in
            their order (as np.add.at would, faster), or how many end there."""
            weights = None if values is None else values.to_numpy(dtype=float)
            out = np.bincount(cell, weights=weights, minlength=shape[0] * n_bins).reshape(shape)
            return out if values is None else out.astype(float, copy=False)  # (int if empty)

        inc_excess = inc["excess"].to_numpy(dtype=float)
        # a video tested at a known time: its counting noise (see increments.increments)
        inc_noise2 = inc["count_var"].to_numpy(dtype=float)
        narrow = _narrow_values(inc)
        excess, noise2, seen = summed(inc["excess"]), summed(inc["count_var"]), summed()
        zsum, moved = summed(inc["z_scan"]), summed(inc["delta"].abs())
        expected, noise = summed(inc["delta"] - inc["excess"]), summed(inc["noise_det"])
        fell = np.zeros(shape, dtype=bool)
        if "fell" in inc:
            fell[row, col] = inc["fell"].to_numpy(dtype=bool)
        per_inc = {
            "row": row,
            "col": col,
            "start": start,
            "inc_excess": inc_excess,
            "inc_noise2": inc_noise2,
            **narrow,
        }
        grid = cls(
            videos=videos,
            axis=axis,
            times=axis.times,
            excess=excess,
            noise2=noise2,
            z=zsum,
            seen=seen > 0,
            stalled=(seen > 0) & (moved == 0),
            fell=fell,
            expected=expected,
            noise=noise,
            span=int((col - start).max()) if len(col) else 1,
            **dict.fromkeys(_PER_INC),
        )
        return grid, per_inc


def video_rows(inc: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each increment's video row on a grid of ``inc``, and the grid's videos (sorted)."""
    row, videos = pd.factorize(inc["video_id"], sort=True)  # np.unique sorts objects
    return row, np.asarray(videos, dtype=object)


def readable(axis: BinAxis, n_videos: int) -> bool:
    """Whether the wave scan and reader have a panel to read: some time bins and at least two
    videos (a wave is synchronized across videos)."""
    return axis.n_bins > 0 and n_videos >= 2


#: the dense matrices and per-increment arrays of a grid the reader reads (not the scan's
#: ``expected`` and ``noise``); bin and row numbers fit in 32 bits
_DENSE = {"excess": float, "noise2": float, "z": float, "seen": bool, "stalled": bool, "fell": bool}
_PER_INC = {
    "row": np.int32,
    "col": np.int32,
    "start": np.int32,
    "inc_excess": float,
    "inc_noise2": float,
    "inc_delta": float,
    "inc_gap": float,
    "inc_step": float,
}


#: per-increment columns the reader reads only through float64 sums and maxima (np.bincount
#: weights, np.maximum.at into float64): a stack holds them in 32 bits where every value is
#: exact there (whole likes, whole display steps, regular snapshot gaps), saving 4 bytes each
NARROW = ("inc_delta", "inc_gap", "inc_step")


def _narrow_values(inc: pd.DataFrame) -> dict[str, np.ndarray]:
    """The :data:`NARROW` columns of the grid of ``inc``, in ``inc``'s row order."""
    return {
        "inc_delta": inc["delta"].to_numpy(dtype=float),
        "inc_gap": inc["gap"].to_numpy(dtype=float),
        "inc_step": np.maximum(inc["resolution"], inc["prev_resolution"]).to_numpy(float) - 1,
    }


def _exact(columns: dict[str, np.ndarray]) -> set[str]:
    return {
        k for k, v in columns.items() if np.array_equal(v.astype(np.float32), v, equal_nan=True)
    }


def exact_in_32_bits(grid: Grid) -> set[str]:
    """Which of :data:`NARROW` hold only values float32 keeps exactly in ``grid``."""
    return _exact({k: getattr(grid, k) for k in NARROW})


def narrowable(inc: pd.DataFrame) -> frozenset[str]:
    """:func:`exact_in_32_bits` of the grid of ``inc``, read from the increments themselves
    (so that a :class:`GridStack` can be sized before any grid is built)."""
    return frozenset(_exact(_narrow_values(inc)))


class GridStack:
    """The grid of a panel built from the grids of disjoint sets of its videos (chunks or
    partitions, on the panel's one axis), filled into arrays sized for the whole panel up
    front: equal to :meth:`Grid.build` on all the increments at once, without the scan's
    matrices (``expected``, ``noise``: None), and never holding two copies of the panel.
    Until :meth:`grid` each set's own grid can be read back from it (:meth:`part`), so
    that a second pass over the sets needs no grid built again."""

    def __init__(
        self,
        axis: BinAxis,
        videos: list[np.ndarray],
        n_incs: int,
        *,
        narrow: set[str] | frozenset[str] = frozenset(),
    ):
        """``videos``: the video ids of each set; ``n_incs``: the increments of all.
        ``narrow``: the columns of :data:`NARROW` exact in 32 bits in every set
        (:func:`exact_in_32_bits`), held in float32."""
        self.axis = axis
        every = np.concatenate(videos) if videos else np.array([], dtype=object)
        self.videos = np.sort(every)  # the row order Grid.build gives
        shape = (len(self.videos), axis.n_bins)
        self.dense = {k: np.zeros(shape, dtype=t) for k, t in _DENSE.items()}
        dtypes = {k: np.float32 if k in narrow else t for k, t in _PER_INC.items()}
        self.per_inc = {k: np.zeros(n_incs, dtype=t) for k, t in dtypes.items()}
        # per set added: its rows in the panel, where its increments are, its span
        self.parts: list[tuple[np.ndarray, slice, int]] = []
        self.n_incs = self.span = 0

    def add(self, inc: pd.DataFrame) -> Grid:
        """Build the grid of one of the sets, from its increments ``inc``, into the stack:
        its rows of the dense matrices, its increments after those of the sets before it
        (in ``inc``'s order, rows its own, until :meth:`grid` sorts them all). Returns the
        set's grid for the scan (:meth:`Grid.unsorted`: without per-increment arrays)."""
        grid, per_inc = Grid.unsorted(inc, self.axis)
        rows = np.searchsorted(self.videos, grid.videos)
        for k in _DENSE:
            self.dense[k][rows] = getattr(grid, k)
        n = len(per_inc["row"])
        at = slice(self.n_incs, self.n_incs + n)
        for k in _PER_INC:
            self.per_inc[k][at] = per_inc[k]
        self.parts.append((rows, at, grid.span))
        self.n_incs += n
        if n:
            self.span = max(self.span, grid.span)
        return grid

    def part(self, k: int, expected: np.ndarray, noise: np.ndarray) -> Grid:
        """The grid of the ``k``-th set added, as :meth:`add` returned it, with the scan's
        matrices given."""
        rows, _, span = self.parts[k]
        return Grid(
            videos=self.videos[rows],
            axis=self.axis,
            times=self.axis.times,
            expected=expected,
            noise=noise,
            span=span,
            **{name: m[rows] for name, m in self.dense.items()},
            **dict.fromkeys(_PER_INC),
        )

    def grid(self) -> Grid:
        """The panel's grid (the stack is used up). Its increments are sorted by bin, then
        video: within a set they come in time order (a grid's sort by bin is stable)."""
        per_inc = self.per_inc
        row, col = per_inc["row"], per_inc["col"]
        for rows, at, _ in self.parts:
            row[at] = rows[row[at]]
        every = np.concatenate([rows for rows, _, _ in self.parts] or [np.zeros(0, int)])
        if np.all(np.diff(every) > 0):
            # sets in video order: the increments are in the order of the panel's table
            # (as Grid.build sorts them)
            order = np.argsort(col, kind="stable")
        else:
            order = np.lexsort((row, col))
        del row, col
        per_inc = {}
        for k in list(self.per_inc):  # one array re-ordered at a time
            per_inc[k] = self.per_inc.pop(k)[order]
        return Grid(
            videos=self.videos,
            axis=self.axis,
            times=self.axis.times,
            expected=None,
            noise=None,
            span=self.span if self.n_incs else 1,
            **self.dense,
            **per_inc,
        )


#: how the parts of a :class:`ShardedGrid` are reached: ``each(fn, args, splits, add)``
#: yields ``(k, fn(part_k, *args, *splits[k]))`` for every part k, here, one at a time in
#: part order (so that this process holds one part's result at a time, and sums come out
#: the same on every run). A part may itself hold several grids (:func:`in_turn`): ``add``
#: says how their results combine (added up, or per-video rows one after the other).
Each = Callable[[Callable, tuple, list[tuple], bool], Iterable[tuple[int, Any]]]

#: per-video answers a :class:`ShardedGrid` keeps (the reader asks for the same window of
#: bins several times in a row, and what it announces: :meth:`ShardedGrid.prefetch`): a few
#: dozen vectors of the panel's videos
CACHED = 32


class ShardedGrid:
    """The grid of a panel held in parts: the grids of disjoint sets of its videos on the
    panel's one axis, wherever they are (a Dask partition's stays on its worker). What the
    reader asks of the panel's grid is computed on every part, and only per-video values
    and per-bin sums come back: the dense matrices are read a window of bins at a time
    (``grid.excess[hit, b0:b1 + 1]``: one row per video), the increments only through the
    grid's methods, never whole."""

    def __init__(self, axis: BinAxis, videos: list[np.ndarray], each: Each):
        """``videos``: each part's video ids (sorted, as :meth:`Grid.build` gives them);
        ``each``: see :data:`Each`."""
        self.axis, self.times = axis, axis.times
        every = np.concatenate(videos) if videos else np.array([], dtype=object)
        self.videos = np.sort(every)
        self._rows = [np.searchsorted(self.videos, v) for v in videos]
        self._each = each
        self._cache: dict[tuple, Any] = {}

    def __getattr__(self, name: str) -> _Columns:
        # a dense matrix, read a window of bins at a time; made on each read, so that the
        # grid and its matrices hold no cycle (freed as soon as the last reference goes)
        if name in _DENSE:
            return _Columns(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _run(self, fn: Callable, args: tuple, split: tuple, add: bool):
        splits = [tuple(a[rows] for a in split) for rows in self._rows]
        return self._each(fn, args, splits, add)

    def per_video(self, fn: Callable, *args: Any, split: tuple = ()) -> Any:
        """As :meth:`Grid.per_video`: each part's rows put in the panel's video order. The
        last few answers that read no per-video array are kept (read-only)."""
        key = _cache_key(fn, args)
        if not split and key in self._cache:
            return self._cache[key]
        out = self._per_video(fn, args, split)
        if not split:
            self._keep(key, out)
        return out

    def prefetch(self, reads: list[tuple]) -> None:
        """Answer several per-video reads in one round over the parts, and keep the answers
        for when a rule reads them: ``reads`` are ``(reader, *args)`` (a per-video reader of
        :data:`READERS` without per-video arguments, its arguments as the rule passes them)
        or ``(matrix, bins)`` (a dense matrix such as "excess", a slice of bins). A hint: a
        read not announced costs a round of its own, one announced and not read a little
        work on each part."""
        calls, keys = [], set()
        for name, *args in reads:
            fn, args = (_columns, (name, *args)) if name in _DENSE else (getattr(Grid, name), args)
            key = _cache_key(fn, tuple(args))
            if key not in self._cache and key not in keys:
                calls.append((fn, tuple(args)))
                keys.add(key)
        if calls:
            for (fn, args), out in zip(calls, self._per_video(_many, (calls,), ()), strict=True):
                self._keep(_cache_key(fn, args), out)

    def _keep(self, key: tuple, out: Any) -> None:
        for array in out if isinstance(out, tuple) else (out,):
            array.flags.writeable = False
        self._cache[key] = out
        if len(self._cache) > CACHED:
            del self._cache[next(iter(self._cache))]

    def _per_video(self, fn: Callable, args: tuple, split: tuple) -> Any:
        out = None
        for k, values in self._run(fn, args, split, False):
            if out is None:
                out = _rows_of(values, len(self.videos))
            _put(out, values, self._rows[k])
        if out is None:  # no videos: what the reader asks of a panel it does not read
            return np.zeros(0)
        return out

    def per_bin(self, fn: Callable, *args: Any, split: tuple = ()) -> Any:
        """As :meth:`Grid.per_bin`: the parts' results added up as they come."""
        return added(values for _, values in self._run(fn, args, split, True))


def _cache_key(fn: Callable, args: tuple) -> tuple:
    """The key of a per-video read in :class:`ShardedGrid`'s cache: one for a read made and
    for the same read announced (:meth:`ShardedGrid.prefetch`), or the hint never hits."""
    return fn, repr(args)


def _rows_of(values: Any, n: int) -> Any:
    """Empty arrays like ``values`` (an array, or a tuple of them, nested) with ``n`` rows."""
    if isinstance(values, tuple):
        return tuple(_rows_of(v, n) for v in values)
    return np.empty((n, *values.shape[1:]), dtype=values.dtype)


def _put(out: Any, values: Any, rows: np.ndarray) -> None:
    """``values`` (as :func:`_rows_of`) put in ``out``'s ``rows``."""
    if isinstance(values, tuple):
        for whole, v in zip(out, values, strict=True):
            _put(whole, v, rows)
    else:
        out[rows] = values


def _many(grid: Grid, calls: list[tuple[Callable, tuple]]) -> tuple:
    """Several per-video reads of a grid (:meth:`ShardedGrid.prefetch`)."""
    return tuple(fn(grid, *args) for fn, args in calls)


def _sharded(name: str, combine: str, per_video_args: int) -> Callable:
    """The :class:`ShardedGrid` method of the :class:`Grid` reader ``name``
    (:data:`READERS`): computed on every part, the answers combined."""
    method = getattr(Grid, name)
    signature = inspect.signature(method)

    def sharded(self: ShardedGrid, *args: Any, **kwargs: Any) -> Any:
        given = signature.bind(self, *args, **kwargs).args[1:]
        cut = len(given) - per_video_args
        return getattr(self, combine)(method, *given[:cut], split=given[cut:])

    sharded.__name__ = sharded.__qualname__ = name
    sharded.__doc__ = f"As :meth:`Grid.{name}`, over the parts ({combine.replace('_', ' ')})."
    return sharded


for _name, (_combine, _n) in READERS.items():
    setattr(ShardedGrid, _name, _sharded(_name, _combine, _n))


def added(results: Iterable) -> Any:
    """Results added up (per-bin sums of disjoint sets of videos), one at a time."""
    total = 0
    for values in results:
        total = total + values
    return total


def in_turn(grids: list[Grid], fn: Callable, args: tuple, add: bool, *split: Any) -> Any:
    """``fn`` on several grids of a :class:`ShardedGrid`'s part (``split``: per-video arrays
    of their videos one after the other), combined: added up, or their rows one after
    the other (a tuple of arrays combines each)."""
    results, at = [], 0
    for grid in grids:
        n = len(grid.videos)
        results.append(fn(grid, *args, *(a[at : at + n] for a in split)))
        at += n
    return added(results) if add else _joined(results)


def _joined(results: list) -> Any:
    """Per-video results of several grids, their rows one after the other (a tuple of
    arrays, nested, joins each)."""
    if isinstance(results[0], tuple):
        return tuple(_joined(list(rows)) for rows in zip(*results, strict=True))
    return np.concatenate(results)


def _columns(grid: Grid, name: str, cols: slice | int) -> np.ndarray:
    return getattr(grid, name)[:, cols]


class _Columns:
    """A dense matrix of a :class:`ShardedGrid`, read a window of bins at a time:
    ``[rows, bins]`` with ``bins`` a slice or one bin."""

    def __init__(self, grid: ShardedGrid, name: str):
        self.grid, self.name = grid, name

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.grid.videos), self.grid.axis.n_bins

    def __getitem__(self, key: tuple) -> np.ndarray:
        rows, cols = key
        if not isinstance(cols, slice | int | np.integer):
            raise TypeError(f"{self.name} of a sharded grid is read by a slice of bins")
        return self.grid.per_video(_columns, self.name, cols)[rows]
