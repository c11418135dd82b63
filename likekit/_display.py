"""The app's display convention and the count strings people type, both ways.

Exact below 1,000; above, one decimal, truncated, a trailing ".0" dropped, with K or M (and
B). Read back, a display is a lower bound and a step ("12.3K" is [12,300, 12,400)). Typed counts
also carry local separators: thousands as ``,`` ``.`` space, no-break space or ``'``, a decimal
comma in displays (``12,3K``, ``1,2 M``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Rounding = Literal["truncate", "round"]

#: counts above this are not believed (no video has a trillion likes)
MAX_COUNT = 10**12
_SUFFIXES = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9}
_UNITS = ((10**3, "K"), (10**6, "M"), (10**9, "B"))
#: thousands separators understood unless ``thousands=`` names one: comma, point, apostrophes,
#: space, no-break and narrow no-break space
THOUSANDS = ",.'\u2019 \u00a0\u202f"
_SPACES = " \u00a0\u202f"


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
    without thousands separators ("1,234", "1.234", "12 345", "1'234"), K/M/B suffixes in
    either case, after a space or not, with a decimal point or comma ("12,3K"), and
    surrounding blanks. The resolution of a suffixed value is its unit divided by ten per
    shown decimal (at least one, since the app drops a trailing ".0": "12K" has resolution
    100).

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
    >>> parse_count("12,3 k"), parse_count("1.000")
    ((12300, 100), (1000, 1))
    >>> parse_count("12.3K", rounding="round")
    (12250, 100)
    """
    _check_rounding(rounding)
    if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
        if s < 0:
            raise ValueError(f"a count cannot be negative, got {s}")
        return int(s), 1
    lower, resolution, valid = parse_displays(pa.array([str(s).strip()]), rounding=rounding)
    if not valid[0]:
        raise ValueError(f"not a count display: {s!r}")
    return int(lower[0]), int(resolution[0])


def display_bounds(n: np.ndarray, rounding: str = "truncate") -> tuple[np.ndarray, np.ndarray]:
    """Vectorized ``parse_count(format_count(n))``: lower bound and resolution of a display.

    Parameters
    ----------
    n : array of int
        Non-negative counts.
    rounding : {"truncate", "round"}
        As in :func:`format_count`.

    Returns
    -------
    lower, resolution : arrays of int64

    Examples
    --------
    >>> lower, res = display_bounds(np.array([999, 1_299, 12_000, 1_250_000]))
    >>> lower.tolist(), res.tolist()
    ([999, 1200, 12000, 1200000], [1, 100, 100, 100000])
    """
    n = np.asarray(n, dtype=np.int64)
    lower, resolution = n.copy(), np.ones_like(n)
    top = n.max(initial=0)
    low = 1000
    for unit in (10**3, 10**6, 10**9):
        if top < low:
            break
        step = unit // 10
        half = 0 if rounding == "truncate" else step // 2
        # as format_count: a unit shows its values while fewer than 1000.0 of it, i.e.
        # while (n + half) // step < 10,000
        high = 1000 * unit - half if unit < 10**9 else top + 1
        here = (n >= low) & (n < high)
        lower = np.where(here, (n + half) // step * step - half, lower)
        resolution[here] = step
        low = high
    return lower, resolution


def _separators(thousands: str | None, decimal: str | None) -> tuple[str, str]:
    """The characters read as thousands separators and as decimal marks."""
    for name, value in (("thousands", thousands), ("decimal", decimal)):
        if value is not None and (len(value) != 1 or value.isdigit()):
            raise ValueError(f"{name} must be one separator character, got {value!r}")
    if thousands is not None and thousands == decimal:
        raise ValueError(f"thousands and decimal cannot both be {thousands!r}")
    group = THOUSANDS if thousands is None else (_SPACES if thousands in _SPACES else thousands)
    marks = ".," if decimal is None else decimal
    if thousands is not None:
        marks = "".join(c for c in marks if c not in group)
    group = "".join(c for c in group if c not in (decimal or ""))
    return group, marks


def _display_pattern(group: str, marks: str) -> str:
    grouped = rf"\d{{1,3}}(?:[{group}]\d{{3}})+"
    decimals = rf"(?:[{marks}](?P<{{}}>\d+))?" if marks else "(?P<{}>)"
    # with a suffix a separator before the last digits is a decimal mark ("1,2K"); without,
    # a separator followed by exactly three digits groups thousands ("1.000")
    suffixed = rf"(?P<sint>\d+|{grouped}){decimals.format('sdec')}\s?(?P<suffix>[KMB])"
    plain = rf"(?P<pint>{grouped}|\d+){decimals.format('pdec')}"
    return rf"^(?:{suffixed}|{plain})$"


def parse_displays(
    text: pa.Array,
    *,
    rounding: Rounding = "truncate",
    thousands: str | None = None,
    decimal: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised :func:`parse_count` over Arrow strings (already stripped).

    Parameters
    ----------
    text : pyarrow.Array of string or large_string
    rounding : {"truncate", "round"}
    thousands, decimal : str, optional
        The one thousands separator and the one decimal mark of the source, when its
        separators are ambiguous; by default any of :data:`THOUSANDS` groups thousands and
        ``.`` or ``,`` is a decimal mark where it is not followed by exactly three digits.

    Returns
    -------
    lower, resolution, valid : ndarray
        int64 lower bounds and resolutions (0 where invalid or null) and a boolean mask of
        the values that are count displays. Values beyond ``MAX_COUNT`` are computed in floats
        (and capped at 2**62) rather than wrapped around in int64, so callers can reject them.
    """
    group, marks = _separators(thousands, decimal)
    lower, resolution, valid = _app_displays(text, marks) or _written_displays(text, group, marks)
    if rounding == "round":  # the shown value is the nearest step: the bound is half a step lower
        lower = np.maximum(lower - resolution // 2, 0)
    return lower, resolution, valid


#: each byte's value as a suffix (1 for any other byte)
_SUFFIX_UNITS = np.ones(256, dtype=np.int64)
_SUFFIX_UNITS[[ord(letter) for _, letter in _UNITS]] = [unit for unit, _ in _UNITS]
#: masks keeping the first k bytes of a little-endian word, k = 0 ... 8
_KEEP = np.array([(1 << 8 * k) - 1 for k in range(9)], dtype=np.uint64)
_ZEROS = np.uint64(0x3030303030303030)  # eight ASCII "0"
_HIGH = np.uint64(0xF0F0F0F0F0F0F0F0)


def _byte(words: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Byte ``index`` (from 0, clipped to 0 ... 7) of each little-endian word."""
    shift = (np.clip(index, 0, 7) * 8).astype(np.uint64)
    return ((words >> shift) & np.uint64(0xFF)).astype(np.int64)


def _eight_digits(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The number eight ASCII digits spell (first byte the most significant) and whether all
    eight bytes are digits, by integer arithmetic on the word (as simdjson reads digits)."""
    bumped = (words + np.uint64(0x0606060606060606)) & _HIGH
    digits = ((words & _HIGH) | (bumped >> np.uint64(4))) == np.uint64(0x3333333333333333)
    val = words - _ZEROS
    val = val * np.uint64(10) + (val >> np.uint64(8))
    pairs = np.uint64(0x000000FF000000FF)
    val = (
        (val & pairs) * np.uint64(100 + (1000000 << 32))
        + ((val >> np.uint64(16)) & pairs) * np.uint64(1 + (10000 << 32))
    ) >> np.uint64(32)
    return val.astype(np.int64), digits


def value_ends(text: pa.Array) -> np.ndarray:
    """Where each value of an Arrow string array starts in its data buffer, and where the
    last one ends (``len(text) + 1`` offsets, no copy)."""
    width = np.int64 if pa.types.is_large_string(text.type) else np.int32
    return np.frombuffer(text.buffers()[1], width)[text.offset : text.offset + len(text) + 1]


def _app_displays(text: pa.Array, marks: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Displays as the app writes them ("999", "12K", "12.3M"): up to eight characters, digits,
    maybe one decimal after a point, maybe a K, M or B. Each is one 8-byte word read by integer
    arithmetic, ~10x faster than the regular expression; None when any value is written
    otherwise (or the point is no decimal mark), for :func:`_written_displays` to read."""
    if "." not in marks or not isinstance(text, pa.Array) or text.null_count or not len(text):
        return None
    data, ends = text.buffers()[2], value_ends(text)
    length = np.diff(ends).astype(np.int64)
    if data is None or length.min() < 1 or length.max() > 8:
        return None
    padded = np.zeros(int(ends[-1] - ends[0]) + 8, dtype=np.uint8)  # a word at every start
    padded[:-8] = np.frombuffer(data, np.uint8)[ends[0] : ends[-1]]
    unaligned = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
    words = unaligned[(ends[:-1] - ends[0]).astype(np.intp)] & _KEEP[length]
    unit = _SUFFIX_UNITS[_byte(words, length - 1)]
    body = length - (unit > 1)
    point = (unit > 1) & (body >= 3) & (_byte(words, body - 2) == ord("."))
    tenth = np.where(point, _byte(words, body - 1) - ord("0"), 0)
    figures = body - 2 * point  # digits before the point
    # the digits moved to the word's end behind leading "0"s: an eight-digit number
    shift = (8 * (8 - np.clip(figures, 1, 8))).astype(np.uint64)
    whole, digits = _eight_digits(
        ((words & _KEEP[figures]) << shift) | (_ZEROS & _KEEP[8 - figures])
    )
    resolution = np.where(unit > 1, unit // 10, 1)
    lower = whole * unit + tenth * resolution
    if not ((figures >= 1) & digits & (tenth >= 0) & (tenth <= 9)).all() or lower.max() > MAX_COUNT:
        return None
    return lower, resolution, np.ones(len(text), dtype=bool)


def _written_displays(
    text: pa.Array, group: str, marks: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Any display (separators, decimal commas, spaces, lower case) by a regular expression."""
    text = text.cast(pa.string())  # pandas' large_string too (the kernels below join strings)
    parts = pc.extract_regex(pc.utf8_upper(text), _display_pattern(group, marks))
    valid = parts.is_valid().to_numpy(zero_copy_only=False)

    def field(*names: str) -> pa.Array:  # the branch that did not match gives ""
        return pc.binary_join_element_wise(*(pc.struct_field(parts, n) for n in names), "")

    digits = pc.replace_substring_regex(field("sint", "pint"), f"[{group}]", "")
    whole = pc.fill_null(pc.cast(digits, pa.float64()), 0).to_numpy()
    decimals = pc.fill_null(field("sdec", "pdec"), "")
    places = pc.utf8_length(decimals).to_numpy().astype(np.int64)
    padded = pc.utf8_rpad(decimals, width=1, padding="0")  # "" -> "0"
    fraction = pc.cast(padded, pa.int64()).to_numpy()
    suffix = pc.fill_null(pc.struct_field(parts, "suffix"), "")
    power = pc.index_in(suffix, pa.array(list(_SUFFIXES))).to_numpy(zero_copy_only=False)
    unit = np.array(list(_SUFFIXES.values()), dtype=np.int64)[np.nan_to_num(power).astype(int)]
    valid &= (unit > 1) | (fraction == 0)  # a plain count is whole: "12.0" yes, "12.5" no
    too_big = whole * unit > MAX_COUNT  # checked in floats, before int64 could wrap
    exact = np.where(too_big, 0, whole).astype(np.int64) * unit
    exact += fraction * (unit // 10**places)
    lower = np.where(too_big, np.minimum(whole * unit, 2.0**62).astype(np.int64), exact)
    resolution = np.where(unit > 1, np.maximum(unit // 10 ** np.maximum(places, 1), 1), 1)
    return np.where(valid, lower, 0), np.where(valid, resolution, 0), valid


def significant_steps(n: np.ndarray, figures: int = 3) -> np.ndarray:
    """The display step of ``n`` shown with ``figures`` significant figures (1 below 10**figures).

    Examples
    --------
    >>> significant_steps(np.array([999, 1_234, 20_800_000])).tolist()
    [1, 10, 100000]
    """
    n = np.asarray(n, dtype=np.int64)
    digits = np.searchsorted(10 ** np.arange(19, dtype=np.int64), n, side="right")
    return 10 ** np.maximum(digits - figures, 0)
