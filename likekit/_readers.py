"""Reading a source into a raw table: CSV (sniffed delimiter), Excel, Parquet, JSON, yt-dlp.

Each reader returns the user's table as written (headers untouched) and the :class:`Source`
that names its rows in error messages. Files are only ever read.
"""

from __future__ import annotations

import codecs
import csv
import glob
import io
import json
import mmap
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from likekit._source import Source

#: Roles of the columns a reader may leave typed by Arrow (the rest is read as text), given the
#: headers; the CSV reader asks before it parses.
Chooser = Callable[[Sequence[str], Source], dict[str, str]]

_DELIMITERS = (",", ";", "\t")
_EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (zip) and legacy .xls
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
_JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
#: fields of a yt-dlp .info.json capture that are kept (``timestamp`` there is the upload time)
YTDLP_FIELDS = ("id", "epoch", "like_count", "view_count", "comment_count", "title")
_GLOB = set("*?[")
#: bytes at the start of a file that tell its format
_HEAD = 65536


def input_files(source: str | Path) -> list[Path]:
    """The files an input names: itself, a folder's Parquet parts (a dataset) or else its
    yt-dlp captures, or a glob's matches."""
    path = Path(source)
    if not path.exists() and _GLOB & set(str(source)):
        return sorted(Path(p) for p in glob.glob(str(source), recursive=True))
    if path.is_dir():
        return sorted(path.rglob("*.parquet")) or sorted(path.rglob("*.info.json"))
    return [path]


def read_path(
    source: str | Path, choose: Chooser, sheet: str | int | None = None
) -> tuple[pd.DataFrame, Source]:
    """A file, a Parquet dataset directory, or a folder or glob of yt-dlp ``.info.json``
    captures, read as the user wrote it."""
    path = Path(source)
    if not path.exists() and _GLOB & set(str(source)):
        matches = input_files(source)
        if not matches:
            Source(str(source)).error("no file matches this pattern")
        return _read_captures(matches, Source(str(source)))
    src = Source(str(path))
    if not path.exists():
        src.error("no such file")
    if path.is_dir():
        captures = input_files(path)
        if captures and captures[0].suffix == ".parquet":
            return _read_parquet_dataset(path, src), src
        if not captures:
            src.error(
                "is a folder without yt-dlp .info.json captures (expected a table file, or a "
                "folder of files written by yt-dlp --write-info-json)"
            )
        return _read_captures(captures, src, root=path)
    data = _contents(path, src)
    head = data[:_HEAD]  # bytes, whether data is bytes or a mapped file
    if not head.strip() and not data[:].strip():
        src.error("is empty (expected a header row with video_id, timestamp, likes)")
    suffix = path.suffix.lower()
    if head[:4] == b"PAR1" or suffix in (".parquet", ".pq"):
        return _read_parquet(data[:], src), src
    if head[:4] in _EXCEL_MAGIC or suffix in _EXCEL_SUFFIXES:
        return _read_excel(data[:], src, sheet)
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        src.error("is UTF-16 text; save it as UTF-8 CSV")
    if b"\x00" in head:
        src.error("is binary data, not a CSV, Excel, Parquet or JSON file")
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    if path.name.endswith(".info.json"):
        return _read_captures([path], Source(str(path.parent)), root=path.parent)
    if suffix in _JSON_SUFFIXES or (head[bom:].lstrip() or data[bom:].lstrip())[:1] in (b"{", b"["):
        return _read_json(data[bom:], src)
    table = _read_csv(data, bom, src, choose)
    if isinstance(data, mmap.mmap):
        # unmapped on a thread of its own (~2 ms of 32 MB: page tables torn down), on the core
        # that is idle while this one converts the table; the table holds none of its bytes
        threading.Thread(target=_unmap, args=(data,), daemon=True).start()
    return table, src


def _unmap(data: mmap.mmap) -> None:
    try:
        data.close()
    except BufferError:  # still exported (a failed first reading's traceback holds a view):
        pass  # unmapped when that is freed


def _contents(path: Path, src: Source) -> bytes | mmap.mmap:
    """A file's bytes; a regular file mapped read-only, so that Arrow parses a CSV where it
    lies (reading 32 MB into a new bytes object costs ~15% of the parse)."""
    try:
        with path.open("rb") as file:
            if path.is_file() and path.stat().st_size > 0:
                try:
                    return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
                except (OSError, ValueError):  # a file system that cannot map: read it
                    pass
            return file.read()
    except OSError as exc:
        src.error(f"cannot be read ({exc.strerror})")


def _read_parquet(data: bytes, src: Source) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises many types for a damaged file
        src.error(f"is not a readable Parquet file ({type(exc).__name__}: {exc})")


def _read_parquet_dataset(path: Path, src: Source) -> pd.DataFrame:
    """A directory of Parquet parts (hive partitions such as ``creator_id=...`` become
    columns of plain values)."""
    import pyarrow.dataset as ds

    try:
        table = ds.dataset(path, format="parquet", partitioning="hive").to_table()
    except Exception as exc:  # pyarrow raises many types for a damaged dataset
        src.error(f"is not a readable Parquet dataset ({type(exc).__name__}: {exc})")
    frame = table.to_pandas()
    # partition values arrive as categoricals; the data contract keeps other columns' values
    for name in frame.columns[frame.dtypes.map(lambda d: isinstance(d, pd.CategoricalDtype))]:
        frame[name] = frame[name].astype(frame[name].cat.categories.dtype)
    return frame


def _read_excel(data: bytes, src: Source, sheet: str | int | None) -> tuple[pd.DataFrame, Source]:
    # calamine (Rust) reads a 100,000-row sheet ~6x faster than openpyxl: see the benchmark
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="calamine")
    except Exception as exc:  # each format's parser raises its own types
        src.error(f"is not a readable Excel workbook ({type(exc).__name__}: {exc})")
    names = [str(n) for n in book.sheet_names]
    if sheet is None:
        chosen = names[0]
    elif str(sheet) in names:
        chosen = str(sheet)
    elif isinstance(sheet, int) or str(sheet).isdigit():  # a number from 0 (--sheet 1)
        if not 0 <= int(sheet) < len(names):
            src.error(f"has no sheet number {int(sheet)} (sheets, from 0: {', '.join(names)})")
        chosen = names[int(sheet)]
    else:
        src.error(f"has no sheet {sheet!r} (sheets: {', '.join(names)})")
    # cells as typed: pandas would otherwise turn a text column of "1.234" into floats
    table = pd.read_excel(book, sheet_name=chosen, dtype=object)
    sheet_src = Source(f"{src.name}, sheet {chosen!r}" if len(names) > 1 else src.name)
    if table.columns.empty:
        sheet_src.error("is empty (expected a header row with video_id, timestamp, likes)")
    if len(table) == 0:
        sheet_src.error("has a header but no data rows")
    return table.rename(columns=str), sheet_src


def _read_json(data: bytes, src: Source) -> tuple[pd.DataFrame, Source]:
    text = _utf8(data, src, "JSON")
    src = Source(src.name, first_row=1, row_word="record", column_word="field")
    try:
        doc: Any = json.loads(text)
        records, labels = _records(doc), None
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            src.error(f"is not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})")
        records, labels = _json_lines(text, src)
    src.labels = labels
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            src.error(f"expected an object with named fields, got {type(record).__name__}",
                      row=index)  # fmt: skip
    if not records:
        src.error("holds no records")
    if all(_is_capture(r) for r in records):
        records = [{k: r.get(k) for k in YTDLP_FIELDS} for r in records]
    return pd.json_normalize(records, sep="."), src


def _records(doc: Any) -> list[Any]:
    """The records of a JSON document: an array, one object, or an object holding one array."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        arrays = [v for v in doc.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        return arrays[0] if len(arrays) == 1 and not _is_capture(doc) else [doc]
    return [doc]


def _json_lines(text: str, src: Source) -> tuple[list[Any], list[str]]:
    records, labels = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                src.error(f"line {number} is not valid JSON ({exc.msg}, column {exc.colno})")
            labels.append(f"line {number}")
    return records, labels


def _is_capture(record: Any) -> bool:
    """A yt-dlp info dict: ``epoch`` (capture time) beside ``extractor`` and ``id``."""
    return isinstance(record, dict) and {"id", "epoch", "extractor"} <= record.keys()


def _read_captures(
    paths: Sequence[Path], src: Source, root: Path | None = None
) -> tuple[pd.DataFrame, Source]:
    """One row per yt-dlp ``.info.json`` capture, its file naming the row in errors."""
    rows, labels = [], []
    for path in paths:
        label = str(path.relative_to(root)) if root is not None else str(path)
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            src.error(f"{label} is not a readable JSON file ({exc})")
        if isinstance(doc, dict) and doc.get("_type") == "playlist":
            continue  # a channel's or playlist's own metadata, beside its videos' captures
        if not isinstance(doc, dict) or "id" not in doc:
            src.error(f"{label} is not a yt-dlp .info.json capture (no 'id' field)")
        if doc.get("epoch") is None:
            src.error(
                f"{label} has no 'epoch' field, the capture time yt-dlp writes (its 'timestamp' "
                "is the upload time); write captures with yt-dlp --write-info-json"
            )
        rows.append({k: doc.get(k) for k in YTDLP_FIELDS})
        labels.append(label)
    if not rows:
        src.error("holds only playlist metadata, no video captures")
    src = Source(src.name, column_word="field", labels=labels)
    return pd.DataFrame(rows, columns=list(YTDLP_FIELDS)), src


def _utf8(data: bytes, src: Source, kind: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        src.error(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            f"save it as UTF-8 {kind}"
        )


def _delimiter(header: str) -> str:
    """The delimiter the header uses most: a semicolon export or a tab-separated file."""
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes | mmap.mmap, bom: int, src: Source, choose: Chooser) -> pd.DataFrame:
    """Arrow reads the file (after its ``bom`` bytes) as text, capture times with offsets as
    times."""
    end = data.find(b"\n", bom)
    header_text = _utf8(data[bom : end + 1 if end >= 0 else len(data)], src, "CSV")
    delimiter = _delimiter(header_text)
    header = next(csv.reader(io.StringIO(header_text), delimiter=delimiter), [])
    if len(set(header)) != len(header):
        src.error(f"has repeated column names in its header: {header}")
    # large_string is pandas' str storage: to_pandas then copies no text
    text = {name: pa.large_string() for name in header}
    stamp = choose(header, src).get("timestamp")
    # times with offsets parse in Arrow as it reads (the common export); any other layout is
    # read as text and left to likekit._dates
    attempts = [{**text, stamp: pa.timestamp("us", tz="UTC")}, text] if stamp else [text]
    body = pa.py_buffer(data).slice(bom)  # no copy; Arrow's table holds none of it
    # Arrow's default blocks (1 MiB) on every core: measured idle on 1M rows, one thread in
    # one block was 1.5x slower (a busy machine favours one thread, an idle one does not)
    read_options = pacsv.ReadOptions(use_threads=True)
    for column_types in attempts:
        try:
            table = _arrow_csv(body, read_options, delimiter, column_types)
            _check_utf8(table)
            break
        except pa.ArrowInvalid as exc:
            error = exc
    else:
        _ragged_row(_utf8(data[bom:], src, "CSV"), delimiter, len(header), src)
        src.error(f"is not a well-formed CSV ({error})")
    if table.num_rows == 0:
        src.error("has a header but no data rows")
    # times stay Arrow's, uncopied: likekit._dates converts them on the ids' thread, beside
    # the counters' work (~3 ms of 1M rows that held up both threads)
    return table.to_pandas(types_mapper=_times_kept_in_arrow)


def _times_kept_in_arrow(kind: pa.DataType) -> pd.ArrowDtype | None:
    return pd.ArrowDtype(kind) if pa.types.is_timestamp(kind) else None


def _arrow_csv(
    body: pa.Buffer,
    read_options: pacsv.ReadOptions,
    delimiter: str,
    column_types: dict[str, pa.DataType],
) -> pa.Table:
    return pacsv.read_csv(
        pa.BufferReader(body),
        read_options=read_options,
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(
            column_types=column_types,
            null_values=[""],
            strings_can_be_null=True,
            check_utf8=False,  # _check_utf8 checks the text columns only
        ),
    )


def _check_utf8(table: pa.Table) -> None:
    """Raise ArrowInvalid if a text cell is not UTF-8: the text columns only, not the whole
    file as Arrow's reader would, and with a glance at their bytes when they are ASCII."""
    for column in table.columns:
        if pa.types.is_large_string(column.type):
            for chunk in column.chunks:
                data = chunk.buffers()[2]
                if data is not None and np.frombuffer(data, np.uint8).max(initial=0) >= 128:
                    chunk.validate(full=True)


def _ragged_row(text: str, delimiter: str, width: int, src: Source) -> None:
    """Name the first row whose number of fields differs from the header's."""
    for index, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=-1):
        if row and len(row) != width:
            src.error(f"expected {width} fields as in the header, found {len(row)}", row=index)
