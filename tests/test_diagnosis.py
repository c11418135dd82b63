"""diagnose(): local noise, single-video events, panel waves, status, bad input, scoring."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import likekit as lk
from likekit.formatting import when
from likekit.metrics import event_sizes, local_noise, score_events
from likekit.schema import events_frame, waves_frame

matplotlib.use("Agg")


def panel(n=20, hours=720, seed=0, steps=(), glitches=(), rate=50.0):
    """Poisson likes minus a few un-likes; ``steps``: (hour, size, videos) permanent drops;
    ``glitches``: (first hour, end hour, size, videos) drops that recover."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-01-05", periods=hours, freq="h", tz="UTC")
    frames = []
    for i in range(n):
        lam = rate * np.exp(-np.arange(hours) / 300.0) * rng.uniform(0.5, 2)
        y = 100 + np.cumsum(rng.poisson(lam) - rng.poisson(lam * 0.05))
        for h, size, vids in steps:
            if i in vids:
                y[h:] -= size
        obs = y.copy()
        for h0, h1, size, vids in glitches:
            if i in vids:
                obs[h0:h1] -= size
        frames.append(
            pd.DataFrame(
                {
                    "video_id": f"v{i:02d}",
                    "timestamp": ts,
                    "likes": obs,
                    "views": (np.arange(hours) + 1) * 100,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# -- local noise -----------------------------------------------------------------------


def test_local_noise_follows_its_definition_on_one_row():
    rng = np.random.default_rng(1)
    ts = pd.date_range("2026-01-05", periods=80, freq="h", tz="UTC")
    likes = 1000 + np.cumsum(rng.integers(0, 20, size=80))
    counts = pd.DataFrame({"video_id": "a", "timestamp": ts, "likes": likes})
    out = local_noise(counts)
    d = np.diff(likes).astype(float)  # increment k ends at snapshot k + 1
    # snapshot 59 (increment d[58]): s from the 24 increments before it, d[34:58], each
    # minus the median of the 24 increments before that one
    trend = np.array([np.median(d[j - 24 : j]) for j in range(24, 58)])
    resid = d[24:58] - trend
    s = 1.4826 * np.median(np.abs(resid[-24:]))
    assert out["s"].iloc[59] == pytest.approx(s)
    assert out["noise"].iloc[59] == pytest.approx(np.sqrt(s**2 + 1 / 6))


def test_local_noise_recovers_the_sd_and_adds_the_resolution():
    rng = np.random.default_rng(2)
    ts = pd.date_range("2026-01-05", periods=600, freq="h", tz="UTC")
    likes = 50_000 + np.cumsum(np.rint(rng.normal(40, 15, size=600))).astype(int)
    counts = pd.DataFrame({"video_id": "a", "timestamp": ts, "likes": likes})
    before = counts.copy()
    noise = local_noise(counts)
    assert noise["s"].median() == pytest.approx(15, rel=0.15)
    pd.testing.assert_frame_equal(counts, before)  # input untouched
    coarse = counts.assign(likes=likes // 100 * 100, resolution=100)
    expected = np.sqrt(noise["s"].median() ** 2 + 100**2 / 6)
    assert local_noise(coarse)["noise"].median() == pytest.approx(expected, rel=0.3)


# -- events on panels whose truth we set -------------------------------------------------


def test_healthy_panel_raises_no_alarm():
    counts = panel(n=30, seed=3)
    d = lk.diagnose(counts)
    # 30 video-months at 0.01 false alarms per video-month: 0.3 expected; 2 is p < 0.04
    assert len(d.events) <= 2
    assert d.waves.empty


def test_purge_wave_and_outage_are_told_apart():
    counts = panel(steps=[(200, 80, range(10))], glitches=[(400, 405, 100, range(5, 15))])
    d = lk.diagnose(counts)
    ev = d.events
    purges = ev.loc[ev["cause"] == "purge"]
    assert set(purges["video_id"]) >= {f"v{i:02d}" for i in range(10)}
    at = pd.Timestamp("2026-01-05", tz="UTC") + pd.Timedelta(hours=200)
    hit = purges.loc[purges["start"] == at]
    assert len(hit) == 10
    assert (hit["likes_delta"].between(-100, -60)).all()  # 80 +- 2 noise SDs
    assert ((hit["delta_low"] <= -80) & (hit["delta_high"] >= -80)).mean() >= 0.8
    glitch = ev.loc[(ev["cause"] == "glitch") & (ev["start"] == at + pd.Timedelta(hours=200))]
    assert set(glitch["video_id"]) >= {f"v{i:02d}" for i in range(5, 15)}
    assert glitch["recovered"].all()
    waves = d.waves.set_index("time")
    assert waves.loc[at, "cause"] == "purge" and waves.loc[at, "n_videos"] == 10
    assert waves.loc[at, "p_value"] < 1e-6
    assert waves.loc[at + pd.Timedelta(hours=200), "cause"] == "glitch"


def test_faint_wave_found_by_synchrony_only():
    # 2.5 noise SDs on 24 of 40 videos: invisible one by one, plain across the panel
    rng = np.random.default_rng(4)
    base = panel(n=40, seed=5, rate=100.0)
    noise = local_noise(base)
    at = pd.Timestamp("2026-01-05", tz="UTC") + pd.Timedelta(hours=300)
    sd = noise.loc[noise["timestamp"] == at].set_index("video_id")["noise"]
    hit = set(rng.choice(sd.index, 24, replace=False))
    size = (2.5 * sd).round().astype(int)
    drop = base["video_id"].map(lambda v: size[v] if v in hit else 0)
    counts = base.assign(likes=base["likes"] - drop.where(base["timestamp"] >= at, 0))
    d = lk.diagnose(counts)
    assert (d.waves["time"] == at).any()
    called = set(
        d.events.loc[(d.events["cause"] == "purge") & (d.events["start"] == at), "video_id"]
    )
    assert len(called & hit) / len(hit) >= 0.6
    assert len(called - hit) <= 2


def test_wave_members_evidence_names_the_wave_they_carry():
    # waves are numbered in time order after the reader has written the evidence: the text
    # must point at the same wave as the event's wave column
    d = lk.diagnose(lk.simulate("mixed", n_videos=30, days=30, seed=1).counts, progress=False)
    quoted = d.events["evidence"].str.extract(
        r"(?:wave|outage) of (\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC)"
    )[0]
    members = d.events.loc[quoted.notna()]
    assert len(members) >= 5 and members["wave"].nunique() >= 3
    assert (members["detail"] == "missing").any()
    wave_time = d.waves.set_index("wave")["time"]
    carried = [when(t) for t in wave_time.loc[members["wave"].to_numpy()]]
    assert carried == quoted.loc[members.index].tolist()


def test_wave_scan_is_calibrated_on_independent_videos():
    # under the null of videos moving independently, a scan p-value below 0.05 happens in
    # 5% of panels: 3 or more of 10 has probability 0.012
    small = 0
    for seed in range(10):
        d = lk.diagnose(panel(n=20, hours=240, seed=100 + seed), wave_alpha=0.05)
        small += len(d.waves) > 0
    assert small <= 2


def test_wave_scan_pvalues_are_uniform_under_independence():
    """The scan's smallest p-value over a panel of independent videos is ~ uniform: each
    panel's minimum, over 30 panels, against U(0, 1)."""
    from likekit.diagnosis import increments as _detect
    from likekit.diagnosis import scan as _waves
    from likekit.diagnosis.options import alarm_z as _alarm_z

    smallest = []
    for seed in range(30):
        inc = _detect.increments(lk.load_counts(panel(n=15, hours=168, seed=300 + seed)))
        grid = _waves.Grid.build(inc.loc[np.isfinite(inc["z"])])
        p, _ = _waves.scan_panel(grid, _alarm_z(0.01, 1.0))[0]
        smallest.append(p.min())
    smallest = np.array(smallest)
    assert stats.kstest(smallest, "uniform").pvalue > 0.001
    # not anti-conservative in the tail that matters: P(p <= 0.1) = 0.1, so 8 or more of 30
    # happens with probability 0.007
    assert (smallest <= 0.1).sum() <= 7


def test_wave_scan_sums_add_up_over_partitions_of_the_videos():
    """The scan is reducible: the histograms and sums of two disjoint sets of videos, on
    the panel's one time grid, add up to the panel's, and give its p-values."""
    from likekit.diagnosis import increments as _detect
    from likekit.diagnosis import scan as _scan
    from likekit.diagnosis.rhythm import shared_share

    counts = panel(n=30, hours=240, seed=5, steps=[(120, 60, range(12))])
    inc = _detect.increments(lk.load_counts(counts))
    inc = inc.loc[np.isfinite(inc["z"])]
    axis = _scan.BinAxis.of(inc)
    whole = _scan.Grid.build(inc, axis=axis)
    first = inc["video_id"].isin([f"v{i:02d}" for i in range(0, 30, 3)])
    parts = [_scan.Grid.build(inc.loc[m], axis=axis) for m in (first, ~first)]
    lags = _scan.null_lags(axis, n_perm=40)
    counts_sum = sum(_scan.slowdown_counts(g, lags) for g in parts)
    np.testing.assert_array_equal(counts_sum, _scan.slowdown_counts(whole, lags))
    shares = shared_share(counts_sum)
    z_alarm = 4.0
    sums = sum(_scan.scan_sums(g, shares, lags, z_alarm) for g in parts)
    np.testing.assert_allclose(
        sums.sums, _scan.scan_sums(whole, shares, lags, z_alarm).sums, rtol=1e-5, atol=1e-4
    )
    (p_down, z_down), (_, z_up) = _scan.scan_pvalues(sums)
    (p_whole, _), _ = _scan.scan_panel(whole, z_alarm, n_perm=40)
    np.testing.assert_allclose(p_down, p_whole, rtol=1e-6, atol=1e-9)
    # and the step at hour 120 on 12 of 30 videos is the panel's strongest drop, with a
    # negative z in both directions' readings
    at = int(np.argmin(p_down))
    assert whole.times[at] == counts["timestamp"].iloc[120]
    assert p_down.min() < 1e-3 and z_down[at] < -3 and z_up[at] == z_down[at]


def test_users_leaving_for_days_are_no_wave_but_a_purge_after_is():
    """A backlash: 12 of 20 videos lose likes to un-likes for three days (users leaving),
    then a purge strikes 10 of them at once. Only the purge is a wave."""
    counts = panel(n=20, hours=480, seed=21, steps=[(400, 60, range(10))])
    rng = np.random.default_rng(21)
    hour = ((counts["timestamp"] - counts["timestamp"].min()) / pd.Timedelta(hours=1)).astype(int)
    leaving = counts["video_id"].isin([f"v{i:02d}" for i in range(12)])
    unliked = np.where(leaving & hour.between(200, 271), rng.poisson(60, len(counts)), 0)
    unliked = pd.Series(unliked).groupby(counts["video_id"]).cumsum()
    d = lk.diagnose(counts.assign(likes=counts["likes"] - unliked))
    purge_at = counts["timestamp"].min() + pd.Timedelta(hours=400)
    assert list(d.waves["time"]) == [purge_at]
    assert d.waves["cause"].iloc[0] == "purge"


def test_frozen_counts_that_catch_up_are_one_outage():
    counts = panel(n=12, hours=300, seed=8, rate=80.0)
    ts = counts["timestamp"]
    t0 = pd.Timestamp("2026-01-05", tz="UTC") + pd.Timedelta(hours=150)
    frozen = ts.between(t0, t0 + pd.Timedelta(hours=5)) & counts["video_id"].isin(
        [f"v{i:02d}" for i in range(8)]
    )
    held = counts["likes"].where(~frozen).groupby(counts["video_id"]).ffill()
    d = lk.diagnose(counts.assign(likes=held.astype(int)))
    g = d.events.loc[d.events["cause"] == "glitch"]
    assert set(g["video_id"]) == {f"v{i:02d}" for i in range(8)}
    assert (abs(g["start"] - t0) <= pd.Timedelta("1h")).all()
    assert (g["end"] == t0 + pd.Timedelta(hours=5)).all()
    assert (g["likes_delta"] < 0).all() and not (d.events["cause"] == "purge").any()


def old_app_on_v00(counts, shown_share):
    """v00 seen through an old app until 2026-01-11: half its snapshots show only
    ``shown_share`` of the likes. Returns the under-counted rows and the shown likes."""
    rng = np.random.default_rng(10)
    old = (counts["video_id"] == "v00") & counts["timestamp"].lt(
        pd.Timestamp("2026-01-11", tz="UTC")
    )
    old &= rng.random(len(counts)) < 0.5
    return old, counts["likes"].where(~old, (counts["likes"] * shown_share).astype(int))


def test_flickering_app_is_one_glitch_episode_not_purges():
    counts = panel(n=3, hours=300, seed=9, rate=200.0)
    old, likes = old_app_on_v00(counts, shown_share=0.8)
    ev = lk.diagnose(counts.assign(likes=likes)).events
    mine = ev.loc[ev["video_id"] == "v00"]
    assert (mine["cause"] == "glitch").sum() == 1 and not (mine["cause"] == "purge").any()
    # the episode starts where the shown count first fell, and ends with the last wrong one
    one = counts.loc[counts["video_id"] == "v00"].assign(likes=likes)
    fell = one["likes"] < one["likes"].cummax().shift()
    first_fall = one.loc[fell, "timestamp"].min()
    last_wrong = counts.loc[old, "timestamp"].max()
    (episode,) = mine.itertuples()
    assert abs(episode.start - first_fall) <= pd.Timedelta("2h")
    assert abs(episode.end - last_wrong) <= pd.Timedelta("2h")
    assert ev.loc[ev["video_id"] != "v00"].empty


def test_faint_flicker_is_found_by_its_falls():
    """An old app that under-counts by 3%: no single drop reaches the alarm, but the shown
    count falls and comes back far more often than elsewhere in the video."""
    counts = panel(n=3, hours=300, seed=9, rate=3.0)
    old, likes = old_app_on_v00(counts, shown_share=0.97)
    ev = lk.diagnose(counts.assign(likes=likes)).events
    (episode,) = ev.itertuples()
    assert (episode.video_id, episode.cause, episode.detail) == ("v00", "glitch", "flicker")
    one = counts.loc[counts["video_id"] == "v00"].assign(likes=likes)
    first_fall = one.loc[one["likes"] < one["likes"].cummax().shift(), "timestamp"].min()
    assert abs(episode.start - first_fall) <= pd.Timedelta("2h")
    assert abs(episode.end - counts.loc[old, "timestamp"].max()) <= pd.Timedelta("2h")


def test_outage_after_a_flicker_is_its_own_event():
    """An old app flickers on every video until an update; a partial outage hours later is
    an event of its own on each video, not the end of the flicker."""
    counts = panel(n=8, hours=300, seed=12, rate=200.0)
    rng = np.random.default_rng(13)
    update = pd.Timestamp("2026-01-11", tz="UTC")
    old = counts["timestamp"].lt(update) & (rng.random(len(counts)) < 0.5)
    t0 = update + pd.Timedelta(hours=12)
    outage = counts["timestamp"].between(t0, t0 + pd.Timedelta(hours=4))
    likes = counts["likes"].where(~(old | outage), (counts["likes"] * 0.8).astype(int))
    g = lk.diagnose(counts.assign(likes=likes)).events
    g = g.loc[g["cause"] == "glitch"]
    near = (g["start"] - t0).abs() <= pd.Timedelta("2h")
    assert g.loc[near, "video_id"].nunique() == 8
    # the flicker is still there, ending before the outage began
    flicker = g.loc[~near]
    assert flicker["video_id"].nunique() >= 6
    assert (flicker["end"] < t0).all()


def test_videos_hit_by_a_wave_keep_the_false_discovery_rate():
    """When most videos moved, the adaptive selection calls more of them hit than the
    per-video level does, while the share of untouched videos among the calls stays near
    the level (two-stage Benjamini-Krieger-Yekutieli)."""
    from likekit.diagnosis.waves import hit_by_wave as _hit_by_wave

    rng = np.random.default_rng(14)
    z_video = float(stats.norm.isf(0.05))
    false_calls = calls = found = found_fixed = n_hit = 0
    for _ in range(2000):
        touched = rng.random(20) < 0.9
        move = rng.normal(size=20) + touched * rng.uniform(1.0, 2.5, size=20)
        hit = _hit_by_wave(move, np.ones(20, dtype=bool), z_video)
        false_calls += (hit & ~touched).sum()
        calls += hit.sum()
        found += (hit & touched).sum()
        found_fixed += ((move >= z_video) & touched).sum()
        n_hit += touched.sum()
    assert false_calls / calls <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / calls)
    assert found >= 1.01 * found_fixed


def test_a_wave_member_shown_rounded_is_tested_by_the_exact_chance_of_its_increment():
    """A rounded count ("597.3K") rising by a few display steps a snapshot shows one step
    less than usual in some snapshots by rounding alone: a wave's member test gives the
    exact chance of so low a shown increment (Monte Carlo), keeps its level over counts
    anywhere within their step, and still calls a loss of a few steps hit; the normal
    noise of rounding called a count one step short by chance hit."""
    from likekit.diagnosis.removal import loss_z

    class Rounded:  # what loss_z reads of a grid: the display step of each video
        def __init__(self, step: np.ndarray):
            self.steps = step

        def step(self, b0: int, b1: int) -> np.ndarray:
            return self.steps

    def shown(start, rate, sd, r, rng):
        true = start + rng.normal(rate, sd, size=len(start))
        return np.floor(true / r) * r - np.floor(start / r) * r

    rng = np.random.default_rng(23)
    n, r, z_video = 20_000, 100.0, float(stats.norm.isf(0.05))
    # one count: +380 a snapshot (sd 19.5) shown in steps of 100, +300 in a snapshot
    ex, n2 = np.array([300.0 - 380.0]), np.array([380.0 + r**2 / 6])
    (z,) = loss_z(Rounded(np.array([r - 1])), 0, 0, (ex, n2))
    drawn = shown(rng.uniform(0, 1e7, n), 380.0, np.sqrt(380.0), r, rng) <= 300
    chance = float(stats.norm.sf(z))
    assert abs(drawn.mean() - chance) <= 3 * np.sqrt(chance * (1 - chance) / n)
    assert z < z_video <= -ex[0] / np.sqrt(n2[0])  # the normal called it hit
    # counts anywhere within their step, rising by 0.5-6 steps: the level is kept (shown
    # increments are whole steps: the exact test of a discrete count is at or below it)
    rate, sd = rng.uniform(0.5, 6.0, n) * r, rng.uniform(0.05, 0.5, n) * r
    ex, n2 = shown(rng.uniform(0, 1e7, n), rate, sd, r, rng) - rate, sd**2 + r**2 / 6
    called = loss_z(Rounded(np.full(n, r - 1)), 0, 0, (ex, n2)) >= z_video
    assert called.mean() <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / n)
    lost = loss_z(Rounded(np.full(n, r - 1)), 0, 0, (ex - 3 * r, n2)) >= z_video
    assert lost[sd <= 0.3 * r].mean() >= 0.99
    # an exact count keeps the normal test of its excess
    exact = loss_z(Rounded(np.zeros(3)), 0, 0, (np.array([-4.0, 0.0, 2.0]), np.full(3, 4.0)))
    np.testing.assert_allclose(exact, [2.0, 0.0, -1.0])


def test_rounded_falls_are_scored_by_their_exact_chance():
    """The wave scan scores a rounded count ("1.2K") that shows a fall of a display step by
    the exact chance of that fall: strong evidence on a rising video, calibrated on a count
    that hovers (as many un-likes as likes)."""
    from likekit.diagnosis import increments as _detect

    rng = np.random.default_rng(16)
    ts = pd.date_range("2026-01-05", periods=480, freq="h", tz="UTC")
    rising = 1000 + np.cumsum(rng.poisson(6.0, 480))
    rising[300:] -= 100
    flat = 5000 + np.cumsum(rng.poisson(3.0, 480) - rng.poisson(3.0, 480))
    table = pd.concat(
        pd.DataFrame({"video_id": v, "timestamp": ts, "likes": y // 100 * 100, "resolution": 100})
        for v, y in (("rise", rising), ("flat", flat))
    )
    inc = _detect.increments(lk.load_counts(table))
    rise = inc.loc[(inc["video_id"] == "rise") & (inc["delta"] < 0)]
    assert len(rise) >= 1
    assert (rise["z_scan"] < rise["z"]).all() and (rise["z_scan"] <= -3).all()
    hover = inc.loc[inc["video_id"] == "flat", "z_scan"]
    share = (hover <= -float(stats.norm.isf(0.05))).mean()
    assert share <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / len(hover))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [21, 22])
def test_old_app_on_every_video_is_found_by_the_panel_at_6_hourly_snapshots(seed):
    """At 6-hourly snapshots an old app's flicker inflates the very noise each video's falls
    are measured against (none was found here before): the panel shows it, its falls stop on
    every video at the update. One outage, ending at the update, whose flicker events each
    overlap their video's true glitch."""
    sim = lk.simulate("app_glitch", n_videos=20, days=30, seed=seed, snapshot_hours=6.0)
    diag = lk.diagnose(sim.counts)
    mine = diag.events.loc[diag.events["evidence"].str.contains("an old app until its update")]
    (wave,) = set(mine["wave"])
    truth = sim.events.loc[sim.events["cause"] == "glitch"].set_index("video_id")
    update = truth["end"].max()
    (when,) = diag.waves.loc[diag.waves["wave"] == wave, "end"]
    assert abs(when - update) <= pd.Timedelta("12h")
    assert len(mine) >= 5
    for e in mine.itertuples():
        t = truth.loc[e.video_id]
        assert e.start <= t["end"] and e.end >= t["start"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "seed", "hours"),
    [
        ("trend_unlikes", 12, 1.0),
        ("trend_unlikes", 12, 6.0),
        ("plateau_flicker", 21, 6.0),
        ("plateau_flicker", 21, 1.0),
    ],
)
def test_hovering_counts_that_stop_together_are_no_old_app(scenario, seed, hours):
    """Counts that hover while likes and un-likes both arrive fall and come back on many
    videos at once, and stop together (un-likes after a shared trend): their falls are no
    larger than the videos' own two-way noise, so they are no old app."""
    sim = lk.simulate(scenario, n_videos=20, days=30, seed=seed, snapshot_hours=hours)
    events = lk.diagnose(sim.counts).events
    assert not events["evidence"].str.contains("an old app until its update").any()


@pytest.mark.slow
def test_client_undercount_and_trend_declines_on_simulated_panels():
    """An old app's intermittent under-count is one episode per video, starting where it is
    first seen (the simulator's truth); un-likes after a trend are trend declines."""
    tally = {"glitch": np.zeros(3), "trend_decline": np.zeros(3)}
    for scenario, seed in (("app_glitch", 11), ("trend_unlikes", 11), ("trend_unlikes", 12)):
        sim = lk.simulate(scenario, n_videos=20, days=30, seed=seed)
        table = score_events(lk.diagnose(sim.counts).events, sim.events)
        for cause in tally:
            tally[cause] += table.loc[cause, ["tp", "fp", "fn"]].to_numpy(float)
    for cause, min_f1 in (("glitch", 0.8), ("trend_decline", 0.7)):
        tp, fp, fn = tally[cause]
        assert 2 * tp / (2 * tp + fp + fn) >= min_f1, (cause, tally[cause])


def test_same_table_same_diagnosis():
    counts = panel(n=8, hours=200, seed=11, steps=[(100, 60, range(5))])
    a, b = lk.diagnose(counts), lk.diagnose(counts)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.waves, b.waves)


def test_status_changes_are_not_purges():
    counts = panel(n=4, seed=6)
    late = counts["timestamp"] >= pd.Timestamp("2026-01-20", tz="UTC")
    hidden = late & (counts["video_id"] == "v01")
    removed = late & (counts["video_id"] == "v02")
    likes = counts["likes"].astype("Int64").mask(hidden)
    likes = likes.mask(removed, 0)
    counts = counts.assign(likes=likes, views=counts["views"].mask(removed, 0))
    ev = lk.diagnose(counts).events
    status = ev.loc[ev["cause"] == "status"].set_index("video_id")
    assert status.loc["v01", "detail"] == "likes_hidden"
    assert status.loc["v02", "detail"] == "video_removed"
    assert not ((ev["cause"] == "purge") & ev["video_id"].isin(["v01", "v02"])).any()


def test_degenerate_videos_get_a_data_quality_and_input_is_untouched():
    counts = panel(n=2, hours=200, seed=7)
    ts = counts["timestamp"].iloc[:200]
    extra = pd.concat(
        [
            pd.DataFrame({"video_id": "one", "timestamp": ts[:1], "likes": [5]}),
            pd.DataFrame({"video_id": "none", "timestamp": ts[:10], "likes": [pd.NA] * 10}),
            pd.DataFrame({"video_id": "flat", "timestamp": ts[:50], "likes": 7}),
            pd.DataFrame(
                {
                    "video_id": "gaps",
                    "timestamp": ts[[0, 1, 2, 3, 4, 5, 6, 150, 151, 152]],
                    "likes": [1, 2, 3, 4, 5, 6, 7, 90, 91, 92],
                }
            ),
        ]
    )
    table = pd.concat([counts, extra], ignore_index=True)
    table["likes"] = table["likes"].astype("Int64")
    before = table.copy()
    d = lk.diagnose(table)
    pd.testing.assert_frame_equal(table, before)
    st = d.videos["data_quality"]
    assert (st["one"], st["none"], st["flat"], st["gaps"]) == (
        "one_snapshot",
        "all_missing",
        "constant",
        "large_gaps",
    )
    # the column's old name, deprecated, holds the same values for one release
    pd.testing.assert_series_equal(d.videos["status"], st, check_names=False)
    summary = d.summary()
    pd.testing.assert_series_equal(summary["data_quality"], st, check_names=False)
    assert set(summary.index) == set(table["video_id"])
    assert summary["verdict"].str.len().gt(0).all()


def test_bad_input_and_options():
    with pytest.raises(lk.LikekitInputError):
        lk.diagnose(pd.DataFrame({"video_id": ["a"], "likes": [1]}))
    with pytest.raises(ValueError, match="false_alarms"):
        lk.diagnose(panel(n=2, hours=50), false_alarms=2)


def test_summary_and_plots():
    counts = panel(n=6, hours=300, steps=[(150, 80, range(4))])
    d = lk.diagnose(counts)
    s = d.summary()
    assert (s.loc[[f"v0{i}" for i in range(4)], "purge_loss"] < -60).all()
    assert s.loc["v05", "purge_loss"] == 0
    assert "purge" in s.loc["v00", "verdict"]
    ax = d.plot("v00")
    assert ax.get_legend() is not None
    assert d.plot().get_title().startswith("6 videos")


# -- simulated panels, scored against the truth ----------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "cause", "min_f1"),
    # goals 0.98 and 0.95 are measured over many seeds in the bench; two seeds here
    [("purge_waves", "purge", 0.95), ("server_glitch", "glitch", 0.85)],
)
def test_clear_events_on_simulated_panels(scenario, cause, min_f1):
    tp = fp = fn = 0
    errors = []
    for seed in (11, 12):
        sim = lk.simulate(scenario, n_videos=20, days=30, seed=seed)
        d = lk.diagnose(sim.counts)
        clear = event_sizes(sim.events, sim.counts) >= 5
        row = score_events(d.events, sim.events, evaluate=clear).loc[cause]
        tp, fp, fn = tp + row["tp"], fp + row["fp"], fn + row["fn"]
        errors.append(row["rel_error"])
    assert 2 * tp / (2 * tp + fp + fn) >= min_f1
    assert np.nanmedian(errors) <= 0.10


@pytest.mark.slow
def test_healthy_simulation_false_events():
    sim = lk.simulate("healthy", n_videos=40, days=30, seed=13)
    d = lk.diagnose(sim.counts)
    # goal < 0.02 per video-month (bench: many seeds); at most one false event in 40 here
    assert len(d.events) <= 1


def test_score_events_matches_within_tolerance():
    t = pd.Timestamp("2026-01-05", tz="UTC")
    truth = pd.DataFrame(
        {
            "video_id": ["a", "a", "b"],
            "cause": ["purge", "glitch", "purge"],
            "start": [t, t + pd.Timedelta("10h"), t],
            "likes_delta": [-100, -50, -10],
        }
    )
    detected = pd.DataFrame(
        {
            "video_id": ["a", "a", "b", "c"],
            "cause": ["purge", "purge", "purge", "purge"],
            "start": [t + pd.Timedelta("1h"), t + pd.Timedelta("10h"), t + pd.Timedelta("3h"), t],
            "likes_delta": [-90, -50, -10, -5],
        }
    )
    s = score_events(detected, truth)
    assert s.loc["purge", ["tp", "fp", "fn"]].tolist() == [1, 3, 1]
    assert s.loc["purge", "rel_error"] == pytest.approx(0.1)
    assert s.loc["glitch", "fn"] == 1
    # a detection of an event left out of the evaluation is neither hit nor false alarm
    s = score_events(detected, truth, evaluate=np.array([False, True, True]))
    assert s.loc["purge", ["tp", "fp"]].tolist() == [0, 3]
    # a long glitch: its detection starts late but inside the true span
    week = truth.assign(end=truth["start"] + pd.Timedelta("7D"))
    late = pd.DataFrame(
        {
            "video_id": ["a"],
            "cause": ["glitch"],
            "start": [t + pd.Timedelta("3D")],
            "end": [t + pd.Timedelta("6D")],
            "likes_delta": [-50],
        }
    )
    assert score_events(late, week).loc["glitch", "tp"] == 0
    assert score_events(late, week, match="overlap").loc["glitch", "tp"] == 1


def test_flicker_held_for_several_snapshots_starts_at_its_first_fall():
    """An old app that, early on, holds the shown count down for several snapshots in a row
    (made up only when it lets go) on a slow video: the flicker began with that first fall,
    not with the first drop big enough for the alarm."""
    counts = panel(n=3, hours=300, seed=21, rate=1.0)
    counts["likes"] = (counts["likes"] - 100).clip(lower=0)  # new videos: falls of 1 or 2
    one = counts["video_id"] == "v00"
    hour = (counts["timestamp"] - counts["timestamp"].min()) / pd.Timedelta("1h")
    # held down for 6 hours out of every 10 until the update, then every other snapshot
    rng = np.random.default_rng(22)
    early = hour < 60
    old = one & hour.lt(200) & np.where(early, hour % 10 >= 4, rng.random(len(counts)) < 0.5)
    likes = counts["likes"].where(~old, (counts["likes"] * 0.8).astype(int))
    ev = lk.diagnose(counts.assign(likes=likes)).events
    mine = ev.loc[(ev["video_id"] == "v00") & (ev["cause"] == "glitch")]
    (episode,) = mine.itertuples()
    shown = likes[one]
    first_fall = counts.loc[one].loc[shown < shown.cummax().shift(), "timestamp"].min()
    assert abs(episode.start - first_fall) <= pd.Timedelta("2h")


# -- any valid table: typed frames, no exception (issue 10) -------------------------------


def _three_figures(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts shown to three significant figures (12,345,678 -> 12,300,000): the lower
    bound of the display and its step."""
    digits = np.floor(np.log10(np.maximum(x, 1))).astype(int) + 1
    step = 10.0 ** np.maximum(digits - 3, 0)
    return np.floor(x / step) * step, step


@st.composite
def valid_tables(draw) -> pd.DataFrame:
    """A table in the data contract: 1 to hundreds of videos; hourly, daily or irregular
    snapshots (some missing); counts from 0 to 10^12, zeros, constant series, exact or
    shown to three significant figures; no views, views that go with the likes, or views
    that wander (some missing)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_videos = draw(st.sampled_from([1, 2, 5, 30, 300]))
    n_snaps = draw(st.integers(1, 8 if n_videos == 300 else 60))
    spacing = draw(st.sampled_from(["1h", "6h", "1D", "irregular"]))
    top = draw(st.sampled_from([0.0, 1.0, 1e3, 1e6, 1e9, 1e12]))
    shape = draw(st.sampled_from(["walk", "constant", "rising", "falling", "mixed"]))
    shown = draw(st.sampled_from(["exact", "three_figures"]))
    missing = draw(st.sampled_from([0.0, 0.1, 0.5]))
    views = draw(st.sampled_from(["none", "with_likes", "wander"]))
    if spacing == "irregular":
        hours = np.cumsum(rng.exponential(5.0, n_snaps))
    else:
        hours = np.arange(n_snaps) * pd.Timedelta(spacing) / pd.Timedelta(hours=1)
    stamps = pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(hours, unit="h")
    frames = []
    for i in range(n_videos):
        level = top * rng.random()
        steps = {
            "walk": rng.normal(0, 1 + level * 1e-3, n_snaps),
            "constant": np.zeros(n_snaps),
            "rising": rng.exponential(1 + level * 1e-2, n_snaps),
            "falling": -rng.exponential(1 + level * 1e-2, n_snaps),
            "mixed": rng.normal(0, 1 + level * 0.3, n_snaps),
        }[shape]
        likes = np.clip(np.round(level + np.cumsum(steps)), 0, 1e12)
        frame = pd.DataFrame({"video_id": f"v{i:03d}", "timestamp": stamps, "likes": likes})
        if shown == "three_figures":
            frame["likes"], frame["resolution"] = _three_figures(likes)
        frame["likes"] = frame["likes"].astype("Int64").mask(rng.random(n_snaps) < missing)
        if views != "none":
            seen = (
                # a real count stays within 10^12 (load_counts rejects more as absurd)
                np.minimum(20 * likes + np.cumsum(rng.poisson(5, n_snaps)), 1e12)
                if views == "with_likes"
                else np.abs(np.round(np.cumsum(rng.normal(0, 10, n_snaps))))
            )
            hide = rng.random(n_snaps) < missing
            frame["views"] = pd.Series(seen).astype("Int64").mask(hide)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(valid_tables())
def test_any_valid_table_gives_typed_frames_without_an_exception(table):
    diag = lk.diagnose(table)
    assert diag.events.dtypes.equals(events_frame([]).dtypes)
    assert diag.waves.dtypes.equals(waves_frame([]).dtypes)
    assert set(diag.videos.index) == set(table["video_id"])
    assert diag.events["cause"].isin(["glitch", "purge", "trend_decline", "status"]).all()


def test_the_stall_test_takes_counts_that_fall_by_millions():
    """A follower count in the tens of millions, rounded to three significant figures by
    the source but given as plain numbers (so read as exact), that stands still and then
    jumps: the stall's Poisson chance exp(-expected) once overflowed where the expected
    increment was a large negative number."""
    hours = pd.date_range("2026-01-05", periods=96, freq="h", tz="UTC")
    level = 40_000_000 - np.arange(96) * 90_000.0
    level[50:56] = level[49]  # the count stands still, then catches up
    likes, _ = _three_figures(level)
    table = pd.DataFrame({"video_id": "creator", "timestamp": hours, "likes": likes})
    other = table.assign(video_id="other", likes=likes[::-1])
    diag = lk.diagnose(pd.concat([table, other], ignore_index=True))
    assert diag.events.dtypes.equals(events_frame([]).dtypes)
