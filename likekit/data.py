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

import codecs
import csv
import io
import re
from pathlib import Path
from typing import Literal, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

__all__ = [
    "COUNT_COLUMNS",
    "LikekitInputError",
    "display_bounds",
    "format_count",
    "load_counts",
    "parse_count",
    "parse_displays",
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
_DISPLAY = re.compile(
    r"^(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<decimals>\d+))?(?P<suffix>[KMB]?)$"
)


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


def parse_displays(
    text: pa.Array, *, rounding: Rounding = "truncate"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised :func:`parse_count` over Arrow strings (already stripped).

    Returns
    -------
    lower, resolution, valid : ndarray
        int64 lower bounds and resolutions (0 where invalid or null) and a boolean mask of
        the values that are count displays. Values beyond ``MAX_COUNT`` are computed in floats
        (and capped at 2**62) rather than wrapped around in int64, so callers can reject them.
    """
    parts = pc.extract_regex(pc.utf8_upper(text), _DISPLAY.pattern)
    valid = parts.is_valid().to_numpy(zero_copy_only=False)
    digits = pc.replace_substring(pc.struct_field(parts, "digits"), ",", "")
    whole = pc.fill_null(pc.cast(digits, pa.float64()), 0).to_numpy()
    decimals = pc.fill_null(pc.struct_field(parts, "decimals"), "")
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
    if rounding == "round":
        lower = np.where(unit > 1, np.maximum(lower - resolution // 2, 0), lower)
    return np.where(valid, lower, 0), np.where(valid, resolution, 0), valid


# ---------------------------------------------------------------------------------------
# loading


def sample_path(name: str = "creator") -> Path:
    """Path of a bundled sample table, wherever the caller's working directory is.

    Parameters
    ----------
    name : str
        File name in ``data/samples`` with or without the ``.csv`` suffix.
    """
    from likekit.resources import samples_dir

    samples = samples_dir()
    path = samples / name
    if not path.suffix:
        path = path.with_suffix(".csv")
    if not path.exists():
        known = sorted(
            p.stem for p in samples.glob("*.csv") if not p.stem.endswith(("_events", "_truth"))
        )
        raise FileNotFoundError(f"no sample {name!r} in {samples}; known: {', '.join(known)}")
    return path


class _Source:
    """Where a table came from, for error messages (rows numbered as a spreadsheet shows)."""

    def __init__(self, name: str, is_file: bool) -> None:
        self.name = name
        self.is_file = is_file

    def error(self, what: str, *, row: int | None = None, column: str | None = None) -> NoReturn:
        where = [self.name]
        if row is not None:
            # a file's header is row 1; a DataFrame's rows are counted from 1
            where.append(f"row {row + 2}" if self.is_file else f"row {row + 1}")
        if column is not None:
            where.append(f"column {column!r}")
        raise LikekitInputError(f"{', '.join(where)}: {what}")


def load_counts(
    source: str | Path | pd.DataFrame,
    *,
    duplicates: Literal["error", "last"] = "error",
    rounding: Rounding = "truncate",
) -> pd.DataFrame:
    """Read a like-count table into the data contract, or say exactly what is wrong with it.

    Parameters
    ----------
    source : str, Path or DataFrame
        A CSV file (UTF-8, a BOM is tolerated), a Parquet file (``.parquet``/``.pq``) or a
        DataFrame whose columns may hold strings just like a CSV's. Never modified.
    duplicates : {"error", "last"}
        Two rows of the same video and timestamp with different values are an error naming
        both rows; ``"last"`` keeps the later row instead (re-scrapes). Exact duplicate rows
        are always dropped.
    rounding : {"truncate", "round"}
        How the app turned counts into display strings (see :func:`parse_count`).

    Returns
    -------
    DataFrame
        ``video_id`` (str), ``timestamp`` (datetime64[us, UTC]; values without an offset are
        taken as UTC), ``likes`` (Int64, missing where the snapshot has no value),
        ``resolution`` (int64: the display step, 1 for exact counts; if the input has its own
        ``resolution`` column the coarser of the two is kept), ``views``/``comments``/
        ``shares`` (Int64) when present, then every other column unchanged (a CSV's as text).
        Sorted by video and time.

    Raises
    ------
    LikekitInputError
        Naming the source, the row (a CSV's header is row 1, its first data row row 2) and the
        column, and what was expected.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"video_id": ["a", "a"], "likes": ["1.2K", "999"],
    ...                       "timestamp": ["2026-01-05 01:00", "2026-01-05T00:00+01:00"]})
    >>> load_counts(table)[["timestamp", "likes", "resolution"]]
                      timestamp  likes  resolution
    0 2026-01-04 23:00:00+00:00    999           1
    1 2026-01-05 01:00:00+00:00   1200         100
    """
    if duplicates not in ("error", "last"):
        raise ValueError(f"duplicates must be 'error' or 'last', got {duplicates!r}")
    _check_rounding(rounding)
    if isinstance(source, pd.DataFrame):
        src = _Source("<DataFrame>", is_file=False)
        table = source.copy(deep=False)  # columns are replaced, never written into
    elif isinstance(source, (str, Path)):
        table, src = _read_file(Path(source))
    else:
        raise LikekitInputError(f"expected a file path or a DataFrame, got {type(source).__name__}")
    return _normalise(table, src, duplicates=duplicates, rounding=rounding)


def _read_file(path: Path) -> tuple[pd.DataFrame, _Source]:
    src = _Source(str(path), is_file=True)
    if not path.exists():
        src.error("no such file")
    if path.is_dir():
        src.error("is a directory, not a table file (expected a .csv or .parquet file)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        src.error(f"cannot be read ({exc.strerror})")
    if not data[:65536].strip() and not data.strip():
        src.error("is empty (expected a header row with video_id, timestamp, likes)")
    if data[:4] == b"PAR1" or path.suffix.lower() in (".parquet", ".pq"):
        return _read_parquet(data, src), src
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        src.error("is UTF-16 text; save it as UTF-8 CSV")
    if b"\x00" in data[:65536]:
        src.error("is binary data, not a CSV text file")
    data = data.removeprefix(codecs.BOM_UTF8)
    if data.lstrip()[:1] in (b"{", b"["):
        src.error("looks like JSON, not CSV (expected a header row: video_id,timestamp,likes)")
    return _read_csv_bytes(data, src), src


def _read_parquet(data: bytes, src: _Source) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises many types for a damaged file
        src.error(f"is not a readable Parquet file ({type(exc).__name__}: {exc})")


def _not_utf8(data: bytes, src: _Source) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        src.error(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save it as UTF-8 CSV"
        )


def _read_csv_bytes(data: bytes, src: _Source) -> pd.DataFrame:
    """Arrow reads the file; counts and times may be typed by it, the rest is kept as text."""
    first_line = data[: data.find(b"\n") + 1 or None]
    _not_utf8(first_line, src)
    header = next(csv.reader(io.StringIO(first_line.decode())), [])
    if len(set(header)) != len(header):
        src.error(f"has repeated column names in its header: {header}")
    typed = {"timestamp", *COUNT_COLUMNS}
    as_text = {name: pa.string() for name in header if name.strip().lower() not in typed}
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            convert_options=pacsv.ConvertOptions(
                column_types=as_text, null_values=[""], strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid as exc:
        _not_utf8(data, src)
        _ragged_row(data.decode(), len(header), src)
        src.error(f"is not a well-formed CSV ({exc})")
    if table.num_rows == 0:
        src.error("has a header but no data rows")
    return table.to_pandas()


def _ragged_row(text: str, width: int, src: _Source) -> None:
    """Name the first row whose number of fields differs from the header's."""
    for index, row in enumerate(csv.reader(io.StringIO(text)), start=-1):
        if row and len(row) != width:
            src.error(f"expected {width} fields as in the header, found {len(row)}", row=index)


def _normalise(
    table: pd.DataFrame, src: _Source, *, duplicates: str, rounding: Rounding
) -> pd.DataFrame:
    table = _contract_names(table)
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        found = ", ".join(map(str, table.columns)) or "none"
        src.error(
            f"has no {' or '.join(repr(c) for c in missing)} column "
            f"(columns found: {found}; required: {', '.join(REQUIRED_COLUMNS)})"
        )
    if len(table) == 0:
        src.error("has no rows")
    counts, resolution = {}, None
    for column in COUNT_COLUMNS:
        if column in table.columns:
            counts[column], steps = _count_column(table[column], src, column, rounding)
            if column == "likes":
                resolution = steps
    if "resolution" in table.columns:  # the coarser of the stated and the displayed step
        resolution = np.maximum(resolution, _resolution_column(table["resolution"], src))
    out = {
        "video_id": _video_ids(table["video_id"], src),
        "timestamp": _timestamps(table, src),
        "likes": counts.pop("likes"),
        "resolution": resolution,
        **counts,
    }
    frame = pd.DataFrame(out)
    for column in table.columns:
        if column not in frame.columns:
            frame[column] = table[column].to_numpy()
    return _sort_and_dedupe(frame, src, duplicates)


def _contract_names(table: pd.DataFrame) -> pd.DataFrame:
    """Accept " Likes" for "likes": contract columns match whatever their case and blanks."""
    contract = {*REQUIRED_COLUMNS, *COUNT_COLUMNS, "resolution"}
    renames = {}
    for column in table.columns:
        key = str(column).strip().lower()
        if key in contract and column != key and key not in table.columns:
            renames[column] = key
    return table.rename(columns=renames) if renames else table


def _arrow_text(column: pd.Series) -> pa.Array:
    array = pa.array(column.astype("str"), type=pa.string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _distinct_text(array: pa.Array) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """Codes into the column's distinct values, stripped, and which rows are missing.

    Values repeat in these columns (ids, "12.3K"), so blanks are trimmed once per distinct
    value; an empty or blank cell is missing.
    """
    encoded = pc.dictionary_encode(array)
    values = pc.utf8_trim_whitespace(encoded.dictionary)
    codes = pc.fill_null(encoded.indices, -1).to_numpy()
    blank = np.append(pc.equal(values, "").to_numpy(zero_copy_only=False), True)
    return codes, values, blank[codes]  # code -1 (null) picks the appended True


def _first(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def _video_ids(column: pd.Series, src: _Source) -> pd.Series:
    ids = _arrow_text(column)
    blank = pc.or_kleene(pc.equal(ids, ""), pc.utf8_is_space(ids))
    empty = pc.fill_null(blank, True).to_numpy(zero_copy_only=False)
    if empty.any():
        src.error("missing video id", row=_first(empty), column="video_id")
    return column.astype("str")


def _timestamps(table: pd.DataFrame, src: _Source) -> pd.DatetimeIndex:
    column = table["timestamp"]
    text = None
    if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(column):
        stamps = pd.DatetimeIndex(column)
        stamps = stamps.tz_localize("UTC") if stamps.tz is None else stamps.tz_convert("UTC")
    else:
        text = _arrow_text(column)
        stamps = _parse_timestamps(text)
    bad = np.asarray(stamps.isna())
    if bad.any():
        row = _first(bad)
        value = None if text is None else text[row].as_py()
        what = (
            "missing timestamp (every snapshot needs a date and time)"
            if value is None or not value.strip()
            else f"expected a date and time such as 2026-01-05T13:00:00Z, got {value!r}"
        )
        src.error(what, row=row, column="timestamp")
    return stamps.as_unit("us")


def _parse_timestamps(text: pa.Array) -> pd.DatetimeIndex:
    """ISO 8601 with any offset (fast path in Arrow); without an offset a time is UTC."""
    for target in (pa.timestamp("us", tz="UTC"), pa.timestamp("us")):
        try:
            index = pd.DatetimeIndex(pc.cast(text, target).to_pandas())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        return index.tz_localize("UTC") if index.tz is None else index
    # mixed offsets, naive and aware together, or other layouts: pandas, value by value
    values = pd.Series(text.to_pandas(), dtype="str").str.strip()
    iso = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
    if iso.isna().sum() > text.null_count:
        iso = iso.fillna(pd.to_datetime(values, utc=True, format="mixed", errors="coerce"))
    return pd.DatetimeIndex(iso)


def _count_column(
    column: pd.Series, src: _Source, name: str, rounding: Rounding
) -> tuple[pd.arrays.IntegerArray, np.ndarray]:
    """Parse a counter column: (lower bounds as Int64, display resolution per row)."""
    n = len(column)
    if pd.api.types.is_bool_dtype(column):
        src.error(f"expected counts, got true/false values ({column.dtype})", column=name)
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(values)
        bad = ~missing & ((values != np.floor(values)) | ~np.isfinite(values))
        if bad.any():
            row = _first(bad)
            src.error(f"expected a whole count, got {float(values[row])}", row=row, column=name)
        lower = np.where(missing, 0, values).astype(np.int64)
        steps = np.ones(n, dtype=np.int64)
    else:
        lower, steps, missing = _parse_text_counts(_arrow_text(column), src, name, rounding)
    negative = ~missing & (lower < 0)
    if negative.any():
        row = _first(negative)
        src.error(f"a count cannot be negative, got {lower[row]}", row=row, column=name)
    absurd = ~missing & (lower > MAX_COUNT)
    if absurd.any():
        row = _first(absurd)
        src.error(
            f"{lower[row]:,} is beyond any real count (more than 10^12)", row=row, column=name
        )
    return pd.arrays.IntegerArray(lower, missing), np.where(missing, 1, steps)


def _parse_text_counts(
    text: pa.Array, src: _Source, name: str, rounding: Rounding
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower bounds, resolutions and missing cells of a column of count text."""
    n = len(text)
    ones = np.ones(n, dtype=np.int64)
    if pc.all(pc.utf8_is_digit(text)).as_py() is not False:  # exact integers: one Arrow cast
        if (pc.max(pc.utf8_length(text)).as_py() or 0) > 13:  # past int64, certainly absurd
            lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False)
            row = _first(np.nan_to_num(lengths, nan=0) > 13)
            src.error(
                f"{text[row].as_py()} is beyond any real count (more than 10^12)",
                row=row,
                column=name,
            )
        missing = text.is_null().to_numpy(zero_copy_only=False)
        return pc.fill_null(pc.cast(text, pa.int64()), 0).to_numpy(), ones, missing
    # display strings repeat ("12.3K"): parse each distinct value once
    codes, values, missing = _distinct_text(text)
    lower, steps, valid = parse_displays(values, rounding=rounding)
    invalid = ~valid & ~pc.equal(values, "").to_numpy(zero_copy_only=False)
    if invalid.any():
        first = _first(invalid)
        value = values[first].as_py()
        what = (
            f"a count cannot be negative, got {value!r}"
            if value.startswith("-")
            else f"expected a count such as 1234, 1,234, 12.3K or 1.2M, got {value!r}"
        )
        src.error(what, row=_first(codes == first), column=name)
    if len(values) == 0:  # every cell missing
        return np.zeros(n, dtype=np.int64), ones, missing
    return np.where(missing, 0, lower[codes]), np.where(missing, 1, steps[codes]), missing


def _resolution_column(column: pd.Series, src: _Source) -> np.ndarray:
    values, _ = _count_column(column, src, "resolution", "truncate")
    steps = values.to_numpy(dtype=np.int64, na_value=1)
    if (steps < 1).any():
        row = int(np.argmax(steps < 1))
        src.error(
            f"a resolution is a step of at least 1, got {steps[row]}", row=row, column="resolution"
        )
    return steps


def _keys(frame: pd.DataFrame) -> tuple[pa.Array, np.ndarray]:
    ids = pa.array(frame["video_id"], type=pa.string())
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    return ids, frame["timestamp"].to_numpy(dtype="datetime64[us]").view(np.int64)


def _sort_and_dedupe(frame: pd.DataFrame, src: _Source, duplicates: str) -> pd.DataFrame:
    position = np.arange(len(frame))
    ids, times = _keys(frame)
    same_id = pc.equal(ids[1:], ids[:-1]).to_numpy(zero_copy_only=False)
    later = pc.greater(ids[1:], ids[:-1]).to_numpy(zero_copy_only=False)
    if not (later | (same_id & (times[1:] >= times[:-1]))).all():
        vid_codes, _ = pd.factorize(frame["video_id"], sort=True)
        order = np.lexsort((position, times, vid_codes))
        frame = frame.iloc[order].reset_index(drop=True)
        position = position[order]
        ids, times = _keys(frame)
        same_id = pc.equal(ids[1:], ids[:-1]).to_numpy(zero_copy_only=False)
    same_key = same_id & (times[1:] == times[:-1])
    if not same_key.any():
        return frame
    counters = [c for c in ("likes", "resolution", *COUNT_COLUMNS[1:]) if c in frame.columns]
    values = frame[counters]
    equal = np.ones(len(same_key), dtype=bool)
    for column in counters:
        a, b = values[column].iloc[1:].to_numpy(), values[column].iloc[:-1].to_numpy()
        equal &= (pd.isna(a) & pd.isna(b)) | (a == b)
    conflict = same_key & ~equal
    if conflict.any() and duplicates == "error":
        i = int(np.argmax(conflict))
        first, second = sorted((position[i], position[i + 1]))
        offset = 2 if src.is_file else 1
        raise LikekitInputError(
            f"{src.name}, rows {first + offset} and {second + offset}: both are video "
            f"{frame['video_id'].iloc[i]!r} at {frame['timestamp'].iloc[i].isoformat()} but "
            f"the counts differ; pass duplicates='last' to keep the later row (re-scrapes)"
        )
    # keep the last of each run of equal keys (file order); exact repeats drop either way
    drop = np.append(same_key, False)
    return frame.loc[~drop].reset_index(drop=True)
