"""Peer detectors that ``make bench`` runs beside likekit, as an expert would wrap them.

Each finds negative jumps of a video's increments and names them by the same reversal
rule: a drop that a positive jump of at least half its size follows within a day is a
glitch, any other a purge.

* ruptures Binseg: change points of each video's increments (l2 cost, penalty 3 log n
  times the robust variance), kept where the increment is beyond 3 robust SDs;
* robust z: each increment against the rolling median and MAD of its video's increments
  (a day either side, never below the Poisson floor of the rate), an alarm beyond
  ``ROBUST_Z`` SDs;
* MVCAPA (skchange's CAPA on the panel's robust z-scores, videos as features): its
  collective and point anomalies say when; the videos beyond ``CAPA_Z`` SDs then say who.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: the robust-z wrapper's alarm: a clear event is at least 5 noise SDs
ROBUST_Z = 5.0
#: MVCAPA: once an anomaly says when, a video is in it beyond this many SDs
CAPA_Z = 3.0
#: robust windows: increments either side (a day of hourly snapshots)
HALF_WINDOW = 24
_DAY = pd.Timedelta(days=1)
_COLUMNS = ["video_id", "cause", "start", "likes_delta"]


def reversal_events(video, ts: pd.Series, jumps: list[tuple[int, float]]) -> list[dict]:
    """Events of one video from its jumps (increment index, size), in time order; glitches
    at most a day after the previous one are one episode (a flickering app)."""
    rows, used = [], set()
    last_glitch = None
    for k, (i, size) in enumerate(jumps):
        if size >= 0 or i in used:
            continue
        back = [j for j, s in jumps[k + 1 :] if s >= -size / 2 and ts[j] - ts[i] <= _DAY]
        used.update(back[:1])
        if back and last_glitch is not None and ts[i] - last_glitch <= _DAY:
            last_glitch = ts[back[0]]  # the episode goes on
            continue
        if back:
            last_glitch = ts[back[0]]
        cause = "glitch" if back else "purge"
        rows.append({"video_id": video, "cause": cause, "start": ts[i], "likes_delta": size})
    return rows


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=_COLUMNS)


def ruptures_events(counts: pd.DataFrame) -> pd.DataFrame:
    """Binseg change points on each video's increments."""
    import ruptures as rpt

    rows = []
    for v, one in counts.loc[counts["likes"].notna()].groupby("video_id", sort=False):
        d = np.diff(one["likes"].to_numpy(dtype=float))
        if len(d) < 10:
            continue
        ts = one["timestamp"].iloc[1:].reset_index(drop=True)
        centre = np.median(d)
        sd = max(1.4826 * np.median(np.abs(d - centre)), 1.0)
        bkps = (
            rpt.Binseg(model="l2", min_size=1, jump=1)
            .fit(d)
            .predict(pen=3 * np.log(len(d)) * sd**2)
        )
        jumps = [(b - 1, d[b - 1] - centre) for b in bkps[:-1]]
        rows += reversal_events(v, ts, [(i, j) for i, j in jumps if abs(j) > 3 * sd])
    return _frame(rows)


def robust_z(counts: pd.DataFrame) -> pd.DataFrame:
    """Per increment: video_id, timestamp, the increment's excess over its rolling median
    and its robust z-score."""
    obs = counts.loc[counts["likes"].notna(), ["video_id", "timestamp", "likes"]]
    d = obs.groupby("video_id", sort=False)["likes"].diff().astype(float)
    inc = obs.assign(d=d).dropna(subset=["d"]).reset_index(drop=True)
    by = inc.groupby("video_id", sort=False)["d"]
    width = 2 * HALF_WINDOW + 1
    centre = by.transform(lambda x: x.rolling(width, center=True, min_periods=3).median())
    dev = (inc["d"] - centre).abs().groupby(inc["video_id"], sort=False)
    mad = dev.transform(lambda x: x.rolling(width, center=True, min_periods=3).median())
    scale = np.maximum(1.4826 * mad, np.sqrt(np.maximum(centre.abs(), 1.0)))
    excess = inc["d"] - centre
    return inc.assign(excess=excess, z=excess / scale)[["video_id", "timestamp", "excess", "z"]]


def _events_at(inc: pd.DataFrame, flagged: np.ndarray) -> pd.DataFrame:
    """Reversal-rule events of every video from its flagged increments."""
    rows = []
    for v, one in inc.loc[flagged].groupby("video_id", sort=False):
        ts = one["timestamp"].reset_index(drop=True)
        jumps = list(enumerate(one["excess"].to_numpy(dtype=float)))
        rows += reversal_events(v, ts, jumps)
    return _frame(rows)


def robust_z_events(counts: pd.DataFrame) -> pd.DataFrame:
    """Each video's increments beyond ROBUST_Z robust SDs, named by the reversal rule."""
    inc = robust_z(counts)
    return _events_at(inc, (inc["z"].abs() >= ROBUST_Z).to_numpy())


def mvcapa_events(counts: pd.DataFrame) -> pd.DataFrame:
    """MVCAPA over the panel's robust z-scores says when; videos beyond CAPA_Z say who."""
    from skchange.detectors import CAPA

    inc = robust_z(counts)
    grid = inc.pivot_table(index="timestamp", columns="video_id", values="z", aggfunc="sum")
    x = np.clip(grid.fillna(0.0).to_numpy(), -20, 20)
    if x.shape[0] < 4:
        return _frame([])
    found = CAPA(include_point_anomalies=True).fit(x).predict_all(x)
    when = np.zeros(len(grid), dtype=bool)
    for start, end in found["segment_anomalies"]:
        when[start:end] = True
    when[np.asarray(found["point_anomalies"], dtype=int)] = True
    flagged = inc["timestamp"].isin(grid.index[when]) & (inc["z"].abs() >= CAPA_Z)
    return _events_at(inc, flagged.to_numpy())
