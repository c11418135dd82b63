"""Single-video purge and glitch events (issue 10): evidence of removal against slowdowns,
speed-ups and display flicker, purges hidden under a glitch, and what a table can show."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import likekit as lk
from benchmarks.bench_diagnosis import shown_truth


def hourly_panel(n=10, hours=400, seed=0, rate=50.0):
    """Poisson likes minus a few un-likes per hour, exact counts."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-01-05", periods=hours, freq="h", tz="UTC")
    likes = 100 + np.cumsum(rng.poisson(rate, (n, hours)) - rng.poisson(rate * 0.05, (n, hours)), 1)
    return likes, pd.DataFrame(
        {
            "video_id": np.repeat([f"v{i:02d}" for i in range(n)], hours),
            "timestamp": np.tile(ts, n),
        }
    )


@pytest.mark.parametrize(("seed", "hours"), [(5, 1.0), (6, 1.0), (5, 6.0), (7, 6.0), (5, 24.0)])
def test_a_video_about_to_speed_up_has_no_purge(seed, hours):
    """Big creators' videos get bursts of bought likes: the centred trend runs ahead of
    the burst, so the last ordinary steps before it fall short of the trend, but not of
    the rate before them (at 6-hourly and daily snapshots the burst is one of the two
    neighbours after). Only the simulated purges are purges."""
    days = 60 if hours == 24 else 30
    sim = lk.simulate(
        "big_creator", n_videos=20, days=days, seed=seed, display=False, snapshot_hours=hours
    )
    ev = lk.diagnose(sim.counts).events
    purges = ev.loc[(ev["cause"] == "purge") & ev["wave"].isna()]
    truth = sim.events.loc[sim.events["cause"] == "purge"]
    tol = pd.Timedelta(hours=max(2.0, hours))
    for p in purges.itertuples():
        near = (truth["video_id"] == p.video_id) & ((truth["start"] - p.start).abs() <= tol)
        assert near.any(), f"false purge on {p.video_id} at {p.start}"


def test_a_purge_during_an_outage_is_found_at_its_recovery():
    """6-hourly snapshots: a partial outage shows ten videos 300 likes short at one
    snapshot (the shown count falls); on five of them 150 likes were purged in the same
    interval, so the next snapshot shows the count back but 150 short. A glitch, and a
    purge found at its recovery, dated from the glitch's first snapshot (it happened while
    the glitch hid the count) to the recovery."""
    likes, keys = hourly_panel(n=12, hours=720, seed=3, rate=20.0)
    likes[:5, 303:] -= 150  # the purge, in the outage's interval
    shown = likes.copy()
    shown[:10, 301:307] -= 300
    counts = keys.assign(likes=shown.ravel())
    counts = counts.loc[counts["timestamp"].dt.hour % 6 == 0]
    ev = lk.diagnose(counts).events
    recovery = pd.Timestamp("2026-01-05", tz="UTC") + pd.Timedelta(hours=312)
    purges = ev.loc[ev["cause"] == "purge"]
    hit = purges.loc[purges["end"] == recovery]
    assert sorted(hit["video_id"]) == [f"v{i:02d}" for i in range(5)]
    assert (hit["start"] == recovery - pd.Timedelta("6h")).all()
    assert ((hit["delta_low"] <= -150) & (hit["delta_high"] >= -150)).mean() >= 0.8
    assert not purges["video_id"].isin([f"v{i:02d}" for i in range(5, 12)]).any()
    glitches = ev.loc[ev["cause"] == "glitch"]
    assert set(glitches.loc[glitches["start"] == recovery - pd.Timedelta("6h"), "video_id"]) >= {
        f"v{i:02d}" for i in range(10)
    }


def test_a_rounded_count_at_a_display_boundary_is_no_glitch():
    """A video rises to 12,400 likes, then hovers there, likes and un-likes both arriving,
    shown to the hundred ("12.3K" <-> "12.4K"): its count moves a step both ways by
    itself, far more often than while it rose."""
    rng = np.random.default_rng(8)
    hours = 500
    likes, keys = hourly_panel(n=6, hours=hours, seed=8, rate=20.0)
    # likes and un-likes both arrive; the level reverts to 12,400 (a plateau)
    moves = rng.poisson(3, hours) - rng.poisson(3, hours)
    level = np.zeros(hours)
    for t in range(1, hours):
        level[t] = round(0.9 * level[t - 1]) + moves[t]
    likes[0] = 12_400 + level
    # ... after rising to it (where its count never fell)
    rise = 10_000 + np.cumsum(rng.poisson(2_400 / 250, 250))
    likes[0, :250] = rise - rise[-1] + 12_400 + level[250]
    shown = likes.astype(np.int64)
    resolution = np.ones_like(shown)
    shown[0], resolution[0] = shown[0] // 100 * 100, 100
    counts = keys.assign(likes=shown.ravel(), resolution=resolution.ravel())
    assert (np.diff(shown[0]) < 0).sum() >= 10  # the shown count falls often
    ev = lk.diagnose(counts).events
    assert ev.loc[ev["video_id"] == "v00"].empty


def test_a_rounded_count_standing_still_dates_no_freeze():
    """6-hourly snapshots shown to the hundred of a video growing ~11 likes a snapshot: its
    count stands still for days between display steps by itself. An outage under-counts it
    by 450 likes at one snapshot (the shown count falls, then catches up): the glitch began
    at that snapshot, not at the display step before it (days earlier)."""
    likes, keys = hourly_panel(n=6, hours=720, seed=4, rate=2.0)
    shown = likes.copy()
    shown[0, 400:406] -= 450  # the outage: the snapshot of hour 402 shows it
    counts = keys.assign(likes=(shown // 100 * 100).ravel(), resolution=100)
    counts = counts.loc[counts["timestamp"].dt.hour % 6 == 0]
    v00 = counts.loc[counts["video_id"] == "v00", "likes"].to_numpy()
    assert (np.diff(v00[59:67]) == 0).all()  # it stood still before the outage by itself
    ev = lk.diagnose(counts).events
    (glitch,) = ev.loc[(ev["video_id"] == "v00") & (ev["cause"] == "glitch")].itertuples()
    outage = pd.Timestamp("2026-01-05", tz="UTC") + pd.Timedelta(hours=402)
    assert glitch.start == outage and glitch.end == outage


def test_a_glitch_recovered_across_a_missing_snapshot_is_no_purge():
    """Daily snapshots: an outage shows v00 600 likes short at one snapshot, the next one is
    missing, and the one after shows the count back. The recovery is seen 48 hours after
    the drop but may have come just after it: a glitch, not a purge."""
    likes, keys = hourly_panel(n=6, hours=24 * 40, seed=5, rate=5.0)
    shown = likes.astype(float)
    day = 20 * 24
    shown[0, day - 3 : day + 3] -= 600  # the outage: the snapshot of day 20 shows it
    shown[0, day + 24] = np.nan  # the next daily snapshot is missing
    counts = keys.assign(likes=shown.ravel())
    counts = counts.loc[counts["timestamp"].dt.hour == 0]
    ev = lk.diagnose(counts).events
    (event,) = ev.loc[ev["video_id"] == "v00"].itertuples()
    assert event.cause == "glitch"
    assert event.start == pd.Timestamp("2026-01-05", tz="UTC") + pd.Timedelta(days=20)


def test_the_truth_of_a_glitch_is_what_the_snapshots_show():
    """Hourly snapshots show every glitch at its deepest; daily ones show less, and a
    glitch between two snapshots not at all."""
    hourly = lk.simulate("server_glitch", n_videos=10, days=30, seed=2, display=False)
    t = shown_truth(hourly)
    seen = t["cause"] == "glitch"
    assert (t.loc[seen, "likes_delta"] == hourly.events.loc[seen, "likes_delta"]).all()
    assert t.loc[~seen].equals(hourly.events.loc[~seen])
    daily = lk.simulate(
        "server_glitch", n_videos=10, days=30, seed=2, display=False, snapshot_hours=24
    )
    t = shown_truth(daily)
    seen = (t["cause"] == "glitch").to_numpy()
    shown, true = t.loc[seen, "likes_delta"].abs(), daily.events.loc[seen, "likes_delta"].abs()
    assert (shown <= true).all()
    assert ((shown == 0) & (true > 0)).any()


@pytest.mark.parametrize("seed", [12, 13, 14])
def test_a_rounded_count_stepping_back_does_not_make_up_a_purge_wave(seed):
    """Hourly counts of a few likes an hour; a purge takes 4 likes from 15 videos at once.
    A 16th video sits at the 1,000 boundary, where the display turns coarse: the purge
    takes it to 998 (an exact count, read as "1.0K" = 1,049.5 before) and two new likes
    the next hour bring it back to "1.0K", a whole display step up on one video. The wave
    is a purge: one video's step back is no outage's recovery."""
    likes, keys = hourly_panel(n=16, hours=400, seed=seed, rate=3.0)
    likes[:15, 300:] -= 4
    likes[15] = np.r_[
        np.full(300, 1001), 998, 1000 + np.cumsum(np.random.default_rng(1).poisson(0.2, 99))
    ]
    resolution = np.where(likes >= 1000, 100, 1)
    shown = np.where(likes >= 1000, likes // 100 * 100, likes)
    counts = keys.assign(likes=shown.ravel(), resolution=resolution.ravel())
    waves = lk.diagnose(counts).waves
    at = waves.loc[waves["time"] == pd.Timestamp("2026-01-05", tz="UTC") + pd.Timedelta(hours=300)]
    assert list(at["cause"]) == ["purge"]


@pytest.mark.parametrize("seed", range(4, 10))
def test_users_leaving_over_three_days_are_no_purge(seed):
    """Daily snapshots; a video at its plateau (likes and un-likes both arriving, net 0 a
    day, SD 30) loses users over three days: -90, -250, -90 net. The middle day alone
    raises an alarm; the days either side lost beyond noise too, so the loss is spread
    over consecutive snapshots: a trend decline, not a purge."""
    rng = np.random.default_rng(seed)
    days, n = 60, 10
    inc = rng.poisson(50, (n, days))
    inc[0] = rng.poisson(450, days) - rng.poisson(450, days)
    inc[0, 30:33] += np.array([-90, -250, -90])
    counts = pd.DataFrame(
        {
            "video_id": np.repeat([f"v{i}" for i in range(n)], days),
            "timestamp": np.tile(pd.date_range("2026-01-01", periods=days, tz="UTC"), n),
            "likes": 5000 + np.cumsum(inc, axis=1).ravel(),
        }
    )
    ev = lk.diagnose(counts).events
    mine = ev.loc[ev["video_id"] == "v0"]
    assert not (mine["cause"] == "purge").any()
    assert (mine["cause"] == "trend_decline").any()


def test_a_backlash_read_as_a_wave_is_users_leaving_on_its_videos():
    """Daily snapshots of a creator users leave over three days (the simulator's backlash:
    no purge at all): the scan reads the shared loss as a wave, but a video that lost on
    consecutive days, each day at least half as much as the next, is users leaving: no
    video keeps purges on consecutive days, and the spread losses say so."""
    sim = lk.simulate(
        "backlash",
        n_videos=20,
        days=60,
        seed=1329421735,
        display=False,
        snapshot_hours=24,
        video_scale_sigma=0.355,
        peak_views=441.5,
    )
    ev = lk.diagnose(sim.counts).events
    assert not (sim.events["cause"] == "purge").any()
    purges = ev.loc[ev["cause"] == "purge"].sort_values(["video_id", "start"])
    apart = purges.groupby("video_id")["start"].diff()
    assert not (apart <= pd.Timedelta(days=1)).any()
    spread = ev["evidence"].str.contains("spread over")
    assert (ev.loc[spread, "cause"] == "trend_decline").sum() >= 3


def daily_views_panel(n=8, days=40, seed=0):
    """Daily snapshots of likes and views: each view likes with chance 5% (a binomial
    draw), about 2,000 views a day. v00 was seen ~40 times a day, gained no like on day
    14 (its few views brought none), then launched on day 15; v01's like counter froze on
    day 20 while its views went on (it caught up on day 21)."""
    rng = np.random.default_rng(seed)
    views = rng.poisson(2000, (n, days))
    views[0, :15] = rng.poisson(40, 15)
    views[0, 15:] = (6000 * 0.7 ** np.arange(days - 15) + 200).astype(int)
    gained = rng.binomial(views, 0.05)
    gained[0, 14] = 0
    likes, views = 10 + np.cumsum(gained, axis=1), 100 + np.cumsum(views, axis=1)
    likes[1, 20] = likes[1, 19]
    ts = pd.date_range("2026-01-05", periods=days, freq="D", tz="UTC")
    return pd.DataFrame(
        {
            "video_id": np.repeat([f"v{i:02d}" for i in range(n)], days),
            "timestamp": np.tile(ts, n),
            "likes": likes.ravel(),
            "views": views.ravel(),
        }
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_day_without_likes_before_a_launch_is_no_freeze(seed):
    """A video seen a few dozen times a day gains no like on the day before its launch:
    its centred trend, pulled up by the launch, makes the day look like a stall, but its
    own views predicted about two likes. A like counter that froze while its views went on
    is found as it is without the views."""
    counts = daily_views_panel(seed=seed)
    with_views = lk.diagnose(counts).events.query("cause == 'glitch'")
    assert with_views.loc[with_views["video_id"] == "v00"].empty
    alone = lk.diagnose(counts.drop(columns="views")).events.query("cause == 'glitch'")
    frozen = [
        e.loc[e["video_id"] == "v01", ["start", "end", "detail"]].reset_index(drop=True)
        for e in (with_views, alone)
    ]
    pd.testing.assert_frame_equal(*frozen)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [31, 37])
def test_an_old_apps_falls_that_meet_on_a_few_videos_are_no_purge(seed):
    """An old app holds each video's count down at random snapshots until its update (the
    simulator's app_glitch world: no purge at all). Where a few videos' held-down snapshots
    meet, the scan reads a purge wave; but each of them came back where it stood within
    the flicker's episode: a fall of its flicker, not likes removed."""
    sim = lk.simulate("app_glitch", n_videos=20, days=30, seed=seed)
    assert not (sim.events["cause"] == "purge").any()
    events = lk.diagnose(sim.counts).events
    assert not (events["cause"] == "purge").any()
    assert (events["cause"] == "glitch").sum() >= 10


def test_an_old_apps_held_down_counts_and_their_release_are_no_yardstick():
    """The per-video old-app test measures a video's two-way noise on the increments
    outside its falls: a fall, the snapshots the app kept the count down, and the rise that
    let it go (the count back where it stood before the fall) are all the flicker's own."""
    from likekit.diagnosis.oldapp import _held

    row = np.array([0] * 8 + [1] * 3)
    # v0: +5, then held down for two snapshots (back above 5 at the 4th increment), +4,
    # a fall of 10 made up by the next; v1: a fall at its last increment
    delta = np.array([5, -20, 3, 25, 4, -10, 12, 2, 1, 1, -9], dtype=float)
    fell = np.zeros(len(row), dtype=bool)
    fell[[1, 5, 10]] = True
    held = _held(row, delta, fell)
    v0 = [False, True, True, True, False, True, True, False]
    assert held.tolist() == v0 + [False, False, True]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "seed", "found"), [("server_glitch", 37, 0), ("mixed", 38, 0), ("mixed", 34, 1)]
)
def test_a_purge_under_a_glitch_beats_the_noise_of_the_rate_it_falls_short_of(
    scenario, seed, found
):
    """A glitch's recovery that leaves the count short of where it stood plus the growth at
    the rate of the snapshots around it says likes were purged while the glitch hid the
    count; that rate is read from a few increments, so its own noise (and a rounded count's
    display step at the ends it is read between) counts too. Every such purge is a true
    purge of its video (the simulator's truth, 2 hours), and a true one is still found."""
    sim = lk.simulate(scenario, n_videos=20, days=30, seed=seed)
    events = lk.diagnose(sim.counts).events
    hidden = events.loc[events["evidence"].str.contains("came back only part")]
    truth = sim.events.loc[sim.events["cause"] == "purge"]
    for e in hidden.itertuples():
        near = (truth["video_id"] == e.video_id) & (
            (truth["start"] - e.start).abs() <= pd.Timedelta("2h")
        )
        assert near.any(), (e.video_id, e.start, e.likes_delta)
    assert len(hidden) >= found


def test_an_outage_on_videos_whose_snapshots_end_before_its_catch_up_is_not_measured_there():
    """Hourly: an outage shows seven videos 300 likes short for six hours and three 25
    short (too faint to be an event alone); those three stop being tracked before the
    counts come back. They fell with the others (counted in the wave) but no catch-up of
    theirs was seen: no event of theirs is measured at it (each was "-0 likes (nanx
    noise)", with a 0/0 warning)."""
    likes, keys = hourly_panel(seed=3)
    shown = likes.astype(float)
    shown[:, 200:206] -= 300
    shown[:3, 200:206] += 300 - 25
    shown[:3, 203:] = np.nan  # v00-v02 not tracked after hour 202
    counts = keys.assign(likes=shown.ravel()).dropna()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 anywhere
        diag = lk.diagnose(counts)
    (wave,) = diag.waves.itertuples()
    assert wave.cause == "glitch" and wave.recovered and wave.n_videos == 10
    at_wave = diag.events.loc[diag.events["wave"] == wave.wave]
    assert np.isfinite(at_wave[["likes_delta", "score"]].to_numpy(dtype=float)).all()
    assert not at_wave["evidence"].str.contains("nan").any()
    assert set(at_wave["video_id"]) == {f"v{i:02d}" for i in range(3, 10)}
