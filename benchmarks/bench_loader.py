"""Loader speed: load_counts on display strings vs plain pandas readers of the same rows.

CSV: 1,000,000 rows, against ``pandas.read_csv`` of the same table with numeric counts (the
floor of reading the bytes, without parsing displays, normalising times, sorting or
validating). Excel: 100,000 rows in an ``.xlsx`` (Excel date cells, display strings), against
``pandas.read_excel`` with the fastest engine installed; openpyxl, the other engine pandas
offers, is timed once beside it (the reason likekit reads workbooks with calamine).

The CSV readers are timed in turns (baseline, display strings, exact counts, again and again)
and each keeps its best: on a shared machine the load drifts between runs, and timing one
reader's repeats before the other's puts that drift into the ratio. 25 turns: the baseline
takes ~55 ms and its own best of 7 moved by ~15% between runs (ratios of 1.79x to 2.41x on one
idle machine), more than the goal's margin.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import likekit as lk
from benchmarks.harness import Row, best_of


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


def _in_turns(fns: list[Callable[[], Any]], repeat: int = 25) -> list[float]:
    """Best wall time of each of ``fns``, called in turns ``repeat`` times after one warm-up
    round, seconds."""
    best = [float("inf")] * len(fns)
    for round_ in range(repeat + 1):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            if round_:
                best[i] = min(best[i], time.perf_counter() - start)
    return best


def _csv_rows(folder: Path, n_rows: int) -> list[Row]:
    display_csv, numeric_csv = _write_csvs(folder, _table(n_rows))
    baseline, ours, ours_numeric = _in_turns(
        [
            lambda: pd.read_csv(numeric_csv),
            lambda: lk.load_counts(display_csv),
            lambda: lk.load_counts(numeric_csv),
        ]
    )
    name = "pandas.read_csv, numeric counts"
    return [
        Row(
            f"load_counts, {n_rows:,} rows of display strings (s)",
            ours,
            baseline,
            name,
            "s",
            "ratio <= 2",
            ours / baseline <= 2,
        ),
        Row(f"load_counts, {n_rows:,} rows of exact counts (s)", ours_numeric, baseline, name, "s"),
        Row("rows per second, display strings", n_rows / ours, n_rows / baseline, name, "rows/s"),
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
