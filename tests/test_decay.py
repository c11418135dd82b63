"""Decay models: recovery, interval coverage, model choice and robustness against the truth.

The statistical checks use a modest replication (40 declines per family, half of them
app-rounded) with bounds that a method meeting the benchmark's goals passes with high
probability at that size; ``benchmarks/bench_decay.py`` measures the goals on 200 per family.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import likekit as lk
from likekit.decay import MODELS, fit_decay, fit_decay_many
from likekit.decay.families import FAMILIES as FAMILIES_BY_NAME
from likekit.decay.families import Family
from likekit.decay.results import tail_area_interval
from likekit.simulation import draw_decline, half_life_from, simulate_decline

FAMILIES = ("exponential", "power_law", "stretched_exponential")
_DERIVED = ("half_life", "plateau", "loss_share")
N_PER_FAMILY = 40


def _true(fit, truth, name):
    """The true value of a derived quantity, the half-life counted as the fit counts it."""
    return half_life_from(truth, fit.reference) if name == "half_life" else truth[name]


def _covers(fit, truth, name):
    low, high = fit.derived.loc[name, ["low", "high"]]
    return bool(low <= _true(fit, truth, name) <= high)


def _error(fit, truth, name):
    return abs(getattr(fit, name) / _true(fit, truth, name) - 1)


@pytest.fixture(scope="module")
def replications():
    """40 random declines per family (20 exact, 20 app-rounded), fitted with model="auto"."""
    rows = []
    for f_i, family in enumerate(FAMILIES):
        for i in range(N_PER_FAMILY):
            display = i % 2 == 1
            counts, truth = draw_decline(family, seed=1000 * f_i + i, display=display)
            fit = fit_decay(counts)
            rows.append(
                {
                    "family": family,
                    "display": display,
                    "picked": fit.model,
                    "identified": fit.identified,
                    "cover_half_life": _covers(fit, truth, "half_life"),
                    "cover_plateau": _covers(fit, truth, "plateau"),
                    "cover_loss_share": _covers(fit, truth, "loss_share"),
                    "err_half_life": _error(fit, truth, "half_life"),
                    "err_plateau": _error(fit, truth, "plateau"),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def coarse():
    """Declines seen every 6 hours and daily, the peak anywhere between two snapshots."""
    rows = []
    for step in (6.0, 24.0):
        for f_i, family in enumerate(("exponential", "power_law")):
            for i in range(15):
                rng = np.random.default_rng([77, int(step), f_i, i])
                counts, truth = draw_decline(
                    family, seed=rng, step=step, hours_before_peak=48 + rng.uniform(0, step)
                )
                fit = fit_decay(counts)
                rows.append(
                    {
                        "step": step,
                        "family": family,
                        "lag": (fit.start - truth["peak_time"]) / pd.Timedelta(hours=1),
                        "cover_half_life": _covers(fit, truth, "half_life"),
                        "cover_plateau": _covers(fit, truth, "plateau"),
                        "err_half_life": _error(fit, truth, "half_life"),
                    }
                )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# the generator


def test_simulate_decline_is_reproducible_and_follows_the_contract():
    a, truth_a = simulate_decline("power_law", seed=5, display=True, missing=0.1)
    b, truth_b = simulate_decline("power_law", seed=5, display=True, missing=0.1)
    pd.testing.assert_frame_equal(a, b)
    assert truth_a == truth_b
    assert str(a["timestamp"].dtype) == "datetime64[us, UTC]"
    assert a["likes"].dtype == "Int64" and a["resolution"].dtype == np.int64
    assert a["likes"].isna().any()  # missing snapshots
    shown = a.dropna(subset=["likes"])
    assert all(
        lk.parse_count(s) == (n, r)
        for s, n, r in zip(shown["display"], shown["likes"], shown["resolution"], strict=True)
    )
    c, _ = simulate_decline("power_law", seed=6, display=True)
    assert not c["likes"].equals(a["likes"])


def test_simulated_decline_follows_its_mean_path():
    # the level late in the decline sits near the true plateau: the generator means what
    # its truth says (Poisson noise of the un-likes and trickle on top)
    counts, truth = simulate_decline(
        "exponential", peak=50_000, loss_share=0.4, half_life=24, hours_after_peak=400, seed=1
    )
    late = counts["likes"].iloc[-24:].astype(float).mean()
    sd = np.sqrt(2 * 5 * 400 + truth["amplitude"])  # trickle both ways + un-likes
    assert abs(late - truth["plateau"]) < 4 * sd
    assert truth["loss_share"] == pytest.approx(truth["amplitude"] / truth["peak"])


def test_dispersion_clusters_the_increments():
    # far after the peak only the trickle moves the count: variance = 2 * trickle * dispersion
    kw = {"peak": 1e5, "trickle": 50.0, "half_life": 12, "hours_after_peak": 2000}
    for dispersion in (1.0, 4.0):
        counts, _ = simulate_decline("exponential", dispersion=dispersion, seed=3, **kw)
        late = counts["likes"].astype(float).diff().iloc[-1500:]
        ratio = late.var() / (2 * 50.0 * dispersion)
        assert 0.85 < ratio < 1.15, (dispersion, ratio)  # 1,500 increments: sd ~0.04-0.06
    with pytest.raises(ValueError, match="dispersion"):
        simulate_decline("exponential", dispersion=0.5)


# ---------------------------------------------------------------------------------------
# statistical accuracy


def test_intervals_cover_the_truth_for_each_family(replications):
    # a 95% interval covers >= 30 of 40 with probability > 0.99 when its coverage is >= 0.9
    by_family = replications.groupby("family")[["cover_half_life", "cover_plateau"]].mean()
    assert (by_family >= 0.75).all().all(), by_family
    # and it is not made wide enough to cover everything
    pooled = replications[["cover_half_life", "cover_plateau"]].to_numpy().mean()
    assert pooled < 0.99, pooled


def test_intervals_hold_for_rounded_counts(replications):
    rounded = replications[replications["display"]]
    cover = rounded[["cover_half_life", "cover_plateau", "cover_loss_share"]].mean()
    # 60 rounded fits: >= 0.8 fails with probability < 0.001 at a true coverage of 0.93
    assert (cover >= 0.8).all(), cover


def test_intervals_cover_on_coarse_snapshots(coarse):
    # the peak between two snapshots is in the intervals: taken as known, the power law's
    # half-life seen daily covered about a third of the time. 30 fits per step: >= 0.75
    # fails with probability < 0.001 at a true coverage of 0.93
    cover = coarse.groupby("step")[["cover_half_life", "cover_plateau"]].mean()
    assert (cover >= 0.75).all().all(), cover
    assert (coarse.groupby("step")["err_half_life"].median() < 0.2).all()
    # the start found is within a snapshot of the true peak
    assert (coarse["lag"].abs() <= coarse["step"]).mean() >= 0.9


def test_a_plateau_within_one_display_step_keeps_the_step_in_its_interval():
    # a fast daily decline that levels off inside one display step: every level after the
    # drop shows the same value, the fitted path goes through them all, and the plateau
    # interval must still say the count is only known to within the step (it was a few
    # likes wide, covering none of these)
    covered = []
    for seed in range(10):
        counts, truth = simulate_decline(
            "exponential", peak=44_000, loss_share=0.1, half_life=3, trickle=0.01, step=24,
            display=True, seed=seed,
        )  # fmt: skip
        assert counts["likes"].iloc[4:].nunique() == 1  # the case: one value shown
        fit = fit_decay(counts)
        step = counts["resolution"].iloc[-1]
        low, high = fit.derived.loc["plateau", ["low", "high"]]
        assert high - low >= 2 * 1.96 * np.sqrt((step**2 - 1) / 12) * 0.999
        covered.append(_covers(fit, truth, "plateau"))
    # the true plateau sits inside the shown step, which the interval now spans
    assert np.mean(covered) >= 0.9, covered


def test_estimates_are_accurate(replications):
    errors = replications.groupby("family")[["err_half_life", "err_plateau"]].median()
    assert (errors["err_plateau"] < 0.05).all(), errors
    assert (errors["err_half_life"] < 0.15).all(), errors


def test_auto_picks_the_generating_family(replications):
    hit = replications["picked"] == replications["family"]
    assert hit.mean() >= 0.8, hit.mean()
    assert (hit.groupby(replications["family"]).mean() >= 0.65).all()


def test_naive_level_fit_would_not_cover():
    # why the increments: least squares on the level with plain errors is overconfident
    from scipy.optimize import curve_fit

    covered = []
    for seed in range(20):
        counts, truth = draw_decline("exponential", seed=seed)
        y = counts["likes"].to_numpy(float)
        s = ((counts["timestamp"] - truth["peak_time"]) / pd.Timedelta(hours=1)).to_numpy()
        y, s = y[s >= 0], s[s >= 0]
        p, cov = curve_fit(
            lambda t, p, a, tau: p + a * np.exp(-t / tau), s, y, p0=[y[-1], y[0] - y[-1], 50]
        )
        covered.append(abs(p[0] - truth["plateau"]) <= 1.96 * np.sqrt(cov[0, 0]))
    ours = [
        _covers(fit_decay(draw_decline("exponential", seed=seed)[0]), truth, "plateau")
        for seed, truth in ((s, draw_decline("exponential", seed=s)[1]) for s in range(20))
    ]
    assert np.mean(covered) < 0.8 <= np.mean(ours)


# ---------------------------------------------------------------------------------------
# robustness


def test_no_decline_gives_model_none():
    # a flat count wanders: its highest point may be anywhere, and is no start of a decline
    for seed in range(4):
        counts, _ = simulate_decline("none", seed=seed)
        fit = fit_decay(counts)
        assert fit.model == "none"
        assert "no decline" in fit.message or "too little data" in fit.message
        assert fit.half_life == np.inf and fit.loss_share == 0.0


def test_too_little_data_after_the_peak_says_so():
    counts, _ = simulate_decline("exponential", hours_after_peak=4, seed=2)
    fit = fit_decay(counts)
    assert fit.model == "none"
    assert "too little data" in fit.message


def test_rising_series_is_not_a_decline():
    counts, _ = simulate_decline("exponential", hours_after_peak=0, hours_before_peak=100, seed=2)
    fit = fit_decay(counts)
    assert fit.model == "none" and fit.message


def test_purge_inside_the_decline_is_excluded():
    counts, truth = simulate_decline("exponential", peak=20_000, half_life=48, seed=11)
    purge_time = truth["peak_time"] + pd.Timedelta(hours=100)
    purged = counts.copy()
    after = purged["timestamp"] >= purge_time
    purged.loc[after, "likes"] = purged.loc[after, "likes"] - 1500  # 1,500 bot likes vanish
    events = pd.DataFrame({"video_id": ["v00"], "start": [purge_time], "end": [purge_time]})
    thrown = fit_decay(purged)
    fit = fit_decay(purged, exclude=events)
    assert _covers(fit, truth, "half_life")
    # the plateau is the trend's: the purge's likes are counted apart (diagnose reports them)
    assert _covers(fit, truth, "plateau")
    assert _error(thrown, truth, "half_life") > _error(fit, truth, "half_life")


def test_glitch_window_is_excluded():
    counts, truth = simulate_decline("stretched_exponential", peak=30_000, seed=4)
    start = truth["peak_time"] + pd.Timedelta(hours=30)
    end = start + pd.Timedelta(hours=6)
    glitched = counts.copy()
    inside = (glitched["timestamp"] >= start) & (glitched["timestamp"] <= end)
    glitched.loc[inside, "likes"] = 0  # server served zeros, then recovered
    clean = fit_decay(counts)
    fit = fit_decay(glitched, exclude=pd.DataFrame({"start": [start], "end": [end]}))
    assert fit.model == clean.model
    assert fit.half_life == pytest.approx(clean.half_life, rel=0.05)
    assert _covers(fit, truth, "plateau")


def test_missing_and_irregular_snapshots():
    hits = []
    for seed in range(6):
        counts, truth = draw_decline("power_law", seed=seed, missing=0.2, jitter=0.8)
        fit = fit_decay(counts)
        hits.append(_covers(fit, truth, "plateau") and fit.converged)
    assert sum(hits) >= 5


def test_start_can_be_given():
    counts, truth = simulate_decline("exponential", seed=8)
    later = truth["peak_time"] + pd.Timedelta(hours=24)
    fit = fit_decay(counts, start=later, model="exponential")
    assert fit.start == later
    # the exponential forgets: the half-life seen from a later start is the same
    assert fit.derived.loc["half_life", "low"] <= truth["half_life"]
    assert truth["half_life"] <= fit.derived.loc["half_life", "high"]


def test_series_input_and_no_modification():
    counts, _ = simulate_decline("exponential", seed=9)
    before = counts.copy()
    fit = fit_decay(counts)
    pd.testing.assert_frame_equal(counts, before)
    series = counts.set_index("timestamp")["likes"]
    assert fit_decay(series).params.equals(fit.params)  # exact counts: same data


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda c: c.drop(columns="likes"), "no column 'likes'"),
        (lambda c: pd.concat([c, c.assign(video_id="v01")]), "one video"),
        (lambda c: c.assign(likes=c["likes"].astype(str).str.replace("1", "x")), "row 3"),
        (lambda c: pd.concat([c, c.iloc[:1].assign(likes=1)]), "counts differ"),
        (lambda c: c.assign(likes=-c["likes"]), "negative"),
    ],
)
def test_bad_input_is_a_clear_error(make, match):
    counts, _ = simulate_decline("exponential", seed=1, hours_after_peak=48)
    with pytest.raises(lk.LikekitInputError, match=match):
        fit_decay(make(counts))


def test_the_loader_checks_the_input():
    # one validator: the same bad cell is named by the same row and words as by load_counts
    counts, _ = simulate_decline("exponential", seed=1, hours_after_peak=48)
    bad = counts.assign(likes=counts["likes"].astype(str))
    bad.loc[7, "likes"] = "12,3"
    with pytest.raises(lk.LikekitInputError) as loaded:
        lk.load_counts(bad)
    with pytest.raises(lk.LikekitInputError) as fitted:
        fit_decay(bad)
    assert str(fitted.value) == str(loaded.value) and "row 8" in str(loaded.value)
    # and what the loader accepts, the fit reads alike: display strings, exact repeats
    shown = counts.assign(likes=counts["likes"].map(lk.format_count))
    same = fit_decay(pd.concat([shown, shown.iloc[:3]]))
    pd.testing.assert_frame_equal(same.derived, fit_decay(lk.load_counts(shown)).derived)


def test_bad_options():
    counts, _ = simulate_decline("exponential", seed=1, hours_after_peak=48)
    bad = {"model": "logistic", "criterion": "hqic", "alpha": 1.5, "cov_type": "HAC"}
    for name, value in bad.items():
        with pytest.raises(lk.LikekitInputError, match=f"{name} must be .*{value}"):
            fit_decay(counts, **{name: value})
        with pytest.raises(lk.LikekitInputError, match=name):
            fit_decay_many(counts, progress=False, **{name: value})


def test_families_are_named_and_light():
    # a misspelt family is an error that lists the valid ones, never another family
    with pytest.raises(lk.LikekitInputError, match="exponential, power_law, stretched_exp"):
        Family.named("stretched")
    assert all(Family.named(name) is family for name, family in FAMILIES_BY_NAME.items())
    # the decline generator uses the families without the fitting machinery
    code = (
        "import sys, likekit.simulation, likekit.decay.families; "
        "print(sorted(m for m in ('statsmodels', 'matplotlib', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", FAMILIES)
def test_half_life_counted_from_a_later_point(name):
    # from ``since`` hours after the start, the excess halves in half_life(..., since) hours;
    # the gradient of its log is the delta method's (checked by finite differences)
    family = FAMILIES_BY_NAME[name]
    shape = {"power_law": 1.7, "stretched_exponential": 0.5}.get(name)
    for since in (0.0, 2.5, 30.0):
        half = family.half_life(20.0, shape, since)
        g = family.g(np.array([since, since + half]), 20.0, shape)
        assert g[1] == pytest.approx(g[0] / 2, rel=1e-9)
        eps = 1e-6
        numeric = [np.log(family.half_life(20.0 * np.exp(eps), shape, since) / half) / eps]
        if shape is not None:
            numeric.append(np.log(family.half_life(20.0, shape * np.exp(eps), since) / half) / eps)
        grad = family.log_half_life_grad(20.0, shape, since)
        np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)
    # the exponential forgets; the other two slow down
    later = family.half_life(20.0, shape, 30.0) / family.half_life(20.0, shape)
    assert later == pytest.approx(1.0) if name == "exponential" else later > 1.2


@pytest.mark.parametrize("name", FAMILIES)
def test_tau_for_a_half_life_counted_from_a_later_point(name):
    # the profile likelihood fixes the half-life from the reference: tau follows from it
    family = FAMILIES_BY_NAME[name]
    shape = {"power_law": 1.7, "stretched_exponential": 0.5}.get(name)
    for since in (0.0, 2.5, 30.0):
        for half in (3.0, 40.0, 900.0):
            log_tau = family.log_tau_for(half, shape, since)
            if name == "power_law" and half <= since * np.expm1(np.log(2) / shape):
                # seen from since, a power law halves no sooner than with tau -> 0
                assert np.isnan(log_tau)
                continue
            assert family.half_life(np.exp(log_tau), shape, since) == pytest.approx(half, rel=1e-9)


def test_true_half_life_follows_the_simulated_path():
    # a huge, trickle-free decline follows its expected path to ~1e-4: the excess over the
    # plateau seen in the counts halves in the hours half_life_from says, also from a
    # point before the peak (the excess grows, then shrinks)
    kw = {"peak": 1e9, "trickle": 0.0, "step": 0.25, "hours_after_peak": 400, "seed": 4}
    counts, truth = simulate_decline("stretched_exponential", half_life=30, **kw)
    level = pd.Series(counts["likes"].to_numpy(float), index=counts["timestamp"])
    plateau = truth["expected_peak"] - truth["amplitude"]
    for hours in (-2.0, 0.0, 6.0):
        when = truth["peak_time"] + pd.Timedelta(hours=hours)
        half = half_life_from(truth, when)
        later = when + pd.Timedelta(hours=round(half * 4) / 4)  # on the snapshot grid
        ratio = (level[later] - plateau) / (level[when] - plateau)
        assert ratio == pytest.approx(0.5, abs=2e-3), hours
    assert half_life_from(truth, truth["peak_time"]) == pytest.approx(30.0)


def test_reference_is_the_snapshot_after_the_highest():
    counts, truth = draw_decline("power_law", seed=3, step=24.0)
    fit = fit_decay(counts)
    top = int(np.argmax(counts["likes"].to_numpy(float)))
    assert fit.reference == counts["timestamp"].iloc[top + 1]
    # a power law counted from a day after its peak: longer than from the peak itself
    assert half_life_from(truth, fit.reference) > truth["half_life"]


# ---------------------------------------------------------------------------------------
# the results object


@pytest.fixture(scope="module")
def a_fit():
    counts, truth = simulate_decline("power_law", peak=40_000, display=True, seed=21)
    return fit_decay(counts), truth


def test_results_object(a_fit):
    fit, truth = a_fit
    assert fit.model in MODELS
    assert list(fit.params.index) == ["plateau", "amplitude", "tau", "alpha"]
    assert (fit.bse > 0).all()
    ci = fit.conf_int(0.1)
    assert (ci["low"] < fit.params).all() and (fit.params < ci["high"]).all()
    wide = fit.conf_int(0.01)
    assert (wide["low"] < ci["low"]).all()
    assert list(fit.derived.index) == ["half_life", "plateau", "loss_share"]
    assert list(fit.derived.columns) == ["estimate", "low", "high"]
    d = fit.derived
    assert (d["low"] <= d["estimate"]).all() and (d["estimate"] <= d["high"]).all()
    assert fit.loss_share == pytest.approx(
        1 - fit.plateau / (fit.plateau + fit.params["amplitude"])
    )
    assert set(fit.comparison.index) == set(MODELS)
    assert fit.comparison["selected"].sum() == 1
    assert fit.bic == fit.comparison.loc[fit.model, "bic"]
    assert fit.aic < fit.bic  # log(n) > 2
    assert fit.converged and fit.message == ""


def test_predict_and_display(a_fit):
    fit, truth = a_fit
    times = pd.date_range(fit.start - pd.Timedelta(hours=5), periods=50, freq="6h")
    pred = fit.predict(times)
    assert pred.loc[pred.index < fit.start, "mean"].isna().all()
    after = pred.dropna()
    assert (after["low"] < after["mean"]).all() and (after["mean"] < after["high"]).all()
    assert after["mean"].is_monotonic_decreasing
    at_start = fit.predict([fit.start])["mean"].iloc[0]
    assert at_start == pytest.approx(fit.plateau + fit.params["amplitude"])
    assert list(fit.predict(times, interval=False).columns) == ["mean"]
    table = fit.summary()
    assert ("derived", "half_life") in table.index and ("parameter", "alpha") in table.index
    assert list(table.columns) == ["estimate", "std_err", "low", "high"]
    assert table.loc["derived"].equals(fit.derived.assign(std_err=np.nan)[table.columns])
    text = str(fit)
    assert fit.model in text and "half_life" in text
    assert "<table" in fit._repr_html_()
    ax = fit.plot()
    assert ax.get_lines() and ax.get_title().startswith("v00")
    matplotlib.pyplot.close("all")


def test_covariance_choices():
    counts, _ = draw_decline("stretched_exponential", seed=4)
    covs = ("nonrobust", "HC0", "HC2", "HC3")
    fits = {cov: fit_decay(counts, cov_type=cov) for cov in covs}
    for cov, fit in fits.items():
        assert fit.result.cov_type == cov and (fit.bse > 0).all()
    # the leverage corrections only ever inflate the sandwich's scores
    assert (fits["HC3"].bse >= fits["HC2"].bse).all()
    assert (fits["HC2"].bse >= fits["HC0"].bse).all()
    assert fit_decay(counts).result.cov_type == "HC2"
    with pytest.raises(ValueError, match="cov_type"):
        fit_decay(counts, cov_type="HAC")


def test_a_row_fitted_exactly_keeps_its_model_variance_in_the_sandwich():
    # the plateau is in the anchor row only (leverage 1): its residual is nil whatever the
    # noise between the peak and the first snapshot, so a sandwich of residuals alone would
    # leave that noise out. With every other residual at its model variance (1 whitened),
    # each sandwich is the model-based covariance
    from likekit.decay.likelihood import sandwich

    rng = np.random.default_rng(0)
    wjac = np.column_stack([np.r_[2.0, np.zeros(11)], rng.normal(size=12), rng.normal(size=12)])
    wresid = np.r_[0.0, np.where(rng.random(11) < 0.5, -1.0, 1.0)]
    info = wjac.T @ wjac
    leverage = np.einsum("ij,jk,ik->i", wjac, np.linalg.inv(info), wjac)
    assert leverage[0] == pytest.approx(1.0)
    np.testing.assert_allclose(sandwich(wjac, wresid, 0.0), np.linalg.inv(info), rtol=1e-9)
    # HC2 scales the other rows up by 1 / (1 - h): the plateau's variance only grows
    assert sandwich(wjac, wresid, 0.5)[0, 0] >= np.linalg.inv(info)[0, 0]


def test_rounding_correlation_is_the_sawtooth_given_the_noise_between_two_counts():
    # two whole counts D apart: their rounding errors (to the middle of a display step of r
    # likes, uniform phase) differ by D or D - r; checked by drawing the counts themselves
    from likekit.decay.likelihood import rounding_correlation

    rng = np.random.default_rng(3)
    r = 100
    for dmu, sd in [(0, 0.7), (0, 3), (4, 2), (60, 10), (130, 20), (0, 24), (0, 26), (37, 80)]:
        base = rng.integers(0, 10**6, 200_000)
        other = base + np.round(rng.normal(dmu, sd, base.size)).astype(np.int64)
        err = [n - (n // r * r + (r - 1) / 2) for n in (base, other)]
        expected = np.corrcoef(err[0], err[1])[0, 1]
        # the drawn D is whole: its variance is the normal's plus the rounding's 1/12
        got = rounding_correlation(np.array([dmu]), np.array([sd**2 + 1 / 12]), r)[0]
        # the correlation of 200,000 pairs is known to about 1 / sqrt(200,000)
        assert got == pytest.approx(expected, abs=4 / np.sqrt(base.size)), (dmu, sd)


def test_rounding_leaves_the_random_walk_of_the_count_where_it_is():
    # hourly counts with the app's steps of 100 likes: the rounding error of a level is
    # a sawtooth of the count, and nearby levels' errors differ by about 100 |D| in
    # square (D the likes between them), not D^2. Counted as alike, the rounding of short
    # lags went into the random walk (1.6x the truth in the median); the moments of the
    # rounded series must find the walk and the un-likes' dispersion of the exact one
    from likekit.decay.likelihood import Design, variance_moments

    family = FAMILIES_BY_NAME["exponential"]
    found = {False: [], True: []}
    for seed in range(40):
        for display in (False, True):
            counts, truth = simulate_decline(
                "exponential", peak=50_000, trickle=30, half_life=30, display=display,
                hours_before_peak=48, seed=seed,
            )  # fmt: skip
            after = counts.iloc[48:]  # the peak falls on a snapshot: the decline from it
            r = after["resolution"].to_numpy(float)
            y = after["likes"].to_numpy(float) + (r - 1) / 2
            t = np.arange(len(y), dtype=float)
            design = Design(t, y, r, np.ones(len(y), bool))
            x = np.array([truth["plateau"], truth["amplitude"], np.log(truth["tau"])])
            moved = design.moved(family, x)
            found[display].append(
                variance_moments(design, design.endog - design.mean(family, x), moved)
            )
    exact, rounded = np.array(found[False]), np.array(found[True])
    # the walk: new likes and un-likes of the trickle, 2 x 30 an hour; the exact series'
    # moments find it within a few percent
    assert np.median(exact[:, 0]) == pytest.approx(60, rel=0.1)
    # the rounded series' single estimates spread ~60% either way (the display hides most
    # of an hour's noise); their median over 40 is known to ~12%: 2.5 standard errors
    assert np.median(rounded[:, 0]) / np.median(exact[:, 0]) == pytest.approx(1, abs=0.3)
    # the un-likes of the decline are Poisson: dispersion 1 on either series
    assert np.median(rounded[:, 1]) == pytest.approx(1, abs=0.2)
    assert np.median(exact[:, 1]) == pytest.approx(1, abs=0.2)


def test_derived_intervals_carry_the_model_choice():
    # with rivals close by BIC, the derived plateau interval is at least the parameter's
    counts, _ = simulate_decline("power_law", peak=8000, display=True, seed=3, missing=0.1)
    fit = fit_decay(counts)
    weights = np.exp(-0.5 * fit.comparison["delta"].drop("none"))
    assert weights.sum() > 1.05  # a real choice among families
    ci = fit.conf_int().loc["plateau"]
    d = fit.derived.loc["plateau"]
    assert d["low"] <= ci["low"] and d["high"] >= ci["high"]


def test_model_choice_widens_and_never_narrows():
    # MATA: a rival that disagrees widens the interval toward itself; a more precise rival
    # that agrees leaves it as it is
    chosen = (0.0, 1.0, "raw")
    alone = tail_area_interval(chosen, [(1.0, chosen)], 0.05, 30)
    assert alone == pytest.approx(stats.t.interval(0.95, 30))
    low, high = tail_area_interval(chosen, [(0.5, chosen), (0.5, (3.0, 0.5, "raw"))], 0.05, 30)
    assert low == pytest.approx(alone[0]) and high > alone[1]
    agree = tail_area_interval(chosen, [(0.5, chosen), (0.5, (0.0, 0.1, "raw"))], 0.05, 30)
    assert agree == pytest.approx(alone)
    # another scale (a loss share on its edge) or no finite error: left out
    odd = [(0.5, chosen), (0.3, (9.0, 1.0, "logit")), (0.2, (9.0, np.nan, "raw"))]
    assert tail_area_interval(chosen, odd, 0.05, 30) == pytest.approx(alone)


def test_tail_area_bounds_leave_alpha_over_two_of_the_mixture_outside():
    # the bounds are where the weighted mixture of the components' t distributions leaves
    # alpha / 2 on each side (Turek & Fletcher 2012), checked by sampling the mixture
    parts = [(0.6, (1.0, 0.3, "log")), (0.3, (2.0, 0.5, "log")), (0.1, (0.5, 0.2, "log"))]
    low, high = tail_area_interval((1.0, 0.0, "log"), parts, 0.1, 12)  # no own interval
    rng = np.random.default_rng(0)
    pick = rng.choice(3, size=400_000, p=[w for w, _ in parts])
    centre = np.array([t for _, (t, _, _) in parts])[pick]
    scale = np.array([se for _, (_, se, _) in parts])[pick]
    draws = centre + scale * rng.standard_t(12, size=len(pick))
    # Monte Carlo error of a share near 0.05 on 400,000 draws: ~0.00035
    assert np.mean(draws < low) == pytest.approx(0.05, abs=0.0015)
    assert np.mean(draws > high) == pytest.approx(0.05, abs=0.0015)


def test_a_far_rival_of_no_weight_neither_breaks_nor_moves_the_tail_area_bounds():
    # a rival with weight 1e-102 and an error of 1e96 (a candidate at a start offset the data
    # rule out, its shape on its edge) spans a search bracket of ~1e97: the bounds are still
    # found, and are those of the components that carry the weight
    chosen = (0.0, 1.0, "raw")
    alone = tail_area_interval(chosen, [(1.0, chosen)], 0.05, 30)
    far = [(1.0, chosen), (2.7e-102, (4.0, 5e96, "raw"))]
    assert tail_area_interval(chosen, far, 0.05, 30) == pytest.approx(alone)


def test_places_of_the_peak_share_the_gap_as_a_uniform_prior():
    from likekit.decay.fit import _cells

    # each place stands for the hours nearer to it than to any other, whatever its order
    widths = _cells(np.array([0.0, 0.75, 1.5, 3.0, 6.0, -3.0]), -6.0, 6.0)
    np.testing.assert_allclose(widths, [0.375 + 1.5, 0.75, 1.125, 2.25, 1.5, 4.5])
    assert widths.sum() == pytest.approx(12.0)


def test_profile_bounds_are_where_the_likelihood_falls_by_the_quantile():
    # a daily exponential whose plateau is still some way off: the profile bounds of the
    # half-life and the plateau lie where the best fit with that value fixed is q^2 / 2
    # below the top (scaled by the robust over the model-based variance), or they are the
    # Wald bounds when those are already further out
    from likekit.decay import fit as fit_module
    from likekit.decay.likelihood import covariance
    from likekit.decay.profile import _Objective
    from likekit.decay.results import link_scale

    seen = {}

    def spy(family, design, cand, x, link, quant):
        out = profile_bounds(family, design, cand, x, link, quant)
        seen.update(family=family, design=design, cand=cand, x=x, link=link, q=quant, out=out)
        return out

    profile_bounds = fit_module.profile_bounds
    fit_module.profile_bounds = spy
    try:
        counts, _ = draw_decline("exponential", seed=11, step=24.0)
        fit = fit_decay(counts)
    finally:
        fit_module.profile_bounds = profile_bounds
    assert fit.identified and seen["out"]
    objective = _Objective(seen["family"], seen["design"], seen["cand"])
    top = objective.fit(seen["x"], np.ones(len(seen["x"]), bool))[1]
    family, design, x = seen["family"], seen["design"], seen["x"]
    cov = covariance(family, design, x, seen["cand"].whiten, "nonrobust")
    model = link_scale(family, x, cov, design.reference)
    for name, (low, high) in seen["out"].items():
        est, se, _ = seen["link"][name]
        floor = top - seen["q"] ** 2 / 2 * (se / model[name][1]) ** 2
        wald = (est - seen["q"] * se, est + seen["q"] * se)
        profile = objective.profile(name, seen["x"])
        for bound, inward, w in ((low, 1, wald[0]), (high, -1, wald[1])):
            assert np.isfinite(bound)
            if bound == w:  # the Wald bound already outside the profile interval
                assert profile(bound) <= floor + 1e-6
                continue
            # placed to 1/64 of its last step (at most 1/64 of its distance from the
            # estimate): outside at the bound, inside that far in
            step = abs(bound - est) / 64 * (1 + 1e-6)
            assert profile(bound) < floor <= profile(bound + inward * step) + 1e-6, name
        d = fit.derived.loc[name]
        back = np.exp if name == "half_life" else float
        assert d["low"] <= back(low) * (1 + 1e-12) and d["high"] >= back(high) * (1 - 1e-12)


def test_a_peak_just_before_a_snapshot_is_placed_within_the_gap():
    # stretched exponentials seen every 6 hours, the peak under an hour before a snapshot:
    # they lose a tenth of their excess in that hour, and a peak placed hours off bends
    # the fitted shape (beta) and the half-life with it
    starts, covered = [], []
    for i in range(8):
        rng = np.random.default_rng([91, i])
        counts, truth = draw_decline(
            "stretched_exponential", seed=rng, step=6.0, hours_before_peak=48 + 6 - 0.6
        )
        fit = fit_decay(counts)
        starts.append(abs((fit.start - truth["peak_time"]) / pd.Timedelta(hours=1)))
        covered.append(_covers(fit, truth, "half_life") and _covers(fit, truth, "plateau"))
    # the places tried nearest the truth are 0.75, 0 and 1.5 h before the snapshot
    assert np.median(starts) <= 0.9, starts
    assert np.mean(covered) >= 0.75, covered


def test_a_profile_that_drives_the_shape_to_nothing_is_no_decline():
    # a daily stretched exponential whose half-life profile sent a power law's alpha to
    # zero on the way (exp underflowed): that value is not a decline, never an error
    counts, _ = draw_decline("stretched_exponential", seed=50_000_000 + 24_030_167, step=24.0,
                             display=True)  # fmt: skip
    fit = fit_decay(counts)
    assert fit.model != "none" and np.isfinite(fit.derived.loc["plateau", "low"])


def test_aic_criterion_and_fixed_model():
    counts, _ = draw_decline("stretched_exponential", seed=2)
    by_aic = fit_decay(counts, criterion="aic")
    assert by_aic.criterion == "aic"
    assert by_aic.comparison.loc[by_aic.model, "aic"] == by_aic.comparison["aic"].min()
    fixed = fit_decay(counts, model="exponential")
    assert fixed.model == "exponential"
    assert list(fixed.comparison.index) == ["exponential", "none"]
    assert list(by_aic.comparison.index) == list(MODELS)


def test_same_input_same_numbers():
    counts, _ = draw_decline("power_law", seed=4, display=True)
    a, b = fit_decay(counts), fit_decay(counts)
    pd.testing.assert_frame_equal(a.derived, b.derived)


def test_fits_are_bit_reproducible_whatever_was_fitted_before():
    """A video's fit is the same to the last bit whatever the process fitted before it, and
    fit_decay_many's rows do not depend on the order of the table's rows or videos (scipy's
    MINPACK gave other iterates from the same residuals now and then: issue 11)."""
    counts = lk.simulate("mixed", n_videos=8, days=10, seed=16, progress=False).counts
    first = fit_decay_many(counts, progress=False)
    order = {v: i for i, v in enumerate(counts["video_id"].unique()[::-1])}
    backwards = counts.sort_values("video_id", key=lambda v: v.map(order), kind="stable")
    again = fit_decay_many(backwards.sample(frac=1.0, random_state=2), progress=False)
    again = again.set_index("video_id").loc[first["video_id"]]
    pd.testing.assert_frame_equal(again, first.set_index("video_id"))
    one = counts.loc[counts["video_id"] == first["video_id"].iloc[1]]
    a, b = fit_decay(one), fit_decay(one)
    pd.testing.assert_series_equal(a.params, b.params)
    pd.testing.assert_series_equal(a.bse, b.bse)
    for name in ("derived", "comparison"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize("analytic", [True, False])
def test_the_optimiser_reaches_the_least_squares_optimum(analytic):
    """likekit's Levenberg-Marquardt against scipy's trust-region solver run to a tight
    tolerance, on noisy exponential declines; trial steps into a region where the residuals
    are not finite are failed steps, not errors."""
    from scipy import optimize

    from likekit.decay.optimise import least_squares

    t = np.linspace(0, 10, 40)
    refused, ours = [], 0
    for seed in range(5):
        rng = np.random.default_rng(seed)
        y = rng.uniform(1, 5) * np.exp(-rng.uniform(0.1, 1) * t) + rng.uniform(0, 2)
        y += rng.normal(0, 0.05, t.size)

        def resid(x, y=y):
            if x[1] <= 0:  # no decline: nothing to compare
                refused.append(x)
                return np.full(t.size, np.inf)
            return x[0] * np.exp(-x[1] * t) + x[2] - y

        def jac(x):
            e = np.exp(-x[1] * t)
            return np.column_stack([e, -x[0] * t * e, np.ones_like(t)])

        x0 = np.array([1.0, 3.0, 0.0])  # a first step far beyond zero decay
        best = optimize.least_squares(resid, x0, jac, method="trf", xtol=1e-14, ftol=1e-14)
        before = len(refused)
        x, converged = least_squares(resid, x0, jac if analytic else None, maxfev=200)
        ours += len(refused) - before
        assert converged
        np.testing.assert_allclose(x, best.x, rtol=1e-5)
    assert ours > 0  # some trial steps went beyond zero decay


# ---------------------------------------------------------------------------------------
# many videos


def test_fit_decay_many_one_row_per_video_and_failures_in_rows():
    tables = [
        simulate_decline("exponential", seed=1, video_id="a")[0],
        simulate_decline("none", seed=2, video_id="b")[0],
        simulate_decline("exponential", seed=3, video_id="c", hours_after_peak=3)[0],
    ]
    bad = tables[0].assign(video_id="d")
    bad = pd.concat([bad, bad.iloc[:1].assign(likes=1)])  # two counts at one time: it fails
    counts = pd.concat([*tables, bad], ignore_index=True)
    out = fit_decay_many(counts, progress=False)
    assert list(out["video_id"]) == ["a", "b", "c", "d"]
    rows = out.set_index("video_id")
    assert rows.loc["a", "model"] == "exponential" and rows.loc["a", "converged"]
    assert rows.loc["b", "model"] == "none"
    assert "too little data" in rows.loc["c", "message"]
    assert rows.loc["d", "model"] is None or pd.isna(rows.loc["d", "model"])
    assert "counts differ" in rows.loc["d", "message"]
    single = fit_decay(tables[0])
    assert rows.loc["a", "half_life"] == single.half_life
    assert rows.loc["a", "params"] == single.params.to_dict()
    for name in ("half_life", "plateau", "loss_share"):
        assert {name, f"{name}_low", f"{name}_high"} <= set(out.columns)


def test_exclude_events_are_routed_by_video():
    a, truth = simulate_decline("exponential", seed=5, video_id="a")
    b, _ = simulate_decline("exponential", seed=6, video_id="b")
    when = truth["peak_time"] + pd.Timedelta(hours=60)
    a = a.assign(likes=a["likes"].where(a["timestamp"] < when, a["likes"] - 2000))
    events = pd.DataFrame({"video_id": ["a"], "start": [when], "end": [when]})
    # diagnose's events come as they are: the trend decline itself is not excluded
    events = pd.concat(
        [
            events.assign(cause="purge"),
            pd.DataFrame(
                {"video_id": ["a", "b"], "cause": "trend_decline", "start": when, "end": when}
            ).assign(start=lambda e: e["start"] - pd.Timedelta(hours=60)),
        ]
    )
    out = fit_decay_many(pd.concat([a, b]), exclude=events, progress=False).set_index("video_id")
    assert out.loc["b", "half_life"] == fit_decay(b).half_life
    true = half_life_from(truth, fit_decay(a, exclude=events).reference)
    assert out.loc["a", "half_life_low"] <= true <= out.loc["a", "half_life_high"]


# ---------------------------------------------------------------------------------------
# on the simulator's trend declines


def test_on_simulated_trend_declines():
    sim = lk.simulate("trend_unlikes", n_videos=8, days=21, seed=3)
    out = fit_decay_many(sim.counts, progress=False).set_index("video_id")
    events = sim.events[sim.events["cause"] == "trend_decline"].set_index("video_id")
    assert len(events) >= 6
    fitted = out.loc[events.index]
    # the start found is the simulator's start of the decline
    lag = (fitted["start"] - events["start"]).abs() / pd.Timedelta(hours=1)
    assert (lag <= 3).mean() >= 0.75
    decays = fitted[fitted["model"] != "none"]
    assert len(decays) >= len(fitted) / 2
    # a fit is either identified, with estimates in the physical range, or says it is not
    assert (decays["identified"] | ~decays["converged"]).all()
    known, open_ = decays[decays["identified"]], decays[~decays["identified"]]
    assert len(known) >= 2
    assert ((known["loss_share"] > 0) & (known["loss_share"] < 1)).all()
    assert open_["plateau"].isna().all() and (open_["plateau_low"] == 0).all()
    assert open_["message"].str.contains("not levelled off").all()
    # declines large against their counting noise are found
    big = events["likes_delta"].abs() > 4 * np.sqrt(fitted["peak"])
    assert (fitted.loc[big, "model"] != "none").all()
    # the expected total loss agrees in sign and order of magnitude with the truth so far
    lost = known["peak"] - known["plateau"]
    ratio = lost / -events.loc[known.index, "likes_delta"]
    assert stats.gmean(ratio) == pytest.approx(1, rel=0.6)
    # an open decline's bounds hold what was lost so far: the plateau is at most about the
    # last level, and at least that share of the peak is lost
    truth = sim.truth.groupby("video_id")["likes"].last().loc[open_.index]
    assert (open_["plateau_high"] >= truth - 3 * np.sqrt(open_["peak"])).all()


# ---------------------------------------------------------------------------------------
# declines that have not levelled off: physical bounds and a plain message


def _assert_physical(fit):
    d = fit.derived
    assert (d.loc["plateau"].dropna() >= 0).all() and fit.params["plateau"] >= 0
    assert d.loc["loss_share"].dropna().between(0, 1).all()
    assert (d.loc["half_life"].dropna() >= 0).all()
    low = fit.conf_int()["low"]
    assert (low[low.index.isin(["plateau", "amplitude"])].dropna() >= 0).all()


def test_a_short_linear_decline_on_the_simulator_is_not_identified():
    # the case: a 3-4 day, nearly linear decline at the end of the window
    sim = lk.simulate("trend_unlikes", n_videos=2, days=14, seed=4)
    v01 = sim.counts[sim.counts["video_id"] == "v01"]
    fits = [fit_decay(v01)] + [fit_decay(v01, model=m) for m in FAMILIES]
    fits.append(fit_decay(sim.counts[sim.counts["video_id"] == "v00"], model="exponential"))
    end = sim.truth[sim.truth["video_id"] == "v01"]["likes"].iloc[-1]
    for fit in fits:
        _assert_physical(fit)
        assert not fit.identified and not fit.converged
        assert "not levelled off" in fit.message and "statsmodels" not in fit.message
        assert np.isnan([fit.half_life, fit.plateau, fit.loss_share]).all()
        assert fit.derived.loc["half_life", "high"] == np.inf
        assert fit.derived.loc["loss_share", "high"] == 1
    assert fits[0].model != "none"  # a decline: not "no decline"
    # the bounds hold the level the count has reached (the decline goes on)
    assert fits[0].derived.loc["plateau", "high"] >= end - 3 * np.sqrt(end)
    assert fits[0].derived.loc["plateau", "high"] < fits[0].peak


@pytest.mark.parametrize("display", [False, True])
def test_short_nearly_linear_declines_say_so_and_bound_the_truth(display):
    # the excess halves in 1,000 to 3,000 h; 3 days are seen: the curvature is not. A fall of
    # about 1% of the peak may also be "no decline" (against the noise of a few days)
    flagged, held = [], []
    for seed in range(10):
        counts, truth = draw_decline(
            "exponential",
            seed=seed,
            half_life=1000 + 200 * seed,
            hours_after_peak=72,
            display=display,
        )
        fit = fit_decay(counts)
        _assert_physical(fit)
        flagged.append(not fit.identified or fit.model == "none")
        if fit.model == "none":
            continue
        held.append(_covers(fit, truth, "plateau") and _covers(fit, truth, "half_life"))
    assert all(flagged)
    assert len(held) >= 5 and np.mean(held) >= 0.9


def test_an_early_bend_that_crawls_on_is_not_taken_for_a_plateau():
    # a stretched exponential with a small beta falls steeply, then crawls: three days of a
    # decline whose excess halves in 500-5,000 h can look levelled off. Where a Wald interval
    # misses it, the half-life's profile likelihood reaches beyond the data
    flagged, held, messages = [], [], []
    for i in range(20):
        rng = np.random.default_rng(60_000 + i)
        half_life = float(np.exp(rng.uniform(np.log(500), np.log(5000))))
        counts, truth = draw_decline(
            "stretched_exponential",
            seed=rng,
            half_life=half_life,
            hours_after_peak=72,
            display=i % 2 == 1,
        )
        fit = fit_decay(counts)
        _assert_physical(fit)
        flagged.append(not fit.identified or fit.model == "none")
        messages.append(fit.message)
        held.append(all(_covers(fit, truth, n) for n in _DERIVED))
    assert np.mean(flagged) >= 0.9 and np.mean(held) >= 0.9
    assert any("profile likelihood" in m for m in messages)


def test_a_close_rival_whose_curvature_is_seen_is_kept_over_a_best_that_gives_up():
    # daily stretched exponentials: the best fit by BIC may put its half-life beyond the
    # data (a power law from a peak placed late in its gap, a stretched exponential from one
    # a whole gap early) where a fit the criterion cannot tell from it (within 2: a rival
    # family, or another place of the peak) sees the halving; that one is kept, not a give-up
    rows = []
    for i in range(60):
        counts, truth = draw_decline(
            "stretched_exponential", seed=70_000 + i, step=24, display=i % 2 == 1
        )
        fit = fit_decay(counts)
        truth = {**truth, "half_life": half_life_from(truth, fit.reference)}
        delta = fit.comparison.loc[fit.model, "delta"] if fit.model != "none" else 0.0
        rows.append((delta, fit.identified, _covers(fit, truth, "half_life")))
    delta, identified, covered = map(np.array, zip(*rows, strict=True))
    kept = delta > 0  # a rival kept over the best
    assert kept.any()
    assert (delta[kept] < 2).all() and identified[kept].all() and covered[kept].all()
    # and the intervals still hold the truth overall (60 fits: >= 0.85 fails with
    # probability < 0.01 at a true coverage of 0.95)
    assert covered.mean() >= 0.85, covered.mean()


def test_identified_declines_are_not_flagged(replications):
    # on 14 days after the peak the curvature of exponential and power-law declines is plain
    plain = replications["family"] != "stretched_exponential"
    assert replications.loc[plain, "identified"].mean() >= 0.97
    # a stretched exponential with a small beta falls steeply in the hour after a peak that
    # no snapshot sees, then crawls: through the display's steps of 100 likes a half-life
    # beyond the span may fit as well (profile likelihood), and the fit says so
    assert replications.loc[~plain, "identified"].mean() >= 0.85


# ---------------------------------------------------------------------------------------
# display


def test_html_escapes_what_comes_from_the_input():
    counts, _ = simulate_decline("exponential", seed=1, video_id="<img src=x onerror=alert(1)>")
    page = fit_decay(counts)._repr_html_()
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


# ---------------------------------------------------------------------------------------
# the README's tour and its sample


def test_readme_tour_fits_a_real_decline(monkeypatch):
    # the tour as a new user runs it: its decay fit must describe the decline it shows
    root = Path(__file__).resolve().parent.parent
    text = (root / "README.md").read_text()
    tour = text.split("## A 30-second tour", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(root)
    scope: dict = {}
    exec(compile(tour, "README tour", "exec"), scope)  # our own README
    matplotlib.pyplot.close("all")
    fit, one = scope["fit"], scope["one"]
    assert fit.model != "none" and fit.identified and fit.converged, fit.message
    after = one[one["timestamp"] >= fit.start].dropna(subset=["likes"])
    level = after["likes"].to_numpy(float)
    # the fit starts at the highest count seen outside the excluded windows, not at a
    # count of a few likes, and settles within what the data show
    assert fit.peak >= np.quantile(level, 0.99) - 1
    d = fit.derived
    assert level.min() - 50 <= d.loc["plateau", "low"] <= d.loc["plateau", "high"] <= fit.peak
    assert 0 < fit.loss_share < 1 and np.isfinite(d.loc["half_life"]).all()
    hours = (after["timestamp"].iloc[-1] - fit.start) / pd.Timedelta(hours=1)
    assert d.loc["half_life", "high"] < hours  # the decline is seen to halve
    # the fitted path follows the data (away from the excluded windows' glitches)
    resid = level - fit.predict(after["timestamp"], interval=False)["mean"].to_numpy()
    assert np.median(np.abs(resid)) < 0.2 * fit.params["amplitude"]


def test_an_excluded_window_over_the_rise_leaves_a_sensible_start():
    # creator v03: a first-week app glitch covers the rise and the peak. Left out, it must
    # not leave a fit that starts at the few likes before it (a "peak" of 1 like)
    counts = lk.load_counts(lk.sample_path("creator"))
    one = counts[counts["video_id"] == "v03"]
    events = lk.diagnose(counts).events
    fit = fit_decay(one, exclude=events)
    assert fit.peak > 0.9 * one["likes"].max()
    assert fit.model == "none" or fit.derived.loc["plateau", "low"] > 0.5 * fit.peak
    assert fit.model != "none" or "no decline" in fit.message
    for model in FAMILIES:  # the candidates the decay notebook draws side by side
        one_model = fit_decay(one, exclude=events, model=model)
        mean = one_model.predict(interval=False)["mean"].dropna()
        assert mean.min() > 0.5 * fit.peak, model


def test_one_half_life_per_family_whatever_is_asked():
    # the candidate fitted alone is the candidate inside the comparison: same estimate
    for seed in (1, 2):
        counts, _ = draw_decline("power_law", seed=seed, step=6.0, display=seed == 2)
        auto = fit_decay(counts)
        alone = fit_decay(counts, model=auto.model)
        assert alone.params.equals(auto.params) and alone.half_life == auto.half_life
