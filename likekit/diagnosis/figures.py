"""The figures of a :class:`~likekit.Diagnosis`: the panel of all videos and one video.

Both keep their text inside the figure (so ``savefig`` keeps the title and the wave
numbers) and put legends and wave numbers in a band above the data, never over it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from likekit.formatting import plural
from likekit.plots import CAUSE_COLORS, event_label, legend_above_data

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from likekit.diagnosis.result import Diagnosis

#: beyond this many videos the panel shows a band and the top videos, not every line
MAX_LINES = 30


def _share_of_peak(obs: pd.DataFrame) -> pd.DataFrame:
    """Each video's count over its peak, one column per video, rows in time."""
    likes = obs["likes"].astype(float)
    peak = likes.groupby(obs["video_id"]).transform("max").clip(lower=1.0)
    share = obs.assign(share=likes / peak)
    return share.pivot_table(index="timestamp", columns="video_id", values="share")


def panel_plot(diag: Diagnosis, ax: Axes, obs: pd.DataFrame, *, top: int = 5) -> Axes:
    """Every video's count as a share of its peak with the waves, or beyond
    :data:`MAX_LINES` videos the median and middle 80% with the ``top`` losers drawn."""
    grid = _share_of_peak(obs)
    n = grid.shape[1]
    if n <= MAX_LINES:
        ax.plot(grid.index, grid.to_numpy(), lw=0.8, alpha=0.6, color="0.3")
        ax.plot([], [], lw=0.8, color="0.3", label="a video")
        title = f"{plural(n, 'video')}, {plural(len(diag.waves), 'wave')}"
    else:
        filled = grid.ffill()
        q = filled.quantile([0.1, 0.5, 0.9], axis=1).T
        ax.fill_between(q.index, q[0.1], q[0.9], color="0.75", lw=0, label="middle 80% of videos")
        ax.plot(q.index, q[0.5], color="0.2", lw=1.2, label="median video")
        acc = diag.losses(by="video")
        worst = (acc["peak"] - acc["now"]).nlargest(top).index
        for v in worst.intersection(grid.columns):
            ax.plot(grid.index, filled[v], lw=0.8, color="#3c7dd9", alpha=0.8)
        ax.plot([], [], lw=0.8, color="#3c7dd9", label=f"the {top} videos that fell most")
        title = (
            f"{plural(n, 'video')} (too many to draw one by one: median, middle 80% and the "
            f"{top} that fell most), {plural(len(diag.waves), 'wave')}"
        )
    for cause in diag.waves["cause"].unique():
        ax.plot([], [], color=CAUSE_COLORS[cause], lw=1.5, label=f"wave: {event_label(cause)}")
    ax.set_ylim(0, 1.05)
    legend_above_data(ax, room=0.35)
    below_band = 1.12 / ax.get_ylim()[1]  # the lines stop under the legend
    for w in diag.waves.itertuples():
        ax.axvline(w.time, ymax=below_band, color=CAUSE_COLORS[w.cause], lw=1.2, alpha=0.8)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_ylabel(f"{diag.metric}, share of each video's peak")
    _number_waves(ax, diag.waves)
    ax.set_title(title, fontsize=10)
    return ax


def _number_waves(ax: Axes, waves: pd.DataFrame) -> None:
    """Wave numbers just above the data; a number too close to the previous one is left
    out (its line stays), so that labels never overlap."""
    if waves.empty:
        return
    import matplotlib.dates as mdates

    left, right = ax.get_xlim()
    x = mdates.date2num(pd.DatetimeIndex(waves["time"]).tz_localize(None).to_pydatetime())
    last = -float("inf")
    for number, xi in zip(waves["wave"], x, strict=True):
        if xi - last < 0.025 * (right - left):
            continue
        ax.annotate(str(number), (xi, 1.06), xycoords=("data", "data"), fontsize=7, ha="center")
        last = xi


def video_plot(diag: Diagnosis, ax: Axes, one: pd.DataFrame, video_id: str) -> Axes:
    """One video's count with its events shaded by cause; the legend above the data."""
    ax.plot(one["timestamp"], one["likes"].astype(float), color="0.2", lw=1, label="shown count")
    events = diag.events.loc[diag.events["video_id"] == video_id]
    for e in events.itertuples():
        label = event_label(e.cause)
        if e.end > e.start:
            ax.axvspan(e.start, e.end, color=CAUSE_COLORS[e.cause], alpha=0.3, label=label)
        else:
            ax.axvline(e.start, color=CAUSE_COLORS[e.cause], lw=2, label=label)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(diag.metric)
    legend_above_data(ax)
    ax.set_title(str(video_id), fontsize=10)
    return ax


def losses_bars(diag: Diagnosis, ax: Axes | None = None) -> Axes:
    """Per cause, the counts that disappeared: lost for good, hidden, came back (stacked).

    The legend goes under the axes (the figure is laid out to hold it), never over a bar.
    """
    import matplotlib.pyplot as plt

    from likekit.tables import CAUSE_ROWS

    losses = diag.losses()
    order = losses[["lost", "hidden", "came_back"]].sum(axis=1).sort_values(ascending=False)
    losses = losses.loc[order.index]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2), layout="constrained")
    labels = [CAUSE_ROWS[c] for c in losses.index]
    colors = [CAUSE_COLORS[c] for c in losses.index]
    left = pd.Series(0.0, index=losses.index)
    for fate, style in (
        ("lost", {"label": "lost for good"}),
        ("hidden", {"alpha": 0.6, "hatch": "..", "label": "hidden"}),
        ("came_back", {"alpha": 0.35, "hatch": "//", "label": "came back"}),
    ):
        ax.barh(labels, losses[fate], left=left, color=colors, edgecolor="0.3", **style)
        left = left + losses[fate]
    ax.invert_yaxis()
    ax.set_xlabel(f"{diag.metric} that disappeared")
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:,.0f}")
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor="0.45", edgecolor="0.3", label="lost for good"),
        Patch(facecolor="0.45", edgecolor="0.3", alpha=0.6, hatch="..", label="hidden"),
        Patch(facecolor="0.45", edgecolor="0.3", alpha=0.35, hatch="//", label="came back"),
    ]
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncols=3, frameon=False
    )
    ax.set_title(f"Where the {diag.metric} went", fontsize=10)
    return ax


def wave_timeline(diag: Diagnosis, ax: Axes) -> Axes:
    """Each wave at its time: videos hit (height) and what it took (size), dated."""
    from likekit.plots import concise_dates

    per_wave = diag.losses(by="wave")
    if len(per_wave):
        size = per_wave["likes"].abs()
        ax.scatter(
            per_wave["time"],
            per_wave["n_videos"],
            s=20 + 300 * size / max(size.max(), 1),
            c=[CAUSE_COLORS[c] for c in per_wave["cause"]],
            alpha=0.8,
            edgecolor="k",
            lw=0.5,
        )
        ax.vlines(per_wave["time"], 0, per_wave["n_videos"], color="0.6", lw=0.8)
        for cause in per_wave["cause"].unique():
            ax.scatter([], [], color=CAUSE_COLORS[cause], label=event_label(cause))
    ax.set_ylim(bottom=0)
    concise_dates(ax)
    ax.tick_params(labelbottom=True)  # dated even above a shared axis
    ax.set_ylabel("videos hit")
    legend_above_data(ax)
    ax.set_title(f"Waves: videos hit (height) and {diag.metric} taken (size)", fontsize=10)
    return ax


def wave_heatmap(diag: Diagnosis, *, max_rows: int = 40):
    """Videos by waves, coloured by what each wave took from each video (red: lost).

    Beyond ``max_rows`` videos only those the waves took most from are shown (the title
    says so). Returns the figure, or None when no video was hit by a wave.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    hits = diag.events.loc[diag.events["wave"].notna()]
    if hits.empty:
        return None
    waves = diag.waves
    grid = hits.pivot_table(index="video_id", columns="wave", values="likes_delta", aggfunc="sum")
    grid = -grid.reindex(columns=waves["wave"])  # positive: taken
    n = len(grid)
    grid = grid.loc[grid.fillna(0).abs().sum(axis=1).nlargest(max_rows).index]
    fig, ax = plt.subplots(
        figsize=(min(3 + 0.7 * grid.shape[1], 12), min(2 + 0.25 * grid.shape[0], 11)),
        layout="constrained",
    )
    lim = float(np.nanmax(np.abs(grid.to_numpy(dtype=float)))) or 1.0
    image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_xticks(
        range(grid.shape[1]),
        [
            f"wave {w}\n{t.day} {t:%b}\n{t:%H:%M}"
            for w, t in zip(waves["wave"], waves["time"], strict=True)
        ],
        fontsize=7,
    )
    ax.set_yticks(range(grid.shape[0]), [str(v) for v in grid.index], fontsize=7)
    ax.set_ylabel("video")
    fig.colorbar(image, ax=ax, label=f"{diag.metric} taken at the wave (blue: gained)")
    shown = plural(n, "video")
    if n > len(grid):
        shown = f"the {len(grid)} videos the waves took most from, of {n:,}"
    ax.set_title(f"Which videos each wave hit ({shown}; blank: not hit)", fontsize=10)
    return fig
