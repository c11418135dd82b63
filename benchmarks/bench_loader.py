"""Loader speed: load_counts on a 1,000,000-row CSV of display strings vs plain read_csv.

The baseline is ``pandas.read_csv`` of the same table with numeric counts: the floor of
reading the bytes, without parsing displays, normalising times, sorting or validating.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import likekit as lk
from benchmarks.harness import Row, best_of


def _write_tables(folder: Path, n_rows: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    n_videos = max(n_rows // 720, 1)  # 30 days of hourly snapshots per video
    steps = n_rows // n_videos
    video = np.repeat([f"v{i:05d}" for i in range(n_videos)], steps)
    times = pd.date_range("2026-01-05", periods=steps, freq="h", tz="UTC")
    stamps = np.tile(times.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(), n_videos)
    # a cumulative like count per video, across the range the app shows as 999 ... 12.3M
    scale = rng.lognormal(8, 2, n_videos)
    likes = np.cumsum(rng.poisson(1.0, (n_videos, steps)), axis=1) * scale[:, None] / steps
    likes = likes.astype(np.int64).ravel()
    values, inverse = np.unique(likes, return_inverse=True)
    shown = np.array([lk.format_count(v) for v in values])[inverse]
    display_csv, numeric_csv = folder / "display.csv", folder / "numeric.csv"
    pd.DataFrame({"video_id": video, "timestamp": stamps, "likes": shown}).to_csv(
        display_csv, index=False
    )
    pd.DataFrame({"video_id": video, "timestamp": stamps, "likes": likes}).to_csv(
        numeric_csv, index=False
    )
    return display_csv, numeric_csv


def run(quick: bool = False) -> list[Row]:
    n_rows = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        display_csv, numeric_csv = _write_tables(Path(tmp), n_rows)
        baseline = best_of(lambda: pd.read_csv(numeric_csv))
        ours = best_of(lambda: lk.load_counts(display_csv))
        ours_numeric = best_of(lambda: lk.load_counts(numeric_csv))
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
