"""Real public tables collected by others (../shared/data beside the repo), as contract tables.

Nothing here is shipped: the numbers are read where the folder exists (CI has it; the
``LIKEKIT_REAL_DATA`` environment variable names another place) and the callers skip
without it. Each loader returns a table :func:`likekit.load_counts` reads.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

#: ../shared/data beside the repo; LIKEKIT_REAL_DATA points elsewhere (a git worktree)
DATA = Path(
    os.environ.get("LIKEKIT_REAL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def available() -> bool:
    """Whether ../shared/data is beside the repo."""
    return DATA.is_dir()


def reddit() -> pd.DataFrame:
    """Hourly scores of r/all top-100 posts (a post's score never falls: a healthy control)."""
    raw = pd.read_csv(DATA / "reddit-rall-hourly-2024" / "counts.csv")
    return raw[["video_id", "timestamp", "likes", "comments"]]


def trending_v2() -> pd.DataFrame:
    """YouTube trending, 14-27 Nov 2017 (Kaggle v2 schema: trending_date is yy.dd.mm)."""
    raw = pd.read_csv(DATA / "youtube-trending" / "USvideos_2017-11-14_to_11-27.csv")
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


def trending_v1() -> pd.DataFrame:
    """YouTube trending, 13 Sep - 22 Oct 2017 (Kaggle v1 schema), its defects cleaned the way
    SOURCE.txt says: mangled ids and broken dates dropped, re-scrapes keep the later row
    (pass the result to ``load_counts(..., duplicates="last")``)."""
    raw = pd.read_csv(DATA / "youtube-trending" / "USvideos_v1_2017-09-13_to_10-22.csv", dtype=str)
    raw = raw[raw["video_id"] != "#NAME?"]  # spreadsheet-mangled ids merge different videos
    raw = raw[pd.to_numeric(raw["date"], errors="coerce").notna()]
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
            "likes": pd.to_numeric(raw["likes"], errors="coerce"),
            "views": pd.to_numeric(raw["views"], errors="coerce"),
        }
    )
    return table.dropna(subset=["timestamp"])


def subscribers() -> pd.DataFrame:
    """Daily subscriber counts of two channels across YouTube's Dec 2018 spam purge."""
    return pd.read_csv(DATA / "youtube-subscribers-2016-2019" / "counts.csv")


def subscriber_purges() -> pd.DataFrame:
    """The documented events of the subscriber table (channel, day before, day after)."""
    return pd.read_csv(DATA / "youtube-subscribers-2016-2019" / "events.csv")
