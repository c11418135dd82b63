"""How numbers, times and tables read in a report: the one place that decides it.

Counts are whole, with thousands separators ("12,345 likes", never ``12345.0``); shares are
per cent with as many decimals as it takes to not print zero for a real loss; times are
plain words in UTC ("9 Jan 2026, 14:00 UTC", never ``+00:00``); durations are hours or days
("36 hours", "2.5 days", never ``1 days 12:00:00``). Tables for people are sorted by loss,
have worded column names, show every row in a scrollable box, and can be written in full
as CSV beside the report.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd

#: what the tables count when the table does not say (``counts.attrs["metric"]``)
DEFAULT_METRIC = "likes"


def metric_of(counts: pd.DataFrame | None) -> str:
    """The word for what the table counts ("likes", "followers", ...), from
    ``counts.attrs["metric"]`` as :func:`likekit.load_counts` sets it; "likes" by default."""
    word = (counts.attrs.get("metric") if counts is not None else None) or DEFAULT_METRIC
    return str(word)


def singular(metric: str) -> str:
    """ "likes" -> "like", "followers" -> "follower"; a word without a plural s is kept."""
    return metric[:-1] if metric.endswith("s") and len(metric) > 1 else metric


def whole(n: float) -> str:
    """A count as a whole number with thousands separators; "n/a" when unknown.

    >>> whole(12345.6), whole(-0.2), whole(float("nan"))
    ('12,346', '0', 'n/a')
    """
    if n is None or not math.isfinite(n):
        return "n/a"
    return f"{round(n) + 0:,}"  # + 0 turns -0 into 0


def plural(n: float, word: str, words: str | None = None) -> str:
    """``n`` and the word, singular for exactly one.

    >>> plural(1, "video"), plural(2_500, "like"), plural(0, "wave")
    ('1 video', '2,500 likes', '0 waves')
    """
    many = words if words is not None else word + "s"
    return f"{whole(n)} {word if round(n) == 1 else many}"


def count(n: float, metric: str = DEFAULT_METRIC) -> str:
    """``n`` of the metric in whole units: "1 like", "12,345 followers"."""
    return plural(n, singular(metric), metric)


def percent(share: float) -> str:
    """A share as per cent: one decimal, more when that would show a real share as zero.

    >>> percent(0.1234), percent(0.0004), percent(0.0), percent(1.0)
    ('12.3%', '0.04%', '0%', '100%')
    """
    if share is None or not math.isfinite(share):
        return "n/a"
    if share == 0:
        return "0%"
    pct = 100 * share
    decimals = 1 if abs(pct) >= 0.1 else min(6, 1 - math.floor(math.log10(abs(pct))))
    text = f"{pct:,.{decimals}f}".rstrip("0").rstrip(".")
    return text + "%"


def when(t: pd.Timestamp | None) -> str:
    """A time in plain words, UTC: "9 Jan 2026, 14:00 UTC" ("unknown" when missing).

    >>> when(pd.Timestamp("2026-01-09 14:00", tz="UTC"))
    '9 Jan 2026, 14:00 UTC'
    """
    if t is None or pd.isna(t):
        return "unknown"
    t = pd.Timestamp(t)
    t = t.tz_convert("UTC") if t.tzinfo is not None else t
    return f"{t.day} {t:%b %Y, %H:%M} UTC"


def day(t: pd.Timestamp) -> str:
    """A date in plain words: "9 Jan 2026"."""
    t = pd.Timestamp(t)
    return f"{t.day} {t:%b %Y}"


def duration(span: pd.Timedelta | float | None) -> str:
    """A duration (a Timedelta, or hours) in minutes, hours or days, in words.

    >>> duration(pd.Timedelta(hours=1)), duration(36), duration(pd.Timedelta(minutes=20))
    ('1 hour', '36 hours', '20 minutes')
    >>> duration(24 * 5.25), duration(float("inf"))
    ('5.2 days', 'never')
    """
    hours = span / pd.Timedelta(hours=1) if isinstance(span, pd.Timedelta) else span
    if hours is None or (isinstance(hours, float) and math.isnan(hours)):
        return "unknown"
    if math.isinf(hours):
        return "never"
    if hours < 1:
        return plural(hours * 60, "minute")
    if hours < 72:
        return plural(hours, "hour") if hours >= 10 else _decimal(hours, "hour")
    return _decimal(hours / 24, "day")


def _decimal(x: float, word: str) -> str:
    text = f"{x:,.1f}".removesuffix(".0")
    return f"{text} {word}{'' if text == '1' else 's'}"


# -- tables -----------------------------------------------------------------------------


def readable(
    frame: pd.DataFrame,
    labels: dict[str, str],
    *,
    counts: tuple[str, ...] = (),
    times: tuple[str, ...] = (),
    shares: tuple[str, ...] = (),
    hours: tuple[str, ...] = (),
    sort_by: str | None = None,
) -> pd.DataFrame:
    """``frame`` for a person: the ``labels`` columns only, renamed, values as text.

    ``counts`` become whole numbers with separators, ``times`` plain UTC words, ``shares``
    per cent, ``hours`` durations. Rows are sorted by ``sort_by`` (largest first) before
    the values become text, so that a table of losses starts with the largest loss.
    """
    out = frame.sort_values(sort_by, ascending=False, kind="stable") if sort_by else frame
    out = out[list(labels)].copy()
    for col, fmt in (
        *((c, whole) for c in counts),
        *((c, when) for c in times),
        *((c, percent) for c in shares),
        *((c, duration) for c in hours),
    ):
        out[col] = [fmt(v) for v in out[col]]
    out.index = [str(i) for i in out.index]  # ids stay text, whatever they look like
    out.index.name = frame.index.name
    return out.rename(columns=labels)


def scrollable(table: pd.DataFrame, *, height_px: int = 360) -> str:
    """Every row of a (readable) table as HTML in a scrollable box; text is escaped."""
    body = table.to_html(escape=True, border=0, na_rep="")
    return f'<div class="likekit-table" style="max-height:{height_px}px;overflow:auto">{body}</div>'


def csv_beside(table: pd.DataFrame, results_path: str, name: str) -> Path | None:
    """Write ``table`` in full as ``<name>.csv`` beside ``results_path`` (the report's
    folder).

    Returns the path written, or None when there is no results path (nothing is written).
    """
    if not results_path:
        return None
    path = Path(results_path).with_name(f"{name}.csv")
    table.to_csv(path)
    return path


def link_note(path: Path | None, rows: int, what: str) -> str:
    """One HTML line saying where the full table is (escaped)."""
    where = ""
    if path is not None:
        where = f" Every row is also in <code>{html.escape(path.name)}</code>, beside this report."
    return f"<p>{html.escape(plural(rows, what))} in the table above.{where}</p>"


def paragraphs(*texts: str) -> str:
    """Sentences as HTML paragraphs, escaped; empty texts are left out."""
    return "".join(f"<p>{html.escape(t)}</p>" for t in texts if t)


def bullets(*texts: str) -> str:
    """Lines as an HTML list, escaped."""
    return "<ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in texts if t) + "</ul>"


def number(x: float, digits: int = 4) -> str:
    """A measured number with about ``digits`` significant digits, never in e-notation.

    >>> number(-5979.896765), number(0.000123456), number(36.21), number(float("nan"))
    ('-5,980', '0.0001235', '36.21', 'n/a')
    """
    if x is None or not math.isfinite(x):
        return "n/a" if x is None or math.isnan(x) else ("infinite" if x > 0 else "-infinite")
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{x:,.{decimals}f}"
