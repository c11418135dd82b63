"""Loader speed: load_counts on display strings vs plain pandas readers of the same rows.

CSV: 1,000,000 rows, against ``pandas.read_csv`` of the same table with numeric counts (the
floor of reading the bytes, without parsing displays, normalising times, sorting or
validating). Excel: 100,000 rows in an ``.xlsx`` (Excel date cells, display strings), against
``pandas.read_excel`` with the fastest engine installed; openpyxl, the other engine pandas
offers, is timed once beside it (the reason likekit reads workbooks with calamine).

The CSV goal is judged on medians of interleaved turns. The three readers are timed in turns
(baseline, display strings, exact counts, again, 100 times after a warm-up round), so that
the load of a shared machine, which drifts over minutes, falls alike on all three; the judged
ratio is the median of our times over the median of the baseline's. Both sides are measured
alike: one process, the same files, the same turns, the same number of runs and the same
statistic; neither side is given its luckiest run.

Until session 9 the judged figure was each reader's best of 25 turns. A minimum is the luckiest
run of all, the edge of the distribution's tail rather than its centre, and a ~55 ms read has a
short tail that one lucky run decides: on an idle machine the baseline's best moved from 0.054
to 0.064 s between batches of the same code (ours 0.105-0.128), giving ratios from 1.75x to
2.37x. Measured in session 9 on this machine's shared cores, in batches of 25 turns of the same
code (session 8's loader): under a load of 4-8, the ratio of bests ranged 1.17x-2.57x (sd 0.24
over 24 batches) and the ratio of medians 1.39x-1.93x (sd 0.13); with the timing process
scheduled ahead of the other work (SCHED_FIFO: close to an idle machine) the two were alike,
bests 1.66x-1.93x (sd 0.067 over 16 batches), medians 1.84x-2.04x (sd 0.062), the medians no
lower than the bests. So the median steadies the figure where the load moves, and flatters
neither side where it does not. What it cannot remove is the machine's own state: from one
minute to the next our time moved by ~17% and the baseline's by ~7% with the other processes
held off, whichever the statistic. The old best-of ratio is still printed, not judged, and so
are the lowest and highest ratio of each statistic over batches of 25 turns: how much one run's
figure moves.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import likekit as lk
from benchmarks.harness import Row, best_of

#: rounds of the CSV readers timed in turns, and the batches whose spread is shown
TURNS = 100
BATCH = 25


def _table(n_rows: int) -> pd.DataFrame:
    """Hourly snapshots of videos over 30 days, likes shown as the app shows them."""
    rng = np.random.default_rng(0)
    n_videos = max(n_rows // 720, 1)
    steps = n_rows // n_videos
    video = np.repeat([f"v{i:05d}" for i in range(n_videos)], steps)
    times = pd.date_range("2026-01-05", periods=steps, freq="h", tz="UTC")
    # a cumulative like count per video, across the range the app shows as 999 ... 12.3M
    scale = rng.lognormal(8, 2, n_videos)
    likes = np.cumsum(rng.poisson(1.0, (n_videos, steps)), axis=1) * scale[:, None] / steps
    likes = likes.astype(np.int64).ravel()
    values, inverse = np.unique(likes, return_inverse=True)
    shown = np.array([lk.format_count(v) for v in values])[inverse]
    return pd.DataFrame(
        {"video_id": video, "timestamp": np.tile(times, n_videos), "likes": likes, "shown": shown}
    )


def _write_csvs(folder: Path, table: pd.DataFrame) -> tuple[Path, Path]:
    stamps = table["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    display_csv, numeric_csv = folder / "display.csv", folder / "numeric.csv"
    out = table.assign(timestamp=stamps)
    out[["video_id", "timestamp", "shown"]].rename(columns={"shown": "likes"}).to_csv(
        display_csv, index=False
    )
    out[["video_id", "timestamp", "likes"]].to_csv(numeric_csv, index=False)
    return display_csv, numeric_csv


def _write_xlsx(path: Path, table: pd.DataFrame) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)  # streams rows: a 100,000-row sheet in seconds
    sheet = book.create_sheet("counts")
    sheet.append(["Video", "Date", "Likes"])
    naive = table["timestamp"].dt.tz_localize(None).dt.to_pydatetime()
    for row in zip(table["video_id"], naive, table["shown"], strict=True):
        sheet.append(list(row))
    book.save(path)
    return path


def _in_turns(fns: list[Callable[[], Any]], repeat: int = TURNS) -> np.ndarray:
    """Wall times of each of ``fns`` called in turns ``repeat`` times after one warm-up
    round, seconds: one row per turn, one column per function."""
    times = np.zeros((repeat + 1, len(fns)))
    for turn in range(repeat + 1):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[turn, i] = time.perf_counter() - start
    return times[1:]


def _batch_ratios(ours: np.ndarray, baseline: np.ndarray, stat: Callable) -> np.ndarray:
    """``stat(ours) / stat(baseline)`` in each batch of BATCH consecutive turns."""
    batches = len(ours) // BATCH
    split = [a[: batches * BATCH].reshape(batches, BATCH) for a in (ours, baseline)]
    return stat(split[0], axis=1) / stat(split[1], axis=1)


def _csv_rows(folder: Path, n_rows: int) -> list[Row]:
    display_csv, numeric_csv = _write_csvs(folder, _table(n_rows))
    load = os.getloadavg()[0]
    times = _in_turns(
        [
            lambda: pd.read_csv(numeric_csv),
            lambda: lk.load_counts(display_csv),
            lambda: lk.load_counts(numeric_csv),
        ]
    )
    baseline, ours, ours_numeric = np.median(times, axis=0)
    name = "pandas.read_csv, numeric counts"
    medians = _batch_ratios(times[:, 1], times[:, 0], np.median)
    bests = _batch_ratios(times[:, 1], times[:, 0], np.min)
    spread_rows = [
        Row(f"{label}, batches of {BATCH} turns (x)", value, unit="x")
        for label, value in [
            ("display ratio of medians, lowest", medians.min()),
            ("display ratio of medians, highest", medians.max()),
            ("display ratio of bests (old figure), lowest", bests.min()),
            ("display ratio of bests (old figure), highest", bests.max()),
        ]
    ]
    return [
        Row(
            f"load_counts, {n_rows:,} rows of display strings, median of {TURNS} turns (s)",
            ours,
            baseline,
            name,
            "s",
            "ratio <= 2",
            ours / baseline <= 2,
        ),
        Row(
            f"load_counts, {n_rows:,} rows of exact counts, median (s)",
            ours_numeric,
            baseline,
            name,
            "s",
        ),
        Row(
            "rows per second, display strings, median",
            n_rows / ours,
            n_rows / baseline,
            name,
            "rows/s",
        ),
        Row(
            f"display strings, best of {TURNS} turns (old figure, not judged) (s)",
            times[:, 1].min(),
            times[:, 0].min(),
            name,
            "s",
        ),
        *spread_rows,
        Row("machine load (1-minute average) before timing", load),
    ]


def _excel_rows(folder: Path, n_rows: int) -> list[Row]:
    path = _write_xlsx(folder / "counts.xlsx", _table(n_rows))
    baseline = best_of(lambda: pd.read_excel(path, engine="calamine"))
    openpyxl = best_of(lambda: pd.read_excel(path, engine="openpyxl"), repeat=1, warmup=0)
    ours = best_of(lambda: lk.load_counts(path))
    name = "pandas.read_excel, calamine"
    return [
        Row(
            f"load_counts, .xlsx of {n_rows:,} rows (s)",
            ours,
            baseline,
            name,
            "s",
            "ratio <= 1.5",
            ours / baseline <= 1.5,
        ),
        Row(f"pandas.read_excel openpyxl, {n_rows:,} rows (s)", openpyxl, baseline, name, "s"),
    ]


def run(quick: bool = False) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        return [
            *_csv_rows(folder, 100_000 if quick else 1_000_000),
            *_excel_rows(folder, 10_000 if quick else 100_000),
        ]
