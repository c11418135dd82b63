"""Estimation of the candidate decay models and their comparison.

Gaussian quasi-likelihood of the anchor and increments (feasible GLS: variance moments over
several lags, then the mean by Levenberg-Marquardt); every candidate is then refitted under
the variance of the best one, so that AIC/BIC compare fits of the mean. statsmodels'
:class:`~likekit.decay.likelihood.DecayLikelihood` polishes the chosen fit and gives a
sandwich covariance, robust to a wrong variance function; rivals close by the criterion and
the other places of the peak enter the derived intervals as a model-averaged tail area
(:func:`~likekit.decay.results.tail_area_interval`, Turek & Fletcher 2012).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special

from likekit.decay.families import Family
from likekit.decay.likelihood import (
    DecayLikelihood,
    Design,
    Whitener,
    covariance,
    display_floor,
    variance_moments,
    whitener,
)
from likekit.decay.optimise import least_squares
from likekit.decay.results import Link, link_scale

Criterion = Literal["bic", "aic"]


@dataclass
class Candidate:
    """A fitted candidate: estimate on the optimiser's scale, likelihood, variance."""

    name: str
    x: np.ndarray
    llf: float
    k: int  # parameters counted by the criteria, the two of the variance included
    converged: bool
    message: str
    whiten: Whitener
    sigma2: float
    phi: float
    levelled: bool = True  # False: plateau on zero or tau on its upper bound
    cov: np.ndarray | None = None  # only the null's (closed form); families use statsmodels

    def criterion(self, n: int, kind: Criterion) -> float:
        penalty = 2.0 if kind == "aic" else math.log(n)
        return -2.0 * self.llf + penalty * self.k


def given_anchor(whiten: Whitener, resid: np.ndarray, free_anchor: bool = False) -> float:
    """Log-likelihood of the increments given the anchor (the level at the start).

    The anchor's mean ``P + A g(offset)`` is free in every model, so its own term says
    nothing of the shape; it only grows the variance of a later start. Left out, models and
    starts of the decline compare on what tells them apart.

    With a ``free_anchor`` (a peak after the highest snapshot: :class:`Design`), the
    increment from the highest snapshot to the anchor is left out of the data, its mean (the
    unknown rise, then the fall) free: its term is then at its best, a zero residual on the
    variance of the anchor since the peak. The starts compare on the same snapshots, and the
    free rise counts as one more parameter (:func:`candidate`).
    """
    terms = whiten.loglike(resid)
    best = -0.5 * math.log(2 * math.pi) - math.log(whiten.diag[0]) if free_anchor else 0.0
    return float(terms[1:].sum()) + best


# ---------------------------------------------------------------------------------------
# one candidate


def start_values(
    family: Family, design: Design, level: np.ndarray, s: np.ndarray
) -> tuple[np.ndarray, float]:
    """Grid over (tau, shape) with (P, A) by least squares on the level: start values."""
    taus = np.geomspace(max(design.span, 1.0) / 100, max(design.span, 1.0) * 5, 16)
    grid = [(tau, shape) for tau in taus for shape in family.shape_grid]
    g = np.array([family.g(s, tau, shape) for tau, shape in grid])
    gm = g.mean(axis=1, keepdims=True)
    ym = level.mean()
    sxx = ((g - gm) ** 2).sum(axis=1)
    amp = ((g - gm) * (level - ym)).sum(axis=1) / np.where(sxx > 0, sxx, np.inf)
    amp = np.maximum(amp, 0.0)
    plateau = ym - amp * gm[:, 0]
    sse = ((level - plateau[:, None] - amp[:, None] * g) ** 2).sum(axis=1)
    best = int(np.argmin(sse))
    tau, shape = grid[best]
    x = [plateau[best], amp[best], np.log(tau)]
    return np.array(x + ([np.log(shape)] if shape is not None else [])), float(sse[best])


def bounds(family: Family, design: Design) -> tuple[np.ndarray, np.ndarray]:
    """The admissible box: likes are never negative (plateau >= 0, amplitude >= 0)."""
    span = max(design.span, 1.0)
    lo = [0.0, 0.0, np.log(span / 1000)]
    hi = [np.inf, np.inf, np.log(span * 100)]
    if family.log_shape_bounds is not None:
        lo.append(family.log_shape_bounds[0])
        hi.append(family.log_shape_bounds[1])
    return np.array(lo), np.array(hi)


def solve(
    family: Family, design: Design, x: np.ndarray, whiten: Whitener
) -> tuple[np.ndarray, bool]:
    """Quasi-likelihood estimate of the mean parameters for a fixed covariance.

    Levenberg-Marquardt (:func:`~likekit.decay.optimise.least_squares`) on a scale where
    the box of log tau and log shape is built in (a logistic map onto it); the amplitude is
    clipped at zero afterwards (a negative one is no decline, and leaves the candidate at the
    edge of its range). A plateau below zero likes is not admissible: the fit is then redone
    with the plateau on its bound (the constrained optimum). Returns the estimate and
    whether it converged.
    """
    x, ok = _lm(family, design, x, whiten, np.ones(len(x), bool))
    if x[0] < 0:
        free = np.ones(len(x), bool)
        free[0] = False
        # start from the same level at the start and the same initial slope (A / tau)
        amp = x[0] + x[1]
        start = np.r_[0.0, amp, x[2] + np.log(max(amp, 1e-9) / max(x[1], 1e-9)), x[3:]]
        x, ok = _lm(family, design, start, whiten, free)
    return x, ok


def _lm(family: Family, design: Design, x: np.ndarray, whiten: Whitener, free: np.ndarray):
    lo, hi = bounds(family, design)
    lo[0] = -np.inf  # the plateau's bound is enforced by fixing it (see solve)
    box = (np.isfinite(lo) & np.isfinite(hi))[free]
    lo_f, width = lo[free], np.where(box, (hi - lo)[free], 1.0)
    y = design.endog
    full = x.astype(float)
    cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def to_x(u):
        full[free] = np.where(box, lo_f + width * special.expit(u), u)
        return full

    def mean_jac(u):
        key = u.tobytes()
        if key not in cache:  # the Jacobian is asked for where the residuals were
            cache.clear()
            cache[key] = design.mean_jac(family, to_x(u))
        return cache[key]

    def resid(u):
        return whiten(y - mean_jac(u)[0])

    def jac(u):
        e = special.expit(u)
        scale = np.where(box, width * e * (1 - e), 1.0)
        return -whiten(mean_jac(u)[1][:, free]) * scale

    share = np.clip((x[free] - lo_f) / width, 1e-6, 1 - 1e-6)
    u0 = np.where(box, special.logit(share), x[free])
    u, converged = least_squares(resid, u0, jac, maxfev=60)
    out = np.maximum(to_x(u).copy(), np.r_[-np.inf, lo[1:]])
    return out, converged


def candidate(
    family: Family,
    design: Design,
    x: np.ndarray,
    ok: bool,
    whiten: Whitener,
    sigma2: float,
    phi: float,
) -> Candidate:
    """A family's estimate with its likelihood, and whether it is inside its range."""
    lo, hi = bounds(family, design)
    llf = given_anchor(whiten, design.endog - design.mean(family, x), design.free_anchor)
    # within 1e-4 of the width of its range: the logistic scale never reaches the bound
    near = 1e-4 * np.where(np.isfinite(hi - lo), hi - lo, 1.0)
    low, high = x <= lo + near, x >= hi - near
    # a plateau on zero or a tau on its upper bound: a decline that has not levelled off
    # within the data; the rest of the edges are failures of the fit
    levelled = not (low[0] or high[2])
    low[0] = high[2] = False
    at_bound = np.flatnonzero(low | high)
    names = ["plateau", "amplitude", "tau", family.shape_name]
    converged = ok and len(at_bound) == 0
    if converged:
        message = ""
    elif len(at_bound):
        message = f"{', '.join(names[i] for i in at_bound)} at the edge of its range"
    else:
        message = "the optimiser did not converge"
    # P, A, tau, shape, sigma2, phi, and the rise before a peak after the highest snapshot
    k = 2 + 1 + family.n_shape + 2 + design.free_anchor
    return Candidate(family.name, x, llf, k, converged, message, whiten, sigma2, phi, levelled)


def _round(family: Family, design: Design, x: np.ndarray) -> Candidate:
    """Variance moments at ``x``, then the quasi-likelihood estimate under them."""
    m = design.moved(family, x)
    sigma2, phi = variance_moments(design, design.endog - design.mean(family, x), m)
    whiten = whitener(design, sigma2, phi, m)
    return candidate(family, design, *solve(family, design, x, whiten), whiten, sigma2, phi)


def fit_none(
    design: Design, whiten: Whitener | None = None, sigma2: float | None = None
) -> Candidate:
    """The null: no decline, the level stays where it was at the start."""
    y = design.endog
    if whiten is None:
        mean = np.where(design.anchor, y, 0.0)
        still = np.zeros(design.n)
        sigma2, _ = variance_moments(design, y - mean, still)
        whiten = whitener(design, sigma2, 0.0, still)
    w = whiten(design.anchor.astype(float))
    p = float(w @ whiten(y) / (w @ w))
    llf = given_anchor(whiten, y - p * design.anchor, design.free_anchor)
    cov = display_floor(design, np.array([[1.0 / float(w @ w)]]))
    return Candidate("none", np.array([p]), llf, 2, True, "", whiten, sigma2, 0.0, cov=cov)


# ---------------------------------------------------------------------------------------
# all candidates, compared


def fit_candidates(
    names: list[str], design: Design, level: np.ndarray, s: np.ndarray
) -> dict[str, Candidate]:
    """Every candidate of ``names`` and the null, fitted under one covariance.

    The null alone is fitted under its own variance; with families, under the best one's.
    """
    if names == ["none"]:
        cands = {"none": fit_none(design)}
    else:
        cands = _first_round(names, design, level, s)
    _common_variance(design, cands)
    return cands


def _first_round(
    names: list[str], design: Design, level: np.ndarray, s: np.ndarray
) -> dict[str, Candidate]:
    """A first feasible-GLS round of each family from grid start values.

    The variance moments are taken once, at the start values of the family that fits the
    level best: the first round only has to rank the families and bring each near its
    optimum (:func:`_common_variance` does the rest).
    """
    starts = {name: start_values(Family.named(name), design, level, s) for name in names}
    best = min(names, key=lambda name: starts[name][1])
    family, x = Family.named(best), starts[best][0]
    m = design.moved(family, x)
    sigma2, phi = variance_moments(design, design.endog - design.mean(family, x), m)
    whiten = whitener(design, sigma2, phi, m)
    cands = {}
    for name in names:
        family = Family.named(name)
        x, ok = solve(family, design, starts[name][0], whiten)
        cands[name] = candidate(family, design, x, ok, whiten, sigma2, phi)
    return cands


def _common_variance(design: Design, cands: dict[str, Candidate]) -> None:
    """Refit every candidate under one covariance, that of the best-fitting family.

    The variance moments of a family that misses the shape absorb the misfit, and a
    covariance that follows each candidate's own mean (through ``phi |m|`` and the rounding)
    adds terms of its own to the likelihood: neither would leave the likelihoods comparable.
    Under one covariance the criteria compare the fits of the mean only, as an F test with
    the fullest model's variance does. The covariance is that of a second feasible-GLS
    round of the best family (variance moments and mean at its first estimate).
    """
    fams = [c for c in cands.values() if c.name != "none"]
    if not fams:
        return
    best = max(fams, key=lambda c: c.llf)
    ref = cands[best.name] = _round(Family.named(best.name), design, best.x)
    for c in fams:
        if c.name != ref.name:
            family = Family.named(c.name)
            x, ok = solve(family, design, c.x, ref.whiten)
            cands[c.name] = candidate(family, design, x, ok, ref.whiten, ref.sigma2, ref.phi)
    cands["none"] = fit_none(design, ref.whiten, ref.sigma2)


@dataclass(frozen=True)
class Comparison:
    """The candidates' criteria as arrays (a frame per video costs as much as a fit)."""

    names: list[str]
    columns: dict[str, np.ndarray]
    chosen: str


def compare(
    cands: dict[str, Candidate], n: int, criterion: Criterion, auto: bool, forced: str
) -> Comparison:
    """The criteria of every candidate and the one chosen (``forced`` unless ``auto``).

    With ``auto``, a fit that failed to converge is not chosen over one that did.
    """
    names = list(cands)
    crit = {
        kind: np.array([c.criterion(n, kind) for c in cands.values()]) for kind in ("aic", "bic")
    }
    ok = np.array([c.converged for c in cands.values()])
    chosen = names[int(np.argmin(np.where(ok, crit[criterion], np.inf)))] if auto else forced
    columns = {
        "k": np.array([c.k for c in cands.values()]),
        "llf": np.array([c.llf for c in cands.values()]),
        "aic": crit["aic"],
        "bic": crit["bic"],
        "converged": ok,
        "delta": crit[criterion] - crit[criterion].min(),
        "selected": np.array([name == chosen for name in names]),
    }
    return Comparison(names, columns, chosen)


# ---------------------------------------------------------------------------------------
# inference for a chosen family


def infer(family: Family, design: Design, cand: Candidate, cov_type: str):
    """statsmodels results at ``cand`` (a Newton polish), or None if not identified."""
    names = ["plateau", "amplitude", "log_tau"] + (
        [f"log_{family.shape_name}"] if family.n_shape else []
    )
    model = DecayLikelihood(design, family, cand.whiten, names)
    try:
        # a Newton step may try absurd values (tau overflowing): caught by the box check
        with np.errstate(all="ignore"):
            return _newton(model, family, design, cand, cov_type)
    except np.linalg.LinAlgError:  # singular information: some parameter is not identified
        return None


def _newton(model, family: Family, design: Design, cand: Candidate, cov_type: str):
    res = model.fit(
        start_params=cand.x,
        method="newton",
        maxiter=20,
        tol=1e-6,  # from the least-squares optimum: one or two steps, not to 1e-8
        disp=0,
        cov_type=cov_type,
        warn_convergence=False,
    )
    if not res.mle_retvals.get("converged", True):
        # a flat direction (a start late in the gap leaves the anchor loose) can keep the
        # parameters moving while the likelihood is at its top: judge by the Newton
        # decrement. The step left, in standard errors, is sqrt(2 gain): under a tenth of one
        score, info = model.score(res.params), -model.hessian(res.params)
        with np.errstate(all="ignore"):
            gain = float(score @ np.linalg.lstsq(info, score, rcond=None)[0]) / 2
        res.mle_retvals["converged"] = bool(gain < 0.5 * 0.1**2)
    lo, hi = bounds(family, design)
    if not np.all((res.params >= lo) & (res.params <= hi)) or res.llf < cand.llf - 1e-6:
        # Newton left the admissible box (or got worse): inference at the bounded optimum
        res = model.fit(
            start_params=cand.x,
            method="newton",
            maxiter=0,
            disp=0,
            cov_type=cov_type,
            warn_convergence=False,
        )
        # zero Newton steps read as "not converged"; the estimate is the bounded optimum,
        # which converged as far as the least-squares solver says
        res.mle_retvals["converged"] = cand.converged
    return res


def likeliest_start(
    per_start: list[dict[str, Candidate]], n: int, criterion: Criterion
) -> tuple[dict[str, Candidate], dict[str, int]]:
    """Each family at its likeliest start offset, and the index of that offset.

    ``per_start`` holds the candidates fitted at each place of the peak (shares of the gap
    before the highest snapshot, and half a gap after it). The place with the
    best criterion among the fits inside their range is kept (a fit on an edge says little
    of where the decline started; a peak after the highest snapshot costs a parameter, the
    rise); the null is the first offset's.
    """
    cands, where = {}, {}
    for name in per_start[0]:
        if name == "none":
            continue
        inside = [i for i, c in enumerate(per_start) if c[name].converged and c[name].levelled]
        i = min(inside or [0], key=lambda i: per_start[i][name].criterion(n, criterion))
        cands[name], where[name] = per_start[i][name], i
    if "none" in per_start[0]:
        cands["none"], where["none"] = per_start[0]["none"], 0
    return cands, where


def rivals(
    designs: list[Design],
    per_start: list[dict[str, Candidate]],
    cands: dict[str, Candidate],
    chosen: tuple[str, Link],
    criterion: Criterion,
    cov_type: str,
) -> list[tuple[float, Link]]:
    """Weights and link-scale estimates of the families worth a look, at every start offset.

    A family's criterion weight (at its likeliest offset, ``cands``) is shared by the
    offsets of the start in proportion to their criterion weights (their likelihoods, the
    free rise of a peak after the highest snapshot penalised) times the hours each offset
    stands for (``Design.prior``): the peak lies anywhere between two snapshots (a uniform
    prior). The shares follow the prior where the family cannot tell the
    offsets apart (the exponential forgets; a shifted power law is another power law) and
    pick the offset where it can (the steep start of a stretched exponential).
    ``chosen`` is the chosen family's name and its link at its likeliest offset.
    """
    name = chosen[0]
    fams = [c for c in cands.values() if c.converged and c.name != "none"]
    fams += [cands[name]] if name not in {c.name for c in fams} else []
    crit = np.array([c.criterion(designs[0].n, criterion) for c in fams])
    weights = np.exp(-0.5 * (crit - crit.min()))
    weights = weights / weights.sum()
    out = []
    for c, w in zip(fams, weights, strict=True):
        if c.name != name and w < 0.01:  # a negligible rival does not move the interval
            continue
        family = Family.named(c.name)
        # the offsets where the family's fit is inside its range (as likeliest_start)
        here = [
            (design, fits[c.name])
            for design, fits in zip(designs, per_start, strict=True)
            if fits[c.name] is c or (fits[c.name].converged and fits[c.name].levelled)
        ]
        crit_h = np.array([h.criterion(designs[0].n, criterion) for _, h in here])
        shares = np.array([d.prior for d, _ in here]) * np.exp(-0.5 * (crit_h - crit_h.min()))
        for (design, h), share in zip(here, shares / shares.sum(), strict=True):
            if h is cands[name]:
                out.append((float(w * share), chosen[1]))
                continue
            try:  # at the least-squares optimum: a polish would move it by a hair
                cov = covariance(family, design, h.x, h.whiten, cov_type)
            except np.linalg.LinAlgError:  # singular: not identified, left out
                continue
            out.append((float(w * share), link_scale(family, h.x, cov, design.reference)))
    return out
