"""What a report says: formatting, the answer's sentences, degenerate inputs, the accounting
identity, the table's own word, and figures that keep their text."""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

import likekit as lk
from likekit import formatting as fmt
from likekit import narrative, tables
from likekit.diagnosis import Diagnosis

matplotlib.use("Agg")

E_NOTATION = re.compile(r"\d[eE][+-]?\d")
TERMS = ["purge", "hidden", "trend_decline", "glitch", "unexplained"]


def table(videos: dict[str, np.ndarray], *, hours: int | None = None, views: bool = True):
    """A like-count table, hourly from 5 Jan 2026, one column of counts per video."""
    n = hours or len(next(iter(videos.values())))
    ts = pd.date_range("2026-01-05", periods=n, freq="h", tz="UTC")
    frames = [
        pd.DataFrame(
            {
                "video_id": v,
                "timestamp": ts,
                "likes": y,
                **({"views": 10 * np.arange(n)} if views else {}),
            }
        )
        for v, y in videos.items()
    ]
    return pd.concat(frames, ignore_index=True)


def growing(seed: int, hours: int = 400, rate: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 50 + np.cumsum(rng.poisson(rate, hours))


# -- formatting --------------------------------------------------------------------------


@pytest.mark.parametrize("x", [1e-9, 3.2e-5, 0.012, 1.0, 987.654, 5979.896765, 2.5e7, 1e15])
def test_numbers_are_never_in_e_notation(x):
    for text in (fmt.number(x), fmt.number(-x), fmt.whole(x), fmt.percent(x / 1e3)):
        assert not E_NOTATION.search(text), text
    assert not E_NOTATION.search(tables.p_text(x / 1e16))


def test_counts_are_whole_with_separators_and_singular_for_one():
    assert fmt.count(17338.4) == "17,338 likes"
    assert fmt.count(1, "followers") == "1 follower" and fmt.count(0.6) == "1 like"
    assert (
        fmt.plural(1, "video") == "1 video" and fmt.plural(2, "glitch", "glitches") == "2 glitches"
    )
    assert fmt.whole(-0.4) == "0"  # never "-0"


def test_times_and_durations_read_as_words():
    t = pd.Timestamp("2026-01-09 01:00", tz="UTC")
    assert fmt.when(t) == "9 Jan 2026, 01:00 UTC" and "+00:00" not in fmt.when(t)
    assert fmt.duration(pd.Timedelta(hours=1)) == "1 hour"
    assert fmt.duration(pd.Timedelta(days=2, hours=12)) == "60 hours"
    assert fmt.duration(pd.Timedelta(days=12)) == "12 days"
    assert "days" not in fmt.duration(pd.Timedelta(minutes=30)) and "0 days" not in fmt.duration(
        1.5
    )


def test_readable_tables_sort_by_loss_and_keep_ids_as_text():
    frame = pd.DataFrame({"lost": [5.0, 1500.4, 20.0]}, index=pd.Index(["a", "<b>", "007"]))
    out = fmt.readable(frame, {"lost": "lost for good"}, counts=("lost",), sort_by="lost")
    assert out.index.tolist() == ["<b>", "007", "a"]
    assert out["lost for good"].tolist() == ["1,500", "20", "5"]
    page = fmt.scrollable(out)
    assert "&lt;b&gt;" in page and "<b>" not in page and "overflow:auto" in page


def test_full_table_is_written_beside_the_results(tmp_path):
    frame = pd.DataFrame({"x": range(5000)}).rename_axis("video_id")
    assert fmt.csv_beside(frame, "", "videos") is None
    path = fmt.csv_beside(frame, str(tmp_path / "results.json"), "videos")
    assert path == tmp_path / "videos.csv" and len(pd.read_csv(path)) == 5000
    assert fmt.link_note(path, 5000, "video") == (
        "<p>5,000 videos in the table above. Every row is also in <code>videos.csv</code>, "
        "beside this report.</p>"
    )
    assert fmt.link_note(None, 1, "video") == "<p>1 video in the table above.</p>"


# -- the answer and degenerate inputs ----------------------------------------------------


@pytest.fixture(scope="module")
def creator():
    return lk.diagnose(lk.sample_path("creator"))


def _answer(diag, metric="likes"):
    return narrative.answer_text(diag.answer(), diag.losses(), len(diag.videos), metric)


def test_the_answer_names_the_cause_and_the_three_fates_in_whole_likes(creator):
    a, losses = creator.answer(), creator.losses()
    text = _answer(creator)
    assert f"{round(a.lost):,} likes ({fmt.percent(a.lost / a.peak)} of the peak)" in text
    assert f"{round(a.hidden):,} ({fmt.percent(a.hidden / a.peak)}) hidden" in text
    assert f"{round(a.came_back):,} ({fmt.percent(a.came_back / a.peak)})" in text
    assert narrative.CAUSE_WORDS[a.main_cause] in text
    assert len(re.findall(r"[.!?](?:\s|$)", text)) == 2  # two sentences
    assert a.main_cause == losses.loc[["purge", "trend_decline"], "lost"].idxmax()


def test_one_video_is_singular_everywhere():
    diag = lk.diagnose(table({"solo": growing(1)}))
    text = _answer(diag)
    assert text.startswith("Your video went from") and "at its peak" in text
    assert "1 videos" not in text and "videos" not in narrative.waves_answer(diag)[:20]
    assert "cannot be seen on your video alone" in narrative.waves_answer(diag)


def test_nothing_declining_says_nothing_was_lost():
    diag = lk.diagnose(lk.simulate("healthy", n_videos=5, days=10, seed=2).counts)
    text = _answer(diag)
    assert "No like was lost for good" in text and "nan" not in text and "inf" not in text
    assert "No purge wave was found" in narrative.waves_answer(diag)
    assert narrative.glitch_text(diag.events.iloc[:0], "t.csv") == "No glitch was found in t.csv."
    assert "0 purge waves" in narrative.rate_text(0, 14.0, 0.0, 6.4)
    assert "nan" not in narrative.gaps_text(pd.Series([], dtype="datetime64[us, UTC]"))


def test_all_hidden_names_the_status_change_and_no_loss():
    sim = lk.simulate("status_change", n_videos=6, days=12, seed=4)
    diag = lk.diagnose(sim.counts)
    text = _answer(diag)
    assert diag.answer().main_cause is None
    assert "The main cause is hidden counts or removed videos" in text
    assert "no like lost for good" in text


def test_the_display_rounding_note_says_what_cannot_be_seen():
    shown = np.repeat([1150, 1120, 1080], 24)  # 1.1K, 1.1K, 1K: a fall under one step
    counts = lk.load_counts(table({"a": np.array([lk.format_count(v) for v in shown])}))
    note = narrative.rounding_note(counts)
    assert note == (
        "Your video is shown rounded at the last snapshot: changes under 100 likes cannot "
        "be seen while the count shows 1K."
    )
    assert narrative.rounding_note(lk.load_counts(table({"a": growing(0, 30)}))) == ""


# -- the accounting identity -------------------------------------------------------------


@pytest.mark.parametrize("scenario,seed", [("mixed", 3), ("status_change", 1), ("bot_purge", 8)])
def test_the_fall_adds_up_per_video_and_in_total(scenario, seed):
    diag = lk.diagnose(lk.simulate(scenario, n_videos=8, days=16, seed=seed).counts)
    acc = diag.losses(by="video")
    np.testing.assert_allclose(acc["peak"] - acc["now"], acc[TERMS].sum(axis=1), atol=1e-9)
    total = acc.sum()
    assert total["peak"] - total["now"] == pytest.approx(total[TERMS].sum())
    # every report states these totals: the sentence carries each of them
    text = narrative.accounting_text(acc, diag.losses())
    for term in ("purge", "trend_decline", "hidden", "glitch", "unexplained"):
        assert fmt.whole(total[term]) in text
    # the answer's totals are those of losses(); purges before a peak are said apart
    before = diag.losses().at["purge", "lost"] - total["purge"]
    assert (f"{fmt.count(before)} before a video had peaked" in text) == (round(before) > 0)


def levelling(seed: int, hours: int = 300) -> np.ndarray:
    """Likes that grow fast for 100 hours, then barely (a video past its trend)."""
    rng = np.random.default_rng(seed)
    rate = np.where(np.arange(hours) < 100, 5.0, 0.3)
    return (50 + np.cumsum(rng.poisson(rate))).astype(float)


def test_videos_that_grew_back_have_a_negative_rest_and_it_is_said():
    videos = {f"v{i}": levelling(i) for i in range(10)}
    for y in videos.values():
        y[150:] -= 60  # a purge on every video at once, after their peaks; they grow back
    diag = lk.diagnose(table(videos))
    acc = diag.losses(by="video")
    np.testing.assert_allclose(acc["purge"], 60, atol=3)  # the purge, found in full
    np.testing.assert_allclose(acc["peak"] - acc["now"], acc[TERMS].sum(axis=1), atol=1e-9)
    regained = acc["now"] - (acc["peak"] - acc["purge"])  # what grew back after the purge
    np.testing.assert_allclose(acc["unexplained"], -regained, atol=1e-9)
    assert (acc["unexplained"] < -15).all()
    text = narrative.accounting_text(acc, diag.losses())
    assert "negative: videos grew back after a loss" in text


# -- per-video table and summary ---------------------------------------------------------


def test_per_video_table_has_no_status_column_and_is_sorted_by_fall(creator):
    summary = creator.summary()
    assert "status" not in summary.columns and "data_quality" in summary.columns
    per_video = tables.video_table(creator)
    assert "status" not in per_video.columns and len(per_video) == len(creator.videos)
    falls = [int(x.replace(",", "")) for x in per_video["fall from peak"]]
    assert falls == sorted(falls, reverse=True)
    removed = creator.events.loc[creator.events["detail"] == "video_removed", "video_id"]
    for v in removed:  # its count is gone, not a decline
        assert summary.at[v, "decline"] == 0 and "removed" in summary.at[v, "verdict"]


# -- the table's own word ----------------------------------------------------------------


def test_the_metric_word_comes_from_the_table(creator):
    counts = creator.counts.copy()
    counts.attrs["metric"] = "followers"
    diag = Diagnosis(
        counts,
        creator.events,
        creator.waves,
        creator.videos,
        creator.increments,
        options=creator.options,
    )
    assert diag.metric == "followers" and creator.metric == "likes"
    text = _answer(diag, diag.metric) + " " + diag.answer().verdict
    assert "followers" in text and "lost for good" in text
    assert not re.search(r"\blikes?\b", text), text
    ax = diag.plot(creator.videos.index[0])
    assert ax.get_ylabel() == "followers"


# -- figures -----------------------------------------------------------------------------


def _inside_when_saved(fig, tmp_path) -> bool:
    """Every text of the figure lies inside the saved image (default bbox)."""
    fig.savefig(tmp_path / "f.png")
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    texts = [t for ax in fig.axes for t in (ax.title, *ax.texts)]
    return all(
        box.x0 - 1 <= t.get_window_extent(renderer).x0
        and t.get_window_extent(renderer).x1 <= box.x1 + 1
        and box.y0 - 1 <= t.get_window_extent(renderer).y0
        and t.get_window_extent(renderer).y1 <= box.y1 + 1
        for t in texts
        if t.get_text()
    )


def test_saved_panel_keeps_its_title_and_wave_numbers(creator, tmp_path):
    ax = creator.plot()
    numbers = [t.get_text() for t in ax.texts]
    assert numbers and set(numbers) <= {str(w) for w in creator.waves["wave"]}
    assert ax.get_title() and _inside_when_saved(ax.figure, tmp_path)
    # the legend sits above the data: its box starts above the highest share (1.0)
    legend = ax.get_legend().get_window_extent(ax.figure.canvas.get_renderer())
    top_of_data = ax.transData.transform((0, 1.0))[1]
    assert legend.y0 >= top_of_data - 1


def test_panel_of_many_videos_is_aggregated_and_says_so(tmp_path):
    rng = np.random.default_rng(0)
    hours = 48
    videos = {f"v{i:04d}": 100 + np.cumsum(rng.poisson(1.0, hours)) for i in range(300)}
    diag = lk.diagnose(table(videos))
    ax = diag.plot()
    assert len(ax.get_lines()) < 30  # not one line per video
    assert "median" in ax.get_title() and "300 videos" in ax.get_title()
    assert _inside_when_saved(ax.figure, tmp_path)


def test_the_rounding_note_says_when_display_steps_were_inferred():
    # 20,800,000 written for "20.8M": a tracker's expanded display values, 3 significant figures
    rng = np.random.default_rng(3)
    exact = 20_812_345 + np.cumsum(rng.poisson(5_000, 48))
    steps = 10 ** (np.floor(np.log10(exact)).astype(int) - 2)
    expanded = table({"a": exact // steps * steps, "b": exact // steps * steps + 7 * steps})
    note = narrative.rounding_note(lk.load_counts(expanded, resolution="infer"))
    assert note.startswith("2 of your 2 videos are shown rounded")
    assert "The display steps of 2 videos' counts were inferred" in note
    # the same table without resolution="infer" is read as exact counts: no note at all
    assert narrative.rounding_note(lk.load_counts(expanded)) == ""


def test_one_rounded_video_among_many_is_singular():
    videos = {"big": np.repeat([1150, 1120], 24), "small": np.arange(48) + 10}
    shown = {v: np.array([lk.format_count(x) for x in y]) for v, y in videos.items()}
    note = narrative.rounding_note(lk.load_counts(table(shown)))
    assert note.startswith("1 of your 2 videos is shown rounded")
