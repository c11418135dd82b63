"""The simulator: contract, exact identities of the ground truth, statistics vs parameters."""

from __future__ import annotations

import math
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import likekit as lk
from likekit.data import display_bounds
from likekit.simulation import SCENARIOS, SimParams

CAUSES = {"glitch", "purge", "trend_decline", "status"}
COUNTS_DTYPES = {
    "video_id": "str",
    "timestamp": "datetime64[us, UTC]",
    "likes": "Int64",
    "resolution": "int64",
    "views": "Int64",
    "comments": "Int64",
    "shares": "Int64",
    "display": "str",
}
TRUTH_COMPONENTS = ["organic_given", "unliked", "bot_given", "bot_purged", "views"]


@pytest.fixture(scope="module")
def sims() -> dict[str, lk.Simulation]:
    return {name: lk.simulate(name, seed=11) for name in SCENARIOS}


def by_video(frame: pd.DataFrame, column: str) -> np.ndarray:
    """(videos, steps) array of a truth column (the truth is rectangular)."""
    n = frame["video_id"].nunique()
    return frame[column].to_numpy().reshape(n, -1)


# ---------------------------------------------------------------------------------------
# contract


def test_counts_truth_events_follow_the_contract(sims):
    sim = sims["mixed"]
    assert {c: str(t) for c, t in sim.counts.dtypes.items()} == COUNTS_DTYPES
    assert list(sim.truth.columns[:2]) == ["video_id", "timestamp"]
    for column in ["likes", "glitch_offset", *TRUTH_COMPONENTS]:
        assert sim.truth[column].dtype == np.int64
    assert list(sim.events.columns) == [
        "video_id",
        "cause",
        "start",
        "end",
        "likes_delta",
        "detail",
        "wave",
    ]
    assert str(sim.events["start"].dtype) == "datetime64[us, UTC]"
    assert str(sim.events["wave"].dtype) == "Int64"
    assert sim.events["likes_delta"].dtype == np.int64
    ids = sim.counts["video_id"].unique()
    assert list(ids) == [f"v{i:02d}" for i in range(20)]
    assert sim.counts["timestamp"].min() == pd.Timestamp("2026-01-05", tz="UTC")
    keys = sim.counts[["video_id", "timestamp"]]
    assert keys.equals(keys.sort_values(["video_id", "timestamp"], ignore_index=True))
    assert not keys.duplicated().any()
    assert (sim.events["end"] >= sim.events["start"]).all()
    assert set(sim.events["cause"]) <= CAUSES


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"hidden_as": "zero", "removed_as": "drop", "display_rounding": "round"},
        {"snapshot_hours": 3.0, "missing_prob": 0.1},
    ],
)
def test_load_counts_returns_the_counts_unchanged(overrides):
    sim = lk.simulate("mixed", seed=3, hide_prob=0.2, remove_prob=0.2, **overrides)
    rounding = sim.params.display_rounding
    pd.testing.assert_frame_equal(lk.load_counts(sim.counts, rounding=rounding), sim.counts)
    bare = sim.counts.drop(columns="display")
    pd.testing.assert_frame_equal(lk.load_counts(bare, rounding=rounding), bare)


def test_display_strings_parse_to_likes_and_resolution(sims):
    counts = sims["mixed"].counts
    shown = counts.dropna(subset=["display"])
    parsed = {s: lk.parse_count(s) for s in shown["display"].unique()}
    assert shown["display"].map(lambda s: parsed[s][0]).tolist() == shown["likes"].tolist()
    assert shown["display"].map(lambda s: parsed[s][1]).tolist() == shown["resolution"].tolist()
    assert (counts["display"].isna() == counts["likes"].isna()).all()
    assert (counts["resolution"] > 1).any(), "the sample should exercise display rounding"


@given(st.integers(0, 10**11), st.sampled_from(["truncate", "round"]))
def test_display_bounds_equal_parse_of_format(n, rounding):
    lower, resolution = display_bounds(np.array([n]), rounding)
    expected = lk.parse_count(lk.format_count(n, rounding=rounding), rounding=rounding)
    assert (int(lower[0]), int(resolution[0])) == expected


def test_display_bounds_at_unit_edges():
    edges = [0, 999, 1000, 1099, 999_949, 999_950, 999_999, 10**6, 10**9 - 1, 10**9]
    for rounding in ("truncate", "round"):
        lower, resolution = display_bounds(np.array(edges), rounding)
        expected = [
            lk.parse_count(lk.format_count(n, rounding=rounding), rounding=rounding) for n in edges
        ]
        assert list(zip(lower.tolist(), resolution.tolist(), strict=True)) == expected


def test_progress_bar_on_request_only(capsys):
    quiet = lk.simulate("mixed", n_videos=3, days=2, seed=1)
    assert "simulate" not in capsys.readouterr().err
    shown = lk.simulate("mixed", n_videos=3, days=2, seed=1, progress=True)
    assert "simulate" in capsys.readouterr().err
    pd.testing.assert_frame_equal(quiet.counts, shown.counts)


def test_display_false_skips_only_the_strings():
    with_strings = lk.simulate("mixed", seed=5)
    without = lk.simulate("mixed", seed=5, display=False)
    pd.testing.assert_frame_equal(without.counts, with_strings.counts.drop(columns="display"))


def test_scenario_catalogue(sims):
    table = lk.scenarios()
    assert list(table.columns[:3]) == ["name", "claim", "causes"]
    assert set(table["name"]) == {
        "healthy",
        "server_glitch",
        "app_glitch",
        "bot_purge",
        "purge_waves",
        "spam_bots",
        "trend_unlikes",
        "status_change",
        "rhythm",
        "plateau_flicker",
        "backlash",
        "big_creator",
        "mixed",
    }
    assert (table["claim"].str.len() > 30).all()
    for row in table.itertuples():
        causes = set(row.causes.split(",")) - {""}
        assert set(sims[row.name].events["cause"]) == causes, row.name
    for seed in range(5):
        assert lk.simulate("healthy", seed=seed, display=False).events.empty


def test_videos_share_trend_curves():
    sim = lk.simulate("trend_unlikes", n_videos=12, seed=2, videos_per_trend=4)
    trends = sim.videos.groupby("trend")
    assert (trends.size() == 4).all()
    assert (trends["trend_start"].nunique() == 1).all() and (trends["peak"].nunique() == 1).all()
    assert sim.videos["trend_start"].nunique() == 3


def test_snapshots_every_few_hours_observe_the_hourly_truth():
    sim = lk.simulate("healthy", seed=3, snapshot_hours=3)
    assert (sim.counts.groupby("video_id")["timestamp"].diff().dropna() == pd.Timedelta("3h")).all()
    truth = sim.truth.set_index(["video_id", "timestamp"])["likes"]
    shown = sim.counts.set_index(["video_id", "timestamp"])
    lower, resolution = display_bounds(truth.loc[shown.index].to_numpy())
    assert (shown["likes"].to_numpy() == lower).all()
    assert (shown["resolution"].to_numpy() == resolution).all()


# ---------------------------------------------------------------------------------------
# exact identities


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_true_likes_are_the_sum_of_their_components(sims, name):
    truth = sims[name].truth
    expected = truth["organic_given"] - truth["unliked"] + truth["bot_given"] - truth["bot_purged"]
    assert (truth["likes"] == expected).all()
    for column in TRUTH_COMPONENTS:
        steps = np.diff(by_video(truth, column), axis=1)
        assert (steps >= 0).all(), f"{column} is cumulative"
    assert (truth["unliked"] <= truth["organic_given"]).all()
    assert (truth["bot_purged"] <= truth["bot_given"]).all()


@pytest.mark.parametrize("name", ["bot_purge", "purge_waves", "spam_bots", "mixed"])
def test_a_purge_removes_exactly_the_likes_of_the_removed_accounts(sims, name):
    sim = sims[name]
    truth, likes, events = sim.truth, sim.bot_likes, sim.events
    removed = likes.dropna(subset=["removed"])
    expected = removed.groupby(["video_id", "removed"]).size()
    step = truth.groupby("video_id")["bot_purged"].diff().fillna(truth["bot_purged"])
    jumps = truth.loc[step > 0].set_index(["video_id", "timestamp"])
    got = step[step > 0].set_axis(jumps.index)
    assert got.to_dict() == {k: v for k, v in expected.to_dict().items()}
    # every removed account's likes go at the same step on every video
    assert (removed.groupby("account")["removed"].nunique() == 1).all()
    assert (removed["given"] < removed["removed"]).all()
    # and the account likes nothing after its removal
    gone = sim.accounts.dropna(subset=["removed"]).set_index("account")["removed"]
    after = likes["given"] >= likes["account"].map(gone)
    assert not after.any()
    # events: one per wave and video whose count was still shown, minus what it took, one
    # start per wave
    status = sim.videos.set_index("video_id")["status_time"]
    keys = expected.index.to_frame(index=False)
    since = keys["video_id"].map(status)
    expected = expected[(since.isna() | (keys["removed"] < since)).to_numpy()]
    purges = events[events["cause"] == "purge"]
    assert len(purges) == len(expected)
    lost = purges.set_index(["video_id", "start"])["likes_delta"]
    assert (-lost).to_dict() == expected.to_dict()
    assert (purges["start"] == purges["end"]).all()
    assert (purges.groupby("wave")["start"].nunique() == 1).all()
    assert purges.groupby("wave")["video_id"].nunique().max() > 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"outage_kind": "stale"},
        {"outage_kind": "partial"},
        {"outage_kind": "missing"},
        {"outages": 0, "client_glitch": True},
    ],
)
def test_a_glitch_leaves_the_truth_untouched_and_recovers(overrides):
    clean = lk.simulate("server_glitch", seed=21, outages=0)
    sim = lk.simulate("server_glitch", seed=21, **overrides)
    # glitches are drawn after the truth: same seed, same true counts
    columns = ["video_id", "timestamp", "likes", *TRUTH_COMPONENTS]
    pd.testing.assert_frame_equal(sim.truth[columns], clean.truth[columns])
    glitches = sim.events
    assert len(glitches) > 0 and set(glitches["cause"]) == {"glitch"}
    counts = sim.counts.set_index(["video_id", "timestamp"])
    reference = clean.counts.set_index(["video_id", "timestamp"])
    inside = pd.Series(False, index=counts.index)
    t = counts.index.get_level_values("timestamp")
    v = counts.index.get_level_values("video_id")
    for e in glitches.itertuples():
        # an old app's under-count is an event from when it shows a fall; before that it
        # may already have slowed the rising count down
        since = t.min() if e.detail == "client_undercount" else e.start
        inside |= (v == e.video_id) & (t >= since) & (t <= e.end)
    # outside the glitch windows the observed table is the clean one: it has recovered
    pd.testing.assert_frame_equal(counts[~inside.to_numpy()], reference[~inside.to_numpy()])
    assert not counts[inside.to_numpy()].equals(reference[inside.to_numpy()])
    truth = sim.truth.set_index(["video_id", "timestamp"])
    offset = truth["glitch_offset"]
    assert (offset[~truth.index.isin(counts.index[inside.to_numpy()])] == 0).all()
    # the recorded depth is the largest offset in the window
    for e in glitches.itertuples():
        window = offset.loc[e.video_id].loc[e.start : e.end]
        assert e.likes_delta == window.iloc[np.abs(window.to_numpy()).argmax()]
    if "outage_kind" in overrides:  # an outage hits every video at the same steps
        assert (glitches.groupby("wave")["start"].nunique() == 1).all()
        assert glitches["video_id"].nunique() == sim.params.n_videos


def test_events_span_what_the_app_shows():
    """A client under-count starts at the first snapshot where the old app shows a fall and
    ends at the last one it got wrong; a purge of a hidden or removed video is not its event."""
    app = lk.simulate("app_glitch", n_videos=12, days=10, seed=3, client_share=0.2)
    truth = app.truth.set_index(["video_id", "timestamp"])["glitch_offset"]
    client = app.events
    assert set(client["detail"]) == {"client_undercount"}
    assert set(client["video_id"]) == set(truth.index.get_level_values(0)[truth.to_numpy() != 0])
    shown = app.counts.set_index(["video_id", "timestamp"])["likes"]
    for e in client.itertuples():
        wrong = truth.loc[e.video_id]
        wrong = wrong[wrong != 0]
        assert wrong.index.max() == e.end
        # the first under-count that shows a fall: before it the shown count never fell
        series = shown.loc[e.video_id]
        fell = series < series.cummax().shift()
        assert fell[e.start] and not fell[: e.start - pd.Timedelta("1h")].any()
        assert wrong.index.min() <= e.start
    sim = lk.simulate(
        "mixed", n_videos=12, days=20, seed=3, hide_prob=0.3, remove_prob=0.3, purge_prob=0.9
    )
    status = sim.videos.set_index("video_id")["status_time"]
    purges = sim.events[sim.events["cause"] == "purge"]
    since = purges["video_id"].map(status)
    assert (since.isna() | (purges["start"] < since)).all()
    assert (purges["likes_delta"] < 0).all()
    # purges of hidden or removed videos did happen in the truth, and are left out
    gone = sim.bot_likes.dropna(subset=["removed"])
    late = gone["removed"] >= gone["video_id"].map(status)
    assert late.any()


def test_stale_outage_freezes_every_counter():
    sim = lk.simulate("server_glitch", seed=2, outage_kind="stale", outages=1, outage_hours=8)
    event = sim.events.iloc[0]
    series = sim.counts[sim.counts["video_id"] == event.video_id].set_index("timestamp")
    window = series.loc[event.start : event.end]
    before = series.loc[: event.start].iloc[-2]
    for column in ("likes", "views", "comments", "shares"):
        assert (window[column] == before[column]).all()


def test_status_changes():
    sim = lk.simulate("status_change", seed=4, hide_prob=0.4, remove_prob=0.4)
    counts, truth = sim.counts, sim.truth.set_index(["video_id", "timestamp"])
    status = sim.events[sim.events["cause"] == "status"]
    assert set(status["detail"]) == {"likes_hidden", "video_removed"}
    for e in status.itertuples():
        series = counts[counts["video_id"] == e.video_id].set_index("timestamp")
        after, before = series.loc[e.start :], series.loc[: e.start].iloc[:-1]
        shown = display_bounds(np.array([truth.loc[(e.video_id, e.start), "likes"]]))[0]
        assert e.likes_delta == -shown[0]
        assert e.end == counts["timestamp"].max()
        assert before["likes"].notna().all()
        if e.detail == "likes_hidden":
            assert after["likes"].isna().all()
            assert after["views"].iloc[-1] > after["views"].iloc[0]
        else:
            assert (after[["likes", "views", "comments", "shares"]] == 0).all().all()
    dropped = lk.simulate(
        "status_change", seed=4, hide_prob=0.4, remove_prob=0.4, hidden_as="zero", removed_as="drop"
    )
    for e in dropped.events.itertuples():
        series = dropped.counts[dropped.counts["video_id"] == e.video_id]
        if e.detail == "video_removed":
            assert series["timestamp"].max() < e.start
        else:
            assert (series.loc[series["timestamp"] >= e.start, "likes"] == 0).all()


def test_trend_decline_events_match_the_organic_net_count(sims):
    sim = sims["trend_unlikes"]
    truth = sim.truth.assign(net=sim.truth["organic_given"] - sim.truth["unliked"])
    truth = truth.set_index(["video_id", "timestamp"])["net"]
    declines = sim.events
    assert set(declines["cause"]) == {"trend_decline"}
    share = sim.params.decline_min_share
    for vid, net in truth.groupby(level="video_id"):
        net = net.droplevel("video_id")
        peak_time = net.idxmax()
        loss = net.max() - net.loc[peak_time:].min()
        rows = declines[declines["video_id"] == vid]
        if loss >= share * net.max() and loss > 0:
            (e,) = rows.itertuples()
            assert e.start == peak_time and e.likes_delta == -loss
            assert net.loc[e.end] == net.max() - loss
        else:
            assert rows.empty


def test_spam_bot_purges_are_faint_but_synchronous():
    """A wave takes ~1.5-5x the hourly noise from each video, on many videos at once."""
    ratios = []
    for seed in range(4):
        sim = lk.simulate("spam_bots", seed=seed)
        counts = sim.counts.set_index(["video_id", "timestamp"])["likes"].astype(float)
        purges = sim.events[sim.events["cause"] == "purge"]
        assert purges.groupby("wave")["video_id"].nunique().min() >= 10
        for e in purges.itertuples():
            before = counts.loc[e.video_id].loc[: e.start - pd.Timedelta("1h")].iloc[-25:]
            noise = before.diff().std()
            ratios.append(-e.likes_delta / max(noise, 1.0))
        bot_share = sim.truth.groupby("video_id").last().eval("bot_given / likes")
        assert 0.01 < bot_share.median() < 0.1  # a few per cent of each video's likes
    assert 1.5 <= np.median(ratios) <= 5


# ---------------------------------------------------------------------------------------
# reproducibility and errors


def test_same_seed_same_tables_other_seed_other_tables():
    a, b = lk.simulate("mixed", seed=8), lk.simulate("mixed", seed=8)
    for kind in ("counts", "truth", "events", "bot_likes"):
        pd.testing.assert_frame_equal(getattr(a, kind), getattr(b, kind))
    c = lk.simulate("mixed", seed=9)
    assert not c.truth["likes"].equals(a.truth["likes"])
    assert not c.events.equals(a.events)
    drawn = lk.simulate("mixed")
    again = lk.simulate("mixed", seed=drawn.seed)
    pd.testing.assert_frame_equal(drawn.counts, again.counts)


def test_unknown_scenario_and_parameters_are_clear_errors():
    with pytest.raises(ValueError, match="unknown scenario 'nope'.*healthy.*spam_bots"):
        lk.simulate("nope")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['purge_rate'\].*purge_prob"):
        lk.simulate("bot_purge", purge_rate=0.5)
    with pytest.raises(ValueError, match="purge_prob must be between 0 and 1"):
        lk.simulate("bot_purge", purge_prob=1.5)
    with pytest.raises(ValueError, match="fade must be one of"):
        lk.simulate("healthy", fade="linear")
    with pytest.raises(ValueError, match="not a multiple"):
        lk.simulate("healthy", snapshot_hours=1.5)
    with pytest.raises(ValueError, match="n_videos must be positive"):
        lk.simulate("healthy", n_videos=0)
    with pytest.raises(lk.LikekitInputError, match="purge_prob must be a number, got 'x'"):
        lk.simulate("healthy", purge_prob="x")
    with pytest.raises(lk.LikekitInputError, match="n_videos must be an integer"):
        lk.simulate("healthy", n_videos=2.5)
    with pytest.raises(lk.LikekitInputError, match="step must be a duration"):
        lk.simulate("healthy", step="soon")
    with pytest.raises(lk.LikekitInputError, match="start must be a date"):
        lk.simulate("healthy", start="someday")


def test_cli_rejects_a_bad_parameter_in_one_line(tmp_path, capsys):
    from likekit.cli import main

    out = tmp_path / "x.csv"
    assert main(["simulate", "healthy", "--out", str(out), "--set", "purge_rate=1"]) == 2
    assert "unknown parameter(s) ['purge_rate']" in capsys.readouterr().err
    assert not out.exists()
    argv = ["simulate", "bot_purge", "--out", str(out), "--n-videos", "3", "--days", "2"]
    assert main([*argv, "--set", "purge_prob=0.9", "--seed", "4"]) == 0
    assert lk.load_counts(out)["video_id"].nunique() == 3


def test_overrides_and_sizes_reach_the_parameters():
    sim = lk.simulate("spam_bots", n_videos=7, days=3, step="30min", seed=1, purge_prob=0.2)
    assert sim.params.n_videos == 7 and sim.params.purge_prob == 0.2
    assert sim.params.n_spam_accounts == SCENARIOS["spam_bots"].overrides["n_spam_accounts"]
    assert len(sim.truth) == 7 * 3 * 48
    assert sim.truth["timestamp"].diff().dropna().isin([pd.Timedelta("30min")]).any()
    assert sim.counts["video_id"].nunique() == 7
    assert set(SimParams.names()) >= {"purge_prob", "like_prob", "fickle_share"}


def test_plot_draws_one_video_with_its_events(sims):
    import matplotlib

    matplotlib.use("Agg")
    sim = sims["mixed"]
    ax = sim.plot()
    lost = sim.events.groupby("video_id")["likes_delta"].sum().idxmin()
    assert ax.get_title() == f"mixed: {lost}"
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    causes = sim.events.loc[sim.events["video_id"] == lost, "cause"]
    from likekit.plots import event_label

    assert {label.split(":")[0] for label in labels} >= {event_label(c) for c in causes} | {
        "true likes"
    }
    assert not any("(purge)" in label or "_" in label for label in labels)  # words only
    assert sims["healthy"].plot("v03").get_title() == "healthy: v03"
    with pytest.raises(lk.LikekitInputError, match="no video 'v99'"):
        sim.plot("v99")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_round_trip(tmp_path, suffix):
    sim = lk.simulate("mixed", seed=6, n_videos=5, days=5)
    paths = sim.write(tmp_path / f"panel{suffix}")
    assert paths["events"].name == f"panel_events{suffix}"
    pd.testing.assert_frame_equal(lk.load_counts(paths["counts"]), sim.counts)
    read = pd.read_csv if suffix == ".csv" else pd.read_parquet
    events = read(paths["events"])
    truth = read(paths["truth"])
    if suffix == ".csv":
        for column in ("start", "end"):
            events[column] = pd.to_datetime(events[column]).dt.as_unit("us")
        events["wave"] = events["wave"].astype("Int64")
        truth["timestamp"] = pd.to_datetime(truth["timestamp"]).dt.as_unit("us")
    pd.testing.assert_frame_equal(events, sim.events)
    pd.testing.assert_frame_equal(truth, sim.truth)
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        sim.write(tmp_path / "panel.xlsx")


# ---------------------------------------------------------------------------------------
# statistics against expectations computed from the parameters


def expected_views_per_video(p: SimParams, step_hours: float) -> float:
    """Expected views of a video whose trend starts with the window, from the documented
    curve: a linear rise over ``rise_hours`` then the relaxation, times ``peak_views``."""
    t = np.arange(round(p.days * 24 / step_hours)) * step_hours
    since = np.maximum(t - p.rise_hours, 0)
    if p.fade == "exponential":
        relax = np.exp(-since / p.fade_hours)
    else:
        relax = (1 + since / p.fade_hours) ** -p.fade_exponent
    shape = np.where(t < p.rise_hours, t / p.rise_hours, relax)
    return p.peak_views * step_hours * shape.sum()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fade", "step"), [("exponential", "1h"), ("power_law", "1h"), ("exponential", "30min")]
)
def test_total_views_and_organic_likes_match_the_parameters(fade, step):
    fixed = {"trend_start_max_days": 0, "video_scale_sigma": 0, "baseline_share": 0}
    views, likes = [], []
    for seed in range(20):
        sim = lk.simulate("healthy", n_videos=20, days=5, step=step, seed=seed, fade=fade, **fixed)
        last = sim.truth.groupby("video_id").last()
        views.append(last["views"].sum())
        likes.append(last["organic_given"].sum())
    p = sim.params
    mean_views = 20 * expected_views_per_video(p, pd.Timedelta(step) / pd.Timedelta("1h"))
    # totals are Poisson: variance = mean
    z_views = (np.mean(views) - mean_views) / math.sqrt(mean_views / len(views))
    mean_likes = p.like_prob * mean_views
    z_likes = (np.mean(likes) - mean_likes) / math.sqrt(mean_likes / len(likes))
    assert abs(z_views) < 4 and abs(z_likes) < 4


@pytest.mark.slow
def test_organic_likes_are_a_binomial_share_of_views():
    z = []
    for seed in range(30):
        sim = lk.simulate("mixed", n_videos=10, days=10, seed=seed)
        last = sim.truth.groupby("video_id").last()
        n, k, p = last["views"].sum(), last["organic_given"].sum(), sim.params.like_prob
        z.append((k - n * p) / math.sqrt(n * p * (1 - p)))
    assert abs(np.mean(z)) * math.sqrt(len(z)) < 4
    assert 0.6 < np.std(z) < 1.5


# a fast fade with a high hazard: one step more or less of exposure changes the un-likes by
# ~4 % of the fickle likes, so an off-by-one in the hazard's timing is caught
SHARP_UNLIKES = {
    "trend_start_max_days": 0,
    "rise_hours": 1,
    "fade_hours": 2,
    "baseline_share": 0.5,
    "fickle_share": 0.5,
    "unlike_hazard": 0.3,
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("size", "overrides"),
    [({"n_videos": 8, "days": 10}, {}), ({"n_videos": 50, "days": 2}, SHARP_UNLIKES)],
    ids=["scenario", "sharp"],
)
def test_share_unliked_matches_the_hazard(size, overrides):
    """Each organic like is fickle with ``fickle_share`` and then survives each later step
    with ``1 - unlike_hazard``: given the likes and hazards, un-likes are a sum of
    independent Bernoullis with known means and variances."""
    z = []
    for seed in range(30):
        sim = lk.simulate("trend_unlikes", seed=seed, **size, **overrides)
        truth, f = sim.truth, sim.params.fickle_share
        given = np.diff(by_video(truth, "organic_given"), axis=1, prepend=0)
        hazard = by_video(truth, "unlike_hazard")
        # survival through steps s+1 .. end, for a like given at step s
        log_keep = np.log1p(-hazard)
        after = np.cumsum(log_keep[:, ::-1], axis=1)[:, ::-1] - log_keep
        q = f * (1 - np.exp(after))
        mean, var = (given * q).sum(), (given * q * (1 - q)).sum()
        unliked = by_video(truth, "unliked")[:, -1].sum()
        z.append((unliked - mean) / math.sqrt(var))
    assert abs(np.mean(z)) * math.sqrt(len(z)) < 4
    assert 0.6 < np.std(z) < 1.5


@pytest.mark.slow
def test_share_of_bot_accounts_purged_matches_purge_prob():
    removed, total, per_wave = 0, 0, []
    for seed in range(20):
        sim = lk.simulate("purge_waves", n_videos=5, days=10, seed=seed, n_farm_accounts=500)
        accounts = sim.accounts
        removed += accounts["removed"].notna().sum()
        total += len(accounts)
        alive = len(accounts)
        for _, hit in accounts.dropna(subset=["wave"]).groupby("wave").size().items():
            per_wave.append((hit, alive))
            alive -= hit
    p, waves = sim.params.purge_prob, sim.params.purge_waves
    expected = 1 - (1 - p) ** waves
    z = (removed / total - expected) / math.sqrt(expected * (1 - expected) / total)
    assert abs(z) < 4
    hits, exposed = map(np.array, zip(*per_wave, strict=True))
    z_wave = (hits.sum() - p * exposed.sum()) / math.sqrt(p * (1 - p) * exposed.sum())
    assert abs(z_wave) < 4


def sample_commands() -> list[str]:
    readme = (lk.sample_path("creator").parent / "README.md").read_text()
    return sorted(set(re.findall(r"likekit simulate [^`\n]+", readme)))


def test_readme_documents_every_sample():
    samples = lk.sample_path("creator").parent
    made = {
        c.split("--out ")[1].split()[0].removeprefix("data/samples/") for c in sample_commands()
    }
    on_disk = {p.name for p in samples.glob("*.csv") if not p.stem.endswith(("_events", "_truth"))}
    assert made == on_disk


@pytest.mark.parametrize("command", sample_commands())
def test_samples_are_what_their_readme_command_makes(command, tmp_path):
    from likekit.cli import main

    argv = shlex.split(command)[1:]
    target = Path(argv[argv.index("--out") + 1])
    argv[argv.index("--out") + 1] = str(tmp_path / target.name)
    assert main(argv) == 0
    committed = lk.sample_path(target.stem).parent
    for suffix in ("", "_events", "_truth"):
        name = f"{target.stem}{suffix}.csv"
        made, kept = pd.read_csv(tmp_path / name), pd.read_csv(committed / name)
        # counts, times and ids exactly; rates (the un-like hazard) to the last few bits,
        # since libm's exp differs by an ulp between CPUs
        exact = [c for c in kept.columns if kept[c].dtype.kind != "f"]
        pd.testing.assert_frame_equal(made[exact], kept[exact], check_exact=True, obj=name)
        pd.testing.assert_frame_equal(made, kept, rtol=1e-12, obj=name)


def test_attention_rhythm_churn_and_backlash_follow_their_parameters():
    """Issue 10's worlds: views follow the daily rhythm; churned likes make a plateau's count
    fall as well as rise; a backlash withdraws its share of the standing likes in its days."""
    flat = {"baseline_share": 1.0, "video_scale_sigma": 0.0, "peak_views": 1000.0}
    sim = lk.simulate("healthy", n_videos=4, days=20, seed=3, daily_amplitude=0.5, **flat)
    views = sim.truth.groupby("video_id")["views"].diff().dropna()
    hour = sim.truth.loc[views.index, "timestamp"].dt.hour
    by_hour = views.groupby(hour).mean()
    # 1 + 0.5 cos(...) peaks at 20:00 (x1.5) and is lowest at 08:00 (x0.5)
    assert by_hour[20] / by_hour[8] == pytest.approx(3.0, rel=0.1)
    churn = lk.simulate("plateau_flicker", n_videos=5, days=20, seed=3, display=False)
    steps = churn.truth.groupby("video_id")["likes"].diff().dropna()
    assert (steps < 0).mean() > 0.05 and (steps > 0).mean() > 0.05
    quiet = lk.simulate("healthy", n_videos=6, days=20, seed=4)
    left = lk.simulate("healthy", n_videos=6, days=20, seed=4, backlash_share=0.3)
    extra = left.truth["unliked"] - quiet.truth["unliked"]
    begin = left.truth.loc[extra > 0, "timestamp"].min()
    before = quiet.truth.loc[quiet.truth["timestamp"] == begin - pd.Timedelta(hours=1)]
    standing = (before["organic_given"] - before["unliked"]).sum()
    assert extra.groupby(left.truth["video_id"]).max().sum() / standing == pytest.approx(0.3, 0.1)
    end = left.truth.loc[extra.groupby(left.truth["video_id"]).idxmax(), "timestamp"].max()
    assert (end - begin) <= pd.Timedelta(days=3)
