"""What :func:`likekit.diagnose` returns, as types: the causes, events and waves.

An :class:`Event` is one drop of one video and a :class:`Wave` one creator-wide event found
by synchrony. Detection code builds these records (every field named, nothing edited after
the fact) and :func:`events_frame` / :func:`waves_frame` turn lists of them into tables
whose dtypes are the same whether the list is empty or not, so that code reading a
diagnosis never has to guard against an empty table.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "CAUSES",
    "EVENT_COLUMNS",
    "WAVE_COLUMNS",
    "Event",
    "Wave",
    "events_frame",
    "waves_frame",
]

#: the four causes of the article, in the order reports list them
CAUSES = ("glitch", "purge", "trend_decline", "status")
_Z95 = float(stats.norm.isf(0.025))
_TIME = "datetime64[us, UTC]"


def utc(t) -> pd.Timestamp:
    """A timestamp in UTC (a naive one is taken to be UTC already)."""
    if isinstance(t, np.datetime64):  # naive: localized as it is built (3x faster)
        return pd.Timestamp(t, tz="UTC")
    t = pd.Timestamp(t)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


@dataclass(frozen=True, kw_only=True)
class Event:
    """One event of one video (a row of ``Diagnosis.events``; see its docstring)."""

    video_id: str
    cause: str
    start: pd.Timestamp
    end: pd.Timestamp
    likes_delta: float
    delta_low: float
    delta_high: float
    recovered: bool
    score: float
    detail: str
    wave: int | None
    evidence: str

    @classmethod
    def measured(
        cls,
        *,
        video_id,
        cause,
        start,
        end,
        delta,
        sd,
        recovered,
        score,
        detail,
        evidence,
        wave=None,
    ) -> Event:
        """An event whose size ``delta`` has standard deviation ``sd`` (95% interval)."""
        half = _Z95 * sd if np.isfinite(sd) else np.nan
        return cls(
            video_id=video_id,
            cause=cause,
            start=utc(start),
            end=utc(end),
            likes_delta=delta,
            delta_low=delta - half,
            delta_high=delta + half,
            recovered=recovered,
            score=score,
            detail=detail,
            wave=wave,
            evidence=evidence,
        )


@dataclass(frozen=True, kw_only=True)
class Wave:
    """One creator-wide event (a row of ``Diagnosis.waves``; see its docstring)."""

    wave: int
    time: pd.Timestamp
    end: pd.Timestamp
    cause: str
    n_videos: int
    likes_delta: float
    recovered: bool
    z: float
    p_value: float


EVENT_COLUMNS = [f.name for f in fields(Event)]
WAVE_COLUMNS = [f.name for f in fields(Wave)]
_EVENT_DTYPES = {
    "video_id": "str",
    "cause": "str",
    "start": _TIME,
    "end": _TIME,
    "likes_delta": "float64",
    "delta_low": "float64",
    "delta_high": "float64",
    "recovered": "bool",
    "score": "float64",
    "detail": "str",
    "wave": "Int64",
    "evidence": "str",
}
_WAVE_DTYPES = {
    "wave": "int64",
    "time": _TIME,
    "end": _TIME,
    "cause": "str",
    "n_videos": "int64",
    "likes_delta": "float64",
    "recovered": "bool",
    "z": "float64",
    "p_value": "float64",
}


def _typed(rows: list, columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    # built column by column: row lists cost twice as much
    frame = pd.DataFrame({c: [getattr(r, c) for r in rows] for c in columns}, columns=columns)
    for col, dtype in dtypes.items():
        if dtype == _TIME:
            frame[col] = pd.to_datetime(frame[col], utc=True).astype(dtype)
        else:
            frame[col] = frame[col].astype(dtype)
    return frame


def events_frame(rows: list[Event]) -> pd.DataFrame:
    """The events table of ``rows``, with the same dtypes when empty."""
    return _typed(rows, EVENT_COLUMNS, _EVENT_DTYPES)


def waves_frame(rows: list[Wave]) -> pd.DataFrame:
    """The waves table of ``rows``, with the same dtypes when empty."""
    return _typed(rows, WAVE_COLUMNS, _WAVE_DTYPES)


def as_events(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s event columns, in order, with the events dtypes."""
    return frame[EVENT_COLUMNS].astype(_EVENT_DTYPES)
