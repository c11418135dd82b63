"""diagnose(table, panel=...): each panel diagnosed alone, results combined."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest

import likekit as lk
from likekit.schema import EVENT_COLUMNS, WAVE_COLUMNS


def _creator(name: str, seed: int) -> tuple[pd.DataFrame, pd.Timestamp]:
    """One simulated creator (one purge wave), its videos renamed, and the purge's time."""
    sim = lk.simulate("bot_purge", n_videos=12, days=20, seed=seed)
    counts = sim.counts.assign(video_id=name + "-" + sim.counts["video_id"], creator_id=name)
    purges = sim.events.loc[sim.events["cause"] == "purge", "start"]
    assert purges.nunique() == 1
    return counts, purges.iloc[0]


@pytest.fixture(scope="module")
def two_creators():
    a, a_time = _creator("ann", 3)
    b, b_time = _creator("bob", 4)
    # the test is about separating two different purges
    assert abs(a_time - b_time) > pd.Timedelta(days=2)
    both = pd.concat([a, b], ignore_index=True)
    return both, {"ann": (a, a_time), "bob": (b, b_time)}


@pytest.fixture(scope="module")
def combined(two_creators):
    return lk.diagnose(two_creators[0], panel="creator_id")


def _near(times: pd.Series, t: pd.Timestamp) -> pd.Series:
    return (times - t).abs() <= pd.Timedelta(hours=2)


def test_each_creators_purge_is_a_wave_of_its_own_panel_only(two_creators, combined):
    _, creators = two_creators
    waves = combined.waves
    assert waves.columns[0] == "creator_id"
    purges = waves.loc[waves["cause"] == "purge"]
    for name, (_, t) in creators.items():
        at = purges.loc[_near(purges["time"], t)]
        assert len(at) >= 1, f"{name}'s purge at {t} not found"
        assert set(at["creator_id"]) == {name}


def test_combined_equals_each_creator_alone(two_creators, combined):
    _, creators = two_creators
    for name, (counts, _) in creators.items():
        alone = lk.diagnose(counts)
        waves = combined.waves.loc[combined.waves["creator_id"] == name]
        pdt.assert_frame_equal(
            waves[WAVE_COLUMNS[1:]].reset_index(drop=True), alone.waves[WAVE_COLUMNS[1:]]
        )
        # a wave's global number maps to the number it had alone (both in time order)
        to_alone = dict(zip(waves["wave"], alone.waves["wave"], strict=True))
        events = combined.events.loc[combined.events["creator_id"] == name]
        assert (events.columns[0], list(events.columns[1:])) == ("creator_id", EVENT_COLUMNS)
        events = events.drop(columns="creator_id").reset_index(drop=True)
        events["wave"] = events["wave"].map(to_alone, na_action="ignore").astype("Int64")
        pdt.assert_frame_equal(events, alone.events)
        videos = combined.videos.loc[combined.videos["creator_id"] == name]
        pdt.assert_frame_equal(videos.drop(columns="creator_id"), alone.videos)


def test_waves_numbered_in_time_order_over_panels(combined):
    waves = combined.waves
    assert waves["wave"].tolist() == list(range(1, len(waves) + 1))
    assert waves["time"].is_monotonic_increasing
    in_waves = combined.events["wave"].dropna()
    assert in_waves.isin(waves["wave"]).all()
    # an event's wave is in its own panel
    by_wave = waves.set_index("wave")["creator_id"]
    hit = combined.events.dropna(subset=["wave"])
    assert (hit["wave"].map(by_wave) == hit["creator_id"]).all()


def test_without_panel_column_is_one_line_error(two_creators):
    with pytest.raises(lk.LikekitInputError, match="no panel column 'agency'"):
        lk.diagnose(two_creators[0], panel="agency")


def test_video_in_two_panels_is_an_error(two_creators):
    both = two_creators[0]
    moved = both.assign(creator_id=both["creator_id"].where(both.index % 2 == 0, "bob"))
    with pytest.raises(lk.LikekitInputError, match="more than one 'creator_id' panel"):
        lk.diagnose(moved, panel="creator_id")
