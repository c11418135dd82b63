"""Capture times: ISO 8601, local day/month orders, month names, Unix epochs, time zones.

A numeric day/month column is read with one order for the whole column: a value valid only one
way ("24/11/2026") settles it, ``dayfirst=``/``date_format=`` state it, and a column that
cannot say (every day <= 12) or that needs both orders is refused with one value read both
ways. Times without an offset are in ``tz`` (UTC by default); the result is UTC.
"""

from __future__ import annotations

import zoneinfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from likekit._source import Source

_EXAMPLE = "expected a date and time such as 2026-01-05T13:00:00Z"
# day and month in either order, then the year (two digits mean 20xx), then maybe a time
_NUMERIC = (
    r"^(?P<a>\d{1,2})[./-](?P<b>\d{1,2})[./-](?P<y>\d{4}|\d{2})"
    r"(?:(?:[ T]|, ?)(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?"
    r"(?: ?(?P<ampm>[AaPp]\.?[Mm]\.?))?)?$"
)
_NUMERIC_START = r"^(?P<a>\d{1,2})[./-](?P<b>\d{1,2})[./-](?:\d{4}|\d{2})\b"
_AWARE = r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?|\b(?:UTC|GMT))$"
#: epoch values read as seconds below this, as milliseconds from it (1e11 s is year 5138)
_MILLIS_FROM = 10**11
_EPOCH_RANGE = (pd.Timestamp("2000-01-01", tz="UTC"), pd.Timestamp("2100-01-01", tz="UTC"))
_MONTHS = "January February March April May June July August September October November December"


def zone(tz: str | None) -> str:
    """The IANA zone naive times are in (UTC by default), checked."""
    if tz is None:
        return "UTC"
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"tz must be an IANA time zone such as 'Europe/Paris', got {tz!r}"
        ) from None
    return tz


def timestamps(
    column: pd.Series,
    src: Source,
    *,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    tz: str = "UTC",
) -> pd.DatetimeIndex:
    """Parse a capture-time column to ``datetime64[us, UTC]``, or name the first bad cell."""
    text = None
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) == "datetime":
        column = pd.Series(pd.DatetimeIndex(column))  # Excel date cells
    kind = column.dtype.pyarrow_dtype if isinstance(column.dtype, pd.ArrowDtype) else None
    if kind is not None and pa.types.is_timestamp(kind):  # a CSV's times as Arrow read them
        column = _arrow_times(pa.array(column.array), kind)
    if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(column):
        stamps = _to_utc(pd.DatetimeIndex(column), tz, src, None)
    elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        stamps = _epochs(column.to_numpy(dtype="float64", na_value=np.nan), src)
    else:
        text = _text(column)
        stamps = _parse_text(text, src, dayfirst=dayfirst, date_format=date_format, tz=tz)
    bad = np.asarray(stamps.isna())
    if bad.any():
        row = int(np.argmax(bad))
        value = None if text is None else text[row].as_py()
        if value is None or not value.strip():
            what = "missing timestamp (every snapshot needs a date and time)"
        else:
            hint = f"; its layout is date_format={date_format!r}" if date_format else ""
            what = f"{_EXAMPLE}, got {value!r}{hint}"
        src.error(what, row=row, column="timestamp")
    return stamps if stamps.unit == "us" else stamps.as_unit("us")  # as_unit copies


def _arrow_times(times: pa.ChunkedArray, kind: pa.TimestampType) -> pd.DatetimeIndex:
    """Arrow's times as they are stored (instants in UTC where Arrow's have a zone, else the
    clock's times), in one copy: pandas reads an Arrow column cell by cell (~2 s of 1M) and
    Arrow's to_pandas localises aware times once more (~1 ms of 1M)."""
    ticks = times.cast(pa.int64())
    if ticks.null_count:
        ticks = ticks.fill_null(np.iinfo(np.int64).min)  # NaT
    values = ticks.to_numpy().view(f"datetime64[{kind.unit}]")
    return pd.DatetimeIndex(values, dtype=pd.DatetimeTZDtype(kind.unit, "UTC") if kind.tz else None)


def _text(column: pd.Series) -> pa.Array:
    if column.dtype == object:  # mixed cells (Excel): dates as ISO text, the rest as text
        column = column.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    array = pa.array(column.astype("str"), type=pa.large_string())
    return pc.utf8_trim_whitespace(
        array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    )


def _to_utc(
    stamps: pd.DatetimeIndex, tz: str, src: Source, text: pa.Array, rows: np.ndarray | None = None
) -> pd.DatetimeIndex:
    """Aware times converted, naive ones taken in ``tz``; a time the zone skips or repeats
    (a daylight-saving change) is named. ``rows`` are the positions of ``stamps`` in the column.
    """
    if stamps.tz is not None:
        return stamps.tz_convert("UTC")
    local = stamps.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    lost = np.asarray(local.isna() & ~stamps.isna())
    if lost.any():
        row = int(np.argmax(lost)) if rows is None else int(rows[np.argmax(lost)])
        shown = text[row].as_py() if text is not None else str(stamps[int(np.argmax(lost))])
        src.error(
            f"{shown!r} does not exist or happens twice in {tz} (a daylight-saving change); "
            "give such times with an offset or in UTC",
            row=row,
            column="timestamp",
        )
    return local.tz_convert("UTC")


def _epochs(values: np.ndarray, src: Source) -> pd.DatetimeIndex:
    """Unix seconds or milliseconds, one unit for the whole column (decided by magnitude)."""
    seen = values[~np.isnan(values)]
    unit = "ms" if seen.size and np.median(np.abs(seen)) >= _MILLIS_FROM else "s"
    stamps = pd.DatetimeIndex(pd.to_datetime(values, unit=unit, utc=True, errors="coerce"))
    odd = np.asarray((stamps < _EPOCH_RANGE[0]) | (stamps >= _EPOCH_RANGE[1]))
    odd |= ~np.isnan(values) & (values != np.floor(values)) & (unit == "ms")
    if odd.any():
        row = int(np.argmax(odd))
        src.error(
            f"expected Unix epoch seconds or milliseconds of a time between 2000 and 2100, "
            f"got {values[row]:g}",
            row=row,
            column="timestamp",
        )
    return stamps


def _parse_text(
    text: pa.Array, src: Source, *, dayfirst: bool | None, date_format: str | None, tz: str
) -> pd.DatetimeIndex:
    if date_format is None:
        for target in (pa.timestamp("us", tz="UTC"), pa.timestamp("us")):  # ISO: Arrow, fast
            try:
                index = pd.DatetimeIndex(pc.cast(text, target).to_pandas())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
            return _to_utc(index, tz, src, text)
        if pc.all(pc.utf8_is_digit(text)).as_py():  # epoch seconds typed as text
            return _epochs(pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), src)
        dayfirst = _day_order(text, src, dayfirst)
    values = pd.Series(text.to_pandas(), dtype="str")
    aware = pc.fill_null(pc.match_substring_regex(text, _AWARE), False).to_numpy(
        zero_copy_only=False
    )
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    for offset in (True, False):
        mask = aware == offset
        if not mask.any():
            continue
        local = _parse_values(
            values[mask], text.filter(pa.array(mask)), dayfirst, date_format, utc=offset
        )
        stamps = _to_utc(pd.DatetimeIndex(local), tz, src, text, np.flatnonzero(mask))
        result[mask] = stamps.as_unit("us")
    return pd.DatetimeIndex(result)


def _parse_values(
    values: pd.Series, text: pa.Array, dayfirst: bool | None, date_format: str | None, *, utc: bool
) -> pd.Series:
    """Naive times (UTC ones for values with offsets), NaT where unreadable."""
    if date_format is not None:
        return pd.to_datetime(values, format=date_format, utc=utc, errors="coerce")
    numeric = _numeric_dates(text, dayfirst)
    if utc:
        numeric = numeric.tz_localize("UTC")
    out = pd.Series(numeric, index=values.index)
    rest = out.isna().to_numpy()
    if rest.any():
        iso = pd.to_datetime(values[rest], format="ISO8601", utc=utc, errors="coerce")
        left = iso.isna()
        if left.any():  # month names and other layouts, value by value, in the column's order
            mixed = values[rest][left]
            iso[left] = pd.to_datetime(
                mixed, format="mixed", dayfirst=bool(dayfirst), utc=utc, errors="coerce"
            )
        out[rest] = iso
    return out


def _day_order(text: pa.Array, src: Source, dayfirst: bool | None) -> bool | None:
    """One order for every numeric day/month value of the column, or the reason there is none."""
    parts = pc.extract_regex(text, _NUMERIC_START)
    if parts.null_count == len(parts):
        return dayfirst
    a = pc.cast(pc.struct_field(parts, "a"), pa.int64()).to_numpy(zero_copy_only=False)
    b = pc.cast(pc.struct_field(parts, "b"), pa.int64()).to_numpy(zero_copy_only=False)
    a, b = np.nan_to_num(a), np.nan_to_num(b)
    day_first, month_first = a > 12, b > 12
    if dayfirst is not None:
        return dayfirst
    if day_first.any() and month_first.any():
        i, j = int(np.argmax(day_first)), int(np.argmax(month_first))
        src.error(
            f"mixes day-first dates ({text[i].as_py()!r}, {src.row(i)}) and month-first dates "
            f"({text[j].as_py()!r}, {src.row(j)}); one column needs one order",
            column="timestamp",
        )
    if day_first.any() or month_first.any():
        return bool(day_first.any())
    differ = (a != b) & (a > 0)
    if not differ.any():
        return False  # every day equals its month: both orders read the same
    i = int(np.argmax(differ))
    day, month, year = int(a[i]), int(b[i]), text[i].as_py()
    src.error(
        f"cannot tell day-first from month-first dates: {year!r} ({src.row(i)}) is "
        f"{_spoken(day, month)} day first or {_spoken(month, day)} month first, and no date in "
        "the column settles it; pass dayfirst=True or False (--dayfirst or --monthfirst) "
        "or date_format",
        column="timestamp",
    )


def _spoken(day: int, month: int) -> str:
    return f"{day} {_MONTHS.split()[month - 1]}"


def _numeric_dates(text: pa.Array, dayfirst: bool | None) -> pd.DatetimeIndex:
    """Dates such as 24/11/2026 15:00 or 11.24.26 3:00 PM, composed in numpy; NaT elsewhere."""
    parts = pc.extract_regex(text, _NUMERIC)

    def number(name: str) -> np.ndarray:
        field = pc.struct_field(parts, name)
        empty = pc.fill_null(pc.equal(field, ""), True)
        return pc.fill_null(pc.cast(pc.if_else(empty, "0", field), pa.int64()), -1).to_numpy()

    a, b, year = number("a"), number("b"), number("y")
    year = np.where((year >= 0) & (year < 100), year + 2000, year)
    day, month = (a, b) if dayfirst else (b, a)
    hour, minute, second = number("H"), number("M"), number("S")
    meridiem = pc.fill_null(pc.utf8_upper(pc.struct_field(parts, "ampm")), "")
    pm = pc.starts_with(meridiem, "P").to_numpy(zero_copy_only=False)
    twelve = pc.not_equal(meridiem, "").to_numpy(zero_copy_only=False)
    valid = pc.is_valid(parts).to_numpy(zero_copy_only=False)
    valid &= (month >= 1) & (month <= 12) & (day >= 1) & (minute < 60) & (second < 60)
    valid &= np.where(twelve, (hour >= 1) & (hour <= 12), hour < 24)
    hour = np.where(twelve, hour % 12 + np.where(pm, 12, 0), hour)
    months = (np.where(valid, year, 1970) - 1970) * 12 + np.where(valid, month, 1) - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[M]").astype("datetime64[D]") - first).astype(int)
    valid &= day <= length
    seconds = (np.maximum(hour, 0) * 60 + np.maximum(minute, 0)) * 60 + np.maximum(second, 0)
    stamps = (first + (day - 1)).astype("datetime64[s]") + seconds
    return pd.DatetimeIndex(np.where(valid, stamps, np.datetime64("NaT"))).as_unit("us")
