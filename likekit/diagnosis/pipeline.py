"""Diagnose disappearing likes: find every drop in a creator's table and name its cause.

The detector works on snapshot-to-snapshot increments of each video (displayed counts read
at the middle of their display step). Each increment is compared with the video's local
trend (mean increment over half a day either side, outliers left out) and standardized by
its noise: the robust SD of the increments over a day either side (never below the Poisson
floor of integer counts: the mean absolute increment), combined with the display resolution.
The z-score is calibrated for the uncertainty of that noise estimate (Student t with the
degrees of freedom of a MAD). Thresholds come from error rates, not tuned constants:

* one video alone raises an alarm at the z-score whose normal tail, times the number of
  increments in a month, is ``false_alarms`` (expected false alarms per video-month);
* the panel is scanned bin by bin for synchronized drops, outages and catch-ups (see
  :mod:`likekit.diagnosis.scan`); a wave's p-value is calibrated for every bin and test
  scanned and must be below ``wave_alpha``;
* once a wave says *when*, each video is tested at that time alone at level ``video_alpha``.

A drop that a later jump of matching size brings back (at least half way) is a glitch; a
drop that stays is a purge; a count that stood still and then caught up is a (freeze)
glitch; snapshots missing on many videos at once are an outage; glitches of a video at most
a day apart are one episode; likes at zero (or missing while views go on) after having been
positive are a status change; a significant fall of the purge- and glitch-corrected level
after its peak is a trend decline, described lazily by :func:`likekit.fit_decay`.

The stages, in order, each given the run's one :class:`~likekit.diagnosis.options.Options`:

======================  ============================================================
stage                   module
======================  ============================================================
status, data quality    :mod:`likekit.diagnosis.single` (``video_status``, ``status_events``)
increments              :mod:`likekit.diagnosis.increments`
single-video events     :mod:`likekit.diagnosis.single`
evidence of removal     :mod:`likekit.diagnosis.removal`
creator-wide waves      :mod:`likekit.diagnosis.scan`, :mod:`likekit.diagnosis.rhythm`,
                        :mod:`likekit.diagnosis.waves`
flicker episodes        :mod:`likekit.diagnosis.flicker`
trend declines          :mod:`likekit.diagnosis.single`
result                  :mod:`likekit.diagnosis.result`, :mod:`likekit.diagnosis.accounting`
======================  ============================================================

Every stage but the wave scan reads one video at a time: they run on chunks of whole videos
(:func:`videos_alone` before the scan, :func:`after_waves` after it; see
:mod:`likekit.diagnosis.stream`), so that memory holds one chunk's working set at a time. The
scan adds up each chunk's sums too (:func:`scan_in_chunks`) while the chunks' increments
wait on disk, and the waves are read on one grid of the panel
(:class:`~likekit.diagnosis.grid.GridStack`): peak memory is the table, that grid and one
chunk's working set. The chunks before and after the scan are shared between this process
and a helper process, on two cores (:mod:`likekit.diagnosis.helper`; same results, taken
in chunk order); the scan and the reader, whose memory peaks (the panel's grid), run here
alone, so that the helper's memory (an interpreter and one chunk's working set) never
lands on top of that peak (the scan's shifted panels take both cores as threads of this
process, each with a few arrays of one chunk: :func:`~likekit.diagnosis.scan.scan_sums`).
A Dask DataFrame runs the same stages on its partitions
(:mod:`likekit.diagnosis.distributed`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from likekit.data import load_counts
from likekit.diagnosis.flicker import falls, flickers, merge_glitches
from likekit.diagnosis.grid import (
    BinAxis,
    Grid,
    GridStack,
    ShardedGrid,
    narrowable,
    readable,
)
from likekit.diagnosis.helper import helper_if, on_two_cores
from likekit.diagnosis.increments import blank_mask, increments, status_mask
from likekit.diagnosis.options import Options
from likekit.diagnosis.removal import fell, partly_recovered, spread_losses
from likekit.diagnosis.result import Diagnosis
from likekit.diagnosis.scan import scan_panel
from likekit.diagnosis.single import (
    single_video_events,
    status_events,
    trend_declines,
    video_status,
)
from likekit.diagnosis.stream import (
    CHUNK_ROWS,
    KEPT,
    Measured,
    Spill,
    by_chunk,
    median_of_counts,
    read_frame,
    release_memory,
    video_chunks,
    write_frame,
)
from likekit.diagnosis.waves import WaveReader, missing_outages
from likekit.distributed import is_dask_frame
from likekit.schema import Event, Wave, events_frame, waves_frame


def diagnose(
    counts: Any,
    *,
    false_alarms: float = 0.01,
    wave_alpha: float = 0.01,
    video_alpha: float = 0.05,
    panel: str | None = None,
    progress: bool | None = None,
) -> Diagnosis:
    """Find every drop in a creator's like counts and attribute it to its cause.

    Parameters
    ----------
    counts : DataFrame, str, Path or dask.dataframe.DataFrame
        A like-count table in the data contract (anything :func:`likekit.load_counts`
        reads); never modified. A Dask DataFrame is diagnosed where its partitions are, on
        the active ``dask.distributed`` client or Dask's local scheduler
        (:mod:`likekit.diagnosis.distributed`; ``pip install likekit[dask]``), with the same
        result.
    false_alarms : float
        Expected false single-video events per video-month of healthy data; sets the
        single-video alarm level (about 4.2 sigma for hourly snapshots).
    wave_alpha : float
        Chance that a panel without any wave shows one (p-values are corrected for every
        window scanned).
    video_alpha : float
        Once a wave is found, the level at which each video is tested at the wave time (the
        rate at which a video the wave did not touch is called hit).
    panel : str, optional
        A column splitting the table into panels (e.g. "creator_id"): each panel's videos
        are diagnosed together, waves are scanned within a panel, and events, waves and
        videos carry the column (:mod:`likekit.diagnosis.panels`). None: one panel.
    progress : bool, optional
        Show a progress bar; by default when the table is large enough to be worked through
        in several chunks of videos (or panels). A Dask run shows one bar per stage unless
        False.

    Returns
    -------
    Diagnosis

    Raises
    ------
    LikekitInputError
        When the table breaks the data contract or an option is not a rate in (0, 1).

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
    options = Options.checked(
        false_alarms=false_alarms, wave_alpha=wave_alpha, video_alpha=video_alpha
    )
    if is_dask_frame(counts):
        from likekit.diagnosis.distributed import diagnose_dask, diagnose_dask_panels

        if panel is not None:
            return diagnose_dask_panels(counts, panel, options, progress=progress is not False)
        return diagnose_dask(counts, options, progress=progress is not False)
    if panel is not None:
        from likekit.diagnosis.panels import diagnose_panels

        rates = dict(false_alarms=false_alarms, wave_alpha=wave_alpha, video_alpha=video_alpha)
        return diagnose_panels(counts, panel, diagnose, progress=progress, **rates)
    table = load_counts(counts)
    release_memory()  # the loader's working set
    options = options.for_table(table)
    chunks = list(video_chunks(table, CHUNK_ROWS))
    show = len(chunks) >= 2 if progress is None else progress
    # one step per chunk before the wave scan, the scan, one step per chunk after it
    bar = tqdm(total=2 * len(chunks) + 1, desc="diagnose", unit="step", disable=not show)
    # each chunk's increments wait on disk while the scan reads the whole panel
    two = len(chunks) >= 2  # work on two cores (:mod:`likekit.diagnosis.helper`)
    with bar, Spill(in_memory=not two) as spill:
        calls = [(c, options, p) for c, p in zip(chunks, spill.reserve(len(chunks)), strict=True)]
        del chunks
        with helper_if(two) as helper:
            alone = on_two_cores(helper, _alone_aside, calls, bar.update)
        del calls
        alone, status, single = zip(*alone, strict=True)
        alone = [_set_aside(a, spill, k) for k, a in enumerate(alone)]
        videos = pd.concat([a.videos for a in alone])
        options = replace(options, step_h=median_of_counts([a.step_h for a in alone], 1.0))
        single = pd.concat([*status, *single], ignore_index=True)  # status events first
        del status
        zero, blank = (np.concatenate([getattr(a, k) for a in alone]) for k in ("zero", "blank"))
        axis = BinAxis.covering([a.scan_steps for a in alone], [a.span for a in alone])
        ids, scanned = [a.videos.index for a in alone], [a.scanned for a in alone]
        # the panel's grid in 32 bits where every chunk's is (grid.exact_in_32_bits)
        narrow = frozenset.intersection(*(a.narrow for a in alone))
        n_incs = sum(a.n_incs for a in alone)
        del alone
        release_memory()
        bar.set_postfix_str("wave scan")
        scan, grid = scan_in_chunks(spill, axis, scanned, n_incs, narrow, options.z_alarm)
        read = WaveReader(grid, single, options=options, scan=scan).read()
        del grid, scan
        release_memory()  # the scan's working set
        bar.update()
        bar.set_postfix_str("")
        # (the helper starts up while the outages are found)
        with helper_if(two) as helper:
            first_wave = len(read[0]) + 1
            gone = missing_outages(table, blank & ~zero, first_wave=first_wave, options=options)
            events, waves = with_waves(single, read, gone)
            calls = [(spill.source(k), e, options) for k, e in enumerate(by_chunk(events, ids))]
            done = on_two_cores(helper, _after_waves_of, calls, bar.update)
    events, waves = in_time_order(done, waves)
    return Diagnosis(
        table, events, waves, videos, lambda: increments_of(table, options), options=options
    )


def _alone_aside(
    chunk: pd.DataFrame, options: Options, path: Path | None
) -> tuple[Alone, pd.DataFrame, pd.DataFrame]:
    """:func:`videos_alone` of a chunk, its increments written to ``path`` (None: kept),
    its status and single-video events as tables (built where the chunk was worked on:
    tens of thousands of events at 5,000 videos) in their place."""
    alone = videos_alone(chunk, options=options)
    status, single = events_frame(alone.status), events_frame(alone.single)
    alone = replace(alone, status=[], single=[])
    if path is None:
        return alone, status, single
    write_frame(path, alone.inc)
    return replace(alone, inc=None), status, single


def _set_aside(alone: Alone, spill: Spill, k: int) -> Alone:
    if alone.inc is not None:  # kept in memory
        spill.fill(k, alone.inc)
    return replace(alone, inc=None)


def _after_waves_of(
    inc: Path | pd.DataFrame, events: pd.DataFrame, options: Options
) -> pd.DataFrame:
    """:func:`after_waves` of the increments :func:`~likekit.diagnosis.stream.read_frame`
    reads from ``inc``."""
    return after_waves(read_frame(inc), events, options=options)


def scan_in_chunks(
    spill: Spill,
    axis: BinAxis,
    videos: list[np.ndarray],
    n_incs: int,
    narrow: frozenset[str],
    z_alarm: float,
) -> tuple[tuple | None, Grid]:
    """The wave scan of a panel whose increments ``spill`` holds a chunk of videos at a
    time (``videos``: each chunk's videos with increments; ``n_incs``: the increments of
    all; ``narrow``: what their grids hold in 32 bits, :func:`~likekit.diagnosis.grid.
    narrowable`), and the panel's grid for the reader: the scan reads the chunks' grids as
    the parts of one grid (:class:`~likekit.diagnosis.grid.ShardedGrid`: the Dask path's
    scan, on partitions), the reader one grid of the panel stacked from them as they are
    built (:class:`_Chunks`). The scan is None where the reader reads nothing (no bins,
    fewer than two videos)."""
    chunks = _Chunks(spill, GridStack(axis, videos, n_incs, narrow=narrow))
    whole = ShardedGrid(axis, videos, chunks)
    scan = scan_panel(whole, z_alarm) if readable(axis, len(whole.videos)) else None
    return scan, chunks.grid()


class _Chunks:
    """The chunks' grids as the parts of a :class:`~likekit.diagnosis.grid.ShardedGrid`
    (:data:`~likekit.diagnosis.grid.Each`), one at a time. Each chunk's grid is built from
    its increments once, on the first pass over the parts (the scan makes two), and goes
    into the panel's grid for the reader (``stack``); later passes read it back from
    there, with the two matrices only the scan reads (``expected``, ``noise``), which wait
    in the spill meanwhile."""

    def __init__(self, spill: Spill, stack: GridStack):
        self.spill, self.stack = spill, stack
        self.passes = 0

    def __call__(self, fn, args: tuple, splits: list[tuple], add: bool):
        for k, split in enumerate(splits):
            if self.passes == 0:
                grid = self.stack.add(self.spill.get(k))
                self.spill.put_arrays(f"scan-{k}", grid.expected, grid.noise)
            else:
                grid = self.stack.part(k, *self.spill.get_arrays(f"scan-{k}"))
            yield k, fn(grid, *args, *split)
        self.passes += 1

    def grid(self) -> Grid:
        """The panel's grid (the chunks' grids stacked)."""
        if not self.passes:  # the scan read nothing
            for _ in self(lambda grid: None, (), [()] * len(self.spill), True):
                pass
        return self.stack.grid()


@dataclass(frozen=True)
class Alone(Measured):
    """What one chunk of videos shows on its own (:func:`videos_alone`)."""

    videos: pd.DataFrame  # video_status
    zero: np.ndarray  # per row of the chunk: under a status change
    blank: np.ndarray  # per row: no value at all
    status: list[Event]
    single: list[Event]
    inc: pd.DataFrame | None  # the increments the later stages read (KEPT columns)
    step_h: pd.Series  # how many increments have each median snapshot interval
    scan_steps: pd.Series  # ... of those in ``inc`` (the scan's time axis is their median)
    span: tuple | None  # the first and last time an increment in ``inc`` ends (None: none)
    scanned: np.ndarray  # the videos with increments in ``inc``, sorted (a grid's rows)
    n_incs: int  # the increments in ``inc``
    narrow: frozenset[str]  # what a grid of ``inc`` holds in 32 bits (grid.narrowable)


def videos_alone(chunk: pd.DataFrame, *, options: Options) -> Alone:
    """The per-video stages on a table of whole videos: status, increments, single events."""
    videos, zero, removed, blank, inc, step_h = _usable_increments(chunk, options)
    status = status_events(chunk, zero, removed, blank)
    single = single_video_events(inc, options=options)
    stamps = inc["timestamp"]
    span = (stamps.min(), stamps.max()) if len(stamps) else None
    scan_steps = inc["step_h"].value_counts()
    scanned = np.sort(np.asarray(inc["video_id"].unique(), dtype=object))
    kept = inc[list(KEPT)]
    return Alone(
        videos,
        zero,
        blank,
        status,
        single,
        kept,
        step_h,
        scan_steps,
        span,
        scanned,
        len(kept),
        narrowable(kept),
    )


def _usable_increments(chunk: pd.DataFrame, options: Options):
    """Video status, the status and blank masks, and the increments of the videos that have
    enough snapshots (likes under a status change left out), with ``fell``."""
    videos = video_status(chunk)
    # a fall to zero from L likes is beyond Poisson counting noise at the alarm level when
    # sqrt(L) >= z_alarm
    zero, removed = status_mask(chunk, min_level=options.z_alarm**2)
    blank = blank_mask(chunk)
    usable = videos.index[~videos["status"].isin(["all_missing", "one_snapshot"])]
    work = chunk.assign(likes=chunk["likes"].mask(zero))
    inc = increments(work.loc[work["video_id"].isin(usable)])
    step_h = inc["step_h"].value_counts()
    inc = inc.loc[np.isfinite(inc["z"])]
    inc = inc.assign(fell=fell(inc, options.z_video))
    return videos, zero, removed, blank, inc, step_h


def increments_of(table: pd.DataFrame, options: Options) -> pd.DataFrame:
    """Every column of the increments :func:`diagnose` worked on (``Diagnosis.increments``)."""
    parts = [_usable_increments(c, options)[4] for c in video_chunks(table, CHUNK_ROWS)]
    return pd.concat(parts, ignore_index=True)


def after_waves(inc: pd.DataFrame, events: pd.DataFrame, *, options: Options) -> pd.DataFrame:
    """The per-video stages once the waves are known, on whole videos: losses spread over
    snapshots, flicker episodes, glitches merged, trend declines."""
    events = spread_losses(events, inc, options.z_video)
    found = falls(inc, options=options)  # read by both flicker stages
    flicker = events_frame(flickers(inc, found, options=options))
    events = pd.concat([events, flicker], ignore_index=True)
    events = merge_glitches(events, inc, found, options=options)
    hidden = events_frame(partly_recovered(events, inc, options.z_alarm))
    events = pd.concat([events, hidden], ignore_index=True)
    declines = events_frame(trend_declines(inc, events, options=options))
    return pd.concat([events, declines], ignore_index=True)


def with_waves(
    single: pd.DataFrame,
    read: tuple[list[Wave], list[Event], np.ndarray],
    missing: tuple[list[Wave], list[Event]],
) -> tuple[pd.DataFrame, list[Wave]]:
    """The events and waves once the wave scan is read (``read``: what
    :meth:`WaveReader.read` returns): the single-video events tagged with their wave, the
    faint members, and the outages of missing snapshots (``missing``: what
    :func:`~likekit.diagnosis.waves.missing_outages` finds, numbered after the scan's)."""
    waves, faint, single_wave = read
    more_waves, gone = missing
    single["wave"] = pd.array(single_wave, dtype="Int64")
    return pd.concat([single, events_frame(faint + gone)], ignore_index=True), waves + more_waves


def in_time_order(
    parts: list[pd.DataFrame], waves: list[Wave]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events of every chunk of videos sorted by video and start, the waves sorted by
    time and numbered 1, 2, ... in that order (the events' wave numbers follow)."""
    events = pd.concat(parts, ignore_index=True)
    events = events.sort_values(["video_id", "start"], ignore_index=True)
    waves = waves_frame(waves).sort_values(["time", "wave"], kind="stable", ignore_index=True)
    number = dict(zip(waves["wave"], range(1, len(waves) + 1), strict=True))
    waves["wave"] = np.arange(1, len(waves) + 1, dtype=np.int64)
    events["wave"] = events["wave"].map(number, na_action="ignore").astype("Int64")
    return events, waves
