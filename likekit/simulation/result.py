"""The result of :func:`likekit.simulate`: the observed table with everything the simulation
knows (:class:`Simulation`), its plot and its files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from likekit.batch import write_csv
from likekit.data import LikekitInputError
from likekit.simulation.params import SimParams

__all__ = ["Simulation"]


@dataclass(eq=False)
class Simulation:
    """A simulated creator's panel with everything the simulation knows.

    Attributes
    ----------
    counts : DataFrame
        The observed table in likekit's data contract: ``video_id``, ``timestamp``,
        ``likes`` (Int64, NA when missing or hidden), ``resolution``, ``views``,
        ``comments``, ``shares`` (Int64) and ``display`` (the string the app shows; only
        with ``display=True``). Sorted by video and time.
    truth : DataFrame
        Per video and step: ``likes`` (true) = ``organic_given - unliked + bot_given -
        bot_purged`` (cumulative counts), ``glitch_offset`` (served - true before display
        rounding, 0 outside glitches and for missing values), ``views`` (true, cumulative)
        and ``unlike_hazard`` (probability that a standing fickle like is withdrawn in the
        step).
    events : DataFrame
        Ground truth: ``video_id``, ``cause`` ("glitch", "purge", "trend_decline",
        "status"), ``start``, ``end`` (first and last step affected; a purge has
        ``end == start``, a status change lasts to the end), ``likes_delta`` (purge: minus
        the likes it removed from the video; glitch: served - true at its largest, 0 for
        missing values; status: minus the likes the app would show when it starts, the lower
        bound of the display; trend decline: organic net count at its lowest after the peak
        minus at the peak), ``detail`` and ``wave`` (id of the platform-wide purge wave,
        outage or app bug shared by several videos).
    videos : DataFrame
        Per video: its trend, peak views per hour, trend start and peak, status and its time.
    accounts : DataFrame
        Per bot account: ``kind`` ("farm" or "spam"), ``removed`` (time of its purge,
        NaT if never) and ``wave``.
    bot_likes : DataFrame
        Every bot like given in the window: ``account``, ``video_id``, ``given`` and
        ``removed`` (NaT unless a purge took it).
    params : SimParams
    scenario : str
    seed : int
        The seed used (drawn from the OS when ``simulate`` got none).
    """

    counts: pd.DataFrame
    truth: pd.DataFrame
    events: pd.DataFrame
    videos: pd.DataFrame
    accounts: pd.DataFrame
    bot_likes: pd.DataFrame
    params: SimParams
    scenario: str
    seed: int

    def __repr__(self) -> str:
        p = self.params
        return (
            f"Simulation(scenario={self.scenario!r}, n_videos={p.n_videos}, days={p.days}, "
            f"seed={self.seed}, rows={len(self.counts)}, events={len(self.events)})"
        )

    def plot(self, video_id: str | None = None, ax: Any = None) -> Any:
        """One video: what the app showed, the true count and the true events.

        Parameters
        ----------
        video_id : str, optional
            The video (default: the one whose events lost the most likes).
        ax : matplotlib Axes, optional
            Where to draw (default: a new figure).

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        from likekit.plots import CAUSE_COLORS, concise_dates, event_label, legend_above_data

        if video_id is None:
            lost = self.events.groupby("video_id")["likes_delta"].sum()
            video_id = lost.idxmin() if len(lost) else self.counts["video_id"].iloc[0]
        shown = self.counts[self.counts["video_id"] == video_id]
        if shown.empty:
            raise LikekitInputError(f"no video {video_id!r} in this simulation")
        true = self.truth[self.truth["video_id"] == video_id]
        if ax is None:
            ax = plt.subplots(figsize=(9, 4))[1]
        likes = shown["likes"].astype(float).to_numpy()
        top = likes + shown["resolution"].to_numpy()
        ax.fill_between(
            shown["timestamp"], likes, top, step="post", color="0.8", label="hidden by rounding"
        )
        ax.step(
            shown["timestamp"], likes, where="post", color="0.2", lw=1, label="shown by the app"
        )
        ax.plot(true["timestamp"], true["likes"], color="tab:blue", lw=1, label="true likes")
        for e in self.events[self.events["video_id"] == video_id].itertuples():
            color, label = CAUSE_COLORS[e.cause], event_label(e.cause, e.detail)
            if e.start == e.end:
                ax.axvline(e.start, color=color, lw=1.5, label=label)
            else:
                ax.axvspan(e.start, e.end, color=color, alpha=0.2, label=label)
        ax.set_ylim(bottom=0)
        legend_above_data(ax, room=0.45, ncols=3)
        ax.set(title=f"{self.scenario}: {video_id}", ylabel="likes")
        return concise_dates(ax)

    def write(self, path: str | Path) -> dict[str, Path]:
        """Write ``counts`` to ``path`` and ``truth``, ``events`` beside it.

        Parameters
        ----------
        path : str or Path
            A ``.csv`` or ``.parquet`` file; the ground truth goes to ``STEM_truth`` and
            ``STEM_events`` with the same suffix.

        Returns
        -------
        dict
            ``{"counts": path, "truth": ..., "events": ...}``.
        """
        path = Path(path)
        if path.suffix not in (".csv", ".parquet"):
            raise LikekitInputError(f"write to a .csv or .parquet file, got {path.name!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        out = {
            "counts": path,
            "truth": path.with_name(f"{path.stem}_truth{path.suffix}"),
            "events": path.with_name(f"{path.stem}_events{path.suffix}"),
        }
        for kind, target in out.items():
            frame: pd.DataFrame = getattr(self, kind)
            if path.suffix == ".csv":
                write_csv(frame, target)  # progress shown when large
            else:
                frame.to_parquet(target, index=False)
        return out
