"""What the kernel running a report loads: alt text for every figure it shows.

The report's kernel starts with ``--ext likekit.report_kernel``: its PNG formatter then
gives each matplotlib figure ``{"alt": ...}`` in the output's metadata, written from the
figure's own words: its titles, axis labels and legend. The report's template puts it in
the ``<img>`` tag; without it nbconvert writes "No description has been provided for this
image" and logs a warning.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["describe", "load_ipython_extension"]

#: legend entries named at most, per axes (a panel of 30 videos is not read out one by one)
_MAX_ENTRIES = 6


def describe(fig: Any) -> str:
    """A figure in words, for a screen reader: titles, then per axes its axis labels and
    legend entries.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> _ = ax.plot([0, 1], label="shown by the app")
    >>> _ = ax.set(title="v03", xlabel="date", ylabel="likes")
    >>> _ = ax.legend()
    >>> describe(ax.figure)
    'Figure: v03 (date against likes; shown by the app).'
    """
    parts = []
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    for ax in fig.axes:
        title = " ".join(t for t in (ax.get_title("left"), ax.get_title()) if t.strip())
        axes = " against ".join(s for s in (ax.get_xlabel(), ax.get_ylabel()) if s.strip())
        legend = ax.get_legend()
        entries = [t.get_text() for t in legend.get_texts()] if legend is not None else []
        more = len(entries) - _MAX_ENTRIES
        entries = entries[:_MAX_ENTRIES] + ([f"{more} more"] if more > 0 else [])
        detail = "; ".join(s for s in (axes, ", ".join(entries)) if s)
        if title or detail:
            parts.append(f"{title} ({detail})" if title and detail else title or detail)
    words = "; ".join(s for s in (suptitle, *parts) if s.strip())
    return f"Figure: {words}." if words else "Figure without a title."


def _is_figure(obj: Any) -> bool:
    figure = sys.modules.get("matplotlib.figure")  # never imports matplotlib itself
    return figure is not None and isinstance(obj, figure.Figure)


def load_ipython_extension(ip: Any) -> None:
    """IPython's entry point: the kernel's PNG formatter becomes one that adds alt text.

    The formatter object is replaced, not the printer of figures: the inline backend
    registers its printer when the first figure is drawn, in whatever cell that is, and a
    registration goes into this formatter like any other.
    """
    from IPython.core.formatters import PNGFormatter

    class PNGWithAlt(PNGFormatter):
        def __call__(self, obj: Any) -> Any:
            data = super().__call__(obj)
            if data is None or isinstance(data, tuple) or not _is_figure(obj):
                return data
            return data, {"alt": describe(obj)}

    old = ip.display_formatter.formatters["image/png"]
    new = PNGWithAlt(parent=ip.display_formatter)
    for name in ("enabled", "type_printers", "deferred_printers", "singleton_printers"):
        setattr(new, name, getattr(old, name))
    ip.display_formatter.formatters["image/png"] = new
