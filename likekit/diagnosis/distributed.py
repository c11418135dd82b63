"""Diagnose a ``dask.dataframe.DataFrame``: the per-video stages run where the partitions are.

:func:`likekit.diagnose` hands a Dask DataFrame here (``pip install likekit[dask]``). It runs
on the active ``dask.distributed`` client, or on Dask's local scheduler when there is none,
and gives the same diagnosis as the pandas path on the same table:

1. partitions are made to hold whole videos (a shuffle on ``video_id`` when a video is
   spread over several), and each is read by :func:`likekit.load_counts` where it lies
   (again by each task that reads it: workers do not hold the tables);
2. the alarm level needs the panel's typical snapshot interval: each partition sends the
   counts of its intervals, whose median is the whole table's;
3. each partition runs the per-video stages (:func:`~likekit.diagnosis.pipeline.videos_alone`)
   and keeps its increments in the workers' memory, with what the outages read of its
   table (:class:`_Snapshots`);
4. the creator-wide wave scan is a reduction: each partition's grid of its videos on the
   panel's time axis, held on its worker, adds up the histograms of the shared slowdown,
   then the scan's per-bin sums (:mod:`likekit.diagnosis.scan`); the p-values come from the
   totals. Reading the waves it finds (which videos each hit) runs in this process on the
   partitions' grids as the parts of one (:class:`~likekit.diagnosis.grid.ShardedGrid`):
   what it asks of them comes back as per-bin sums and per-video values (a few bins of
   each video at most), never the grid or the increments. Each worker's grids are held
   together by a Dask actor (:meth:`~likekit.distributed.Runner.together`), so that a
   round of the scan or the reader is one direct call to each worker, and the reader
   announces what it is about to read
   (:meth:`~likekit.diagnosis.grid.ShardedGrid.prefetch`) so that several
   reads take one round. Outages seen as snapshots missing on many videos at once are a
   reduction too: each partition sends its per-bin counts of snapshots and of those
   without any value, and the videos of each significant run of bins
   (:func:`~likekit.diagnosis.waves.missing_outages`);
5. each partition runs the stages after the waves on its own videos and events
   (:func:`~likekit.diagnosis.pipeline.after_waves`).

Memory: a worker holds, per partition of ~1,000 videos x 30 days hourly, its per-video
results (~100 MB: the increments) and its grid (~57 MB while the scan reads it, ~45 MB for
the reader), plus one task's working set (~0.7 GB for such a partition). The per-video
results tell Dask their size (:class:`~likekit.diagnosis.stream.Measured`), so that a
worker whose partitions' results outgrow its memory limit spills the least recently used
to disk (Dask's ``distributed.worker.memory`` target and spill fractions) instead of being
killed. The grids stay in memory (an actor's state is never spilled: a grid a round reads
would otherwise be spilled and read back on every round when memory runs short): give the
workers the memory of their partitions' grids (~57 MB per 1,000 videos) beside one task's
working set.

The counts leave the workers only when :attr:`Diagnosis.counts` is first read (``losses()``,
``answer()`` and the figures read it). Each stage shows a progress bar; a run on a
distributed client prints the client's dashboard address first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

from likekit.data import load_counts
from likekit.diagnosis.grid import BinAxis, Grid, ShardedGrid, readable
from likekit.diagnosis.options import Options, snapshot_hours
from likekit.diagnosis.panels import RATES, check_column, combine, in_two_panels, panel_column
from likekit.diagnosis.pipeline import (
    Alone,
    after_waves,
    in_time_order,
    increments_of,
    videos_alone,
    with_waves,
)
from likekit.diagnosis.result import Diagnosis
from likekit.diagnosis.scan import scan_panel
from likekit.diagnosis.stream import Measured, by_chunk, median_of_counts
from likekit.diagnosis.waves import (
    WaveReader,
    missing_counts,
    missing_runs,
    missing_spans,
    missing_waves,
)
from likekit.distributed import Runner, whole_videos
from likekit.schema import events_frame


def diagnose_dask(
    frame: Any,
    options: Options,
    *,
    progress: bool = True,
    load_options: dict[str, Any] | None = None,
) -> Diagnosis:
    """:func:`likekit.diagnose` of a Dask DataFrame (see the module docstring);
    ``load_options`` go to :func:`likekit.load_counts` for each partition."""
    from dask import delayed

    run = Runner(progress)
    parts = whole_videos(frame, run, load_options or {})
    intervals = run.compute([delayed(_intervals)(p) for p in parts], "snapshot intervals")
    options = options.for_step(median_of_counts(intervals, default=1.0))
    # each partition's Alone and _Snapshots: its table is no longer held once they are
    alone = run.keep([delayed(_alone)(p, options) for p in parts], "per video")
    del parts
    small = run.compute([delayed(_small)(a) for a in alone], "per-video results")
    options = replace(options, step_h=median_of_counts([s["step_h"] for s in small], 1.0))
    videos = pd.concat([s["videos"] for s in small]).sort_index(kind="stable")
    single = _by_video(s["status"] for s in small) + _by_video(s["single"] for s in small)
    single = events_frame(single)
    axis = BinAxis.covering([s["scan_steps"] for s in small], [s["span"] for s in small])
    pairs = zip(alone, small, strict=True)
    with_inc = [(a, s["scanned"]) for a, s in pairs if s["span"] is not None]
    scan, grid = _scan(with_inc, axis, options, run)
    read = WaveReader(grid, single, options=options, scan=scan).read()
    del grid  # (the partitions' grids, on the workers)
    gone = _missing_outages(alone, len(videos), len(read[0]) + 1, options, run)
    events, waves = with_waves(single, read, gone)
    mine = by_chunk(events, [s["videos"].index for s in small])
    later = [delayed(_after)(a, ev, options) for a, ev in zip(alone, mine, strict=True)]
    events, waves = in_time_order(run.compute(later, "after waves"), waves)
    counts = _collected(frame, load_options)

    return Diagnosis(
        counts, events, waves, videos, lambda: increments_of(counts(), options), options=options
    )


def _collected(frame: Any, load_options: dict[str, Any] | None) -> Callable[[], pd.DataFrame]:
    """The whole table, collected on first use and read as the pandas path reads it (for
    Diagnosis.counts and what is computed from it)."""

    @cache
    def counts() -> pd.DataFrame:
        return load_counts(frame.compute().reset_index(drop=True), **(load_options or {}))

    return counts


def diagnose_dask_panels(
    frame: Any,
    panel: str,
    options: Options,
    *,
    progress: bool = True,
    load_options: dict[str, Any] | None = None,
) -> Diagnosis:
    """:func:`likekit.diagnose` of a Dask DataFrame with ``panel=``: the frame is shuffled
    on the panel column, so that each partition holds whole panels, and each panel is
    diagnosed where its partition is, as the pandas path diagnoses it
    (:func:`likekit.diagnosis.panels.diagnose_panels`): memory holds a partition's panels.
    Only the panels' events, waves and videos come back here."""
    from dask import delayed

    check_column(frame.columns, panel)
    run = Runner(progress)
    by_panel = frame.shuffle(panel).to_delayed()
    found = run.compute(
        [delayed(_panels)(p, panel, options, load_options or {}) for p in by_panel], "panels"
    )
    parts = sorted(chain.from_iterable(f["parts"] for f in found), key=lambda part: part[0])
    videos = pd.concat([d.videos for _, d in parts]).index if parts else pd.Index([])
    if videos.has_duplicates:  # one video in two panels, which went to two partitions
        raise in_two_panels(videos[videos.duplicated()][0], panel)
    counts = _collected(frame, load_options)

    def increments() -> pd.DataFrame:  # each panel's own, as the pandas path gives them
        by = counts().groupby(panel, sort=True, observed=True)
        each = {name: one.reset_index(drop=True) for name, one in by}
        return pd.concat([increments_of(each[n], d.options) for n, d in parts], ignore_index=True)

    step = median_of_counts([f["intervals"] for f in found], default=1.0)
    dtype = next((f["dtype"] for f in found if f["dtype"] is not None), frame[panel].dtype)
    return combine(counts, panel, parts, options.for_step(step), dtype=dtype, increments=increments)


@dataclass(frozen=True)
class _Panel:
    """What the diagnosis of one panel sends back (not its table)."""

    events: pd.DataFrame
    waves: pd.DataFrame
    videos: pd.DataFrame
    options: Options


def _panels(
    part: pd.DataFrame, panel: str, options: Options, load_options: dict[str, Any]
) -> dict[str, Any]:
    """Each panel of a partition (whole panels) diagnosed on its own, with the partition's
    snapshot intervals (value counts) and the panel column's dtype once loaded."""
    from likekit.diagnosis.pipeline import diagnose

    if not len(part):
        return {"parts": [], "intervals": pd.Series(), "dtype": None}
    table = load_counts(part, **load_options)
    rates = {k: getattr(options, k) for k in RATES}
    parts = []
    for name, one in table.groupby(panel_column(table, panel), sort=True, observed=True):
        d = diagnose(one.reset_index(drop=True), progress=False, **rates)
        parts.append((name, _Panel(d.events, d.waves, d.videos, d.options)))
    return {"parts": parts, "intervals": _intervals(table), "dtype": table[panel].dtype}


def _intervals(table: pd.DataFrame) -> pd.Series:
    """Hours between consecutive snapshots of a video, as value counts (the table's typical
    interval is their median: :func:`likekit.diagnosis.options.typical_step_h`)."""
    return snapshot_hours(table).value_counts()


@dataclass(frozen=True)
class _Snapshots(Measured):
    """What the outages of missing snapshots read of a partition's table, not the table
    (:func:`~likekit.diagnosis.waves.missing_outages`, in its three steps)."""

    times: pd.DataFrame  # every snapshot's time ("timestamp")
    gone: np.ndarray  # per snapshot: without any value, outside a status change
    rows: pd.DataFrame  # those snapshots' "video_id" and "timestamp"

    @classmethod
    def of(cls, table: pd.DataFrame, a: Alone) -> _Snapshots:
        gone = a.blank & ~a.zero
        return cls(table[["timestamp"]].copy(), gone, table.loc[gone, ["video_id", "timestamp"]])

    def counts(self, t0: pd.Timestamp, step_h: float) -> np.ndarray:
        return missing_counts(self.times, self.gone, t0, step_h)

    def spans(self, t0: pd.Timestamp, step_h: float, runs: list) -> list[pd.DataFrame]:
        return missing_spans(self.rows, np.ones(len(self.rows), dtype=bool), t0, step_h, runs)


def _alone(table: pd.DataFrame, options: Options) -> tuple[Alone, _Snapshots]:
    """The per-video stages on a partition, and what the outages read of its table."""
    a = videos_alone(table, options=options)
    return a, _Snapshots.of(table, a)


def _small(kept: tuple[Alone, _Snapshots]) -> dict[str, Any]:
    """What the result and the wave scan's time axis need of a partition: its videos,
    events, snapshot steps, the span of its increments and the videos they are of (not
    the increments)."""
    keys = ("videos", "status", "single", "step_h", "scan_steps", "span", "scanned")
    return {k: getattr(kept[0], k) for k in keys}


def _scan(alone: list, axis: BinAxis, options: Options, run: Runner) -> tuple:
    """The wave scan's per-bin p-values (None where the reader reads nothing) and the
    panel's grid for the reader, in parts: each partition's grid stays on its worker, held
    with the others there (:meth:`~likekit.distributed.Runner.together`) as a part of one
    :class:`~likekit.diagnosis.grid.ShardedGrid`; the scan adds up the sums each part
    gives (:func:`~likekit.diagnosis.scan.scan_panel`, as the pandas path does on its
    chunks), the reader gets per-video values and per-bin sums of them."""
    from dask import delayed

    grids = run.keep([delayed(_grid)(a, axis) for a, _ in alone], "wave scan grids")
    held, members = run.together(grids)
    del grids
    videos = [np.concatenate([alone[k][1] for k in ks]) for ks in members]
    scan = None
    if readable(axis, sum(len(v) for v in videos)):
        scan = scan_panel(ShardedGrid(axis, videos, run.parts(held, "wave scan")), options.z_alarm)
    run.update(held, Grid.for_reader)  # the scan's matrices are read
    return scan, ShardedGrid(axis, videos, run.parts(held, "wave reader"))


def _grid(kept: tuple[Alone, _Snapshots], axis: BinAxis) -> Grid:
    """A partition's grid as the reader reads it (:meth:`Grid.for_reader`: less memory),
    with the scan's matrices until the scan has read them."""
    grid = Grid.build(kept[0].inc, axis)
    return replace(grid.for_reader(), expected=grid.expected, noise=grid.noise)


def _missing_outages(
    kept: list, n_videos: int, first_wave: int, options: Options, run: Runner
) -> tuple[list, list]:
    """:func:`~likekit.diagnosis.waves.missing_outages` of the whole table from each
    partition's per-bin counts (``kept``: each partition's :class:`_Snapshots`, second),
    and where a run of bins is significant, its videos in it: no row of the table comes
    here."""
    from dask import delayed

    t0 = min(run.compute([delayed(_first_time)(k) for k in kept], "first snapshot"))
    step_h = options.step_h
    counts = run.compute([delayed(_counts)(k, t0, step_h) for k in kept], "missing snapshots")
    total = np.zeros((2, max(c.shape[1] for c in counts)), dtype=np.int64)
    for c in counts:
        total[:, : c.shape[1]] += c
    runs = missing_runs(total, n_videos, options)
    found = []
    if runs:
        found = run.compute([delayed(_spans)(k, t0, step_h, runs) for k in kept], "outages")
    # per run, each partition's videos (whole videos: none in two), in video order
    spans = [
        pd.concat([f for f in each if len(f)]).sort_index() for each in zip(*found, strict=True)
    ]
    return missing_waves(runs, spans, first_wave)


def _first_time(kept: tuple[Alone, _Snapshots]) -> pd.Timestamp:
    return kept[1].times["timestamp"].min()


def _counts(kept: tuple[Alone, _Snapshots], t0: pd.Timestamp, step_h: float) -> np.ndarray:
    return kept[1].counts(t0, step_h)


def _spans(
    kept: tuple[Alone, _Snapshots], t0: pd.Timestamp, step_h: float, runs: list
) -> list[pd.DataFrame]:
    return kept[1].spans(t0, step_h, runs)


def _after(kept: tuple[Alone, _Snapshots], events: pd.DataFrame, options: Options) -> pd.DataFrame:
    return after_waves(kept[0].inc, events, options=options)


def _by_video(lists) -> list:
    """Events of every partition, in video order (each video's own order kept)."""
    return sorted(chain.from_iterable(lists), key=lambda e: e.video_id)
