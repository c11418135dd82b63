"""Streaming a table through the per-video stages, a chunk of whole videos at a time.

Every stage of :func:`likekit.diagnose` but the creator-wide wave scan reads one video at a
time, so it can run on chunks of whole videos (:func:`video_chunks`) and hold only one
chunk's working set: peak memory grows with the chunk, not with the table. What the wave
scan and the later stages need of each chunk's increments is :data:`KEPT`; the panel's
typical snapshot interval is the median over every chunk's increments
(:func:`median_of_counts`). Each chunk's increments wait on disk (:class:`Spill`) while the
wave scan reads the panel. :func:`chunks_by_video` cuts a table in any row order
(:func:`likekit.fit_decay_many`). The Dask path (:mod:`likekit.diagnosis.distributed`) runs
the same stages on each partition of whole videos.
"""

from __future__ import annotations

import ctypes
import pickle
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

#: rows of whole videos a stage works on at a time, wherever it goes a chunk of videos at a
#: time: memory holds one chunk's working set (the increments' rolling windows, ~20 columns
#: per row; a decay fit's chunk; the old-app step's falls, a dozen columns per increment)
CHUNK_ROWS = 250_000

#: the increment columns the wave scan and the stages after it read (the rest, the local
#: noise over the previous day and the single-video z, are used up by then; walk_var is
#: the yardstick of a purge hidden under a glitch, read after the waves)
KEPT = (
    "video_id",
    "timestamp",
    "prev_timestamp",
    "likes",
    "prev_likes",
    "delta",
    "resolution",
    "prev_resolution",
    "step_h",
    "gap",
    "trend",
    "excess",
    "count_var",
    "noise_det",
    "walk_var",
    "z_scan",
    "fell",
)


def video_chunks(table: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    """Consecutive slices of ``table`` (sorted by video) of whole videos, each of about
    ``rows`` rows (one video longer than that is a chunk of its own); at least one, empty
    for an empty table."""
    # codes, not ids: an object array of every id would cost ~70 bytes a row
    codes, _ = pd.factorize(table["video_id"])
    for a, b in video_cuts(codes, rows):
        yield table.iloc[a:b]


def chunks_by_video(table: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of whole videos of a table in any row order (each video's rows kept in their
    order), each of about ``rows`` rows: the table itself when it is no larger. Rows
    without a video id go with the first chunk."""
    if len(table) <= rows:
        yield table
        return
    codes, _ = pd.factorize(table["video_id"])
    order = np.argsort(codes, kind="stable")
    for a, b in video_cuts(codes[order], rows):
        yield table.iloc[np.sort(order[a:b])]


def video_cuts(vid: np.ndarray, rows: int) -> list[tuple[int, int]]:
    """(first, end) positions of chunks of about ``rows`` rows of whole videos, in an
    array of video ids with each video's rows together; at least one."""
    starts = np.r_[0, np.flatnonzero(vid[1:] != vid[:-1]) + 1]
    # the first video starting at or after each multiple of ``rows`` opens a chunk
    first = np.searchsorted(starts, np.arange(0, max(len(vid), 1), max(rows, 1)))
    cuts = np.unique(starts[first[first < len(starts)]])
    return list(zip(cuts.tolist(), np.r_[cuts[1:], len(vid)].tolist(), strict=True))


def by_chunk(events: pd.DataFrame, chunks: list[pd.Index]) -> Iterator[pd.DataFrame]:
    """The events of each chunk of videos (``chunks``: each chunk's video ids)."""
    chunk_of = {v: k for k, ids in enumerate(chunks) for v in ids}
    codes = events["video_id"].map(chunk_of).to_numpy()
    for k in range(len(chunks)):
        yield events.loc[codes == k]


class Spill:
    """Frames set aside between stages, by number, and arrays, by name: on disk in a
    temporary directory (removed on exit) unless ``in_memory``. A chunk's increments wait
    there while the wave scan runs over the whole panel, so that memory holds one chunk's
    at a time, not the panel's."""

    def __init__(self, *, in_memory: bool = False):
        self.in_memory = in_memory
        self.frames: list[pd.DataFrame] = []
        # by name: the arrays in memory, or how many there are in their file on disk
        self.arrays: dict[str, tuple[np.ndarray, ...] | int] = {}
        self.n = 0

    def __enter__(self) -> Spill:
        if not self.in_memory:
            self._dir = tempfile.TemporaryDirectory(prefix="likekit-")
        return self

    def __exit__(self, *exc: object) -> None:
        self.frames.clear()
        self.arrays.clear()
        if not self.in_memory:
            self._dir.cleanup()

    def __len__(self) -> int:
        return self.n

    def _path(self, k: int) -> Path:
        return Path(self._dir.name) / f"{k}.pickle"

    def reserve(self, n: int) -> list[Path | None]:
        """Numbers ``len(self)`` .. ``len(self) + n - 1`` for the next ``n`` frames: on disk,
        the paths :func:`write_frame` fills (from any process); in memory, None for each,
        filled by :meth:`fill`."""
        first, self.n = self.n, self.n + n
        if self.in_memory:
            self.frames += [None] * n
            return [None] * n
        return [self._path(k) for k in range(first, self.n)]

    def fill(self, k: int, frame: pd.DataFrame) -> None:
        """Frame number ``k`` (reserved), kept in memory."""
        self.frames[k] = frame

    def source(self, k: int) -> Path | pd.DataFrame:
        """Where frame number ``k`` is: its file (which :func:`read_frame` reads in any
        process), or the frame itself in memory."""
        return self.frames[k] if self.in_memory else self._path(k)

    def get(self, k: int) -> pd.DataFrame:
        """Frame number ``k``, as it was put."""
        return read_frame(self.source(k))

    def put_arrays(self, name: str, *arrays: np.ndarray) -> None:
        """Arrays set aside under ``name`` (replacing what was there), for :meth:`get_arrays`."""
        if self.in_memory:
            self.arrays[name] = arrays
            return
        with open(Path(self._dir.name) / f"{name}.npy", "wb") as f:
            for array in arrays:
                np.save(f, array, allow_pickle=False)
        self.arrays[name] = len(arrays)

    def get_arrays(self, name: str) -> tuple[np.ndarray, ...]:
        """The arrays put under ``name``, as they were put."""
        if self.in_memory:
            return self.arrays[name]
        with open(Path(self._dir.name) / f"{name}.npy", "rb") as f:
            return tuple(np.load(f, allow_pickle=False) for _ in range(self.arrays[name]))


def write_frame(path: Path, frame: pd.DataFrame) -> None:
    """``frame`` to ``path``, pickled, so that every dtype comes back as it was (our own
    file, read back by this program only)."""
    with open(path, "wb") as f:
        pickle.dump(frame, f, protocol=pickle.HIGHEST_PROTOCOL)


def read_frame(source: Path | pd.DataFrame) -> pd.DataFrame:
    """The frame :func:`write_frame` wrote to ``source`` (a frame: itself)."""
    if isinstance(source, pd.DataFrame):
        return source
    with open(source, "rb") as f:
        return pickle.load(f)


def release_memory() -> None:
    """Hand memory freed by the finished stages back to the system (glibc and Arrow keep
    freed blocks otherwise, and the next stage's peak lands on top)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the allocator decides
        pass
    pa.default_memory_pool().release_unused()  # Arrow's own pool (the strings' buffers)


def median_of_counts(counts: list[pd.Series], default: float) -> float:
    """The median of values given as value counts (value -> how many), as ``np.median`` of
    the values themselves would give it; ``default`` when there are none."""
    total = pd.concat(counts).groupby(level=0).sum().sort_index() if counts else pd.Series()
    n = int(total.sum())
    if n == 0:
        return default
    upto = np.cumsum(total.to_numpy())
    values = total.index.to_numpy(dtype=float)
    low = values[np.searchsorted(upto, (n - 1) // 2, side="right")]
    high = values[np.searchsorted(upto, n // 2, side="right")]
    return float(np.mean([low, high]))


class Measured:
    """A dataclass whose ``sys.getsizeof`` is the memory its fields hold.

    Dask's memory manager measures the results a worker keeps by ``dask.sizeof``, which
    falls back to ``sys.getsizeof`` for a type it does not know: a partition's grid or its
    per-video results would count as a few bytes, the worker's memory would fill with data
    it cannot see (so never spills to disk) until its nanny kills it."""

    def __sizeof__(self) -> int:
        return held_bytes(*(getattr(self, f.name) for f in fields(self)))


def held_bytes(*values: Any) -> int:
    """The memory ``values`` hold: arrays and frames in full (their Python objects too),
    lists of small records shallowly."""
    total = 0
    for v in values:
        if isinstance(v, pd.DataFrame):
            total += int(v.memory_usage(index=True, deep=True).sum())
        elif isinstance(v, pd.Series | pd.Index):
            total += int(v.memory_usage(deep=True))
        elif isinstance(v, np.ndarray):
            total += v.nbytes + (sum(map(sys.getsizeof, v.flat)) if v.dtype == object else 0)
        elif isinstance(v, list | tuple):
            total += sys.getsizeof(v) + sum(map(sys.getsizeof, v))
        else:
            total += sys.getsizeof(v)
    return total
