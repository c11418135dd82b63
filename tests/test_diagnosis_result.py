"""What a Diagnosis carries: typed tables, its options, where the likes went, the answer."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import likekit as lk
from likekit.schema import Event, Wave, events_frame, waves_frame

T0 = pd.Timestamp("2026-01-05", tz="UTC")


@pytest.fixture(scope="module")
def creator():
    return lk.diagnose(lk.sample_path("creator"))


# -- schema ----------------------------------------------------------------------------


def test_frames_have_the_same_dtypes_empty_or_full():
    event = Event.measured(
        video_id="a",
        cause="purge",
        start=T0,
        end=T0,
        delta=-10.0,
        sd=2.0,
        recovered=False,
        score=5.0,
        detail="step",
        evidence="x",
    )
    wave = Wave(
        wave=1,
        time=T0,
        end=T0,
        cause="purge",
        n_videos=2,
        likes_delta=-20.0,
        recovered=False,
        z=-5.0,
        p_value=0.001,
    )
    full, empty = events_frame([event]), events_frame([])
    assert full.dtypes.to_dict() == empty.dtypes.to_dict()
    assert full["wave"].dtype == "Int64" and str(full["start"].dtype) == "datetime64[us, UTC]"
    assert full.at[0, "delta_low"] == pytest.approx(-10 - stats.norm.isf(0.025) * 2)
    assert waves_frame([wave]).dtypes.to_dict() == waves_frame([]).dtypes.to_dict()
    assert waves_frame([]).dtypes["recovered"] == np.dtype(bool)


def test_diagnose_tables_keep_their_dtypes_without_waves(creator):
    quiet = lk.diagnose(lk.sample_path("glitch"))
    assert quiet.waves.empty and len(creator.waves)
    assert quiet.waves.dtypes.to_dict() == creator.waves.dtypes.to_dict()
    assert quiet.events.dtypes.to_dict() == creator.events.dtypes.to_dict()


def test_waves_are_numbered_in_time_order(creator):
    waves = creator.waves
    assert waves["time"].is_monotonic_increasing
    assert waves["wave"].tolist() == list(range(1, len(waves) + 1))
    # every event of a wave meets the wave's span (widened by one snapshot; a glitch
    # episode may begin long before)
    tagged = creator.events.dropna(subset=["wave"]).merge(waves, on="wave", suffixes=("", "_w"))
    hour = pd.Timedelta(hours=1)
    assert (tagged["end"] >= tagged["time"] - hour).all()
    assert (tagged["start"] <= tagged["end_w"] + hour).all()


# -- options -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("false_alarms", 2),
        ("wave_alpha", 0.0),
        ("video_alpha", math.nan),
        ("wave_alpha", "0.01"),
        ("video_alpha", True),
    ],  # fmt: skip
)
def test_bad_options_raise_one_line_input_errors(name, value):
    with pytest.raises(lk.LikekitInputError, match=name) as err:
        lk.diagnose(lk.sample_path("glitch"), **{name: value})
    assert "\n" not in str(err.value)


def test_diagnosis_records_its_options():
    d = lk.diagnose(lk.sample_path("glitch"), wave_alpha=0.02, video_alpha=0.1)
    o = d.options
    assert (o.false_alarms, o.wave_alpha, o.video_alpha) == (0.01, 0.02, 0.1)
    assert o.z_video == pytest.approx(stats.norm.isf(0.1)) and d.z_video == o.z_video
    # hourly snapshots: 720 increments a month, 0.01 false alarms among them
    assert o.z_alarm == pytest.approx(stats.norm.isf(0.01 / 720)) and o.step_h == 1.0
    with pytest.raises(AttributeError):
        o.z_alarm = 1.0  # frozen


# -- where the likes went, against the simulations' truth --------------------------------


def _truth(sim, cause: str) -> float:
    return float(-sim.events.loc[sim.events["cause"] == cause, "likes_delta"].sum())


@pytest.mark.slow
def test_losses_match_the_truth_of_single_cause_worlds():
    covered = 0
    for seed in (2, 3, 4, 5):
        for scenario, cause in (("bot_purge", "purge"), ("trend_unlikes", "trend_decline")):
            sim = lk.simulate(scenario, n_videos=10, days=20, seed=seed)
            diag = lk.diagnose(sim.counts)
            losses, truth = diag.losses(), _truth(sim, cause)
            assert losses.at[cause, "lost"] == pytest.approx(truth, rel=0.2)
            # nothing else was lost or hidden in a world with one cause
            assert losses.drop(index=cause)[["lost", "hidden"]].to_numpy().sum() == 0
            assert diag.answer().main_cause == cause
            if cause == "purge":
                covered += losses.at[cause, "lost_low"] <= truth <= losses.at[cause, "lost_high"]
    assert covered >= 3  # 95% intervals: a miss in 4 is possible, two are unlikely


def test_hidden_likes_are_the_status_changes_of_the_truth():
    sim = lk.simulate("status_change", n_videos=10, days=20, seed=2)
    diag = lk.diagnose(sim.counts)
    losses = diag.losses()
    truth = sim.events.loc[sim.events["cause"] == "status"]
    # a count is read at the middle of its display step: within half a step per video
    step = sim.counts.groupby("video_id")["resolution"].max()
    tol = (step.reindex(truth["video_id"]) / 2).sum()
    assert abs(losses.at["status", "hidden"] - _truth(sim, "status")) <= tol
    assert losses["lost"].sum() == 0 and diag.answer().main_cause is None
    acc = diag.losses(by="video")
    assert set(acc.index[acc["hidden"] > 0]) == set(truth["video_id"])


def test_the_fall_from_the_peak_adds_up_per_video(creator):
    acc = creator.losses(by="video")
    counts = lk.load_counts(lk.sample_path("creator"))
    obs = counts.dropna(subset=["likes"]).groupby("video_id")["likes"]
    assert acc["peak"].to_dict() == obs.max().astype(float).to_dict()
    terms = ["purge", "hidden", "trend_decline", "glitch", "unexplained"]
    np.testing.assert_allclose(acc["peak"] - acc["now"], acc[terms].sum(axis=1), atol=1e-9)
    # a removed or hidden video shows nothing now: all of its level is hidden
    gone = creator.events.loc[creator.events["cause"] == "status", "video_id"]
    assert (acc.loc[gone, "now"] == 0).all() and (acc.loc[gone, "hidden"] > 0).all()
    # purges after the peak are part of all the purges
    assert acc["purge"].sum() <= creator.losses().at["purge", "lost"] + 1e-9


def test_the_healthy_world_loses_nothing():
    diag = lk.diagnose(lk.simulate("healthy", n_videos=10, days=20, seed=1).counts)
    acc = diag.losses(by="video")
    assert (acc.drop(columns=["peak", "now"]).abs() < 1e-9).all().all()
    answer = diag.answer()
    assert answer.main_cause is None and answer.lost == 0
    assert "No like was lost for good" in answer.verdict


def test_wave_losses_are_their_events(creator):
    per_wave = creator.losses(by="wave")
    assert per_wave.index.tolist() == creator.waves["wave"].tolist()
    purge = creator.events.loc[creator.events["cause"] == "purge"]
    in_waves = per_wave.loc[per_wave["cause"] == "purge", "likes"].sum()
    alone = -purge.loc[purge["wave"].isna(), "likes_delta"].sum()
    assert in_waves + alone == pytest.approx(creator.losses().at["purge", "lost"])
    assert (per_wave["low"] <= per_wave["likes"]).all() and (
        per_wave["likes"] <= per_wave["high"]
    ).all()


def test_answer_states_the_losses(creator):
    answer, losses = creator.answer(), creator.losses()
    assert answer.lost == pytest.approx(losses["lost"].sum())
    assert answer.main_cause == losses.loc[["purge", "trend_decline"], "lost"].idxmax()
    assert f"{round(answer.lost):,} likes disappeared for good" in answer.verdict
    assert answer.purge_waves == (creator.waves["cause"] == "purge").sum()
    page = creator._repr_html_()
    assert "<table" in page and "disappeared for good" in page


def test_bad_losses_grouping_is_an_input_error(creator):
    with pytest.raises(lk.LikekitInputError, match="by must be"):
        creator.losses(by="day")


# -- decay fits ------------------------------------------------------------------------


def test_decay_fit_is_cached_and_fit_is_a_deprecated_alias():
    diag = lk.diagnose(lk.sample_path("trend_decline"))
    fit = diag.decay_fit("v00")
    assert diag.decay_fit("v00") is fit
    with pytest.warns(FutureWarning, match="decay_fit"):
        assert diag.fit("v00") is fit
    other = diag.decay_fit("v00", model="exponential")
    assert other.model == "exponential"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert diag.trend_declines["half_life"].notna().all()
    with pytest.raises(KeyError):
        diag.decay_fit("nope")
