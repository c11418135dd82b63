"""Shared look of likekit's figures: one colour per cause, used by every plot."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: colour of each cause, in every figure of the kit
CAUSE_COLORS: dict[str, str] = {
    "glitch": "#f2a541",
    "purge": "#d1495b",
    "trend_decline": "#00798c",
    "status": "#6c757d",
}


def concise_dates(ax: Axes) -> Axes:
    """Short date labels that do not collide ("Jan 05", "12:00") on a time axis."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax


#: a cause in words, for legends
CAUSE_LABELS: dict[str, str] = {
    "glitch": "glitch (came back)",
    "purge": "bot purge",
    "trend_decline": "fading trend",
    "status": "hidden or removed",
}

#: the kind of an event in words, when it says more than its cause
DETAIL_LABELS: dict[str, str] = {
    "freeze": "frozen count",
    "flicker": "old-app flicker",
    "missing": "missing snapshots",
    "likes_hidden": "count hidden",
    "video_removed": "video removed",
}


def event_label(cause: str, detail: str | None = None) -> str:
    """An event's legend entry in words: "bot purge", "glitch (came back): frozen count"."""
    words = CAUSE_LABELS.get(cause, cause.replace("_", " "))
    extra = DETAIL_LABELS.get(detail or "")
    return f"{words}: {extra}" if extra else words


def legend_above_data(ax: Axes, *, room: float = 0.3, **legend_options) -> None:
    """A legend in a band added at the top of the axes, so that it never covers data.

    The y range is extended by ``room`` (a share of its height) and the legend, one row of
    entries, sits in that empty band. Nothing is drawn when the axes have no labels.
    """
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))  # one entry per label
    if not unique:
        return
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + room * (high - low))
    options = {"loc": "upper center", "fontsize": "small", "frameon": False}
    options |= {"ncols": min(len(unique), 4)} | legend_options
    ax.legend(unique.values(), unique.keys(), **options)


def decay_panel(fit, ax: Axes, *, metric: str = "likes", title: str = "") -> Axes:
    """:meth:`likekit.DecayFit.plot` for a report: from the start of the decline on, the
    y range on what is visible, legend entries in words and above the data."""
    import matplotlib.dates as mdates
    import numpy as np

    fit.plot(ax=ax)
    left = mdates.date2num(fit.start.tz_convert(None).to_pydatetime())
    right = ax.get_xlim()[1]
    ax.set_xlim(left - 0.05 * (right - left), right)
    shown = []
    for line in ax.get_lines():
        x, y = (
            np.asarray(a, dtype=float)
            for a in (mdates.date2num(line.get_xdata()), line.get_ydata())
        )
        if len(x) > 2:  # data and fitted path, not the reference lines
            shown.append(y[(x >= left) & np.isfinite(y)])
        label = line.get_label()
        if label.startswith("fit: "):
            line.set_label("fitted decay")
        elif label == "likes":
            line.set_label(f"{metric} (net count)")
    values = np.concatenate(shown) if shown else np.array([0.0, 1.0])
    low, high = float(values.min()), float(values.max())
    pad = 0.1 * max(high - low, 1.0)
    ax.set_ylim(low - pad, high + pad)
    ax.set_ylabel(metric)
    legend_above_data(ax, ncols=2)
    if title:
        ax.set_title(title, fontsize=10)
    return ax
