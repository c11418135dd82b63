"""Decay fits: interval coverage, accuracy, model choice and speed against scipy curve_fit.

Accuracy: random declines from :func:`likekit.simulation.draw_decline` (a rise before the peak,
14 days after it, declines of 10-50% of the peak), per family and per rounding (exact counts
and app-rounded "12.3K" counts). likekit fits with ``model="auto"``; the baseline is scipy
``curve_fit`` on the level after the highest snapshot, told the true family, with its plain
covariance (delta method for the half-life, on the log scale as likekit). A fit that fails
counts as not covering. The half-life is counted from the snapshot after the highest one
(:attr:`likekit.DecayFit.reference`, a time the data fix before any model is fitted), by
the fits and the baseline alike; its truth is the true curve's from that snapshot
(:func:`likekit.simulation.half_life_from`), never the fit's.

200 declines per family and rounding on hourly snapshots. The same on 6-hourly and daily
snapshots (200 declines per family and rounding): the peak then falls between two
snapshots, and a dozen points carry the decline.

Declines that have not levelled off (3 days after the peak, half-lives of 500-5,000 h): the
share flagged as such, and whether their bounds (or intervals) hold the truth.

Speed: :func:`likekit.fit_decay_many` (auto: three families and the null, full inference)
over 1,000 videos against a loop of single-model ``curve_fit`` over the same videos.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy.optimize import curve_fit

from benchmarks.harness import Row, best_of
from likekit.decay import fit_decay, fit_decay_many
from likekit.decay.families import FAMILIES
from likekit.simulation import draw_decline, half_life_from

_HOUR = pd.Timedelta(hours=1)
_BASE = "curve_fit on level"


def _level_after_peak(counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, object]:
    """Hours since the highest snapshot, the levels from it on, and its index label."""
    counts = counts.dropna(subset=["likes"])
    y = counts["likes"].to_numpy(float) + (counts["resolution"].to_numpy(float) - 1) / 2
    hours = ((counts["timestamp"] - counts["timestamp"].iloc[0]) / _HOUR).to_numpy(float)
    i0 = int(np.argmax(y))
    return hours[i0:] - hours[i0], y[i0:], counts.index[i0]


def _curve(family):
    if family.n_shape:
        return lambda s, p, a, tau, shape: p + a * family.g(s, tau, shape)
    return lambda s, p, a, tau: p + a * family.g(s, tau)


def baseline_fit(
    counts: pd.DataFrame, model: str, since: float = 0.0
) -> dict[str, tuple[float, float, float]]:
    """curve_fit of the true family on the level: estimate, low, high of half-life, plateau.

    The half-life is counted from ``since`` hours after the highest snapshot.
    """
    family = FAMILIES[model]
    s, y, _ = _level_after_peak(counts)
    p0 = [y[-1], max(y[0] - y[-1], 1.0), max(s[-1], 1.0) / 5]
    if family.n_shape:
        p0.append(1.5 if model == "power_law" else 0.7)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        p, cov = curve_fit(_curve(family), s, y, p0=p0, maxfev=5000)
    tau, shape = p[2], (p[3] if family.n_shape else None)
    h = family.half_life(tau, shape, since)
    # log half-life gradient in (log tau, log shape) -> natural scale of (tau, shape)
    grad = np.zeros(len(p))
    grad[2:] = family.log_half_life_grad(tau, shape, since) / p[2:]
    se_h = math.sqrt(max(grad @ cov @ grad, 0.0))
    se_p = math.sqrt(max(cov[0, 0], 0.0))
    return {
        "half_life": (h, h * math.exp(-1.96 * se_h), h * math.exp(1.96 * se_h)),
        "plateau": (p[0], p[0] - 1.96 * se_p, p[0] + 1.96 * se_p),
    }


def _score(est: dict | None, truth: dict, name: str) -> tuple[bool, float]:
    if est is None or not np.all(np.isfinite(est[name])) or not np.isfinite(truth[name]):
        return False, math.nan
    value, low, high = est[name]
    return bool(low <= truth[name] <= high), abs(value / truth[name] - 1)


def _reference(counts: pd.DataFrame) -> pd.Timestamp:
    """The snapshot a fit counts the half-life from (:attr:`likekit.DecayFit.reference`),
    read off the data alone: a fit that fails still has a truth to be scored against."""
    return fit_decay(counts, model="none").reference


def draw(model: str, seed: int, step: float, display: bool) -> tuple[pd.DataFrame, dict]:
    """A random decline seen every ``step`` hours, its peak anywhere between two snapshots."""
    return draw_decline(model, seed=seed, display=display, step=step)


#: seeds of the declines the fits may be tuned on; the benchmark reports on others
TUNING_SEEDS = 50_000_000


def accuracy(n: int, step: float = 1.0, tuning: bool = False) -> pd.DataFrame:
    """One row per simulated decline: coverage and error of likekit and the baseline.

    ``n`` declines per family and rounding (exact and app-rounded, alternating). The
    reported rows use the report seeds (hourly as they always were; coarser ones apart, the
    sealed set of issue 11); ``tuning`` draws from seeds kept for tuning instead, so that
    what is reported was never looked at while the fits were tuned.
    """
    rows = []
    seeds = 0 if step == 1.0 else 1_000_000 * int(step)
    seeds += TUNING_SEEDS if tuning else 0
    for f_i, model in enumerate(FAMILIES):
        for i in range(2 * n):
            display = i % 2 == 1
            counts, drawn = draw(model, seeds + 10_000 * (f_i + 1) + i, step, display)
            try:
                fit = fit_decay(counts)
                ours = {k: tuple(fit.derived.loc[k]) for k in ("half_life", "plateau")}
                picked, identified, ref = fit.model, fit.identified, fit.reference
            except Exception:  # a failure counts as not covering
                ours, picked, identified, ref = None, None, False, _reference(counts)
            # the true curve's half-life from the snapshot the fits count it from
            truth = {**drawn, "half_life": half_life_from(drawn, ref)}
            try:
                top = counts.loc[_level_after_peak(counts)[2], "timestamp"]
                base = baseline_fit(counts, model, since=(ref - top) / _HOUR)
            except Exception:
                base = None
            row = {"family": model, "display": display, "picked": picked}
            row["identified"] = identified
            for name in ("half_life", "plateau"):
                row[f"cover_{name}"], row[f"err_{name}"] = _score(ours, truth, name)
                row[f"base_cover_{name}"], row[f"base_err_{name}"] = _score(base, truth, name)
            rows.append(row)
    return pd.DataFrame(rows)


def open_declines(n: int) -> pd.DataFrame:
    """Short declines far from levelled off: 3 days seen, half-lives of 500-5,000 h.

    Exponential and power-law ones are nearly straight lines: each should be flagged
    (``identified`` False, or no decline at all against the noise of three days), and its
    bounds should hold the true plateau and half-life. A stretched exponential with a small
    beta bends early and then crawls: three days can look levelled off; whether its
    intervals hold the truth is measured too.
    """
    rows = []
    for f_i, model in enumerate(FAMILIES):
        for i in range(n):
            rng = np.random.default_rng(20_000 * (f_i + 1) + i)
            counts, truth = draw_decline(
                model,
                seed=rng,
                half_life=float(np.exp(rng.uniform(np.log(500), np.log(5000)))),
                hours_after_peak=72,
                display=i % 2 == 1,
            )
            fit = fit_decay(counts)
            d = fit.derived
            truth = {**truth, "half_life": half_life_from(truth, fit.reference)}
            rows.append(
                {
                    "family": model,
                    "flagged": not fit.identified or fit.model == "none",
                    "none": fit.model == "none",
                    "held": all(
                        d.loc[k, "low"] <= truth[k] <= d.loc[k, "high"]
                        for k in ("half_life", "plateau")
                    ),
                }
            )
    return pd.DataFrame(rows)


def _speed_table(n_videos: int) -> tuple[pd.DataFrame, list[str]]:
    tables, models = [], []
    for i in range(n_videos):
        model = list(FAMILIES)[i % 3]
        counts, _ = draw_decline(model, seed=900_000 + i, display=i % 2 == 1)
        tables.append(counts.assign(video_id=f"v{i:04d}"))
        models.append(model)
    return pd.concat(tables, ignore_index=True), models


def _baseline_many(counts: pd.DataFrame) -> None:
    curve = _curve(FAMILIES["exponential"])
    for _, frame in counts.groupby("video_id", sort=True):
        s, y, _ = _level_after_peak(frame)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                curve_fit(curve, s, y, p0=[y[-1], max(y[0] - y[-1], 1.0), s[-1] / 5], maxfev=5000)
        except RuntimeError:
            pass


def coverage_rows(table: pd.DataFrame, name: str, rounded_floor: float | None) -> list[Row]:
    """Coverage of half-life and plateau per family and rounding, against the baseline.

    The goal is [0.90, 0.98]; app-rounded counts need only reach ``rounded_floor`` when
    given.
    """
    rows: list[Row] = []
    for (model, display), g in table.groupby(["family", "display"], sort=False):
        tag = f"{name}{model} {'rounded' if display else 'exact'} (n={len(g)})"
        for what in ("half_life", "plateau"):
            cover = float(g[f"cover_{what}"].mean())
            if display and rounded_floor is not None:
                goal, good = f">= {rounded_floor:.2f}", cover >= rounded_floor
            else:
                goal, good = "in [0.90, 0.98]", 0.90 <= cover <= 0.98
            base = float(g[f"base_cover_{what}"].mean())
            rows.append(Row(f"coverage {what}, {tag}", cover, base, _BASE, "share", goal, good))
    return rows


def coarse_rows(table: pd.DataFrame, name: str) -> list[Row]:
    """Coverage per family and rounding; error, family choice, not identified per family.

    Goals (issue 11): half-life and plateau coverage in [0.90, 0.98] on exact counts and at
    least 0.80 on app-rounded ones; a fit that says it is not identified counts as a miss.
    """
    rows = coverage_rows(table, f"{name} ", rounded_floor=0.80)
    for model, g in table.groupby("family", sort=False):
        tag = f"{name} {model} (n={len(g)})"
        for what in ("half_life", "plateau"):
            err = float(g[f"err_{what}"].median())
            base = float(g[f"base_err_{what}"].median())
            rows.append(Row(f"median rel. error {what}, {tag}", err, base, _BASE, "ratio"))
        hit = float((g["picked"] == model).mean())
        rows.append(Row(f"auto picks {model}, {name}", hit, None, "", "share"))
        flagged = float(1 - g["identified"].mean())
        rows.append(Row(f"flagged not identified, {tag}", flagged, None, "", "share"))
    return rows


def run(quick: bool = False) -> list[Row]:
    # 200 per family and rounding, as the coarse rows, so that coverage is not a coin flip
    # (issue 11): at 100 a row's standard error is ~0.022, half the way from 0.95 to 0.90
    n = 10 if quick else 200
    table = accuracy(n)
    rows = coverage_rows(table, "", rounded_floor=None)
    base_name = _BASE
    for model, g in table.groupby("family", sort=False):
        for name, goal in (("plateau", 0.05), ("half_life", 0.15)):
            err = float(g[f"err_{name}"].median())
            rows.append(
                Row(
                    f"median rel. error {name}, {model}",
                    err,
                    float(g[f"base_err_{name}"].median()),
                    base_name,
                    "ratio",
                    f"< {goal}",
                    err < goal,
                )
            )
        hit = float((g["picked"] == model).mean())
        rows.append(Row(f"auto picks {model}", hit, None, "", "share", ">= 0.8", hit >= 0.8))
    hit = float((table["picked"] == table["family"]).mean())
    rows.append(Row("auto picks the family, overall", hit, None, "", "share", ">= 0.9", hit >= 0.9))
    flagged = float(1 - table["identified"].mean())
    rows.append(
        Row("14-day declines flagged not levelled off", flagged, None, "", "share", "<= 0.05",
            flagged <= 0.05)
    )  # fmt: skip
    for step, name in ((6.0, "6-hourly"), (24.0, "daily")):
        rows += coarse_rows(accuracy(10 if quick else 200, step), name)
    short = open_declines(10 if quick else 50)
    linear = short[short["family"] != "stretched_exponential"]
    share = float(linear["flagged"].mean())
    rows.append(
        Row(f"3-day linear-ish declines flagged (n={len(linear)})", share, None, "", "share",
            ">= 0.9", share >= 0.9)
    )  # fmt: skip
    held = float(linear.loc[~linear["none"], "held"].mean())
    rows.append(
        Row("3-day linear-ish declines: truth within bounds", held, None, "", "share",
            ">= 0.9", held >= 0.9)
    )  # fmt: skip
    bent = short[(short["family"] == "stretched_exponential") & ~short["none"]]
    held = float(bent["held"].mean())
    rows.append(
        Row(f"3-day stretched exp.: truth within intervals (n={len(bent)})", held, None, "",
            "share", ">= 0.9", held >= 0.9)
    )  # fmt: skip

    n_videos = 60 if quick else 1000
    counts, _ = _speed_table(n_videos)
    out = fit_decay_many(counts, progress=False)  # also the warm-up (imports)
    # best of two runs each: the machine is shared, and the baseline is measured alike
    ours = best_of(lambda: fit_decay_many(counts, progress=False), repeat=2, warmup=0)
    base = best_of(lambda: _baseline_many(counts), repeat=2, warmup=0)
    rows.append(
        Row(
            f"fit_decay_many, {n_videos} videos (auto, inference)",
            ours,
            base,
            "curve_fit exponential",
            "s",
            "ratio <= 10",
            ours <= 10 * base,
        )
    )
    failed = float(out["model"].isna().mean())
    rows.append(
        Row("fit_decay_many: videos failed", failed, None, "", "share", "0", failed == 0,
            judged_quick=True)
    )  # fmt: skip
    return rows
