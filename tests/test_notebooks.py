"""The notebooks: stored clean, parameterized, and right when run with other parameters.

Each notebook is run once under papermill (through :func:`likekit.report.run_report`, as
``likekit report`` runs it) with non-default parameters on a table made here, and the JSON
of key results it writes is checked against likekit called directly and against the
simulation's truth. ``make test`` also runs every notebook with its defaults under nbval.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import nbformat
import numpy as np
import pandas as pd
import pytest

import likekit as lk
from likekit.report import NOTEBOOK_DIR, notebook_parameters, run_report

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = [
    "01_why_likes_disappear",
    "02_decay_models",
    "03_diagnose",
    "04_purge_waves",
    "05_faq",
]
HOSTILE_ID = '<img src=x onerror="alert(1)">'


def test_the_five_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_clean_and_parameterized(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:  # outputs stripped in git
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
        assert "execution" not in cell.metadata
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "parameters" in code[0].metadata.get("tags", [])
    params = notebook_parameters(path)  # plain literals only, or this raises
    assert params["results_path"].default == ""
    for cell in code:  # bundled data through likekit, never a relative path
        assert not re.search(r"\.\./|data/samples|\.csv['\"]", cell.source), cell.source[:60]


# ---------------------------------------------------------------------------------------
# papermill runs with non-default parameters


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    """A simulated creator (every cause), one video id hostile, written as CSV."""
    sim = lk.simulate("mixed", n_videos=8, days=20, seed=11)
    counts = sim.counts.assign(video_id=sim.counts["video_id"].replace("v03", HOSTILE_ID))
    path = tmp_path_factory.mktemp("panel") / "panel.csv"
    counts.to_csv(path, index=False)
    return path, sim


def _run(notebook, out, input_path=None, **params):
    done = run_report(input_path, notebook, params, out_dir=out, progress=False)
    nb = nbformat.read(done.executed, as_version=4)
    warnings = [
        o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("name") == "stderr" and "Warning" in o.get("text", "")
    ]
    assert not warnings, warnings  # a report shows no warnings
    return done


def test_01_tour_matches_the_simulations(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs from any working directory
    done = _run("01_why_likes_disappear", tmp_path / "out", n_videos=4, days=8, seed=3)
    res = done.results["scenarios"]
    for name, got in res.items():
        sim = lk.simulate(name, n_videos=4, days=8, seed=3)
        by_cause = sim.events.groupby("cause")["likes_delta"].agg(["size", "sum"])
        assert got["events"] == {c: int(by_cause["size"].get(c, 0)) for c in got["events"]}
        assert got["likes_delta"] == {c: int(by_cause["sum"].get(c, 0)) for c in got["events"]}
    # what the tour teaches, checked on these numbers: glitches leave nothing behind, purges
    # lower the true count for good, hidden or removed videos are shown wrong at the end
    for name in ("server_glitch", "app_glitch"):
        assert res[name]["events"]["glitch"] > 0
        assert res[name]["lost_from_peak"] == 0 and res[name]["shown_wrong_at_end"] == 0
    assert res["bot_purge"]["likes_delta"]["purge"] < 0 < res["bot_purge"]["lost_from_peak"]
    assert res["status_change"]["shown_wrong_at_end"] == len(
        set(lk.simulate("status_change", n_videos=4, days=8, seed=3).events["video_id"])
    )
    assert done.results["purge_times"] <= done.results["purge_videos"]  # waves are shared


def test_02_decay_matches_fit_decay(tmp_path):
    path = lk.sample_path("trend_decline")  # one video whose trend fades
    models = ["exponential", "power_law"]
    done = _run("02_decay_models", tmp_path / "out", path, video_id="v00", models=models,
                criterion="aic", forecast_days=3)  # fmt: skip
    res = done.results
    counts = lk.load_counts(path)
    diag = lk.diagnose(counts)
    one = counts.loc[counts["video_id"] == "v00"]
    ev = diag.events
    exclude = ev.loc[(ev["video_id"] == "v00") & (ev["cause"] != "trend_decline")]
    fit = lk.fit_decay(one, model="auto", criterion="aic", exclude=exclude)
    assert res["video_id"] == "v00" and res["model"] == fit.model
    assert res["excluded_events"] == len(exclude)
    for name, row in res["derived"].items():
        np.testing.assert_allclose(
            [row["estimate"], row["low"], row["high"]],
            fit.derived.loc[name, ["estimate", "low", "high"]].astype(float),
            rtol=1e-9,
        )
    assert set(res["criterion"]) == set(fit.comparison.index)
    assert set(res["failed"]) <= set(models)
    horizon = one["timestamp"].max() + pd.Timedelta(days=3)
    expected_end = fit.predict([horizon]).iloc[0]
    np.testing.assert_allclose(res["forecast_end"]["mean"], expected_end["mean"], rtol=1e-9)
    assert res["forecast_end"]["low"] <= res["forecast_end"]["mean"] <= res["forecast_end"]["high"]


@pytest.fixture(scope="module")
def report03(panel, tmp_path_factory):
    path, _ = panel
    out = tmp_path_factory.mktemp("r03") / "out"
    done = _run("03_diagnose", out, path, title="Creator <panel> & co", max_videos_plotted=2)
    return done, path


def _truth(sim, cause: str) -> float:
    return float(-sim.events.loc[sim.events["cause"] == cause, "likes_delta"].sum())


def _true_purge_times(sim) -> list[pd.Timestamp]:
    purges = sim.events.loc[sim.events["cause"] == "purge"]
    return sorted(purges.groupby("wave")["start"].min())


def test_03_report_shows_the_losses_and_answer_of_diagnose(report03, panel):
    done, path = report03
    _, sim = panel
    res = done.results
    counts = lk.load_counts(path)
    diag = lk.diagnose(counts)
    losses, answer = diag.losses(), diag.answer()
    assert res["videos"] == 8 and res["rows"] == len(counts)
    assert res["events"] == losses["events"].to_dict()
    for fate in ("lost", "hidden", "came_back"):
        assert res[fate] == pytest.approx(losses[fate].to_dict())
    assert res["main_cause"] == answer.main_cause and res["verdict"] == answer.verdict
    assert res["waves"] == len(diag.waves) and res["purge_waves"] == answer.purge_waves
    # against the simulation's truth: the purges it made, nothing hidden, glitches came back
    assert res["lost"]["purge"] == pytest.approx(_truth(sim, "purge"), rel=0.2)
    assert res["purge_waves"] == len(_true_purge_times(sim))
    assert sum(res["hidden"].values()) == 0 and res["lost"]["glitch"] == 0
    assert res["came_back"]["glitch"] > 0


def test_03_report_escapes_input_and_hides_code(report03):
    done, _ = report03
    page = done.html.read_text()
    assert HOSTILE_ID not in page and "&lt;img src=x onerror=" in page
    assert "<title>Creator &lt;panel&gt; &amp; co</title>" in page
    assert "lk.diagnose" not in page and "Traceback" not in page
    assert page.count("data:image/png;base64,") >= 4  # panel, losses, two videos


def test_04_waves_match_diagnose_and_the_truth(panel, tmp_path):
    path, sim = panel
    done = _run("04_purge_waves", tmp_path / "out", path, wave_alpha=0.05)
    res = done.results
    diag = lk.diagnose(lk.load_counts(path), wave_alpha=0.05)
    assert res["waves"] == len(diag.waves)
    # numbered in time order
    table = res["wave_table"]
    assert [w["wave"] for w in table] == list(range(1, len(table) + 1))
    assert [w["time"] for w in table] == sorted(w["time"] for w in table)
    per_wave = diag.losses(by="wave")
    purge = per_wave.loc[per_wave["cause"] == "purge"]
    assert res["purge_waves"] == len(purge)
    assert res["likes_removed"] == pytest.approx({str(w): v for w, v in purge["likes"].items()})
    # the simulation's purge waves, found at their times
    found = [pd.Timestamp(w["time"]) for w in table if w["cause"] == "purge"]
    truth = _true_purge_times(sim)
    assert len(found) == len(truth)
    assert all(abs(a - b) <= pd.Timedelta("1h") for a, b in zip(found, truth, strict=True))
    gaps = np.diff(truth) / pd.Timedelta(days=1)
    np.testing.assert_allclose(res["days_between_purges"], gaps, atol=1 / 24)


def test_05_faq_numbers(panel, tmp_path):
    path, _ = panel
    done = _run("05_faq", tmp_path / "out", path, seed=2, n_videos=4, days=10, like_weight=0.5)
    res = done.results
    counts = lk.load_counts(path)
    diag = lk.diagnose(counts)
    losses = diag.losses()
    assert res["purged_likes_given_back"] is False  # the simulation's truth
    assert res["purge_share"] == pytest.approx(losses.at["purge", "lost"] / diag.answer().peak)
    assert res["reach_change"] == pytest.approx((1 - res["purge_share"]) ** 0.5 - 1)
    # glitches came back and purges did not (what the panel's simulation made)
    assert res["recovered_share"]["glitch"] == 1.0
    assert res["recovered_share"]["purge"] == 0.0
    k = int((diag.waves["cause"] == "purge").sum())
    assert res["purge_waves"] == k
    rate = res["purge_rate_per_30_days"]
    months = (counts["timestamp"].max() - counts["timestamp"].min()) / pd.Timedelta(days=30)
    assert rate["estimate"] == pytest.approx(k / months)
    assert rate["low"] <= rate["estimate"] <= rate["high"]


# ---------------------------------------------------------------------------------------
# the report as a person sees it


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    _chromium() is None,
    reason="headless Chromium not installed (Debian: apt-get install chromium; .ci/run does)",
)
def test_03_report_renders_in_headless_chromium(report03, tmp_path):
    done, _ = report03
    proc = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            done.html.as_uri(),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
    )
    dom = proc.stdout
    assert proc.returncode == 0 and "</html>" in dom, proc.stderr[-2000:]
    for heading in (
        "Overview",
        "Purge waves and outages across videos",
        "Per-video verdicts",
        "What was lost to what",
        "The most affected videos",
        "The answer",
    ):
        assert re.search(rf"<h2[^>]*>{heading}", dom), heading
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64,', dom)) >= 4
    assert 'class="likekit-stamp"' in dom and "sha256" in dom
    # no code and no error visible; the hostile id stayed text, no element was made of it
    assert "jp-mod-noInput" in dom and "Traceback" not in dom
    assert not re.search(r'class="[^"]*(jp-InputArea-editor|highlight)', dom)
    assert not re.search(r'<img[^>]*src="x"', dom) and "&lt;img src=x onerror=" in dom
