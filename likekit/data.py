"""Reading like-count tables: the data contract, display strings and input errors.

The contract is one tidy long table, one row per (video, snapshot)::

    video_id    str                 the video
    timestamp   datetime64[us, UTC] when the snapshot was taken
    likes       Int64 (nullable)    the count shown then (lower bound of what the display means)
    resolution  int64               display step of that count: 1 exact, 100 for "12.3K", ...
    views, comments, shares         Int64, optional, parsed like likes

The counter need not be likes (followers, subscribers, stars): its name is ``attrs["metric"]``.
Sources are read by :mod:`likekit._readers`, columns matched by :mod:`likekit._columns`, times
by :mod:`likekit._dates` and the display convention lives in :mod:`likekit._display`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from likekit import _dates
from likekit._columns import COUNTERS, SYNONYMS, resolve
from likekit._display import (
    MAX_COUNT,
    Rounding,
    _check_rounding,
    _separators,
    display_bounds,
    format_count,
    parse_count,
    parse_displays,
    significant_steps,
    value_ends,
)
from likekit._readers import read_path
from likekit._source import LikekitInputError, Source

__all__ = [
    "COUNT_COLUMNS",
    "LOAD_OPTIONS",
    "LikekitInputError",
    "SYNONYMS",
    "display_bounds",
    "format_count",
    "load_counts",
    "parse_count",
    "parse_displays",
    "sample_path",
]

T = TypeVar("T")
U = TypeVar("U")

#: counters parsed like likes when present
COUNT_COLUMNS = COUNTERS
REQUIRED_COLUMNS = ("video_id", "timestamp", "likes")
#: tables and columns of fewer rows are read on one thread: a second would cost more than it saves
_SPLIT_ROWS = 1 << 17
#: text values up to this many bytes are encoded as one machine word each
_WORD = 8
#: share of a long counter column's chunks coded as words on the ids' and times' thread: the
#: coding takes ~35 ms CPU of 1M rows, the ids and times ~22 ms and the counter's work after
#: the coding (joining the two codings, parse, gathers) ~15 ms; 0.33 ends the load ~2% sooner
#: than 0.3 and 0.36 (interleaved turns; at 0.4 the ids' thread ended ~7 ms after the counter's)
_TAIL_SHARE = 0.33

#: values whose lengths :func:`_widths` takes at a time (512 KB of int64 lengths: in cache)
_WIDTH_BLOCK = 1 << 16

#: a video's counts are taken as displays rounded to three significant figures when the chance
#: that exact counts all land on such steps is below this, shared out over the videos (Bonferroni)
_INFER_FAMILY_CHANCE = 0.01
#: keyword options of :func:`load_counts`, which the command line and the report notebooks
#: take under the same names
LOAD_OPTIONS = (
    "columns",
    "dayfirst",
    "date_format",
    "tz",
    "sheet",
    "thousands",
    "decimal",
    "metric",
    "resolution",
    "duplicates",
    "rounding",
)


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


def load_counts(
    source: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    tz: str | None = None,
    sheet: str | int | None = None,
    thousands: str | None = None,
    decimal: str | None = None,
    metric: str | None = None,
    resolution: Literal["infer"] | None = None,
    duplicates: Literal["error", "last"] = "error",
    rounding: Rounding = "truncate",
) -> pd.DataFrame:
    """Read a count table into the data contract, or say exactly what is wrong with it.

    Parameters
    ----------
    source : str, Path or DataFrame
        A CSV file (UTF-8, a BOM tolerated; comma, semicolon or tab, sniffed from the header),
        an Excel workbook (``.xlsx``, ``.xls``, ``.ods``), a Parquet file or a directory of
        Parquet parts (a dataset; hive partitions become columns), a JSON file (an
        array of records, JSON Lines, or an object holding one array; nested fields are
        flattened to ``stats.diggCount``), a folder or glob of yt-dlp ``.info.json``
        captures (``epoch``, the capture time, is the timestamp), or a DataFrame whose columns
        may hold strings just like a CSV's. Never modified; a table already in the contract
        (one this function returned) comes back as a copy-on-write view, not read again.
    columns : mapping, optional
        ``{"your column": "role"}`` with roles ``video_id``, ``timestamp``, ``likes``,
        ``views``, ``comments``, ``shares``, ``resolution``; wins over the synonyms. Other
        columns are matched by :data:`SYNONYMS` ignoring case, spaces, dashes and underscores.
    dayfirst : bool, optional
        Whether numeric dates put the day first (24/11/2026) or the month (11/24/2026). By
        default the column decides (a day above 12 settles it); a column that cannot decide is
        an error, never a guess.
    date_format : str, optional
        A ``strftime`` layout of every capture time, e.g. ``"%d.%m.%Y %H:%M"``.
    tz : str, optional
        IANA zone of times written without an offset (default UTC). Times are returned in UTC.
    sheet : str or int, optional
        Excel sheet name or number from 0 (default the first).
    thousands, decimal : str, optional
        The source's one thousands separator and one decimal mark when its numbers are
        ambiguous. By default ``,`` ``.`` ``'``, space and no-break space group thousands
        where exactly three digits follow ("1.000" is 1000), and a point or comma before a
        K/M/B suffix is a decimal mark ("12,3K").
    metric : str, optional
        What the counter counts: ``"likes"`` (default), ``"followers"``, ``"subscribers"``,
        ``"stars"`` or any word; a column of that name is the counter. Without it, a table
        with no likes but one followers, subscribers or stars column is read as that counter.
        Kept in ``attrs["metric"]``.
    resolution : {"infer"}, optional
        With ``"infer"``, a video whose exact-looking counts are all multiples of their
        three-significant-figure step (20,800,000 written for "20.8M"), beyond what chance
        allows, gets that step as its resolution; ``attrs["resolution_inferred"]`` lists those
        videos.
    duplicates : {"error", "last"}
        Two rows of the same video and timestamp with different values are an error naming
        both rows; ``"last"`` keeps the later row instead (re-scrapes). Exact duplicate rows
        are always dropped.
    rounding : {"truncate", "round"}
        How the app turned counts into display strings (see :func:`parse_count`).

    Returns
    -------
    DataFrame
        ``video_id`` (str), ``timestamp`` (datetime64[us, UTC]), ``likes`` (Int64, the
        counter whatever its metric, missing where the snapshot has no value), ``resolution``
        (int64: the display step, 1 for exact counts; if the input has its own
        ``resolution`` column the coarser of the two is kept), ``views``/``comments``/
        ``shares`` (Int64) when present, then every other column unchanged under its own name
        (a CSV's as text). Sorted by video and time. ``attrs["metric"]`` names the counter.

    Raises
    ------
    LikekitInputError
        Naming the source, the row as a spreadsheet shows it (a header is row 1, the first
        data row row 2; JSON records from 1; a capture by its file), the column as the user
        wrote it, and what was expected.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"Video": ["a", "a"], "Likes": ["1,2K", "999"],
    ...                       "Date": ["24/11/2026 01:00", "23/11/2026 23:00"]})
    >>> load_counts(table)[["timestamp", "likes", "resolution"]]
                      timestamp  likes  resolution
    0 2026-11-23 23:00:00+00:00    999           1
    1 2026-11-24 01:00:00+00:00   1200         100
    """
    if duplicates not in ("error", "last"):
        raise ValueError(f"duplicates must be 'error' or 'last', got {duplicates!r}")
    if resolution not in (None, "infer"):
        raise ValueError(f"resolution must be None or 'infer', got {resolution!r}")
    _check_rounding(rounding)
    options = {
        "columns": dict(columns or {}),
        "metric": metric,
        "dayfirst": dayfirst,
        "date_format": date_format,
        "tz": _dates.zone(tz),
        "thousands": thousands,
        "decimal": decimal,
        "rounding": rounding,
    }
    _separators(thousands, decimal)  # checks them
    if isinstance(source, pd.DataFrame):
        table, src = source.copy(deep=False), Source("<DataFrame>", first_row=1)
    elif isinstance(source, (str, Path)):
        table, src = read_path(
            source, lambda headers, s: resolve(headers, s, columns, metric)[0], sheet
        )
    else:
        raise LikekitInputError(f"expected a file path or a DataFrame, got {type(source).__name__}")
    reading = (columns, metric, dayfirst, date_format, tz, thousands, decimal)
    if all(v is None for v in reading) and _in_contract(table, src, duplicates):
        frame, metric = table, "likes"  # loaded before: reading it again would copy it all
    else:
        frame, metric, order = _normalise(table, src, **options)
        frame = _sort_and_dedupe(frame, src, duplicates, order)
    inferred = _infer_resolution(frame) if resolution == "infer" else None
    if isinstance(source, pd.DataFrame) and options["metric"] is None:
        # a table loaded before keeps what its counter counts, and where steps were inferred
        metric = source.attrs.get("metric", metric)
        inferred = source.attrs.get("resolution_inferred") if inferred is None else inferred
    frame.attrs["metric"] = metric
    if inferred is not None:
        frame.attrs["resolution_inferred"] = inferred
    return frame


def _in_contract(table: pd.DataFrame, src: Source, duplicates: str) -> bool:
    """Whether a DataFrame is already what :func:`load_counts` returns (a table loaded
    before, given again): each role under its own name and dtype, valid values, in order,
    and other columns of dtypes the reader keeps as they are."""
    index = table.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and len(index)):
        return False
    headers = [str(c) for c in table.columns]
    roles, _ = resolve(headers, src)  # a name that reads as another role: read it again
    if headers != list(table.columns) or any(r != h for r, h in roles.items()):
        return False
    own = {"video_id": "str", "timestamp": "datetime64[us, UTC]", "resolution": "int64"}
    own |= dict.fromkeys(COUNT_COLUMNS, "Int64")
    for column, dtype in table.dtypes.items():
        kept = dtype == "str" or (isinstance(dtype, np.dtype) and dtype.kind in "biufmM")
        if not (dtype == own[column] if column in own else kept):
            return False
    counts = [c for c in COUNT_COLUMNS if c in table]
    if "resolution" not in table or (table["resolution"].to_numpy() < 1).any():
        return False
    if any((table[c] < 0).any() for c in counts) or table["timestamp"].isna().any():
        return False
    ids = pa.array(table["video_id"], type=pa.large_string())
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    if ids.null_count or _may_be_blank(ids, _widths(ids)):
        return False
    return _sort_and_dedupe(table, src, duplicates) is table  # sorted, no repeated keys


def _normalise(
    table: pd.DataFrame,
    src: Source,
    *,
    columns: dict[str, str],
    metric: str | None,
    dayfirst: bool | None,
    date_format: str | None,
    tz: str,
    thousands: str | None,
    decimal: str | None,
    rounding: Rounding,
) -> tuple[pd.DataFrame, str, _Order]:
    """The table in the contract (unsorted), its metric, and how its rows stand to the
    contract's order."""
    headers = [str(c) for c in table.columns]
    table = table.set_axis(headers, axis=1)
    roles, metric = resolve(headers, src, columns, metric)
    src.headers = roles
    if len(table) == 0:
        src.error("has no rows")
    # every column taken out here: each thread below then works on its own objects
    counters = {role: table[roles[role]] for role in COUNT_COLUMNS if role in roles}
    stated = table[roles["resolution"]] if "resolution" in roles else None
    id_column, time_column = table[roles["video_id"]], table[roles["timestamp"]]
    # counters written as text (a CSV's) parse in Arrow, which frees the GIL: on a second
    # thread while this one reads ids and times. Only those: pandas' casts of typed columns
    # change the process's warning filters, which two threads at once can leave changed
    text = all(c.dtype == "str" for c in [*counters.values(), stated] if c is not None)
    threads = text and len(table) >= _SPLIT_ROWS
    share = _WordShare.of(counters["likes"]) if threads and "likes" in counters else None

    def ids_and_times() -> tuple[pd.Series, pd.DatetimeIndex, _Order]:
        if share is not None:
            share.code_tail()  # first: the counters' thread waits for it
        return _ids_and_times(
            id_column, time_column, src, dayfirst=dayfirst, date_format=date_format, tz=tz
        )

    (counts, steps), (ids, stamps, order) = _together(
        lambda: _counters(counters, stated, src, rounding, thousands, decimal, share),
        ids_and_times,
        threads=threads,
    )
    out = {
        "video_id": ids,
        "timestamp": stamps,
        "likes": counts.pop("likes"),
        "resolution": steps,
        **counts,
    }
    frame = pd.DataFrame(out, copy=False)  # every column is new or a copy-on-write view
    used = set(roles.values())
    for column in headers:  # the user's other columns, unless named like a contract column
        if column not in used and column not in frame.columns:
            frame[column] = table[column].to_numpy()
    return frame, metric, order


def _together(
    first: Callable[[], T], second: Callable[[], U], *, threads: bool = True
) -> tuple[T, U]:
    """``first()`` on a second thread while ``second()`` runs on this one (Arrow's kernels and
    numpy free the GIL: both cores work), errors raised as if ``first`` had run before; one
    after the other on this thread without ``threads``."""
    if not threads:
        return first(), second()
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(first)
        try:
            result = second()
        except BaseException:
            error = future.exception()  # first's error is the one one thread would have met
            if error is not None:
                raise error from None  # alone, as one thread would have raised it
            raise
        return future.result(), result


class _WordShare:
    """A long counter column of displays coded as words (:func:`_coded_words`) on two threads:
    the ids and times take less time than the rest of the counter's work, so their thread
    first codes the last chunks (:meth:`code_tail`, a share :data:`_TAIL_SHARE` of them) while
    the counter's thread codes the first ones and then joins the two codings (:meth:`coded`)."""

    def __init__(self, array: pa.ChunkedArray) -> None:
        self.array = array
        self.chunks = [chunk for chunk in array.chunks if len(chunk)]
        self.split = min(max(round(len(self.chunks) * (1 - _TAIL_SHARE)), 1), len(self.chunks) - 1)
        self.tail: Future[pa.ChunkedArray | None] = Future()

    @classmethod
    def of(cls, column: pd.Series) -> _WordShare | None:
        """A share for a column that will be coded as words; None for any other (exact counts
        or nulls, read without words, or a column in fewer than two chunks)."""
        array = _arrow_chunks(column)
        if not isinstance(array, pa.ChunkedArray) or array.null_count:
            return None
        if sum(len(chunk) > 0 for chunk in array.chunks) < 2:
            return None
        return None if _digits_first(array) else cls(array)

    def code_tail(self) -> None:
        try:
            self.tail.set_result(_coded_words(self.chunks[self.split :]))
        except BaseException as exc:  # the counter's thread raises it, as one thread would
            self.tail.set_exception(exc)

    def coded(self) -> pa.ChunkedArray | None:
        """The whole column coded, one dictionary in order of first appearance (as one
        thread's); None when a value is longer than a word."""
        head = _coded_words(self.chunks[: self.split])
        tail = self.tail.result()
        if head is None or tail is None:
            return None
        # the tail's codes moved into the head's dictionary, extended by the tail's new values
        return pa.chunked_array([*head.chunks, *tail.chunks]).unify_dictionaries()


def _counters(
    columns: dict[str, pd.Series],
    stated: pd.Series | None,
    src: Source,
    rounding: Rounding,
    thousands: str | None,
    decimal: str | None,
    share: _WordShare | None = None,
) -> tuple[dict[str, pd.arrays.IntegerArray], np.ndarray]:
    """Each counter column parsed, and the likes' display steps (the coarser of the displayed
    and the ``stated`` step); ``share`` pads the likes' words with another thread."""
    counts, steps = {}, None
    for role, column in columns.items():
        counts[role], found = _count_column(
            column, src, role, rounding, thousands, decimal, share if role == "likes" else None
        )
        if role == "likes":
            steps = found
    if stated is not None:
        steps = np.maximum(steps, _resolution_column(stated, src))
    return counts, steps


def _ids_and_times(
    id_column: pd.Series, time_column: pd.Series, src: Source, **dates: Any
) -> tuple[pd.Series, pd.DatetimeIndex, _Order]:
    """Video ids and capture times, and how the rows stand to the contract's order."""
    array, widths = _video_ids(id_column, src)
    stamps = _dates.timestamps(time_column, src, **dates)
    # one contiguous Arrow array: sorting and comparing ids later need no copy
    ids = pd.Series(pd.array(array, dtype="str"), copy=False)
    return ids, stamps, _order(array, stamps.asi8, widths)


def _infer_resolution(frame: pd.DataFrame) -> list[str]:
    """Give 3-significant-figure steps to videos whose exact counts all sit on such steps.

    An exact count lands on its step by chance with probability 1/step; a video is taken as
    expanded displays when the product over its counts is below the family chance shared out
    over the videos, so that healthy exact tables are left alone.
    """
    likes = frame["likes"]
    exact = (frame["resolution"].to_numpy() == 1) & likes.notna().to_numpy()
    values = likes.to_numpy(dtype=np.int64, na_value=0)
    steps = significant_steps(values)
    codes, videos = pd.factorize(frame["video_id"])
    off_step = np.bincount(codes, weights=exact & (values % steps != 0), minlength=len(videos))
    evidence = np.bincount(codes, weights=np.where(exact, np.log(steps), 0), minlength=len(videos))
    chosen = (off_step == 0) & (evidence > -np.log(_INFER_FAMILY_CHANCE / max(len(videos), 1)))
    rows = chosen[codes] & exact
    frame["resolution"] = np.where(rows, steps, frame["resolution"].to_numpy())
    return [str(v) for v in videos[chosen]]


def _arrow_chunks(column: pd.Series) -> pa.Array | pa.ChunkedArray:
    # large_string: pandas' own str storage, so a str column converts without a copy
    return pa.array(column.astype("str"), type=pa.large_string())


def _arrow_text(column: pd.Series) -> pa.Array:
    return _whole(_arrow_chunks(column))


def _whole(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _distinct_text(
    array: pa.Array | pa.ChunkedArray, share: _WordShare | None = None
) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """Codes into the column's distinct values, stripped, and which rows are missing.

    Values repeat in these columns ("12.3K"), so blanks are trimmed once per distinct value;
    an empty or blank cell is missing (code -1 for a null). Codes are ``intp``: ``np.take``
    gathers with them ~4x faster than Arrow with its int32 indices (and ~2x faster than
    indexing with them).
    """
    codes, distinct = _distinct_words(array, share) or _distinct_values(_whole(array))
    values = pc.utf8_trim_whitespace(distinct)
    blank = pc.equal(values, "").to_numpy(zero_copy_only=False)
    if array.null_count == 0 and not blank.any():
        return codes, values, np.zeros(len(codes), dtype=bool)
    return codes, values, np.take(np.append(blank, True), codes)  # code -1: the appended True


def _distinct_values(array: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Codes (-1 for a null) and distinct values of any text column."""
    encoded = _dictionary_encode(array)
    return pc.fill_null(encoded.indices, -1).to_numpy().astype(np.intp), encoded.dictionary


def _distinct_words(
    array: pa.Array | pa.ChunkedArray, share: _WordShare | None = None
) -> tuple[np.ndarray, pa.Array] | None:
    """Codes and distinct values of a column of values of up to 8 bytes and no nulls (a
    counter's displays): each value padded with spaces to one 8-byte word, and the words
    encoded as integers. On 1M displays that is ~20 ms CPU on one thread where hashing the
    strings took ~27 ms on two, which the ids and times need. A column in chunks (as a CSV
    is read) is padded chunk by chunk, never copied whole; with a ``share`` of it, the last
    chunks are padded and coded on the ids' thread. The distinct values keep their padding
    (values that differ only in trailing blanks share a code: both trim to one value). None
    for any other column."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    if array.null_count or not len(array):
        return None
    encoded = share.coded() if share else _coded_words([chunk for chunk in chunks if len(chunk)])
    if encoded is None:
        return None
    codes, start = _pooled(len(array), np.intp), 0
    for chunk in encoded.chunks:
        codes[start : start + len(chunk)] = chunk.indices.to_numpy()
        start += len(chunk)
    distinct = encoded.chunks[0].dictionary.to_numpy()
    offsets = np.arange(0, _WORD * (len(distinct) + 1), _WORD, dtype=np.int64)
    text = pa.Array.from_buffers(
        pa.large_string(), len(distinct), [None, pa.py_buffer(offsets), pa.py_buffer(distinct)]
    )
    return codes, text


def _coded_words(chunks: list[pa.Array]) -> pa.ChunkedArray | None:
    """Chunks' values as words (:func:`_padded_words`), dictionary-encoded: one dictionary
    across the chunks, in order of first appearance (as one array's would be); None when a
    value is longer than a word."""
    words = [_padded_words(chunk) for chunk in chunks]
    if any(w is None for w in words):
        return None
    return pc.dictionary_encode(pa.chunked_array(words, pa.uint64()))


def _padded_words(array: pa.Array) -> pa.Array | None:
    """Each value padded with spaces to 8 bytes, as one unsigned integer; None when a value
    is longer."""
    n = len(array)
    if np.ptp(value_ends(array)[[0, -1]]) > _WORD * n:
        return None  # a value longer than a word (found without padding)
    padded = pc.ascii_rpad(array, width=_WORD, padding=" ")  # pads by bytes, never cuts
    start, end = value_ends(padded)[[0, -1]]
    if end - start != _WORD * n:  # a value longer than a word
        return None
    return pa.array(np.frombuffer(padded.buffers()[2], np.uint64, count=n, offset=int(start)))


def _dictionary_encode(array: pa.Array) -> pa.DictionaryArray:
    """``pc.dictionary_encode`` of each half on its own thread, unified: the same dictionary
    (values in order of first appearance) and codes as one thread's, in half the time."""
    if len(array) < _SPLIT_ROWS:
        return pc.dictionary_encode(array)
    half = len(array) // 2
    second, first = _together(
        lambda: pc.dictionary_encode(array[half:]), lambda: pc.dictionary_encode(array[:half])
    )
    return pa.chunked_array([first, second]).unify_dictionaries().combine_chunks()


def _pooled(n: int, dtype: type[np.generic]) -> np.ndarray:
    """A writable, uninitialised array of ``n`` values in Arrow's memory pool, which hands back
    the pages that the read and the padded words freed moments before: numpy takes an array
    this large fresh from the system, whose pages are zeroed at first touch (filling 1M codes
    took ~7 ms so in a load, ~3 ms in the pool's memory)."""
    return np.frombuffer(pa.allocate_buffer(n * np.dtype(dtype).itemsize), dtype=dtype)


def _first(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def _video_ids(column: pd.Series, src: Source) -> tuple[pa.Array, tuple[int, int] | None]:
    # numeric ids from Excel or JSON read 12345, not 12345.0
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind in ("floating", "mixed-integer-float", "mixed"):
        column = column.map(lambda v: int(v) if isinstance(v, float) and v.is_integer() else v)
    ids = _arrow_text(column)
    widths = None if ids.null_count else _widths(ids)
    if widths is None or _may_be_blank(ids, widths):  # the exact test only then
        blank = pc.or_kleene(pc.equal(ids, ""), pc.utf8_is_space(ids))
        empty = pc.fill_null(blank, True).to_numpy(zero_copy_only=False)
        if empty.any():
            src.error("missing video id", row=_first(empty), column="video_id")
    return ids, widths


def _widths(text: pa.Array) -> tuple[int, int]:
    """The shortest and the longest value of ``text`` in bytes (0, 0 when it has none), read
    from its offsets a block at a time: the lengths of 1M values in one array would be 8 MB of
    fresh pages (~3 ms under load, ~2 ms so)."""
    ends, n = value_ends(text), len(text)
    lengths = np.empty(min(_WIDTH_BLOCK, n), ends.dtype)
    lows, highs = [0] if n == 0 else [], [0]
    for start in range(0, n, _WIDTH_BLOCK):
        stop = min(start + _WIDTH_BLOCK, n)
        block = np.subtract(
            ends[start + 1 : stop + 1], ends[start:stop], out=lengths[: stop - start]
        )
        lows.append(int(block.min()))
        highs.append(int(block.max()))
    return min(lows), max(highs)


def _may_be_blank(text: pa.Array, widths: tuple[int, int]) -> bool:
    """Whether a value of ``text`` (no nulls; ``widths`` its :func:`_widths`) may be empty or
    blank, read from its buffers: a blank value is empty or starts with a space or a non-ASCII
    byte (a no-break space), a test of lengths and bytes only, ~5x faster than Arrow's string
    kernels."""
    if widths[0] == 0:  # an empty value, or none at all
        return True
    data, ends = text.buffers()[2], value_ends(text)
    text_bytes = np.frombuffer(data, np.uint8)
    if text_bytes.min() > 32 and text_bytes.max() < 128:  # none anywhere: no first byte needed
        return False
    first = text_bytes[ends[:-1].astype(np.intp, copy=False)]
    return bool(((first <= 32) | (first >= 128)).any())


def _numbers_as_text(column: pd.Series, src: Source, name: str) -> pd.Series:
    """Cells of a mixed column (Excel, JSON): numbers as their digits, text as written."""
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind in ("string", "empty"):
        return column.astype("str")
    number = column.map(
        lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
    )
    values = pd.to_numeric(column.where(number), errors="coerce").to_numpy(dtype="float64")
    bad = number.to_numpy() & ~np.isnan(values) & (values != np.floor(values))
    if bad.any():
        row = _first(bad)
        src.error(f"expected a whole count, got {values[row]}", row=row, column=name)
    digits = pd.Series(values).map(lambda v: None if np.isnan(v) else str(int(v)))
    return column.where(~number, digits.to_numpy()).astype("str")


def _count_column(
    column: pd.Series,
    src: Source,
    name: str,
    rounding: Rounding,
    thousands: str | None = None,
    decimal: str | None = None,
    share: _WordShare | None = None,
) -> tuple[pd.arrays.IntegerArray, np.ndarray]:
    """Parse a counter column: (lower bounds as Int64, display resolution per row); ``share``
    is the column's words padded with another thread (:class:`_WordShare`)."""
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
        negative = lower < 0
        if negative.any():
            row = _first(negative)
            src.error(f"a count cannot be negative, got {lower[row]}", row=row, column=name)
        _not_absurd(lower, src, name)
        steps = np.ones(n, dtype=np.int64)
    else:
        if column.dtype == object:
            column = _numbers_as_text(column, src, name)
        text = share.array if share else _arrow_chunks(column)  # as read: in chunks
        lower, steps, missing = _parse_text_counts(
            text, src, name, rounding, thousands, decimal, share
        )
    return pd.arrays.IntegerArray(lower, missing), steps


def _not_absurd(lower: np.ndarray, src: Source, name: str, codes: np.ndarray | None = None) -> None:
    """No count beyond MAX_COUNT (``codes``: rows' indices into distinct ``lower`` values)."""
    absurd = lower > MAX_COUNT
    if absurd.any():
        first = _first(absurd)
        row = first if codes is None else _first(codes == first)
        src.error(
            f"{lower[first]:,} is beyond any real count (more than 10^12)", row=row, column=name
        )


def _parse_text_counts(
    text: pa.Array | pa.ChunkedArray,
    src: Source,
    name: str,
    rounding: Rounding,
    thousands: str | None,
    decimal: str | None,
    share: _WordShare | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower bounds, resolutions and missing cells of a column of count text (``share``: see
    :func:`_count_column`)."""
    n = len(text)
    # exact integers: one Arrow cast
    if _digits_first(text) and pc.all(pc.utf8_is_digit(text)).as_py() is not False:
        if (pc.max(pc.utf8_length(text)).as_py() or 0) > 13:  # past int64, certainly absurd
            lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False)
            row = _first(np.nan_to_num(lengths, nan=0) > 13)
            src.error(
                f"{text[row].as_py()} is beyond any real count (more than 10^12)",
                row=row,
                column=name,
            )
        missing = text.is_null().to_numpy(zero_copy_only=False)
        # a copy: the table's Int64 column must be writable, Arrow's buffers are not
        lower = _whole(pc.fill_null(pc.cast(text, pa.int64()), 0)).to_numpy(False, writable=True)
        _not_absurd(lower, src, name)
        return lower, np.ones(n, dtype=np.int64), missing
    # display strings repeat ("12.3K"): parse each distinct value once
    codes, values, missing = _distinct_text(text, share)
    lower, steps, valid = parse_displays(
        values, rounding=rounding, thousands=thousands, decimal=decimal
    )
    blank = pc.equal(values, "").to_numpy(zero_copy_only=False)
    invalid = ~valid & ~blank
    if invalid.any():
        first = _first(invalid)
        src.error(_not_a_count(values[first].as_py()), row=_first(codes == first), column=name)
    _not_absurd(lower, src, name, codes)
    # code -1 (a null cell) takes the appended last entry: missing, step 1 ("wrap" reads -1 so)
    lower = np.append(np.where(blank, 0, lower), 0)
    steps = np.append(np.where(blank, 1, steps), 1)
    rows = np.take(lower, codes, out=_pooled(len(codes), np.int64), mode="wrap")
    # the steps into the codes' own memory (spent after this): 8 MB of 1M rows not taken
    # fresh from the system, whose pages it would zero; "wrap" needs no buffered copy
    return rows, np.take(steps, codes, out=codes, mode="wrap"), missing


def _digits_first(text: pa.Array | pa.ChunkedArray) -> bool:
    """Whether the first 1,000 cells are digits (or missing): exact counts, most likely (a
    display among them spares the check of the whole column)."""
    return pc.all(pc.utf8_is_digit(text[:1000])).as_py() is not False


def _not_a_count(value: str) -> str:
    if value.startswith("-"):
        return f"a count cannot be negative, got {value!r}"
    if value[:1].isdigit() and value[-1:].isdigit() and not value.isdigit():
        return (
            f"expected a whole count, got {value!r} (a separator followed by exactly three "
            "digits groups thousands; pass thousands= and decimal= to say otherwise)"
        )
    return f"expected a count such as 1234, 1,234, 1.234, 12.3K, 12,3K or 1.2M, got {value!r}"


def _resolution_column(column: pd.Series, src: Source) -> np.ndarray:
    values, _ = _count_column(column, src, "resolution", "truncate")
    steps = values.to_numpy(dtype=np.int64, na_value=1)
    if (steps < 1).any():
        row = int(np.argmax(steps < 1))
        src.error(
            f"a resolution is a step of at least 1, got {steps[row]}", row=row, column="resolution"
        )
    return steps


def _keys(frame: pd.DataFrame) -> tuple[pa.Array, np.ndarray]:
    ids = pa.array(frame["video_id"], type=pa.large_string())
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    return ids, frame["timestamp"].to_numpy(dtype="datetime64[us]").view(np.int64)


class _Order(NamedTuple):
    """How a table's rows stand to the contract's order (by video, then time)."""

    differ: np.ndarray  #: whether each row's video differs from the row before's (rows 1 ...)
    ascending: bool  #: videos in order and times in order within each, ties allowed
    strictly: bool  #: ... and no two rows share a video and a time (the usual table)


def _order(ids: pa.Array, times: np.ndarray, widths: tuple[int, int] | None = None) -> _Order:
    """The order of rows of ``ids`` and ``times``; ``widths`` the ids' :func:`_widths`
    when known."""
    differ = _differ(ids, widths)
    # ids are in order when each change of id goes up: compared at the changes only
    change = np.flatnonzero(differ)
    later = pc.greater(ids.take(change + 1), ids.take(change)).to_numpy(zero_copy_only=False)
    strictly = bool(later.all() and (differ | (times[1:] > times[:-1])).all())
    ascending = strictly or bool(later.all() and (differ | (times[1:] >= times[:-1])).all())
    return _Order(differ, ascending, strictly)


def _differ(ids: pa.Array, widths: tuple[int, int] | None) -> np.ndarray:
    """Whether each id differs from the one before (rows 1 ...). Ids all of one width of 4 to
    16 bytes (the usual) are compared as two overlapping 4- or 8-byte words read in place from
    the data buffer, ~1.5x faster than Arrow's string comparison; others by Arrow."""
    if not ids.null_count and len(ids) > 1:
        shortest, longest = _widths(ids) if widths is None else widths
        if shortest == longest and 4 <= shortest <= 16:
            data, start, word = ids.buffers()[2], int(value_ends(ids)[0]), 8 if shortest >= 8 else 4
            differ = None
            for at in sorted({0, shortest - word}):
                words = np.ndarray((len(ids),), f"<u{word}", data, start + at, (shortest,))
                change = words[1:] != words[:-1]
                differ = change if differ is None else np.logical_or(differ, change, out=differ)
            return differ
    return pc.not_equal(ids[1:], ids[:-1]).to_numpy(zero_copy_only=False)


def _sort_and_dedupe(
    frame: pd.DataFrame, src: Source, duplicates: str, order: _Order | None = None
) -> pd.DataFrame:
    """The frame sorted by video and time, repeated rows dropped; ``order`` is its
    :func:`_order` when already known."""
    if order is None:
        order = _order(*_keys(frame))
    if order.strictly:
        return frame
    _, times = _keys(frame)
    position, differ = np.arange(len(frame)), order.differ
    if not order.ascending:
        vid_codes, _ = pd.factorize(frame["video_id"], sort=True)
        by_key = np.lexsort((position, times, vid_codes))
        frame = frame.iloc[by_key].reset_index(drop=True)
        position = position[by_key]
        ids, times = _keys(frame)
        differ = _order(ids, times).differ
    same_key = ~differ & (times[1:] == times[:-1])
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
        raise LikekitInputError(
            f"{src.name}, {src.rows(first, second)}: both are video "
            f"{frame['video_id'].iloc[i]!r} at {frame['timestamp'].iloc[i].isoformat()} but "
            f"the counts differ; pass duplicates='last' to keep the later row (re-scrapes)"
        )
    # keep the last of each run of equal keys (file order); exact repeats drop either way
    drop = np.append(same_key, False)
    return frame.loc[~drop].reset_index(drop=True)
