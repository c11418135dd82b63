"""The loader on real exports collected by others (../shared/data), skipped where absent."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import likekit as lk
from likekit.data import LikekitInputError

TRENDING = Path(__file__).resolve().parents[2] / "shared" / "data" / "youtube-trending"
needs_shared = pytest.mark.skipif(
    not TRENDING.is_dir(), reason="../shared/data (real YouTube snapshots) is not beside the repo"
)


def trending_v2() -> pd.DataFrame:
    """Kaggle v2 schema: trending_date is yy.dd.mm, one snapshot a day."""
    raw = pd.read_csv(TRENDING / "USvideos_2017-11-14_to_11-27.csv")
    return pd.DataFrame(
        {
            "video_id": raw["video_id"],
            "timestamp": pd.to_datetime(raw["trending_date"], format="%y.%d.%m").dt.strftime(
                "%Y-%m-%d"
            ),
            "likes": raw["likes"],
            "views": raw["views"],
            "comments": raw["comment_count"],
            "title": raw["title"],
        }
    )


@needs_shared
def test_real_trending_snapshots_load_as_the_contract():
    table = trending_v2()
    counts = lk.load_counts(table)
    assert len(counts) == len(table) == 2800
    assert counts["video_id"].nunique() == 746
    assert counts["likes"].notna().all() and (counts["likes"] >= 0).all()
    assert (counts["resolution"] == 1).all()  # exact numbers from the API
    assert counts.groupby("video_id")["timestamp"].apply(lambda t: t.is_monotonic_increasing).all()
    expected = table.sort_values(["video_id", "timestamp"], kind="stable")
    assert counts["likes"].tolist() == expected["likes"].tolist()
    assert counts["title"].tolist() == expected["title"].tolist()


@needs_shared
def test_real_re_scrapes_are_named_and_can_be_kept():
    raw = pd.read_csv(TRENDING / "USvideos_v1_2017-09-13_to_10-22.csv", dtype={"date": str})
    raw = raw[raw["video_id"] != "#NAME?"]  # spreadsheet-mangled ids merge different videos
    day = pd.to_numeric(raw["date"], errors="coerce")
    raw = raw[day.notna()]
    # dd.mm written as a float: "22.1" is 22 October
    day_month = raw["date"].str.split(".", expand=True)
    stamps = pd.to_datetime(
        "2017-" + day_month[1].str.ljust(2, "0") + "-" + day_month[0].str.zfill(2),
        errors="coerce",
    )
    table = pd.DataFrame(
        {
            "video_id": raw["video_id"],
            "timestamp": stamps,
            "likes": raw["likes"],
            "views": raw["views"],
        }
    ).dropna(subset=["timestamp"])
    with pytest.raises(LikekitInputError, match=r"both are video '.+' at 2017-09-21"):
        lk.load_counts(table)
    counts = lk.load_counts(table, duplicates="last")
    assert not counts.duplicated(["video_id", "timestamp"]).any()
    assert len(counts) < len(table)
