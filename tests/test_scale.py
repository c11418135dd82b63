"""Scale (issue 14): the streaming and per-video shortcuts give what the plain pandas path gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from likekit.diagnosis.increments import _Rolling


def _irregular_videos(seed: int) -> pd.DataFrame:
    """Videos of uneven lengths, snapshots at irregular hours, values with holes."""
    rng = np.random.default_rng(seed)
    frames = []
    for v in range(6):
        hours = np.sort(rng.choice(24 * 8, size=int(rng.integers(1, 60)), replace=False))
        x = rng.normal(size=len(hours))
        frames.append(
            pd.DataFrame(
                {
                    "video_id": f"v{v}",
                    "timestamp": pd.Timestamp("2026-01-01", tz="UTC")
                    + pd.to_timedelta(hours, unit="h"),
                    "x": np.where(rng.random(len(hours)) < 0.3, np.nan, x),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    "window, center", [("1D", False), (5, False), ("2D", True), ("1D", True), (11, True)]
)
def test_rolling_windows_are_pandas_grouped_rolling(seed, window, center):
    frame = _irregular_videos(seed)
    closed = "both" if center else "left"
    grouped = frame.groupby("video_id", sort=False).rolling(
        window, on="timestamp", closed=closed, min_periods=1, center=center
    )["x"]
    roll = _Rolling(frame)
    for how in ("count", "median", "mean"):
        expected = getattr(grouped, how)().to_numpy()
        np.testing.assert_array_equal(roll("x", window, how, center).to_numpy(), expected)
