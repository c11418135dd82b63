"""The loader and diagnose on real tables collected by others (../shared/data), skipped where
absent. Nobody here made these tables: they check the claims against reality (issue 10).

The goals are the issue's: a healthy control (Reddit scores never fall; trending videos
grow) shows no purge wave and at most one purge or glitch per 100 series; YouTube's
documented spam purge of 14 Dec 2018 is one wave over both channels of the subscriber table.
"""

from __future__ import annotations

import pandas as pd
import pytest

import likekit as lk
from benchmarks import real_data
from likekit.data import LikekitInputError

needs_shared = pytest.mark.skipif(
    not real_data.available(),
    reason=f"real public data not found at {real_data.DATA} (../shared/data beside the repo)",
)


@pytest.fixture(scope="module")
def reddit():
    return lk.diagnose(real_data.reddit())


@pytest.fixture(scope="module")
def trending():
    return {
        "v2": lk.diagnose(real_data.trending_v2()),
        "v1": lk.diagnose(lk.load_counts(real_data.trending_v1(), duplicates="last")),
    }


# -- the loader ----------------------------------------------------------------------------


@needs_shared
def test_real_trending_snapshots_load_as_the_contract():
    table = real_data.trending_v2()
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
    table = real_data.trending_v1()
    with pytest.raises(LikekitInputError, match=r"both are video '.+' at 2017-09-21"):
        lk.load_counts(table)
    counts = lk.load_counts(table, duplicates="last")
    assert not counts.duplicated(["video_id", "timestamp"]).any()
    assert len(counts) < len(table)


# -- diagnose: healthy controls --------------------------------------------------------------


@needs_shared
def test_reddit_scores_that_never_fall_show_no_purge_wave(reddit):
    counts = real_data.reddit()
    assert (counts.groupby("video_id")["likes"].diff().dropna() >= 0).all()  # the premise
    assert not (reddit.waves["cause"] == "purge").any()
    steps = reddit.events["cause"].isin(["purge", "glitch"]).sum()
    assert steps <= counts["video_id"].nunique() / 100


@needs_shared
@pytest.mark.parametrize("which", ["v2", "v1"])
def test_growing_trending_videos_show_no_purge_wave(trending, which):
    diag = trending[which]
    assert not (diag.waves["cause"] == "purge").any()
    assert (diag.events["cause"] == "purge").sum() <= len(diag.videos) / 100
    ok = (diag.videos["data_quality"] == "ok").sum()
    assert (diag.events["cause"] != "status").sum() < 0.1 * ok  # few glitches either


@needs_shared
def test_trending_status_changes_are_still_named(trending):
    """The older file holds a removed video (likes and views to zero) and a video whose
    ratings were turned off (likes to zero while views rise)."""
    status = trending["v1"].events.loc[trending["v1"].events["cause"] == "status"]
    assert set(status["detail"]) == {"video_removed", "likes_hidden"}
    named = status.set_index("video_id")["detail"]
    assert named.get("5gH8iXNW8wE") == "video_removed"
    assert named.get("NSFXDaMFUN4") == "likes_hidden"


# -- diagnose: a documented purge wave in daily data -----------------------------------------


@needs_shared
def test_youtube_spam_purge_of_december_2018_is_one_wave_on_both_channels():
    diag = lk.diagnose(real_data.subscribers())
    known = real_data.subscriber_purges()
    day = pd.Timestamp(known["after_timestamp"].iloc[0])
    waves = diag.waves.loc[(diag.waves["time"] == day) & (diag.waves["cause"] == "purge")]
    assert len(waves) == 1
    hit = diag.events.loc[diag.events["wave"] == waves["wave"].iloc[0]]
    assert set(hit["video_id"]) == set(known["video_id"])
    assert (hit["cause"] == "purge").all() and (hit["likes_delta"] < 0).all()
