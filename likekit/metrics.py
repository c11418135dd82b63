"""Evaluation of a diagnosis against a simulation's ground truth (like ruptures' metrics).

:func:`score_events` matches detected events with true ones per cause (precision, recall,
F1); :func:`event_sizes` states each event's size in units of the local noise of issue 5
§4, computed by :func:`local_noise`, so that true events can be split into clear and faint.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from likekit.data import LikekitInputError, load_counts
from likekit.diagnosis.increments import local_noise_table
from likekit.schema import CAUSES

__all__ = ["event_sizes", "local_noise", "score_events"]


def local_noise(counts: Any) -> pd.DataFrame:
    """Local noise of every snapshot, as defined in issue 5 §4.

    ``noise = sqrt(s^2 + r^2 / 6)`` where ``r`` is the display resolution of the snapshot
    and ``s`` the robust standard deviation of the video's snapshot-to-snapshot increments
    around their local trend over the previous day: each increment minus the median
    increment of the day before it, then ``1.4826 x`` the median absolute value of those
    residuals over the previous day (the current increment excluded). ``r^2 / 6`` is the
    variance of the difference of two counts each truncated to a step of ``r``.

    Increments across missing snapshots count per step of the video's median interval (a
    gap of g steps: g times the trend, sqrt(g) times the noise). When the previous day holds
    fewer than 5 increments (daily snapshots), the last 5 increments are used; the first
    snapshots of a video, before any window is full, take the first value computed after
    them; a video too short for any window takes its whole-series median.

    Parameters
    ----------
    counts : DataFrame, str or Path
        A like-count table in the data contract (anything :func:`likekit.load_counts` reads).

    Returns
    -------
    DataFrame
        One row per input snapshot: video_id, timestamp, resolution, delta (increment from
        the previous observed snapshot), trend (median increment per step over the previous
        day), s, noise.
    """
    return local_noise_table(load_counts(counts))


def _micros(times: pd.Series) -> np.ndarray:
    """UTC times as integer microseconds (comparable whatever their zone or unit)."""
    return (
        pd.to_datetime(times, utc=True)
        .dt.tz_convert(None)
        .to_numpy("datetime64[us]")
        .astype(np.int64)
    )


def event_sizes(events: pd.DataFrame, counts: Any) -> pd.Series:
    """Size of each event in units of the local noise (issue 5 §4) at its start.

    ``|likes_delta| / noise`` with the noise of the video's first observed snapshot at or
    after the event's start, or of the snapshot before it if larger (the coarser display
    resolution of the two bounds how well the drop can be seen); used to split true events
    into clear (>= 5) and faint ones.
    """
    # the larger noise of the snapshots either side of the start: a drop from "1.2K" (known
    # to within 100) to an exact 1,150 is only as clear as the coarser of the two
    noise = local_noise(counts)[["video_id", "timestamp", "noise"]].dropna()
    noise["noise"] = np.maximum(
        noise["noise"], noise.groupby("video_id")["noise"].shift().fillna(0.0)
    )
    keyed = events.reset_index(drop=True).assign(_row=lambda e: np.arange(len(e)))
    keyed = keyed.assign(
        timestamp=pd.to_datetime(keyed["start"], utc=True).astype(noise["timestamp"].dtype),
        video_id=keyed["video_id"].astype(str),
    )
    merged = pd.merge_asof(
        keyed.sort_values("timestamp"),
        noise.sort_values("timestamp"),
        on="timestamp",
        by="video_id",
        direction="forward",
    ).sort_values("_row")
    return pd.Series(
        np.abs(merged["likes_delta"].to_numpy(float)) / merged["noise"].to_numpy(float),
        index=events.index,
    )


def score_events(
    detected: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    tolerance: str | pd.Timedelta = "2h",
    evaluate: pd.Series | np.ndarray | None = None,
    match: str = "start",
) -> pd.DataFrame:
    """Precision, recall and F1 per cause of detected events against true events.

    A detection matches a true event of the same video and cause whose start is within
    ``tolerance`` of its own (each true event matched at most once, nearest start first).

    Parameters
    ----------
    detected, truth : DataFrame
        Events with video_id, cause, start, likes_delta and optionally end (taken equal to
        start when absent), e.g. ``Diagnosis.events`` and ``Simulation.events``.
    tolerance : str or Timedelta
        Largest start difference of a match.
    evaluate : boolean array over ``truth``, optional
        The true events to score (e.g. only the clear ones). A detection that matches a true
        event left out is neither a hit nor a false alarm.
    match : {"start", "overlap"}
        "overlap" also accepts a detection whose span [start, end] meets the true event's
        span widened by ``tolerance``: for long glitches (an old app under-counting for a
        week) whose true start, the first snapshot the old app showed, may come long before
        anything is visible.

    Returns
    -------
    DataFrame
        Index cause; columns tp, fp, fn, precision, recall, f1 and rel_error (median
        |detected - true| / |true| of likes_delta over the matches).
    """
    if match not in ("start", "overlap"):
        raise LikekitInputError(f"match must be 'start' or 'overlap', got {match!r}")
    tol = pd.Timedelta(tolerance) / pd.Timedelta(microseconds=1)
    keep = np.ones(len(truth), dtype=bool) if evaluate is None else np.asarray(evaluate, bool)
    rows = {}
    for cause in CAUSES:
        d = detected.loc[detected["cause"] == cause]
        t = truth.loc[truth["cause"] == cause]
        tkeep = keep[(truth["cause"] == cause).to_numpy()]
        tp = fp = 0
        errors = []
        taken = np.zeros(len(t), dtype=bool)
        t_vid = t["video_id"].astype(str).to_numpy()
        t_start, t_end = _micros(t["start"]), _micros(t.get("end", t["start"]))
        t_delta = t["likes_delta"].to_numpy(dtype=float)
        d_start, d_end = _micros(d["start"]), _micros(d.get("end", d["start"]))
        for row, start, end in zip(d.itertuples(), d_start, d_end, strict=True):
            cand = np.flatnonzero((t_vid == str(row.video_id)) & ~taken)
            gaps = np.abs(t_start[cand] - start)
            ok = gaps <= tol
            if match == "overlap":
                ok |= (start <= t_end[cand] + tol) & (end >= t_start[cand] - tol)
            if ok.any():
                best = cand[ok][np.argmin(gaps[ok])]
                taken[best] = True
                if tkeep[best]:
                    tp += 1
                    if t_delta[best] != 0:
                        errors.append(abs(row.likes_delta - t_delta[best]) / abs(t_delta[best]))
                continue
            fp += 1
        fn = int((~taken & tkeep).sum())
        precision = tp / (tp + fp) if tp + fp else np.nan
        recall = tp / (tp + fn) if tp + fn else np.nan
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else np.nan
        rows[cause] = {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "rel_error": float(np.median(errors)) if errors else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("cause")
