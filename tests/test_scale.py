"""Scale (issue 14): the streaming and per-video shortcuts give what the plain pandas path gives."""

from __future__ import annotations

import re
import urllib.request

import numpy as np
import pandas as pd
import pytest

import likekit as lk
from likekit.diagnosis.increments import _Rolling


def _irregular_videos(seed: int) -> pd.DataFrame:
    """Videos of uneven lengths, snapshots at irregular hours, values with holes."""
    rng = np.random.default_rng(seed)
    frames = []
    for v in range(6):
        hours = np.sort(rng.choice(24 * 8, size=int(rng.integers(1, 60)), replace=False))
        x = rng.normal(size=len(hours))
        frames.append(
            pd.DataFrame(
                {
                    "video_id": f"v{v}",
                    "timestamp": pd.Timestamp("2026-01-01", tz="UTC")
                    + pd.to_timedelta(hours, unit="h"),
                    "x": np.where(rng.random(len(hours)) < 0.3, np.nan, x),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    "window, center", [("1D", False), (5, False), ("2D", True), ("1D", True), (11, True)]
)
def test_rolling_windows_are_pandas_grouped_rolling(seed, window, center):
    frame = _irregular_videos(seed)
    closed = "both" if center else "left"
    grouped = frame.groupby("video_id", sort=False).rolling(
        window, on="timestamp", closed=closed, min_periods=1, center=center
    )["x"]
    roll = _Rolling(frame)
    for how in ("count", "median", "mean"):
        expected = getattr(grouped, how)().to_numpy()
        np.testing.assert_array_equal(roll("x", window, how, center).to_numpy(), expected)


def test_diagnosis_by_chunks_of_videos_is_the_whole_tables(monkeypatch):
    from likekit.diagnosis import pipeline

    sim = lk.simulate("mixed", n_videos=40, days=20, seed=11, progress=False)
    whole = lk.diagnose(sim.counts)
    # chunks of 3 or 4 videos: every per-video stage sees a few videos at a time
    monkeypatch.setattr(pipeline, "CHUNK_ROWS", 1500)
    chunked = lk.diagnose(sim.counts)
    assert len(whole.waves) > 0 and (whole.events["cause"] == "purge").any()
    for name in ("events", "waves", "videos", "increments"):
        pd.testing.assert_frame_equal(getattr(chunked, name), getattr(whole, name))
    assert chunked.options == whole.options


def test_video_chunks_hold_whole_videos_and_every_row():
    from likekit.diagnosis.stream import video_chunks

    table = pd.DataFrame({"video_id": np.repeat(list("abcde"), [3, 1, 5, 2, 4])})
    for rows in (1, 4, 100):
        chunks = list(video_chunks(table, rows))
        assert pd.concat(chunks).equals(table)
        seen = [set(c["video_id"]) for c in chunks]
        assert all(not (a & b) for i, a in enumerate(seen) for b in seen[i + 1 :])
    assert [len(c) for c in video_chunks(table, 4)] == [4, 5, 6]
    assert [len(c) for c in video_chunks(table.iloc[:0], 4)] == [0]


def test_chunks_by_video_of_a_shuffled_table_hold_whole_videos_in_row_order():
    from likekit.diagnosis.stream import chunks_by_video

    rng = np.random.default_rng(3)
    ids = np.repeat(np.array(list("abcdefg"), dtype=object), [3, 1, 5, 2, 4, 6, 2])
    ids[[4, 9]] = None  # rows without an id
    table = pd.DataFrame({"video_id": rng.permutation(ids), "row": np.arange(len(ids))})
    assert next(chunks_by_video(table, len(table))) is table
    for rows in (1, 4, 7):
        chunks = list(chunks_by_video(table, rows))
        assert sorted(pd.concat(chunks)["row"]) == list(range(len(table)))
        seen = [set(c["video_id"].dropna()) for c in chunks]
        assert all(not (a & b) for i, a in enumerate(seen) for b in seen[i + 1 :])
        assert all(c["row"].is_monotonic_increasing for c in chunks)
        assert chunks[0]["video_id"].isna().sum() == 2


def test_grid_stacked_from_sets_of_videos_in_any_order_is_the_panels():
    """The reader's grid built a set of videos at a time (chunks, or Dask partitions in any
    order) is Grid.build on every increment at once, without the scan's matrices; until
    then each set's grid reads back from the stack as it was built."""
    from likekit.diagnosis.grid import (
        _DENSE,
        _PER_INC,
        BinAxis,
        Grid,
        GridStack,
        exact_in_32_bits,
        narrowable,
    )
    from likekit.diagnosis.increments import increments

    counts = lk.simulate("mixed", n_videos=12, days=6, seed=21, progress=False).counts
    # irregular snapshots: some increments span missing bins, some share one
    rng = np.random.default_rng(0)
    counts = counts.loc[rng.random(len(counts)) > 0.1]
    inc = increments(lk.load_counts(counts))
    inc = inc.loc[np.isfinite(inc["z"])].assign(fell=rng.random(len(inc)) < 0.05)
    # one snapshot taken off the hour: a gap of a fraction of a step, not exact in 32 bits
    inc.loc[inc.index[7], "gap"] += 1 / 3
    axis = BinAxis.of(inc)
    whole = Grid.build(inc, axis)
    any_order = [inc.loc[inc["video_id"].isin(whole.videos[k::3])] for k in (2, 0, 1)]
    # chunks in video order
    in_order = [inc.loc[inc["video_id"].isin(whole.videos[k : k + 5])] for k in (0, 5, 10)]
    # whole counts and display steps are exact in 32 bits
    narrow = set.intersection(*(exact_in_32_bits(Grid.build(s, axis)) for s in in_order))
    assert narrow == {"inc_delta", "inc_step"}
    assert [narrowable(s) for s in in_order] == [
        exact_in_32_bits(Grid.build(s, axis)) for s in in_order
    ]
    for sets in (any_order, in_order):
        videos = [Grid.build(s, axis).videos for s in sets]
        stack = GridStack(axis, videos, len(inc), narrow=narrow)
        added = [stack.add(s) for s in sets]
        for k, s in enumerate(sets):
            built = Grid.build(s, axis)
            part = stack.part(k, built.expected, built.noise)
            for grid in (added[k], part):
                assert grid.span == built.span
                assert all(getattr(grid, name) is None for name in _PER_INC)
                for name in ["videos", *_DENSE, "expected", "noise"]:
                    np.testing.assert_array_equal(getattr(grid, name), getattr(built, name), name)
        got = stack.grid()
        assert got.expected is None and got.noise is None and got.span == whole.span
        np.testing.assert_array_equal(got.videos, whole.videos)
        for name in [*_DENSE, *_PER_INC]:
            np.testing.assert_array_equal(getattr(got, name), getattr(whole, name), name)
        assert {k for k in _PER_INC if getattr(got, k).dtype == np.float32} == narrow
    # a table without any increment: no bins, no rows
    empty = BinAxis.of(inc.iloc[:0])
    stack = GridStack(empty, [np.array([], dtype=object)], 0)
    stack.add(inc.iloc[:0])
    assert stack.grid().excess.shape == (0, 0)


def test_fit_decay_many_by_chunks_of_videos_is_the_whole_tables(monkeypatch):
    from likekit.decay import fit

    counts = lk.simulate("mixed", n_videos=8, days=10, seed=16, progress=False).counts
    shuffled = counts.sample(frac=1.0, random_state=2)
    expected = lk.fit_decay_many(counts, progress=False)
    monkeypatch.setattr(fit, "CHUNK_ROWS", 500)  # 2 videos a chunk
    got = lk.fit_decay_many(shuffled, progress=False)
    assert expected["converged"].any()
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("seed", range(20))
def test_median_of_value_counts_is_numpys(seed):
    from likekit.diagnosis.stream import median_of_counts

    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, size=rng.integers(1, 30)).astype(float)
    parts = [pd.Series(p).value_counts() for p in np.array_split(x, 3)]
    assert median_of_counts(parts, default=1.0) == np.median(x)


def _same_diagnosis(got, expected, *names):
    for name in names:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name))


def test_dask_dataframe_on_the_local_scheduler_is_the_pandas_diagnosis():
    dd = pytest.importorskip("dask.dataframe")
    sim = lk.simulate("mixed", n_videos=30, days=20, seed=12, progress=False)
    expected = lk.diagnose(sim.counts)
    # rows split evenly: videos spread over two partitions are shuffled together first
    frame = dd.from_pandas(sim.counts.sample(frac=1.0, random_state=1), npartitions=3)
    got = lk.diagnose(frame, progress=False)
    assert len(expected.waves) > 0
    _same_diagnosis(got, expected, "events", "waves", "videos", "increments")
    assert got.options == expected.options
    pd.testing.assert_frame_equal(got.losses(), expected.losses())


def test_dask_with_panels_is_the_pandas_panels_diagnosis():
    dd = pytest.importorskip("dask.dataframe")
    one = lk.simulate("purge_waves", n_videos=8, days=10, seed=17, progress=False).counts
    two = lk.simulate("mixed", n_videos=10, days=10, seed=18, progress=False).counts
    counts = pd.concat(
        [
            one.assign(creator_id="b-one"),
            two.assign(creator_id="a-two", video_id="w" + two["video_id"]),
        ],
        ignore_index=True,
    )
    expected = lk.diagnose(counts, panel="creator_id")
    # rows spread over partitions: the panels are shuffled together first
    frame = dd.from_pandas(counts.sample(frac=1.0, random_state=3), npartitions=3)
    got = lk.diagnose(frame, panel="creator_id", progress=False)
    assert len(expected.waves) > 0 and expected.events["creator_id"].nunique() == 2
    _same_diagnosis(got, expected, "events", "waves", "videos", "increments")
    assert got.options == expected.options
    moved = counts.assign(creator_id=np.where(counts.index % 7 == 0, "c", counts["creator_id"]))
    with pytest.raises(lk.LikekitInputError, match="sits in more than one"):
        lk.diagnose(dd.from_pandas(moved, npartitions=2), panel="creator_id", progress=False)
    with pytest.raises(lk.LikekitInputError, match="no panel column 'nope'"):
        lk.diagnose(frame, panel="nope", progress=False)


@pytest.mark.slow
def test_dask_on_a_two_worker_cluster_finds_the_same_events_and_waves(tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    sim = lk.simulate("mixed", n_videos=2000, days=7, seed=13, progress=False)
    # a partitioned dataset as a tracker writes one: one file per range of videos
    first = sim.counts["video_id"].str.slice(0, 3)
    for k, (_, part) in enumerate(sim.counts.groupby(first)):
        part.to_parquet(tmp_path / f"part-{k:03d}.parquet", index=False)
    expected = lk.diagnose(sim.counts, progress=False)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=":0", memory_limit="2GB"
    )
    with cluster, distributed.Client(cluster):
        got = lk.diagnose(dd.read_parquet(tmp_path), progress=False)
    assert len(expected.waves) > 0 and len(expected.events) > 1000
    _same_diagnosis(got, expected, "events", "waves", "videos")


def test_fit_decay_many_on_a_dask_dataframe_is_the_pandas_table():
    dd = pytest.importorskip("dask.dataframe")
    sim = lk.simulate("mixed", n_videos=6, days=10, seed=14, progress=False)
    expected = lk.fit_decay_many(sim.counts, progress=False)
    got = lk.fit_decay_many(dd.from_pandas(sim.counts, npartitions=3), progress=False)
    assert expected["converged"].any()
    # the fits are deterministic (likekit.decay.optimise): the same frame to the bit
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_cli_diagnose_on_a_scheduler_writes_what_the_api_finds(tmp_path, capsys):
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    from likekit.cli import main

    sim = lk.simulate("purge_waves", n_videos=12, days=10, seed=15, progress=False)
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    for k, (_, part) in enumerate(sim.counts.groupby(sim.counts["video_id"].str.slice(0, 2))):
        part.to_parquet(dataset / f"part-{k}.parquet", index=False)
    out = tmp_path / "out"
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0")
    with cluster:
        argv = [
            "diagnose",
            str(dataset),
            "--out",
            str(out),
            "--scheduler",
            cluster.scheduler_address,
        ]
        assert main(argv) == 0
        printed = capsys.readouterr().out
        link = printed.split("Dask dashboard: ", 1)[1].split()[0]
        # the address printed serves the dashboard (a loopback address of the local cluster)
        assert urllib.request.urlopen(link, timeout=30).status == 200
    expected = lk.diagnose(sim.counts)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "events.parquet"), expected.events)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "waves.parquet"), expected.waves)


def test_cli_scheduler_nobody_listens_is_one_line(tmp_path, capsys):
    pytest.importorskip("distributed")
    from likekit.cli import main

    table = tmp_path / "t.parquet"
    lk.simulate("healthy", n_videos=2, days=3, seed=1, progress=False).counts.to_parquet(table)
    argv = [
        "diagnose",
        str(table),
        "--out",
        str(tmp_path / "o"),
        "--scheduler",
        "tcp://127.0.0.1:9",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no Dask scheduler there" in err[0]


def _loaded_table() -> pd.DataFrame:
    sim = lk.simulate("mixed", n_videos=6, days=3, seed=3, progress=False)
    extra = {"creator": "c1", "note": np.where(np.arange(len(sim.counts)) % 3, "x", None)}
    return lk.load_counts(sim.counts.assign(**extra, score=0.5))


def test_a_loaded_table_given_again_is_passed_through_as_reading_it_would_give():
    table = _loaded_table()
    before = table.copy()
    again = lk.load_counts(table)
    # reading it again (a time zone given makes the reader parse every column)
    read = lk.load_counts(table, tz="UTC")
    pd.testing.assert_frame_equal(again, read)
    assert again.attrs == read.attrs == table.attrs
    assert np.shares_memory(again["likes"].array._data, table["likes"].array._data)
    # the input stays untouched, whatever is done to what came back
    again.loc[0, "likes"] = 10**9
    again.attrs["metric"] = "stars"
    pd.testing.assert_frame_equal(table, before)
    assert table.attrs == before.attrs


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.iloc[::-1],  # out of order: sorted again
        lambda t: t.assign(likes=t["likes"] - 10**6),  # negative counts: an error
        lambda t: t.assign(video_id=t["video_id"].mask(t.index == 4, " ")),  # blank id
        lambda t: t.assign(resolution=0),  # a step below 1
        lambda t: pd.concat([t, t.iloc[[7]].assign(likes=1)]).sort_values(
            ["video_id", "timestamp"], kind="stable", ignore_index=True
        ),  # a repeated key with other counts
        lambda t: t.assign(creator=t["creator"].astype("category")),
        lambda t: t.rename(columns={"comments": "comment_count"}),  # a synonym: renamed
    ],
)
def test_a_table_not_in_the_contract_is_read_as_any_other(change):
    table = change(_loaded_table())
    try:
        expected = lk.load_counts(table, tz="UTC")
    except lk.LikekitInputError as error:
        with pytest.raises(lk.LikekitInputError, match=re.escape(str(error))):
            lk.load_counts(table)
    else:
        pd.testing.assert_frame_equal(lk.load_counts(table), expected)


def test_dask_finds_the_outages_of_missing_snapshots_from_per_bin_counts():
    """Snapshots missing on most videos at once: the Dask client reduces per-bin counts
    (and each outage's videos) from the partitions to the pandas path's waves and events."""
    dd = pytest.importorskip("dask.dataframe")
    counts = lk.simulate("healthy", n_videos=24, days=10, seed=5, progress=False).counts
    rng = np.random.default_rng(5)
    hours = (counts["timestamp"] - counts["timestamp"].min()) / pd.Timedelta(hours=1)
    down = hours.between(100, 102) | hours.between(180, 180)
    down &= counts["video_id"].isin(rng.choice(counts["video_id"].unique(), 18, replace=False))
    values = [c for c in ("likes", "views", "comments", "shares") if c in counts]
    counts = counts.assign(**{c: counts[c].astype("Int64").mask(down) for c in values})
    expected = lk.diagnose(counts)
    assert (expected.events["detail"] == "missing").sum() >= 18
    assert len(expected.waves) >= 2
    got = lk.diagnose(dd.from_pandas(counts, npartitions=3, sort=False), progress=False)
    _same_diagnosis(got, expected, "events", "waves", "videos")


def _arrays(result) -> list[np.ndarray]:
    """The arrays a part sent back (a tuple of them, the scan's sums, or one)."""
    from likekit.diagnosis.scan import ScanSums

    if isinstance(result, ScanSums):
        return [result.blocks, result.gains]
    if isinstance(result, tuple):  # (nested: several reads at once)
        return [a for r in result for a in _arrays(r)]
    return [np.asarray(result)]


def _grid_in_three_parts():
    """A panel's grid, the grids of 4, 11 and 15 of its videos (their rows spread over the
    panel's), the per-video results they are built from and the options."""
    from likekit.diagnosis.grid import BinAxis, Grid
    from likekit.diagnosis.options import Options
    from likekit.diagnosis.pipeline import videos_alone

    sim = lk.simulate("mixed", n_videos=30, days=20, seed=12, progress=False)
    table = lk.load_counts(sim.counts)
    options = Options.checked(false_alarms=0.01, wave_alpha=0.01, video_alpha=0.05)
    options = options.for_table(table)
    alone = videos_alone(table, options=options)
    axis = BinAxis.of(alone.inc)
    whole = Grid.build(alone.inc, axis)
    ids = np.random.default_rng(3).permutation(whole.videos)
    parts = [
        Grid.build(alone.inc.loc[alone.inc["video_id"].isin(s)], axis)
        for s in (ids[:4], ids[4:15], ids[15:])
    ]
    return whole, parts, alone, options


def test_every_reader_of_a_grid_is_one_of_a_grid_in_parts_with_the_same_answer():
    """Rules read a grid only through Grid's readers (grid.READERS), which a grid in parts
    (Dask partitions) has too: every public method of Grid but building it (or its
    reader's copy) and running a function on it is one, a ShardedGrid has each, and on 3
    parts each gives the whole grid's answer (per-bin sums up to float summation order),
    the parts as the Dask reader holds them (Grid.for_reader: less memory, same answers)."""
    from likekit.diagnosis.grid import READERS, Grid, ShardedGrid

    whole, parts, _, _ = _grid_in_three_parts()
    parts = [p.for_reader() for p in parts]

    def each(fn, args, splits, add):
        for k, (part, split) in enumerate(zip(parts, splits, strict=True)):
            yield k, fn(part, *args, *split)

    sharded = ShardedGrid(whole.axis, [p.videos for p in parts], each)
    methods = {n for n, v in vars(Grid).items() if callable(v) and not n.startswith("_")}
    assert methods - {"build", "for_reader", "per_video", "per_bin", "prefetch"} == set(READERS)
    n, b = len(whole.videos), whole.axis.n_bins
    hit = np.random.default_rng(4).random(n) < 0.5
    mid = slice(b // 3, b // 3 + 30)
    # each reader's calls (a reader added without calls here fails the test)
    calls = {
        "window": [(mid.start, mid.stop), (0, 0), (b - 2, b - 1)],
        "rate": [(mid.start, mid.stop), (5, 4), (b - 1, b + 3)],
        "step": [(mid.start, mid.stop), (0, b - 1)],
        "stall_rate": [()],
        "bin_sums": [(name, hit) for name in ("excess", "noise2", "z", "seen", "fell")],
        "still_sums": [(hit, whole.stall_rate())],
        "day_loss": [(mid.start, mid.stop, hit), (0, 3, ~hit)],
        "shown_moves": [(mid.start, mid.stop, 1), (0, b - 1, -1)],
    }
    assert set(calls) == set(READERS)
    for name, arg_lists in calls.items():
        for args in arg_lists:
            expected, got = getattr(whole, name)(*args), getattr(sharded, name)(*args)
            assert len(_arrays(got)) == len(_arrays(expected))
            for g, e in zip(_arrays(got), _arrays(expected), strict=True):
                assert g.shape == e.shape, name
                np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-9, err_msg=name)
    # keyword arguments reach the parts as they reach Grid's method
    got = sharded.day_loss(mid.start, mid.stop, hit=hit)
    np.testing.assert_allclose(got, whole.day_loss(mid.start, mid.stop, hit), rtol=1e-12)


def test_the_reader_of_a_grid_in_parts_gets_per_bin_sums_and_per_video_values():
    """The Dask client's wave scan and reader: the panel's grid held in parts (here in this
    process, as the partitions' grids on the workers) reads the same waves and events as
    the whole grid, and what any part sends back is a per-bin sum (of one size whatever the
    part's videos and increments) or values per video of the part (a window of bins at
    most): never its increments, nor its videos' whole rows of bins."""
    from likekit.diagnosis.grid import ShardedGrid
    from likekit.diagnosis.scan import scan_panel
    from likekit.diagnosis.waves import WaveReader
    from likekit.schema import events_frame, waves_frame

    whole, parts, alone, options = _grid_in_three_parts()
    axis = whole.axis
    sent = []  # per round over the parts: what each part sent back

    def each(fn, args, splits, add):
        sent.append([])
        for k, (part, split) in enumerate(zip(parts, splits, strict=True)):
            result = fn(part, *args, *split)
            sent[-1].append(_arrays(result))
            yield k, result

    sharded = ShardedGrid(axis, [p.videos for p in parts], each)
    read = {}
    for name, grid in (("whole", whole), ("parts", sharded)):
        single = events_frame(alone.status + alone.single)
        scan = scan_panel(grid, options.z_alarm)
        read[name] = WaveReader(grid, single, options=options, scan=scan).read()
    (waves, extra, single_wave), expected = read["parts"], read["whole"]
    assert len(expected[0]) > 0 and len(expected[1]) > 0
    pd.testing.assert_frame_equal(waves_frame(waves), waves_frame(expected[0]))
    pd.testing.assert_frame_equal(events_frame(extra), events_frame(expected[1]))
    assert list(single_wave) == list(expected[2])
    # scan passes, reader calls and the old-app step (per-bin counts of falls) all ran
    assert len(sent) > 10
    n_videos = [len(p.videos) for p in parts]
    for round_ in sent:
        shapes = [[a.shape for a in arrays] for arrays in round_]
        per_video = all(
            all(s[:1] == (n,) for s in part) for part, n in zip(shapes, n_videos, strict=True)
        )
        if per_video:
            assert all(len(s) == 1 or s[1] < axis.n_bins // 4 for part in shapes for s in part)
        else:
            assert shapes[0] == shapes[1] == shapes[2]


def test_reads_announced_to_a_grid_in_parts_come_in_one_round_with_the_whole_grids_answers():
    """ShardedGrid.prefetch: announced per-video reads cost one round over the parts, then
    none each, and answer as the whole grid does; the wave reader announces what it reads
    of every video around an anchored purge, so that it reads the same waves in fewer
    rounds (on Dask, a round is a call to every worker)."""
    from likekit.diagnosis.grid import ShardedGrid
    from likekit.diagnosis.scan import scan_panel
    from likekit.diagnosis.waves import WaveReader
    from likekit.schema import events_frame, waves_frame

    whole, parts, alone, options = _grid_in_three_parts()
    rounds = []

    def each(fn, args, splits, add):
        rounds.append(fn)
        for k, (part, split) in enumerate(zip(parts, splits, strict=True)):
            yield k, fn(part, *args, *split)

    sharded = ShardedGrid(whole.axis, [p.videos for p in parts], each)
    sharded.prefetch([("window", 5, 5), ("rate", 3, 4), ("excess", slice(2, 5)), ("step", 1, 2)])
    assert len(rounds) == 1
    got = [*sharded.window(5, 5), sharded.rate(3, 4), sharded.excess[:, 2:5], sharded.step(1, 2)]
    expected = [*whole.window(5, 5), whole.rate(3, 4), whole.excess[:, 2:5], whole.step(1, 2)]
    assert len(rounds) == 1
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)

    read, n_rounds = {}, {}
    for hints in (True, False):
        grid = ShardedGrid(whole.axis, [p.videos for p in parts], each)
        if not hints:
            grid.prefetch = lambda reads: None
        scan = scan_panel(grid, options.z_alarm)
        rounds.clear()
        single = events_frame(alone.status + alone.single)
        read[hints] = WaveReader(grid, single, options=options, scan=scan).read()
        n_rounds[hints] = len(rounds)
    assert any(w.cause == "purge" for w in read[True][0])
    pd.testing.assert_frame_equal(waves_frame(read[True][0]), waves_frame(read[False][0]))
    pd.testing.assert_frame_equal(events_frame(read[True][1]), events_frame(read[False][1]))
    assert n_rounds[True] < n_rounds[False] * 0.75


def test_the_scans_block_sums_are_numpys_reduceat_to_the_bit():
    """The wave scan sums each block's rows without np.add.reduceat's cost per block
    (scan._Blocks.sums): the same bits, signed zeros too, for blocks of every size (numpy
    adds a block's rows after its first one by one when fewer than PAIRWISE, else in
    partial sums: reduceat's own then)."""
    from likekit.diagnosis.scan import PAIRWISE, _Blocks

    rng = np.random.default_rng(5)
    sizes = []
    for n in (1, 7, 300, 2500):
        blocks = _Blocks.of(np.array([f"v{i}" for i in range(n)], dtype=object))
        sizes += np.diff(np.r_[blocks.first, n]).tolist()
        x = rng.standard_normal((n, 3, 40)) * 10.0 ** rng.uniform(-3, 3, (n, 1, 1))
        x[rng.random(x.shape) < 0.1] = -0.0
        expected = np.add.reduceat(x, blocks.first, axis=0)
        got = blocks.sums(x)
        np.testing.assert_array_equal(got, expected)
        assert (np.signbit(got) == np.signbit(expected)).all()
    assert min(sizes) < PAIRWISE < max(sizes)  # blocks of both kinds were summed


def test_the_scans_column_sums_are_numpys_to_the_bit():
    """The wave scan sums the few values of a [video, column] array that are not zero
    (scan._column_sums): the same bits as numpy's sum over the videos of the whole array,
    which adds the rows of two or more columns one after the other (as bincount adds its
    weights) and the rows of one column in partial sums."""
    from likekit.diagnosis.scan import _column_sums

    rng = np.random.default_rng(6)
    for n_rows, n_cols in ((1, 1), (9, 1), (348, 1), (348, 2), (348, 156), (5000, 3)):
        whole = rng.standard_normal((n_rows, n_cols)) * 10.0 ** rng.uniform(-5, 5, (n_rows, 1))
        whole[rng.random(whole.shape) < 0.7] = 0.0
        row, col = np.nonzero(whole)
        by = np.argsort(col, kind="stable")  # column by column, row by row within each
        got = _column_sums(whole[row, col][by], col[by], n_cols, row, by, n_rows)
        np.testing.assert_array_equal(got, whole.sum(axis=0))
