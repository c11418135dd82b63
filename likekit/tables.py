"""The tables of the reports, for people: worded columns, whole counts, plain times, sorted
by loss. Each takes a :class:`~likekit.Diagnosis` (or its parts) and returns text-valued
frames made with :func:`likekit.formatting.readable`; the numbers are those of
:meth:`~likekit.Diagnosis.losses`, so every report shows the same ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from likekit.formatting import number, readable
from likekit.plots import CAUSE_LABELS

if TYPE_CHECKING:
    from likekit.diagnosis.result import Diagnosis

#: a cause in a table row
CAUSE_ROWS = {
    "purge": "bot purges",
    "trend_decline": "fading trend",
    "status": "hidden or removed",
    "glitch": "glitches",
}


def video_table(diag: Diagnosis) -> pd.DataFrame:
    """Per video, largest fall first: the peak, now, the fall and its parts (they add up),
    the data quality and the verdict."""
    m = diag.metric
    acc = diag.losses(by="video")
    summary = diag.summary()
    frame = acc.join(summary[["data_quality", "verdict"]], how="outer")
    frame["fall"] = frame["peak"] - frame["now"]
    labels = {
        "peak": f"{m} at peak",
        "now": f"{m} now",
        "fall": "fall from peak",
        "purge": "bot purges after the peak",
        "trend_decline": "fading trend",
        "hidden": "hidden or removed",
        "glitch": "glitch still on",
        "unexplained": "not attributed (negative: grew back)",
        "data_quality": "data quality",
        "verdict": "what happened",
    }
    counts = ("peak", "now", "fall", "purge", "trend_decline", "hidden", "glitch", "unexplained")
    return readable(frame, labels, counts=counts, sort_by="fall")


def cause_table(diag: Diagnosis) -> pd.DataFrame:
    """Per cause, most lost first: events, lost for good, hidden, came back."""
    losses = diag.losses()
    frame = losses.rename(index=CAUSE_ROWS).rename_axis("cause")
    labels = {
        "events": "events found",
        "lost": "lost for good",
        "hidden": "hidden",
        "came_back": "came back",
    }
    table = readable(frame, labels, counts=tuple(labels), sort_by="lost")
    return table


def wave_table(diag: Diagnosis) -> pd.DataFrame:
    """The waves in time order (they are numbered so), with what they took."""
    per_wave = diag.losses(by="wave")
    frame = per_wave.assign(
        cause=per_wave["cause"].map(CAUSE_LABELS),
        end=diag.waves.set_index("wave")["end"],
    )
    labels = {
        "time": "start",
        "end": "end",
        "cause": "what it was",
        "n_videos": "videos hit",
        "likes": f"{diag.metric} taken",
    }
    return readable(frame, labels, counts=("n_videos", "likes"), times=("time", "end"))


def wave_details(diag: Diagnosis) -> pd.DataFrame:
    """The waves' evidence for analysts: z, p-value and the interval of what they took."""
    per_wave = diag.losses(by="wave")
    waves = diag.waves.set_index("wave")
    frame = per_wave.assign(z=waves["z"], p_value=waves["p_value"])
    out = readable(
        frame,
        {"time": "start", "z": "z", "p_value": "p-value", "low": "low", "high": "high"},
        counts=("low", "high"),
        times=("time",),
    )
    out["z"] = [f"{z:.1f}" for z in frame["z"]]
    out["p-value"] = [p_text(p) for p in frame["p_value"]]
    return out


def p_text(p: float) -> str:
    """A p-value without e-notation: "0.003", "below 0.0001".

    >>> p_text(2.963412e-23), p_text(0.0123), p_text(float("nan"))
    ('below 0.0001', '0.012', 'n/a')
    """
    if pd.isna(p):
        return "n/a"
    return "below 0.0001" if p < 1e-4 else f"{p:.2g}" if p < 0.01 else f"{p:.3f}"


def cause_intervals(diag: Diagnosis) -> pd.DataFrame:
    """Per cause, the 95% intervals of what was lost for good and what came back."""
    frame = diag.losses().rename(index=CAUSE_ROWS).rename_axis("cause")
    labels = {
        "lost": "lost for good",
        "lost_low": "low",
        "lost_high": "high",
        "came_back": "came back",
        "came_back_low": "low ",
        "came_back_high": "high ",
    }
    return readable(frame, labels, counts=tuple(labels), sort_by="lost")


def model_comparison(fit) -> pd.DataFrame:
    """A decay fit's candidates for analysts: worded columns, numbers without e-notation."""
    comparison = fit.comparison
    out = pd.DataFrame(index=[str(m).replace("_", " ") for m in comparison.index])
    out.index.name = "model"
    out["k"] = comparison["k"].astype(int).to_numpy()
    for col, word in (
        ("llf", "log-likelihood"),
        ("aic", "AIC"),
        ("bic", "BIC"),
        ("delta", "delta"),
    ):
        out[word] = [number(v) for v in comparison[col]]
    out["converged"] = np.where(comparison["converged"].astype(bool), "yes", "no")
    out["chosen"] = np.where(comparison["selected"].astype(bool), "yes", "")
    return out


def fit_parameters(fit) -> pd.DataFrame:
    """A decay fit's parameters and derived quantities, numbers without e-notation."""
    summary = fit.summary().rename(columns={"std_err": "std. error"})
    return summary.map(number)
