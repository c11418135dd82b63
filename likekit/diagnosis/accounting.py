"""Where the likes went: the losses of a diagnosis per cause, per video and per wave, and
the plain-language answer built from them (``Diagnosis.losses`` and ``Diagnosis.answer``).

Amounts are likes that disappeared, positive. A cause's likes are *lost* for good (purges,
users un-liking as the trend fades), *hidden* (a hidden count or a removed video, or a
glitch still showing the count too low at the last snapshot) or *came back* (a glitch that
recovered, a count shown again). Intervals combine the 95% intervals of the events
(independent errors, added in quadrature).

Per video the fall from the peak is accounted for exactly::

    peak - now = purge + hidden + trend_decline + glitch + unexplained

with ``now`` the count shown at the last snapshot (zero while the count is hidden or the
video removed), ``purge`` the purges after the peak, ``hidden`` the level a hidden count or
removed video had, ``trend_decline`` the detected decline of the trend, ``glitch`` what a
glitch still hides at the end, and ``unexplained`` the rest (counting noise, or a fall too
small to be called a decline; negative when the count regained some of its fall).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from likekit.schema import CAUSES

_Z95 = float(stats.norm.isf(0.025))
FATES = ("lost", "hidden", "came_back")
ACCOUNT_COLUMNS = ["peak", "now", "change", "purge", "hidden", "trend_decline", "glitch"]


def _still_on(events: pd.DataFrame, counts: pd.DataFrame) -> pd.Series:
    """Events whose likes are still not shown at the video's last snapshot: a status
    change never undone, a glitch that lasts to the last snapshot."""
    last = counts.groupby("video_id")["timestamp"].max()
    glitch = (events["cause"] == "glitch") & (events["end"] >= events["video_id"].map(last))
    return glitch | ((events["cause"] == "status") & ~events["recovered"])


def _fates(events: pd.DataFrame, counts: pd.DataFrame) -> pd.Series:
    """What became of each event's likes: lost, hidden or came_back."""
    fate = np.select(
        [
            events["cause"].isin(["purge", "trend_decline"]),
            _still_on(events, counts),
        ],
        ["lost", "hidden"],
        default="came_back",
    )
    return pd.Series(fate, index=events.index)


def _sum_with_interval(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Likes (-likes_delta) summed per ``keys``, with a 95% interval."""
    sd = (frame["delta_high"] - frame["delta_low"]) / (2 * _Z95)
    g = frame.assign(likes=-frame["likes_delta"], var=sd.fillna(0.0) ** 2).groupby(keys)
    out = g.agg(events=("likes", "size"), likes=("likes", "sum"), var=("var", "sum"))
    half = _Z95 * np.sqrt(out.pop("var"))
    # a status change is certain, so its likes have no interval
    return out.assign(low=out["likes"] - half, high=out["likes"] + half)


def by_cause(events: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """One row per cause: events, then likes, low and high for each fate."""
    sums = _sum_with_interval(events.assign(fate=_fates(events, counts)), ["cause", "fate"])
    wide = sums.drop(columns="events").unstack("fate")
    wide = wide.reindex(columns=pd.MultiIndex.from_product([["likes", "low", "high"], FATES]))
    out = pd.DataFrame(index=pd.Index(CAUSES, name="cause"))
    out["events"] = events.groupby("cause").size().reindex(CAUSES, fill_value=0)
    for fate in FATES:
        likes = wide[("likes", fate)].reindex(CAUSES)
        out[fate] = likes.fillna(0.0)
        if fate != "hidden":
            out[f"{fate}_low"] = wide[("low", fate)].reindex(CAUSES).where(likes.notna(), 0.0)
            out[f"{fate}_high"] = wide[("high", fate)].reindex(CAUSES).where(likes.notna(), 0.0)
    return out


def by_wave(events: pd.DataFrame, waves: pd.DataFrame) -> pd.DataFrame:
    """One row per wave: time, cause, videos hit, likes its events took, with interval."""
    sums = _sum_with_interval(events.loc[events["wave"].notna()], ["wave"])
    out = waves.set_index("wave")[["time", "cause", "n_videos"]]
    out = out.join(sums.drop(columns="events"), how="left")
    return out.fillna({"likes": 0.0, "low": 0.0, "high": 0.0})


def by_video(events: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Per video, the fall from the peak accounted for by cause (see the module docstring)."""
    obs = counts.loc[counts["likes"].notna(), ["video_id", "timestamp", "likes"]]
    obs = obs.assign(likes=obs["likes"].astype(float))
    g = obs.groupby("video_id", sort=False)
    out = pd.DataFrame({"peak": g["likes"].max(), "now": g["likes"].last()})
    peak_at = obs.loc[g["likes"].idxmax()].set_index("video_id")["timestamp"]
    on = _still_on(events, counts)
    hidden = events.loc[(events["cause"] == "status") & on]
    out.loc[out.index.isin(hidden["video_id"]), "now"] = 0.0  # nothing is shown
    out["change"] = out["peak"] - out["now"]

    def lost(mask: pd.Series) -> pd.Series:
        chosen = events.loc[mask]
        return (-chosen["likes_delta"]).groupby(chosen["video_id"]).sum()

    after_peak = events["start"] > events["video_id"].map(peak_at)
    out["purge"] = lost((events["cause"] == "purge") & after_peak)
    out["hidden"] = lost((events["cause"] == "status") & on)
    out["trend_decline"] = lost(events["cause"] == "trend_decline")
    out["glitch"] = lost((events["cause"] == "glitch") & on)
    out = out.fillna(0.0)
    out["unexplained"] = out["change"] - out[ACCOUNT_COLUMNS[3:]].sum(axis=1)
    return out.rename_axis("video_id")


@dataclass(frozen=True)
class Answer:
    """The short answer of a diagnosis (:meth:`likekit.Diagnosis.answer`).

    Attributes
    ----------
    main_cause : str or None
        "purge" or "trend_decline", whichever took more likes for good; None when none was
        lost for good.
    verdict : str
        The answer in plain sentences.
    peak, now : float
        Likes at the videos' peaks and at their last snapshots (summed over videos).
    lost, hidden, came_back : float
        Likes lost for good, hidden (or on removed videos), and that came back.
    lost_share : float
        ``lost`` as a share of ``peak``.
    purge_waves : int
        Creator-wide purge waves found.
    """

    main_cause: str | None
    verdict: str
    peak: float
    now: float
    lost: float
    hidden: float
    came_back: float
    lost_share: float
    purge_waves: int


def _likes(n: float) -> str:
    n = int(round(n))
    return f"{n:,} like" + ("" if n == 1 else "s")


def answer(losses: pd.DataFrame, accounts: pd.DataFrame, counts, waves) -> Answer:
    """The answer from the per-cause losses and the per-video accounts."""
    lost = losses["lost"]
    total = float(lost.sum())
    peak = float(accounts["peak"].sum())
    return Answer(
        main_cause=None if round(total) == 0 else str(lost[["purge", "trend_decline"]].idxmax()),
        verdict="",
        peak=peak,
        now=float(accounts["now"].sum()),
        lost=total,
        hidden=float(losses["hidden"].sum()),
        came_back=float(losses["came_back"].sum()),
        lost_share=total / peak if peak > 0 else 0.0,
        purge_waves=int((waves["cause"] == "purge").sum()),
    )


def with_verdict(a: Answer, losses: pd.DataFrame, n_videos: int, counts) -> Answer:
    """``a`` with its verdict: plain sentences, whole likes."""
    first, last = (
        f"{t:%Y-%m-%d %H:%M} UTC" for t in (counts["timestamp"].min(), counts["timestamp"].max())
    )
    parts = [
        f"Between {first} and {last}, your {n_videos} video{'' if n_videos == 1 else 's'} "
        f"went from {_likes(a.peak)} at their peaks to {_likes(a.now)} now."
    ]
    if a.main_cause is None:
        parts.append(
            "No like was lost for good: every drop found came back or was a status change."
        )
    else:
        main_text = {"purge": "bot purges", "trend_decline": "the fading trend"}[a.main_cause]
        k = a.purge_waves
        parts.append(
            f"{_likes(a.lost)} disappeared for good: {_likes(losses.at['purge', 'lost'])} "
            f"taken by bot purges ({k} creator-wide wave{'' if k == 1 else 's'}) and "
            f"{_likes(losses.at['trend_decline', 'lost'])} by real users un-liking as the "
            f"trend faded. The main cause is {main_text}. Neither kind comes back."
        )
    if round(losses.at["glitch", "came_back"]):
        parts.append(
            f"Glitches made {_likes(losses.at['glitch', 'came_back'])} disappear for a while; "
            "those came back, so nothing was lost to them."
        )
    if round(losses.at["status", "hidden"]):
        parts.append(
            f"{_likes(losses.at['status', 'hidden'])} are hidden or belong to removed videos: "
            "a change of status, not likes lost."
        )
    return replace(a, verdict=" ".join(parts))
