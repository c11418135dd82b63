"""The loader and the display helpers: the data contract, and a clear error for bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import likekit as lk
from likekit.data import LikekitInputError

BAD = Path(__file__).parent / "data" / "bad"


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
        "row 3, column 'likes': expected a count such as 1234, 1,234, 12.3K or 1.2M, got 'lots'",
    ),
    (
        "likes_two_points.csv",
        "row 3, column 'likes': expected a count such as 1234, 1,234, 12.3K or 1.2M, got '1.2.3K'",
    ),
    (
        "likes_unknown_suffix.csv",
        "row 4, column 'likes': expected a count such as 1234, 1,234, 12.3K or 1.2M, got '1.2Q'",
    ),
    ("likes_inf.csv", "row 2, column 'likes': expected a whole count, got inf"),
    ("likes_negative.csv", "row 3, column 'likes': a count cannot be negative, got -3"),
    (
        "likes_negative_display.csv",
        "row 3, column 'likes': a count cannot be negative, got '-1.2K'",
    ),
    ("likes_fraction.csv", "row 2, column 'likes': expected a whole count, got 12.5"),
    ("likes_absurd.csv", "row 2, column 'likes': 5,000,000,000,000 is beyond any real count"),
    ("likes_absurd_display.csv", "row 3, column 'likes': 5,000,000,000,000 is beyond any real"),
    (
        "views_words.csv",
        "row 2, column 'views': expected a count such as 1234, 1,234, 12.3K or 1.2M, got 'many'",
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
    ("json.csv", "looks like JSON, not CSV"),
    ("data.json", "looks like JSON, not CSV"),
    ("latin1.csv", "is not UTF-8 text (byte 0xe9 on line 2); save it as UTF-8 CSV"),
    ("utf16.csv", "is UTF-16 text; save it as UTF-8 CSV"),
    ("binary.csv", "is binary data, not a CSV text file"),
    ("damaged.parquet", "is not a readable Parquet file"),
]


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_every_bad_file_is_covered():
    assert {name for name, _ in BAD_FILES} == {p.name for p in BAD.iterdir()}


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


def test_loading_never_changes_an_input_file(tmp_path):
    before = digest(BAD)
    for path in BAD.iterdir():
        with pytest.raises(LikekitInputError):
            lk.load_counts(path)
    assert digest(BAD) == before


def test_directory_and_missing_paths(tmp_path):
    with pytest.raises(LikekitInputError, match="is a directory, not a table file"):
        lk.load_counts(tmp_path)
    with pytest.raises(LikekitInputError, match=r"nope\.csv: no such file"):
        lk.load_counts(tmp_path / "nope.csv")


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
