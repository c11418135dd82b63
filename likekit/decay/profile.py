"""Profile-likelihood bounds of the half-life and the plateau, where a Wald interval is short.

A Wald interval is symmetric on its scale. Where the decline is still well above its plateau
at the end of the data, the likelihood is a curved ridge instead: a longer tail down to a
lower plateau fits almost as well as the best (a stretched exponential whose beta trades
against tau and the plateau), and the Wald interval misses the far side of the ridge. The
profile follows it: the values of the quantity whose best fit (every other parameter free)
is within ``q^2 / 2`` of the top of the likelihood, ``q`` the interval's quantile, the drop
rescaled to the robust covariance (``cov_type``). The
derived intervals are the hull of both (:class:`~likekit.decay.results.DecayFit`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from likekit.decay.estimation import Candidate, bounds
from likekit.decay.families import Family
from likekit.decay.likelihood import Design, covariance
from likekit.decay.optimise import least_squares
from likekit.decay.results import Link, link_scale

#: steps out from the Wald bound (doubling its half-width) before a side is called open
_DOUBLINGS = 5
#: halvings of the last step that place a bound (to 1/64 of the step)
_HALVINGS = 6
#: sets the fixed parameters of a point from its free ones (in place)
Fix = Callable[[np.ndarray], np.ndarray]


def profile_bounds(
    family: Family, design: Design, cand: Candidate, x: np.ndarray, link: Link, quant: float
) -> dict[str, tuple[float, float]]:
    """Bounds of half-life and plateau on their link scale (:func:`link_scale`).

    ``x`` is the estimate (the optimiser's scale), ``link`` its Wald estimates and errors,
    ``quant`` the interval's quantile. The likelihood is the candidate's, its covariance held
    fixed, the anchor's term in (it ties the plateau to the data); its drop is scaled by the
    robust variance over the model-based one (Chandler & Bate 2007's adjusted likelihood),
    so that where the likelihood is quadratic the profile interval is the Wald one. A side is
    looked at only beyond its Wald bound: where the profile is inside, the Wald bound holds
    (the hull keeps it). A side never closed within ``2^5`` Wald half-widths is open:
    infinite (the physical range cuts a plateau at zero).
    """
    objective = _Objective(family, design, cand)
    top = max(objective.fit(x, np.ones(len(x), bool))[1], objective.llf(x))
    model = link_scale(family, x, covariance(family, design, x, cand.whiten, "nonrobust"),
                       design.reference)  # fmt: skip
    out = {}
    for name in ("half_life", "plateau"):
        est, se, _ = link[name]
        se_model = model[name][1]
        if not (np.isfinite(se) and se > 0 and np.isfinite(se_model) and se_model > 0):
            continue
        # the likelihood's curvature is the model-based variance; rescaled to the robust
        # one (``link``'s), the profile keeps its shape and the interval its scale
        drop = quant**2 / 2 * (se / se_model) ** 2
        profile = objective.profile(name, x)
        out[name] = tuple(_side(profile, est, side * quant * se, top - drop) for side in (-1, 1))
    return out


def _side(deficit: Callable[[float], float], est: float, step: float, floor: float) -> float:
    """The bound on one side: where the profile log-likelihood falls below ``floor``."""
    inside, at = est, est + step
    for _ in range(_DOUBLINGS + 1):
        if not deficit(at) >= floor:  # below the floor, or no admissible decline there
            break
        inside, at = at, est + 2 * (at - est)
    else:
        return math.copysign(math.inf, step)
    if inside == est:  # the Wald bound is already outside: it holds
        return at
    outside = at
    for _ in range(_HALVINGS):
        mid = (inside + outside) / 2
        inside, outside = (mid, outside) if deficit(mid) >= floor else (inside, mid)
    return outside


class _Objective:
    """The candidate's log-likelihood (given the anchor) maximised with one quantity fixed."""

    def __init__(self, family: Family, design: Design, cand: Candidate):
        self.family, self.design, self.whiten = family, design, cand.whiten
        self.box = bounds(family, design)  # the candidates' own: declines, not their limits

    def _resid(self, x: np.ndarray) -> np.ndarray:
        # with the anchor: the level at the start is what ties the plateau to the data
        return self.whiten(self.design.endog - self.design.mean(self.family, x))

    def llf(self, x: np.ndarray) -> float:
        w = self._resid(x)
        return float(-0.5 * (w @ w))  # the log-determinant is held fixed

    def fit(
        self, x: np.ndarray, free: np.ndarray, fix: Fix | None = None
    ) -> tuple[np.ndarray, float]:
        """Best ``x[free]`` from ``x`` (``fix`` sets the rest from them): (x, llf)."""
        full = x.astype(float).copy()

        def at(u):
            full[free] = u
            return full if fix is None else fix(full)

        def resid(u):
            xs = at(u)
            if not np.all(np.isfinite(xs)):
                return np.full(self.design.n, 1e150)
            return self._resid(xs)

        # forward differences: on these few free parameters they cost less than the
        # analytic Jacobian's whitened matrix (measured)
        u, _ = least_squares(resid, x[free], maxfev=200)
        xs = at(u)
        admissible = np.all((xs >= self.box[0]) & (xs <= self.box[1]))
        return xs.copy(), self.llf(xs) if admissible else -math.inf

    def profile(self, name: str, x: np.ndarray) -> Callable[[float], float]:
        """The profile log-likelihood of ``name`` (on its link scale), warm-started."""
        free = np.ones(len(x), bool)
        if name == "plateau":
            free[0] = False

            def plateau_at(last: np.ndarray, v: float):
                start = last.copy()
                start[0] = v
                return (start, None) if v >= 0 else None  # likes are never negative

            return self._warm(x, free, plateau_at)
        free[2] = False  # log tau follows the half-life and the shape
        family, since = self.family, self.design.reference

        def half_life_at(last: np.ndarray, v: float):
            half = math.exp(min(v, 700.0))

            def fix(xs):
                shape = float(np.exp(xs[3])) if family.n_shape else None
                xs[2] = family.log_tau_for(half, shape, since)
                return xs

            return last, fix

        return self._warm(x, free, half_life_at)

    def _warm(self, x: np.ndarray, free: np.ndarray, place) -> Callable[[float], float]:
        """The profile over values ``v``, each fit started where the last admissible one
        ended: ``place(last, v)`` gives the start and its ``fix`` (None: no admissible
        decline has ``v``)."""
        last = x.copy()

        def value(v: float) -> float:
            nonlocal last
            placed = place(last, v)
            if placed is None:
                return -math.inf
            try:
                xs, llf = self.fit(placed[0], free, placed[1])
            except (ZeroDivisionError, OverflowError):
                # the shape driven to zero or infinity on the way (a step, or no decline):
                # no decline of the family has that value
                return -math.inf
            if np.isfinite(llf):
                last = xs
            return llf

        return value
