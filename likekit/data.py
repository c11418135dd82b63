"""Reading like-count tables: the data contract, display strings and input errors.

The contract is one tidy long table, one row per (video, snapshot)::

    video_id    str                 the video
    timestamp   datetime64[us, UTC] when the snapshot was taken
    likes       Int64 (nullable)    the count shown then (lower bound of what the display means)
    resolution  int64               display step of that count: 1 exact, 100 for "12.3K", ...
    views, comments, shares         Int64, optional, parsed like likes

Display convention of the app (used both ways by :func:`format_count` and :func:`parse_count`):
exact below 1,000; above, one decimal, truncated, a trailing ".0" dropped, with K or M (and B).
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "COUNT_COLUMNS",
    "LikekitInputError",
    "format_count",
    "load_counts",
    "parse_count",
    "sample_path",
]

Rounding = Literal["truncate", "round"]

#: counters parsed like likes when present
COUNT_COLUMNS = ("likes", "views", "comments", "shares")
REQUIRED_COLUMNS = ("video_id", "timestamp", "likes")
#: counts above this are not believed (no video has a trillion likes)
MAX_COUNT = 10**12
_SUFFIXES = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9}
_UNITS = ((10**3, "K"), (10**6, "M"), (10**9, "B"))
_DISPLAY = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?([KMB]?)$", re.IGNORECASE)
_SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


class LikekitInputError(ValueError):
    """An input likekit cannot trust; the message names source, row and column.

    Rows are numbered as a spreadsheet shows a CSV file: the header is row 1 and the first
    data row is row 2.
    """


# ---------------------------------------------------------------------------------------
# display strings


def _check_rounding(rounding: str) -> None:
    if rounding not in ("truncate", "round"):
        raise ValueError(f"rounding must be 'truncate' or 'round', got {rounding!r}")


def format_count(n: int, *, rounding: Rounding = "truncate") -> str:
    """Render a count the way the app shows it.

    Exact below 1,000; above, one decimal with K, M or B, a trailing ".0" dropped.

    Parameters
    ----------
    n : int
        A non-negative count.
    rounding : {"truncate", "round"}
        How the app reduces the count to one decimal. Public sources disagree; likekit
        assumes truncation.

    Examples
    --------
    >>> format_count(999), format_count(1_299), format_count(12_000), format_count(1_250_000)
    ('999', '1.2K', '12K', '1.2M')
    >>> format_count(1_250, rounding="round")
    '1.3K'
    """
    _check_rounding(rounding)
    n = int(n)
    if n < 0:
        raise ValueError(f"a count cannot be negative, got {n}")
    if n < 1000:
        return str(n)
    for unit, suffix in _UNITS:
        step = unit // 10
        tenths = n // step if rounding == "truncate" else (n + step // 2) // step
        # 999,950 rounds to 1000.0K: the next unit shows it ("1M")
        if tenths < 10_000 or suffix == "B":
            break
    whole, tenth = divmod(tenths, 10)
    return f"{whole}{suffix}" if tenth == 0 else f"{whole}.{tenth}{suffix}"


def parse_count(s: str | int, *, rounding: Rounding = "truncate") -> tuple[int, int]:
    """Read a displayed count: its lower bound and its resolution.

    The true count lies in ``[lower, lower + resolution)``. Accepts exact numbers with or
    without thousands separators ("1,234"), K/M/B suffixes in either case, and surrounding
    blanks. The resolution of a suffixed value is its unit divided by ten per shown decimal
    (at least one, since the app drops a trailing ".0": "12K" has resolution 100).

    Parameters
    ----------
    s : str or int
        The display string (an int is taken as exact).
    rounding : {"truncate", "round"}
        With "round" the shown value is the nearest step, so the bound moves down half a step.

    Returns
    -------
    (lower, resolution) : tuple of int

    Raises
    ------
    ValueError
        If ``s`` is not a count display.

    Examples
    --------
    >>> parse_count("12.3K"), parse_count("1,234"), parse_count(" 1.2M "), parse_count("12K")
    ((12300, 100), (1234, 1), (1200000, 100000), (12000, 100))
    >>> parse_count("12.3K", rounding="round")
    (12250, 100)
    """
    _check_rounding(rounding)
    if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
        if s < 0:
            raise ValueError(f"a count cannot be negative, got {s}")
        return int(s), 1
    m = _DISPLAY.match(str(s).strip())
    if m is None:
        raise ValueError(f"not a count display: {s!r}")
    digits, decimals, suffix = m.group(1).replace(",", ""), m.group(2) or "", m.group(3).upper()
    unit = _SUFFIXES[suffix]
    if not suffix:
        if decimals.strip("0"):
            raise ValueError(f"a count is a whole number, got {s!r}")
        return int(digits), 1
    places = max(len(decimals), 1)
    resolution = max(unit // 10**places, 1)
    lower = int(digits) * unit + int(decimals or 0) * (unit // 10 ** len(decimals or "0"))
    if rounding == "round":
        lower = max(lower - resolution // 2, 0)
    return lower, resolution


# ---------------------------------------------------------------------------------------
# loading


def sample_path(name: str = "creator") -> Path:
    """Path of a bundled sample table, wherever the caller's working directory is.

    Parameters
    ----------
    name : str
        File name in ``data/samples`` with or without the ``.csv`` suffix.
    """
    path = _SAMPLES / name
    if not path.suffix:
        path = path.with_suffix(".csv")
    if not path.exists():
        known = sorted(p.stem for p in _SAMPLES.glob("*.csv") if not p.stem.endswith("_events"))
        raise FileNotFoundError(f"no sample {name!r} in {_SAMPLES}; known: {', '.join(known)}")
    return path
