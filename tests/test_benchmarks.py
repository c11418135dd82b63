"""The benchmark runner's verdicts and exit code (the benchmarks themselves run in make bench)."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest

import benchmarks.__main__ as bench_main
import likekit as lk
from benchmarks import bench_diagnosis, harness
from benchmarks.harness import Row


def _rows() -> list[Row]:
    return [
        Row("no goal", 1.0),
        Row("share, missed", 0.5, goal=">= 0.9", passed=False),
        Row("share, met", 0.95, goal=">= 0.9", passed=True),
        Row("failures", 0.1, goal="0", passed=False, judged_quick=True),
    ]


def test_verdicts_full_and_quick():
    full = [harness.verdict(r) for r in _rows()]
    quick = [harness.verdict(r, quick=True) for r in _rows()]
    assert full == ["-", "NO", "yes", "NO"]
    assert quick == ["-", "not judged", "not judged", "NO"]


@pytest.mark.parametrize(
    ("rows", "argv", "code", "said"),
    [
        (_rows()[:3], [], 1, "share, missed"),
        (_rows()[:3], ["--quick"], 0, "not judged"),
        (_rows(), ["--quick"], 1, "failures"),
        (_rows()[2:3], [], 0, "yes"),
    ],
)
def test_exit_code_says_whether_a_judged_goal_was_missed(
    rows, argv, code, said, monkeypatch, tmp_path, capsys
):
    fake = types.SimpleNamespace(run=lambda quick: rows)
    monkeypatch.setattr(bench_main.importlib, "import_module", lambda name: fake)
    monkeypatch.setattr(harness, "OUT_DIR", tmp_path)
    assert bench_main.main(["loader", *argv]) == code
    assert said in capsys.readouterr().out


def test_report_json_has_json_booleans_and_numbers(monkeypatch, tmp_path):
    # the real-data rows compute their verdicts with numpy (np.float64(0.5) <= 1)
    monkeypatch.setattr(harness, "OUT_DIR", tmp_path)
    share = np.float64(0.5)
    rows = [
        Row("share", share, np.float64(2.0), goal="<= 1", passed=share <= 1),
        Row("count", np.int64(3), goal="0", passed=np.int64(3) == 0),
    ]
    harness.report("numpy", rows)
    written = json.loads((tmp_path / "numpy.json").read_text())["rows"]
    assert [(r["likekit"], r["baseline"], r["passed"]) for r in written] == [
        (0.5, 2.0, True),
        (3, None, False),
    ]
    assert [type(r["passed"]) for r in written] == [bool, bool]
    assert written[0]["ratio"] == 0.25


def test_poisson_interval_is_garwoods():
    # textbook exact 95% limits of a Poisson mean: 0 -> (0, 3.689), 1 -> (0.0253, 5.572)
    assert bench_diagnosis.poisson_interval(0) == pytest.approx((0.0, 3.689), abs=1e-3)
    assert bench_diagnosis.poisson_interval(1) == pytest.approx((0.0253, 5.572), abs=1e-3)


@pytest.mark.parametrize("sampling", list(bench_diagnosis.SAMPLINGS))
def test_quiet_panels_are_new_wave_free_draws(sampling, monkeypatch):
    monkeypatch.setattr(bench_diagnosis, "_sealed", lambda scenario, h, d, k: (scenario, k))
    hours, days, n, _ = bench_diagnosis.SAMPLINGS[sampling]
    names = list(lk.scenarios()["name"])
    quiet = list(bench_diagnosis.quiet_panels(sampling))
    assert {s for s, _ in quiet} <= set(bench_diagnosis.WAVE_FREE)
    assert [k for _, k in quiet] == list(range(n, n + len(quiet)))  # never a sealed panel's k
    sealed = sum(names[k % len(names)] in bench_diagnosis.WAVE_FREE for k in range(n))
    assert (sealed + len(quiet)) * days / 30 >= bench_diagnosis.QUIET_MONTHS


@pytest.mark.parametrize("scenario", bench_diagnosis.WAVE_FREE)
def test_wave_free_worlds_have_no_true_wave(scenario):
    sim = lk.simulate(scenario, n_videos=20, days=20, seed=3, display=False, snapshot_hours=6)
    assert sim.events["wave"].isna().all()
