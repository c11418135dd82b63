"""The loader and the display helpers: the data contract, and a clear error for bad input."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import likekit as lk
from likekit.data import LikekitInputError, parse_displays

BAD = Path(__file__).parent / "data" / "bad"
GOOD = Path(__file__).parent / "data" / "good"
COUNT_HINT = "expected a count such as 1234, 1,234, 1.234, 12.3K, 12,3K or 1.2M"


# --------------------------------------------------------------------------- display strings


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (0, "0"),
        (999, "999"),
        (1_000, "1K"),
        (1_299, "1.2K"),
        (12_000, "12K"),
        (12_345, "12.3K"),
        (999_999, "999.9K"),
        (1_000_000, "1M"),
        (1_250_000, "1.2M"),
        (2_000_000_000, "2B"),
    ],
)
def test_format_count_follows_the_app(n, shown):
    assert lk.format_count(n) == shown


def test_format_count_rounding_option_moves_half_a_step():
    assert lk.format_count(1_250, rounding="round") == "1.3K"
    assert lk.format_count(999_950, rounding="round") == "1M"  # no "1000K"
    assert lk.format_count(949_949, rounding="round") == "949.9K"
    with pytest.raises(ValueError, match="rounding must be"):
        lk.format_count(5, rounding="nearest")


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("999", (999, 1)),
        ("1,234", (1_234, 1)),
        (" 1.2K ", (1_200, 100)),
        ("12K", (12_000, 100)),
        ("12.3k", (12_300, 100)),
        ("1.2M", (1_200_000, 100_000)),
        ("1.25K", (1_250, 10)),  # another platform's two decimals: a finer step
        ("3B", (3_000_000_000, 100_000_000)),
        (17, (17, 1)),
    ],
)
def test_parse_count_gives_lower_bound_and_resolution(shown, expected):
    assert lk.parse_count(shown) == expected


@pytest.mark.parametrize("shown", ["lots", "1.2.3K", "1.2Q", "inf", "-5", "12.5", "1,23", ""])
def test_parse_count_rejects_what_is_not_a_count(shown):
    with pytest.raises(ValueError):
        lk.parse_count(shown)


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["truncate", "round"]))
def test_display_round_trip_brackets_the_true_value(n, rounding):
    lower, resolution = lk.parse_count(lk.format_count(n, rounding=rounding), rounding=rounding)
    assert lower <= n < lower + resolution
    if n < 1000:
        assert (lower, resolution) == (n, 1)


@given(st.integers(min_value=0, max_value=10**12))
def test_display_is_a_fixed_point(n):
    shown = lk.format_count(n)
    assert lk.format_count(lk.parse_count(shown)[0]) == shown


# --------------------------------------------------------------------------- loading


def write(tmp_path: Path, text: str, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_load_counts_parses_displays_times_and_sorts(tmp_path):
    path = write(
        tmp_path,
        "video_id,timestamp,likes,views,title\n"
        "a,2026-01-05T00:00:00+02:00, 1.2K ,100,hello\n"
        "a,2026-01-05 01:00:00,999,,x\n"
        "b,2026-01-05T00:00Z,,5,<b>y</b>\n"
        'a,2026-01-04T20:00:00Z,"1,234",2,z\n',
    )
    counts = lk.load_counts(path)
    assert list(counts.columns) == [
        "video_id",
        "timestamp",
        "likes",
        "resolution",
        "views",
        "title",
    ]
    assert counts["video_id"].tolist() == ["a", "a", "a", "b"]
    assert str(counts["timestamp"].dtype) == "datetime64[us, UTC]"
    assert counts["timestamp"].tolist() == [
        pd.Timestamp(t, tz="UTC")
        for t in ("2026-01-04 20:00", "2026-01-04 22:00", "2026-01-05 01:00", "2026-01-05 00:00")
    ]
    assert counts["likes"].dtype == "Int64" and counts["views"].dtype == "Int64"
    assert counts["likes"].tolist()[:3] == [1_234, 1_200, 999]
    assert counts["likes"].isna().tolist() == [False, False, False, True]  # kept as missing
    assert counts["resolution"].tolist() == [1, 100, 1, 1]
    assert counts["views"].isna().tolist() == [False, False, True, False]
    assert counts["title"].tolist() == ["z", "hello", "x", "<b>y</b>"]  # untouched


def test_load_counts_tolerates_bom_and_header_case(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfVideo_ID, Timestamp ,Likes\nv,2026-01-05T00:00Z,12K\n")
    counts = lk.load_counts(path)
    assert counts[["likes", "resolution"]].iloc[0].tolist() == [12_000, 100]


def test_naive_and_offset_times_normalise_to_utc(tmp_path):
    path = write(
        tmp_path,
        "video_id,timestamp,likes\nv,2026-01-05T12:00:00,1\nv,2026-01-05T12:30:00-05:00,2\n",
    )
    stamps = lk.load_counts(path)["timestamp"]
    assert stamps.tolist() == [
        pd.Timestamp("2026-01-05 12:00", tz="UTC"),
        pd.Timestamp("2026-01-05 17:30", tz="UTC"),
    ]


def test_exact_duplicates_drop_and_re_scrapes_keep_the_last(tmp_path):
    text = (
        "video_id,timestamp,likes\n"
        "v,2026-01-05T00:00Z,5\nv,2026-01-05T00:00Z,5\n"  # exact repeat
        "v,2026-01-05T01:00Z,6\nv,2026-01-05T01:00Z,9\n"  # re-scrape
    )
    with pytest.raises(LikekitInputError, match="rows 4 and 5"):
        lk.load_counts(write(tmp_path, text))
    counts = lk.load_counts(write(tmp_path, text), duplicates="last")
    assert counts["likes"].tolist() == [5, 9]


def test_round_option_moves_the_lower_bound(tmp_path):
    path = write(tmp_path, "video_id,timestamp,likes\nv,2026-01-05T00:00Z,12.3K\n")
    assert lk.load_counts(path, rounding="round")["likes"].tolist() == [12_250]


def test_dataframe_input_with_strings_is_not_modified():
    table = pd.DataFrame(
        {
            "video_id": ["b", "a"],
            "timestamp": ["2026-01-05T01:00Z", "2026-01-05T00:00Z"],
            "likes": ["1.2M", "7"],
        }
    )
    before = table.copy()
    counts = lk.load_counts(table)
    pd.testing.assert_frame_equal(table, before)
    assert counts["likes"].tolist() == [7, 1_200_000]
    assert counts["resolution"].tolist() == [1, 100_000]


def test_contract_table_loads_unchanged():
    table = pd.DataFrame(
        {
            "video_id": pd.Series(["a", "a", "b"], dtype="str"),
            "timestamp": pd.to_datetime(
                ["2026-01-05T00:00Z", "2026-01-05T01:00Z", "2026-01-05T00:00Z"]
            ).as_unit("us"),
            "likes": pd.array([1_200, None, 3], dtype="Int64"),
            "resolution": np.array([100, 1, 1], dtype=np.int64),
            "display": pd.Series(["1.2K", "", "3"], dtype="str"),
        }
    )
    pd.testing.assert_frame_equal(lk.load_counts(table), table)


def test_parquet_round_trip(tmp_path):
    table = pd.DataFrame(
        {
            "video_id": ["a", "a"],
            "timestamp": pd.to_datetime(["2026-01-05T00:00", "2026-01-05T01:00"]),  # naive
            "likes": ["12.3K", "12.4K"],
        }
    )
    table.to_parquet(tmp_path / "t.parquet")
    counts = lk.load_counts(tmp_path / "t.parquet")
    assert counts["likes"].tolist() == [12_300, 12_400]
    assert counts["timestamp"].dt.tz is not None


def test_sample_path_finds_bundled_data_or_says_which_exist():
    with pytest.raises(FileNotFoundError, match="no sample 'nope'"):
        lk.sample_path("nope")


# --------------------------------------------------------------------------- bad input

BAD_FILES = [
    ("empty.csv", "is empty"),
    ("blank.csv", "is empty"),
    ("header_only.csv", "has a header but no data rows"),
    ("no_likes.csv", "has no 'likes' column (columns found: video_id, timestamp, views"),
    ("no_video_id.csv", "has no 'video_id' column"),
    ("no_timestamp.csv", "has no 'timestamp' column"),
    (
        "likes_words.csv",
        f"row 3, column 'likes': {COUNT_HINT}, got 'lots'",
    ),
    (
        "likes_two_points.csv",
        f"row 3, column 'likes': {COUNT_HINT}, got '1.2.3K'",
    ),
    (
        "likes_unknown_suffix.csv",
        f"row 4, column 'likes': {COUNT_HINT}, got '1.2Q'",
    ),
    ("likes_inf.csv", f"row 2, column 'likes': {COUNT_HINT}, got 'inf'"),
    ("likes_negative.csv", "row 3, column 'likes': a count cannot be negative, got '-3'"),
    (
        "likes_negative_display.csv",
        "row 3, column 'likes': a count cannot be negative, got '-1.2K'",
    ),
    ("likes_fraction.csv", "row 2, column 'likes': expected a whole count, got '12.5'"),
    ("likes_absurd.csv", "row 2, column 'likes': 5,000,000,000,000 is beyond any real count"),
    ("likes_absurd_display.csv", "row 3, column 'likes': 5,000,000,000,000 is beyond any real"),
    (
        "views_words.csv",
        f"row 2, column 'views': {COUNT_HINT}, got 'many'",
    ),
    (
        "timestamp_words.csv",
        "row 3, column 'timestamp': expected a date and time such as "
        "2026-01-05T13:00:00Z, got 'yesterday'",
    ),
    (
        "timestamp_impossible.csv",
        "row 2, column 'timestamp': expected a date and time such as "
        "2026-01-05T13:00:00Z, got '2026-02-30T00:00:00Z'",
    ),
    ("timestamp_hour_25.csv", "row 2, column 'timestamp': expected a date and time"),
    ("timestamp_missing.csv", "row 3, column 'timestamp': missing timestamp"),
    ("video_id_missing.csv", "row 3, column 'video_id': missing video id"),
    (
        "duplicate_conflict.csv",
        "rows 2 and 4: both are video 'a' at 2026-01-05T00:00:00+00:00 "
        "but the counts differ; pass duplicates='last'",
    ),
    ("ragged_row.csv", "row 3: expected 3 fields as in the header, found 4"),
    ("repeated_header.csv", "has repeated column names in its header"),
    ("resolution_zero.csv", "row 2, column 'resolution': a resolution is a step of at least 1"),
    ("data.json", "has no 'timestamp' field (fields found: video_id, likes;"),
    ("latin1.csv", "is not UTF-8 text (byte 0xe9 on line 2); save it as UTF-8 CSV"),
    ("utf16.csv", "is UTF-16 text; save it as UTF-8 CSV"),
    ("binary.csv", "is binary data, not a CSV, Excel, Parquet or JSON file"),
    ("damaged.parquet", "is not a readable Parquet file"),
]


#: bad files of the "bring your own data" loader: options, and the exact message after the path
BAD_EXACT = [
    (
        "mixed_date_orders.csv",
        {},
        ", column 'Date': mixes day-first dates ('24/11/2026', row 2) and month-first dates "
        "('11/25/2026', row 3); one column needs one order",
    ),
    (
        "ambiguous_dates.csv",
        {},
        ", column 'date': cannot tell day-first from month-first dates: '01/11/2026' (row 2) "
        "is 1 November day first or 11 January month first, and no date in the column "
        "settles it; pass dayfirst=True or False (--dayfirst or --monthfirst) or date_format",
    ),
    (
        "conflict_columns.csv",
        {},
        ": columns 'Date' and 'Time' both read as timestamp; pass columns={'Date': 'timestamp'} "
        "(--column 'Date=timestamp') to choose one",
    ),
    (
        "two_counters.csv",
        {},
        ": columns 'likes' and 'hearts' both read as likes; pass columns={'likes': 'likes'} "
        "(--column 'likes=likes') to choose one",
    ),
    (
        "near_miss.csv",
        {},
        ": has no 'likes' column (columns found: Video, Date, Lieks; required: video_id, "
        "timestamp, likes; 'Lieks' looks like likes: pass columns={'Lieks': 'likes'})",
    ),
    (
        "near_miss.csv",
        {"metric": "followers"},
        ": has no 'followers' column (columns found: Video, Date, Lieks; required: video_id, "
        "timestamp, likes; followers is looked for as followers, follower_count, "
        "followers_count, follower)",
    ),
    (
        "near_miss.csv",
        {"columns": {"Likes": "likes"}},
        ": columns= names 'Likes', which is not a column (columns found: Video, Date, Lieks); "
        "did you mean 'Lieks'?",
    ),
    (
        "near_miss.csv",
        {"columns": {"Lieks": "like"}},
        ": columns= maps 'Lieks' to 'like', which is not one of video_id, timestamp, likes, "
        "resolution, views, comments, shares",
    ),
    (
        "fraction_comma.csv",
        {},
        ", row 3, column 'likes': expected a whole count, got '12,5' (a separator followed by "
        "exactly three digits groups thousands; pass thousands= and decimal= to say otherwise)",
    ),
    (
        "thousands_mixed.csv",
        {},
        ", row 2, column 'likes': expected a whole count, got '1.234,5' (a separator followed "
        "by exactly three digits groups thousands; pass thousands= and decimal= to say "
        "otherwise)",
    ),
    (
        "impossible_dayfirst.csv",
        {},
        ", row 3, column 'date': expected a date and time such as 2026-01-05T13:00:00Z, "
        "got '31/02/2026'",
    ),
    (
        "epoch_excel_serial.csv",
        {},
        ", row 2, column 'epoch': expected Unix epoch seconds or milliseconds of a time "
        "between 2000 and 2100, got 46000",
    ),
    (
        "dst_gap.csv",
        {"tz": "Europe/Paris"},
        ", row 2, column 'time': '2026-03-29 02:30' does not exist or happens twice in "
        "Europe/Paris (a daylight-saving change); give such times with an offset or in UTC",
    ),
    (
        "semicolon_words.csv",
        {},
        f", row 3, column 'Likes': {COUNT_HINT}, got 'viele'",
    ),
    (
        "tab_ragged.tsv",
        {},
        ", row 3: expected 3 fields as in the header, found 4",
    ),
    (
        "unknown_zone_words.csv",
        {},
        ", row 2, column 'date': expected a date and time such as 2026-01-05T13:00:00Z, "
        "got 'next tuesday'",
    ),
    (
        "tiktok_no_capture.json",
        {},
        ": has no 'timestamp' field (fields found: id, createTime, stats.diggCount; required: "
        "video_id, timestamp, likes; 'createTime' is when the video was posted, not when the "
        "count was captured; timestamp is looked for as timestamp, time, date, datetime, "
        "captured_at, scraped_at, collected_at, fetched_at, epoch)",
    ),
    (
        "missing_capture_time.jsonl",
        {},
        ", line 2, field 'captured_at': missing timestamp (every snapshot needs a date and time)",
    ),
    (
        "broken.json",
        {},
        ": is not valid JSON (Expecting ',' delimiter, line 2 column 13)",
    ),
    (
        "bad_line.jsonl",
        {},
        ": line 3 is not valid JSON (Expecting property name enclosed in double quotes, column 13)",
    ),
    (
        "not_records.json",
        {},
        ", record 1: expected an object with named fields, got int",
    ),
    (
        "ytdlp_no_epoch",
        {},
        ": abc.info.json has no 'epoch' field, the capture time yt-dlp writes (its 'timestamp' "
        "is the upload time); write captures with yt-dlp --write-info-json",
    ),
    (
        "excel_words.xlsx",
        {},
        f", row 4, column 'Likes': {COUNT_HINT}, got 'lots'",
    ),
    (
        "excel_fraction.xlsx",
        {},
        ", row 3, column 'Likes': expected a whole count, got 12.5",
    ),
]


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_every_bad_file_is_covered():
    named = {name for name, _ in BAD_FILES} | {name for name, _, _ in BAD_EXACT}
    assert named == {p.name for p in BAD.iterdir()}


@pytest.mark.parametrize(("name", "message"), BAD_FILES, ids=[n for n, _ in BAD_FILES])
def test_bad_file_gets_a_clear_error_naming_source_row_and_column(name, message):
    path = BAD / name
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(LikekitInputError) as caught:
        lk.load_counts(path)
    text = str(caught.value)
    assert text.startswith(str(path)), text
    assert message in text, text
    assert "\n" not in text  # one line, as the command line prints it
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@pytest.mark.parametrize(
    ("name", "options", "message"), BAD_EXACT, ids=[f"{n}-{o}" for n, o, _ in BAD_EXACT]
)
def test_bad_input_gets_its_exact_one_line_message(name, options, message):
    path = BAD / name
    with pytest.raises(LikekitInputError) as caught:
        lk.load_counts(path, **options)
    assert str(caught.value) == f"{path}{message}"


def test_loading_never_changes_an_input_file():
    before = digest(BAD), digest(GOOD)
    for name, options, _ in [(n, {}, m) for n, m in BAD_FILES] + BAD_EXACT:
        with pytest.raises(LikekitInputError):
            lk.load_counts(BAD / name, **options)
    for name, options, _ in GOOD_FILES:
        lk.load_counts(GOOD / name, **options)
    assert (digest(BAD), digest(GOOD)) == before


def test_directory_and_missing_paths(tmp_path):
    with pytest.raises(LikekitInputError, match="is a folder without yt-dlp .info.json captures"):
        lk.load_counts(tmp_path)
    with pytest.raises(LikekitInputError, match=r"nope\.csv: no such file"):
        lk.load_counts(tmp_path / "nope.csv")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_is_read_like_a_file(tmp_path):
    # files are mapped, not copied; a pipe (likekit report <(...)) cannot be mapped
    table = "video_id,timestamp,likes\nv,2026-01-05T00:00:00Z,1.2K\n"
    pipe = tmp_path / "counts.csv"
    os.mkfifo(pipe)
    writer = threading.Thread(target=pipe.write_text, args=(table,))
    writer.start()
    counts = lk.load_counts(pipe)
    writer.join()
    assert counts[["likes", "resolution"]].iloc[0].tolist() == [1200, 100]


@given(
    width=st.integers(1, 18),
    at=st.lists(st.integers(0, 17), min_size=3, max_size=3),
    picks=st.lists(st.integers(0, 3), min_size=2, max_size=40),
    skip=st.integers(0, 2),
    shorter=st.booleans(),
)
def test_ids_differ_where_arrow_says_they_do(width, at, picks, skip, shorter):
    # ids of one width (read in place as words) differing at one byte anywhere, in runs,
    # maybe sliced (an offset into the buffers) or with one id shorter (read by Arrow)
    import pyarrow.compute as pc

    base = "abcdefghijklmnopqr"[:width]
    ids = [base] + [base[: p % width] + "Z" + base[p % width + 1 :] for p in at]
    if shorter:
        ids[3] = base[:-1]
    text = pa.array([ids[i] for i in picks], type=pa.large_string())[skip:]
    if len(text) < 2:
        return
    expected = pc.not_equal(text[1:], text[:-1]).to_numpy(zero_copy_only=False)
    assert (lk.data._differ(text, None) == expected).all()
    assert (lk.data._differ(text, lk.data._widths(text)) == expected).all()


def test_format_is_told_past_a_long_blank_start(tmp_path):
    # the first 64 KiB tell the format, unless they are blank
    path = tmp_path / "counts"
    record = {"video_id": "v", "timestamp": "2026-01-05T00:00:00Z", "likes": 5}
    path.write_text(" " * 70_000 + json.dumps([record]))
    assert lk.load_counts(path)["likes"].tolist() == [5]
    path.write_text(" \n" * 40_000)
    with pytest.raises(LikekitInputError, match="is empty"):
        lk.load_counts(path)


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("likes", [True, False], "expected counts, got true/false values"),
        ("likes", [1.5, 2.0], "row 1, column 'likes': expected a whole count, got 1.5"),
        ("likes", [3, -1], "row 2, column 'likes': a count cannot be negative, got -1"),
        ("timestamp", [pd.NaT, pd.Timestamp("2026-01-05")], "row 1, column 'timestamp': missing"),
    ],
)
def test_bad_dataframes_name_the_row(column, values, message):
    table = pd.DataFrame(
        {"video_id": ["a", "b"], "timestamp": ["2026-01-05", "2026-01-06"], "likes": [1, 2]}
    )
    table[column] = values
    with pytest.raises(LikekitInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        lk.load_counts(table)


def test_unsupported_source_and_options():
    with pytest.raises(LikekitInputError, match="expected a file path or a DataFrame, got list"):
        lk.load_counts([1, 2])
    with pytest.raises(ValueError, match="duplicates must be"):
        lk.load_counts(pd.DataFrame(), duplicates="first")


def test_blank_cells_are_missing_counts_but_required_elsewhere():
    table = pd.DataFrame(
        {"video_id": ["a", "a"], "timestamp": ["2026-01-05", "2026-01-06"], "likes": ["  ", "1K"]}
    )
    counts = lk.load_counts(table)
    assert counts["likes"].isna().tolist() == [True, False]
    assert counts["resolution"].tolist() == [1, 100]
    with pytest.raises(LikekitInputError, match="row 2, column 'video_id': missing video id"):
        lk.load_counts(table.assign(video_id=["a", " "]))
    with pytest.raises(LikekitInputError, match="row 1, column 'timestamp': missing timestamp"):
        lk.load_counts(table.assign(timestamp=[" ", "2026-01-06"]))


@pytest.mark.parametrize(
    ("ids", "row"),
    [
        (["a", ""], 3),
        (["a", "\t"], 3),
        (["\u00a0", "a"], 2),  # a no-break space alone
        (["a", "\u3000\u3000"], 3),  # an ideographic space (three bytes, the first >= 128)
    ],
)
def test_blank_video_ids_are_found_whatever_the_whitespace(tmp_path, ids, row):
    path = tmp_path / "blank_id.csv"
    rows = [f"{v},2026-01-05T0{i}:00:00Z,5" for i, v in enumerate(ids)]
    path.write_text("\n".join(["video_id,timestamp,likes", *rows]) + "\n", encoding="utf-8")
    with pytest.raises(LikekitInputError, match=f"row {row}, column 'video_id': missing video id"):
        lk.load_counts(path)


def test_ids_that_start_with_spaces_or_other_scripts_are_kept(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text(
        "video_id,timestamp,likes\n\u00e9t\u00e9,2026-01-05T00:00:00Z,5\n"
        '" b",2026-01-05T00:00:00Z,6\n',
        encoding="utf-8",
    )
    assert lk.load_counts(path)["video_id"].tolist() == [" b", "\u00e9t\u00e9"]


@pytest.mark.parametrize("likes", ["5", "1.2K"])
def test_loaded_table_is_ours_to_change(tmp_path, likes):
    # the loader hands Arrow's buffers to pandas without copies where it can: none read-only
    path = tmp_path / "counts.csv"
    path.write_text(f"video_id,timestamp,likes,views\na,2026-01-05T00:00:00Z,{likes},7\n")
    counts = lk.load_counts(path)
    counts.loc[0, ["likes", "resolution", "views"]] = [1, 2, 3]
    counts.loc[0, "timestamp"] = pd.Timestamp("2026-01-06", tz="UTC")
    counts.loc[0, "video_id"] = "b"
    assert counts.iloc[0].tolist() == ["b", pd.Timestamp("2026-01-06", tz="UTC"), 1, 2, 3]


# --------------------------------------------------------------------------- bring your own data

#: good files, the options they need and the table they hold, written out by hand
GOOD_FILES = [
    ("sheet_dayfirst.csv", {}, "sheet_dayfirst"),
    ("semicolon_european.csv", {}, "semicolon_european"),
    ("tab_separated.tsv", {}, "tab_separated"),
    ("monthfirst_us.csv", {}, "monthfirst_us"),
    ("month_names.csv", {}, "month_names"),
    ("ambiguous_dates.csv", {"dayfirst": True}, "ambiguous_dates.dayfirst"),
    ("ambiguous_dates.csv", {"dayfirst": False}, "ambiguous_dates.monthfirst"),
    ("ambiguous_dates.csv", {"date_format": "%d/%m/%Y"}, "ambiguous_dates.dayfirst"),
    ("epoch_seconds.csv", {}, "epoch_seconds"),
    ("epoch_millis.csv", {}, "epoch_millis"),
    ("followers.csv", {}, "followers"),
    ("long_and_blank.csv", {}, "long_and_blank"),
    ("expanded.csv", {"resolution": "infer"}, "expanded"),
    ("local_time.csv", {"tz": "Europe/Paris"}, "local_time"),
    ("date_format.csv", {"date_format": "%Y%m%d-%H%M"}, "date_format"),
    (
        "mapped.csv",
        {"columns": {"Clip": "video_id", "When": "timestamp", "Total hearts": "likes"}},
        "mapped",
    ),
    ("json_in.csv", {}, "json_in"),
    ("tiktok.json", {}, "tiktok"),
    ("tiktok.jsonl", {}, "tiktok_lines"),
    ("wrapped.json", {}, "wrapped"),
    ("ytdlp", {}, "ytdlp"),
    ("ytdlp/*.info.json", {}, "ytdlp"),
    ("subscribers.xlsx", {"sheet": "Data"}, "subscribers"),
    ("subscribers.xlsx", {"sheet": 1}, "subscribers"),
    (
        "european.xlsx",
        {"columns": {"Datum und Zeit": "timestamp", "Aufrufe": "views"}},
        "european",
    ),
]


def expected_table(stem: str) -> pd.DataFrame:
    """An expected table as written by hand, typed as the data contract says."""
    table = pd.read_csv(GOOD / f"{stem}.expected.csv", dtype={"video_id": "str"})
    table["timestamp"] = pd.to_datetime(table["timestamp"], utc=True, format="ISO8601")
    table["timestamp"] = table["timestamp"].dt.as_unit("us")
    for column in ("likes", "views", "comments", "shares"):
        if column in table:
            table[column] = table[column].astype("Int64")
    table["resolution"] = table["resolution"].astype("int64")
    return table


@pytest.mark.parametrize(
    ("name", "options", "stem"), GOOD_FILES, ids=[f"{n}-{o}" for n, o, _ in GOOD_FILES]
)
def test_good_file_reads_as_its_expected_table(name, options, stem):
    expected = expected_table(stem)
    counts = lk.load_counts(GOOD / name, **options)
    pd.testing.assert_frame_equal(counts[list(expected.columns)], expected)


def test_every_good_file_has_an_expected_table():
    tables = {p.name for p in GOOD.glob("*.expected.csv")}
    sources = {p.name for p in GOOD.iterdir()} - tables
    assert sources == {name for name, _, _ in GOOD_FILES if "*" not in name}
    assert tables == {f"{stem}.expected.csv" for _, _, stem in GOOD_FILES}


def test_columns_encoded_in_halves_read_as_when_whole(monkeypatch):
    # long tables are read on two threads (text counters beside ids and times, a text column
    # with a blank cell or a value over 8 bytes dictionary-encoded in two halves): forced here
    # on every fixture, each reads as on one thread and each bad file gets the same message
    def outcome(path: Path, options: dict) -> pd.DataFrame | str:
        try:
            return lk.load_counts(path, **options)
        except LikekitInputError as exc:
            return str(exc)

    cases = [(GOOD / n, o) for n, o, _ in GOOD_FILES] + [(BAD / n, {}) for n, _ in BAD_FILES]
    cases += [(BAD / n, o) for n, o, _ in BAD_EXACT]
    whole = [outcome(path, options) for path, options in cases]
    monkeypatch.setattr(lk.data, "_SPLIT_ROWS", 2)
    for (path, options), expected in zip(cases, whole, strict=True):
        halves = outcome(path, options)
        if isinstance(expected, str):
            assert halves == expected
        else:
            pd.testing.assert_frame_equal(halves, expected)


@pytest.mark.parametrize(
    "cell, ending",
    [
        (None, None),
        ("12.3K", None),
        ("1,234,567.0", "with a value over 8 bytes"),
        (" ", "with a blank cell"),
        ("lots", f"row 31002, column 'likes': {COUNT_HINT}, got 'lots'"),
    ],
)
def test_counter_words_padded_on_two_threads_read_as_on_one(tmp_path, monkeypatch, cell, ending):
    # a long CSV arrives in chunks; the ids' thread codes the last of the displays' chunks
    # while the counters' thread codes the first ones: each cell's value and each error as
    # one thread reads them, whatever the second half holds
    rng = np.random.default_rng(7)
    likes = [lk.format_count(int(v)) for v in rng.lognormal(9, 3, 60_000)]
    if cell is not None:
        likes[60_000 // 2 + 1000] = likes[-1] = cell
    path = tmp_path / "long.csv"
    stamps = pd.date_range("2026-01-05", periods=60_000, freq="min", tz="UTC")
    pd.DataFrame(
        {"video_id": "v", "timestamp": stamps.strftime("%Y-%m-%dT%H:%M:%SZ"), "likes": likes}
    ).to_csv(path, index=False)

    def outcome() -> pd.DataFrame | str:
        try:
            return lk.load_counts(path)
        except LikekitInputError as exc:
            return str(exc)

    monkeypatch.setattr(lk.data, "_SPLIT_ROWS", 10**9)
    one = outcome()
    monkeypatch.setattr(lk.data, "_SPLIT_ROWS", 2)
    shares = []
    monkeypatch.setattr(
        lk.data._WordShare, "code_tail", _recorded(shares, lk.data._WordShare.code_tail)
    )
    two = outcome()
    assert shares and shares[0].split >= 1  # the file was read in chunks, shared out
    if isinstance(one, str):
        assert two == one and one.endswith(ending)
    else:
        pd.testing.assert_frame_equal(two, one)
        assert ending is None or one["likes"].isna().sum() == (ending == "with a blank cell") * 2


def _recorded(calls: list, method):
    def wrapper(self):
        calls.append(self)
        return method(self)

    return wrapper


@pytest.mark.parametrize("threads", [False, True])
def test_a_bad_count_is_named_before_a_bad_id_or_time(tmp_path, monkeypatch, threads):
    # long tables' counts are parsed on a second thread beside ids and times; the error is
    # still the one a reading in column order meets first
    if threads:
        monkeypatch.setattr(lk.data, "_SPLIT_ROWS", 2)
    path = tmp_path / "three_errors.csv"
    path.write_text("video_id,timestamp,likes\n,2026-01-05T00:00:00Z,5\na,someday,lots\n")
    with pytest.raises(LikekitInputError, match=f"row 3, column 'likes': {COUNT_HINT}") as caught:
        lk.load_counts(path)
    # alone, as one thread raises it: no other column's error shown as its context
    assert caught.value.__context__ is None or caught.value.__suppress_context__
    path.write_text("video_id,timestamp,likes\n,2026-01-05T00:00:00Z,5\na,someday,6\n")
    with pytest.raises(LikekitInputError, match="row 2, column 'video_id': missing video id"):
        lk.load_counts(path)


def test_metric_is_carried_and_inferred_from_the_counter_column():
    assert lk.load_counts(GOOD / "sheet_dayfirst.csv").attrs["metric"] == "likes"
    assert lk.load_counts(GOOD / "followers.csv").attrs["metric"] == "followers"
    assert lk.load_counts(GOOD / "subscribers.xlsx", sheet="Data").attrs["metric"] == "subscribers"
    stars = pd.DataFrame({"repo": ["r"], "date": ["2026-11-24"], "Stars": ["1,2K"]})
    counts = lk.load_counts(stars, metric="stars", columns={"repo": "video_id"})
    assert counts.attrs["metric"] == "stars" and counts["likes"].tolist() == [1_200]
    # a loaded table read again (as diagnose does) still counts stars
    assert lk.load_counts(counts).attrs["metric"] == "stars"
    followers = lk.load_counts(GOOD / "followers.csv")
    assert lk.diagnose(followers).counts.attrs["metric"] == "followers"


def test_other_columns_are_kept_under_their_own_names():
    counts = lk.load_counts(GOOD / "tiktok.json")
    assert counts["desc"].tolist() == ["dance", "dance"]
    assert counts["createTime"].tolist() == [1793000000] * 2  # upload time, not the capture
    assert lk.load_counts(GOOD / "ytdlp")["title"].tolist()[0] == "video dQw4"


def test_explicit_columns_win_over_synonyms():
    mapping = {"Clip": "video_id", "When": "timestamp", "Total hearts": "likes"}
    counts = lk.load_counts(GOOD / "mapped.csv", columns=mapping)
    assert counts["likes"].tolist() == [10, 11]
    assert counts["Likes"].tolist() == ["old", "old"]  # not the counter now: kept as it was


def test_missing_sheet_names_the_sheets():
    path = GOOD / "subscribers.xlsx"
    with pytest.raises(LikekitInputError) as caught:
        lk.load_counts(path, sheet="Nope")
    assert str(caught.value) == f"{path}: has no sheet 'Nope' (sheets: Notes, Data)"
    with pytest.raises(LikekitInputError) as caught:
        lk.load_counts(path)  # the first sheet holds notes
    assert str(caught.value).startswith(
        f"{path}, sheet 'Notes': has no 'video_id' or 'timestamp' or 'likes' column"
    )


def test_glob_without_matches_and_folder_without_captures(tmp_path):
    with pytest.raises(LikekitInputError, match=r"\*\.info\.json: no file matches this pattern"):
        lk.load_counts(tmp_path / "*.info.json")
    with pytest.raises(LikekitInputError, match="is a folder without yt-dlp .info.json captures"):
        lk.load_counts(tmp_path)


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("1.000", {}, (1_000, 1)),
        ("1.000", {"decimal": "."}, (1, 1)),
        ("1,000", {"thousands": "."}, (1, 1)),  # the comma is then a decimal mark
        ("12,3K", {}, (12_300, 100)),
        ("12,3K", {"thousands": ","}, None),
        ("1 234 567", {"thousands": " "}, (1_234_567, 1)),
        ("1\u00a0234", {"thousands": " "}, (1_234, 1)),
        ("1'234", {"thousands": "'"}, (1_234, 1)),
        ("1.234,5K", {"thousands": ".", "decimal": ","}, (1_234_500, 100)),
        ("1,234.5K", {}, (1_234_500, 100)),
        ("2 M", {}, (2_000_000, 100_000)),
        ("12,34", {}, None),
    ],
)
def test_separators_and_their_options(text, options, expected):
    lower, resolution, valid = parse_displays(pa.array([text]), **options)
    got = (int(lower[0]), int(resolution[0])) if valid[0] else None
    assert got == expected


@given(
    st.lists(
        st.one_of(
            st.from_regex(r"\A[0-9]{1,9}(\.[0-9]{0,2})?[KMBk]?\Z"),
            st.text(alphabet="0123456789.,KMBk ", max_size=9),
        ),
        min_size=1,
    ),
    st.sampled_from([{}, {"thousands": ","}, {"thousands": "."}, {"decimal": ","}]),
    st.sampled_from(["truncate", "round"]),
)
def test_app_displays_read_by_arithmetic_as_by_the_pattern(texts, options, rounding):
    # the fast path for the app's own displays agrees with the regular expression, value by
    # value and over the whole column
    from likekit import _display

    group, marks = _display._separators(options.get("thousands"), options.get("decimal"))
    for text in [pa.array(texts), *(pa.array([t]) for t in texts)]:
        lower, resolution, valid = parse_displays(text, rounding=rounding, **options)
        slow_lower, slow_resolution, slow_valid = _display._written_displays(text, group, marks)
        if rounding == "round":
            slow_lower = np.maximum(slow_lower - slow_resolution // 2, 0)
        assert (valid == slow_valid).all()
        assert (lower == slow_lower).all() and (resolution == slow_resolution).all()


@given(st.lists(st.integers(0, 10**12 - 1), min_size=1))
def test_the_apps_own_displays_take_the_fast_path(counts):
    from likekit import _display

    shown = pa.array([lk.format_count(n) for n in counts], pa.large_string())
    fast = _display._app_displays(shown, ".,")
    assert fast is not None
    expected_lower, expected_resolution = lk.data.display_bounds(np.array(counts))
    assert (fast[0] == expected_lower).all() and (fast[1] == expected_resolution).all()


def test_separator_options_are_checked():
    with pytest.raises(ValueError, match="thousands must be one separator character"):
        lk.load_counts(GOOD / "followers.csv", thousands="..")
    with pytest.raises(ValueError, match="cannot both be"):
        lk.load_counts(GOOD / "followers.csv", thousands=",", decimal=",")
    with pytest.raises(ValueError, match="tz must be an IANA time zone"):
        lk.load_counts(GOOD / "followers.csv", tz="Mars/Olympus")


def test_one_day_order_per_column_never_mixed():
    # the bug the issue reports: 01/11-12/11 read month first, 13/11-30/11 day first
    days = [f"{d:02d}/11/2026" for d in range(1, 31)]
    table = pd.DataFrame({"video": "v", "date": days, "likes": range(30)})
    stamps = lk.load_counts(table)["timestamp"]
    assert stamps.dt.month.unique().tolist() == [11]
    assert stamps.dt.day.tolist() == list(range(1, 31))


@given(
    st.lists(
        st.datetimes(min_value=pd.Timestamp("2001-01-01"), max_value=pd.Timestamp("2099-12-31")),
        min_size=1,
        max_size=20,
    ),
    st.booleans(),
    st.sampled_from(["/", ".", "-"]),
)
def test_numeric_dates_read_back_in_the_stated_order(moments, dayfirst, sep):
    moments = [m.replace(second=0, microsecond=0) for m in moments]
    layout = f"%d{sep}%m{sep}%Y %H:%M" if dayfirst else f"%m{sep}%d{sep}%Y %H:%M"
    table = pd.DataFrame(
        {"video": "v", "date": [m.strftime(layout) for m in moments], "likes": range(len(moments))}
    )
    counts = lk.load_counts(table, dayfirst=dayfirst, duplicates="last")
    expected = sorted({pd.Timestamp(m, tz="UTC") for m in moments})
    assert counts["timestamp"].tolist() == expected


def test_resolution_inference_leaves_exact_counts_alone():
    rng = np.random.default_rng(12)
    n_videos, steps = 200, 48
    exact = np.cumsum(rng.poisson(30, (n_videos, steps)), axis=1) + rng.integers(
        1000, 10**6, (n_videos, 1)
    )
    table = pd.DataFrame(
        {
            "video_id": np.repeat([f"v{i:03d}" for i in range(n_videos)], steps),
            "timestamp": np.tile(pd.date_range("2026-01-05", periods=steps, freq="h"), n_videos),
            "likes": exact.ravel(),
        }
    )
    counts = lk.load_counts(table, resolution="infer")
    assert counts.attrs["resolution_inferred"] == []
    assert (counts["resolution"] == 1).all()
    # the same videos shown with three significant figures and written out in full
    steps_of = 10 ** np.maximum(np.floor(np.log10(exact)).astype(int) - 2, 0)
    shown = table.assign(likes=(exact // steps_of * steps_of).ravel())
    counts = lk.load_counts(shown, resolution="infer")
    assert len(counts.attrs["resolution_inferred"]) == n_videos
    assert (counts["resolution"].to_numpy() == steps_of.ravel()).all()


# --------------------------------------------------------------------------- command line


def test_command_line_options_are_load_counts_options():
    from likekit.cli import build_parser, loader_options

    path = GOOD / "mapped.csv"
    args = build_parser().parse_args(
        ["report", str(path), "--column", "Clip=video_id", "--column", "When=timestamp"]
        + ["--column", "Total hearts=likes", "--monthfirst", "--tz", "Europe/Paris"]
        + ["--metric", "hearts", "--resolution", "infer", "--sheet", "2"]
    )
    options = loader_options(args)
    assert options == {
        "columns": {"Clip": "video_id", "When": "timestamp", "Total hearts": "likes"},
        "dayfirst": False,
        "tz": "Europe/Paris",
        "sheet": "2",
        "metric": "hearts",
        "resolution": "infer",
    }
    counts = lk.load_counts(path, **options)
    assert counts.attrs["metric"] == "hearts" and counts["likes"].tolist() == [10, 11]
    assert loader_options(build_parser().parse_args(["report", str(path)])) == {}
    assert loader_options(build_parser().parse_args(["report", "--dayfirst"])) == {"dayfirst": True}


def test_load_options_are_the_keywords_of_load_counts():
    import inspect

    from likekit.cli import build_parser, loader_options
    from likekit.data import LOAD_OPTIONS

    keywords = [
        p.name
        for p in inspect.signature(lk.load_counts).parameters.values()
        if p.kind is p.KEYWORD_ONLY
    ]
    assert list(LOAD_OPTIONS) == keywords
    every = ["report", "--column", "a=likes", "--dayfirst", "--date-format", "%d", "--tz", "UTC"]
    every += ["--sheet", "s", "--thousands", ".", "--decimal", ",", "--metric", "stars"]
    every += ["--resolution", "infer"]
    given = loader_options(build_parser().parse_args(every))
    assert set(given) == set(LOAD_OPTIONS) - {"duplicates", "rounding"}  # those are -p options


def test_command_line_column_needs_source_and_target():
    from likekit.cli import build_parser, loader_options

    args = build_parser().parse_args(["report", "x.csv", "--column", "Clip"])
    with pytest.raises(LikekitInputError, match="--column expects SOURCE=TARGET, got 'Clip'"):
        loader_options(args)
    with pytest.raises(SystemExit):  # argparse: one order only
        build_parser().parse_args(["report", "--dayfirst", "--monthfirst"])


def test_playlist_metadata_beside_captures_is_skipped(tmp_path):
    playlist = {"_type": "playlist", "id": "UC1", "epoch": 1795000000, "extractor": "youtube:tab"}
    (tmp_path / "channel.info.json").write_text(json.dumps(playlist))
    with pytest.raises(LikekitInputError, match="holds only playlist metadata, no video captures"):
        lk.load_counts(tmp_path)
    capture = {"id": "v", "epoch": 1795000000, "like_count": 3, "extractor": "youtube"}
    (tmp_path / "v.info.json").write_text(json.dumps(capture))
    assert lk.load_counts(tmp_path)["video_id"].tolist() == ["v"]


def test_a_sheet_named_like_a_number_wins_over_the_number(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "2026"
    book.active.append(["video", "date", "likes"])
    book.active.append(["v", "2026-11-24", 5])
    book.save(tmp_path / "y.xlsx")
    assert lk.load_counts(tmp_path / "y.xlsx", sheet="2026")["likes"].tolist() == [5]
    with pytest.raises(LikekitInputError, match=r"has no sheet number 1 \(sheets, from 0: 2026\)"):
        lk.load_counts(tmp_path / "y.xlsx", sheet=1)


@given(
    st.lists(
        st.one_of(st.none(), st.text(alphabet="0123456789.,KM \u00a0", max_size=10)), min_size=1
    )
)
def test_each_counter_cell_is_coded_to_its_own_value(cells):
    # a counter column is parsed once per distinct value: values of up to 8 bytes (no nulls)
    # are coded as one 8-byte word each, others as strings; either way each cell's code names
    # its own value trimmed, and a blank or null cell is missing
    from likekit import data

    text = pa.array(cells, pa.large_string())
    # as a CSV is read: in chunks, one of them maybe empty
    chunked = pa.chunked_array([text.slice(0, len(cells) // 2), text.slice(len(cells) // 2)])
    for column, cut in ((text, cells), (text.slice(1), cells[1:]), (chunked, cells)):
        codes, values, missing = data._distinct_text(column)
        trimmed = [None if c is None else c.strip(" \u00a0") for c in cut]
        assert [values[int(c)].as_py() if c >= 0 else None for c in codes] == trimmed
        assert missing.tolist() == [not t for t in trimmed]
        short = None not in cut and all(len(c.encode()) <= 8 for c in cut)
        assert (data._distinct_words(column) is not None) == (short and len(cut) > 0)
