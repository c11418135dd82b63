"""A deterministic Levenberg-Marquardt for the decay fits' few parameters.

scipy's MINPACK (``optimize.leastsq``, C since scipy 1.15) gave different iterates from
byte-identical residuals and Jacobians between calls in one process (its result moved with
the contents of freshly allocated memory: ``MALLOC_PERTURB_`` changed it), so a fit was not
reproducible. This is MINPACK's ``lmder``/``lmdif`` algorithm (Moré 1978) in numpy: the
same trust region scaled by the Jacobian's column norms (``diag``, never shrinking), the
same updates of its radius and the same ``ftol``/``xtol``/``maxfev`` meanings. The damped
step comes from an SVD of the scaled Jacobian instead of a QR (a handful of parameters:
cheap, and LAPACK is deterministic for a given input).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.linalg import lapack

Residuals = Callable[[np.ndarray], np.ndarray]

_EPS = float(np.finfo(float).eps)
_TINY = float(np.finfo(float).tiny)
#: forward-difference step relative to the parameter (MINPACK's default ``epsfcn``)
_STEP = math.sqrt(_EPS)
#: the first trust radius, times the scaled norm of the start (MINPACK's ``factor``)
_FACTOR = 100.0
#: LAPACK's SVD without numpy's wrapper (its overhead is most of the cost on a few columns)
_SVD = lapack.dgesdd


def least_squares(
    resid: Residuals,
    x0: np.ndarray,
    jac: Residuals | None = None,
    *,
    ftol: float = 1e-6,
    xtol: float = 1e-6,
    maxfev: int = 60,
) -> tuple[np.ndarray, bool]:
    """Minimise ``||resid(x)||^2`` from ``x0``: the estimate and whether it converged.

    ``jac(x)`` is the Jacobian of the residuals; without it, forward differences (each
    column one evaluation, counted in ``maxfev`` as MINPACK's ``lmdif`` does). Converged:
    the relative reduction of the sum of squares, actual and predicted, is at most
    ``ftol`` (``leastsq``'s info 1), or the trust radius is at most ``xtol`` times the
    scaled norm of ``x`` (info 2), or the gradient is zero (info 4). A trial step whose
    residuals are not finite is a failed step (the radius shrinks), not an error.
    """
    x = np.array(x0, dtype=float)
    with np.errstate(all="ignore"):
        f = resid(x)
        nfev, fnorm = 1, _norm(f)
        diag, par = None, 0.0
        while True:
            if jac is None:
                j = _forward_differences(resid, x, f)
                nfev += len(x)
            else:
                j = jac(x)
            cnorm = np.sqrt(np.einsum("ij,ij->j", j, j))
            first = diag is None
            if first:  # each parameter's scale: its column's norm at the start
                diag = np.where(cnorm > 0, cnorm, 1.0)
                xnorm = _norm(diag * x)
                delta = _FACTOR * xnorm or _FACTOR
            else:
                diag = np.maximum(diag, cnorm)
            region = _Region(j / diag, f)
            if fnorm == 0 or region.gnorm == 0:
                return x, True
            while True:
                q, qnorm, par, fitted = region.step(delta, par)
                p = q / diag
                if first:  # the first step sets the radius
                    delta = min(delta, qnorm)
                trial = x + p
                f_new = resid(trial)
                nfev += 1
                fnorm_new = _norm(f_new)
                # the reduction of the sum of squares relative to its value, actual and
                # predicted by the damped linear model
                worse = not fnorm_new < 10 * fnorm  # or not finite
                actred = -1.0 if worse else 1 - (fnorm_new / fnorm) ** 2
                t1, t2 = fitted / fnorm**2, par * (qnorm / fnorm) ** 2
                prered, dirder = t1 + 2 * t2, -(t1 + t2)
                ratio = actred / prered if prered != 0 else 0.0
                if ratio <= 0.25:
                    shrink = 0.5 if actred >= 0 else 0.5 * dirder / (dirder + 0.5 * actred)
                    shrink = 0.1 if worse or shrink < 0.1 else shrink
                    delta, par = shrink * min(delta, 10 * qnorm), par / shrink
                elif par == 0 or ratio >= 0.75:
                    delta, par = 2 * qnorm, par / 2
                if ratio >= 1e-4:
                    x, f, fnorm, xnorm = trial, f_new, fnorm_new, _norm(diag * trial)
                if (abs(actred) <= ftol and prered <= ftol and ratio <= 2) or delta <= xtol * xnorm:
                    return x, True
                stuck = abs(actred) <= _EPS and prered <= _EPS and ratio <= 2
                if nfev >= maxfev or stuck or delta <= _EPS * xnorm:
                    return x, False
                if ratio >= 1e-4:
                    break


def _norm(v: np.ndarray) -> float:
    return math.sqrt(float(v @ v))


def _forward_differences(resid: Residuals, x: np.ndarray, f: np.ndarray) -> np.ndarray:
    j = np.empty((len(f), len(x)))
    for k in range(len(x)):
        h = _STEP * abs(x[k]) or _STEP
        moved = x.copy()
        moved[k] += h
        j[:, k] = (resid(moved) - f) / h
    return j


class _Region:
    """Steps of the damped linear model ``min ||J q + f||^2 + par ||q||^2`` on the scaled
    parameters, from the SVD of the scaled Jacobian ``J``: every damping's step in closed
    form, as accurate as MINPACK's QR where ``J`` is nearly singular (the normal equations
    would square its condition)."""

    def __init__(self, j: np.ndarray, f: np.ndarray):
        u, s, self.vt, _ = _SVD(j, full_matrices=0)
        # on a few parameters Python's floats cost less than numpy's calls
        self.s2 = (s * s).tolist()  # descending
        self.g = (s * (f @ u)).tolist()  # the gradient in the right singular basis
        self.gnorm = math.sqrt(sum(g * g for g in self.g))
        # the Gauss-Newton step on the directions the Jacobian sees (its numerical rank)
        seen = (_EPS * len(f)) ** 2 * self.s2[0]
        self.full_rank = self.s2[-1] > seen
        self.c0 = [g / s2 if s2 > seen else 0.0 for g, s2 in zip(self.g, self.s2, strict=True)]
        self.n0 = math.sqrt(sum(c * c for c in self.c0))

    def step(self, delta: float, par: float) -> tuple[np.ndarray, float, float, float]:
        """The step, its length, its damping and ``||J step||^2`` for the trust radius
        ``delta`` (MINPACK's lmpar).

        The Gauss-Newton step if it is within 1.1 ``delta``; else the step whose length is
        within 10% of ``delta``, its damping found by Moré's safeguarded Newton iteration
        from the last damping ``par``.
        """
        c, norm = self.c0, self.n0
        fp = norm - delta
        if fp <= 0.1 * delta:
            par = 0.0
        else:
            par = self._damping(delta, par, fp)
            c = [g / (s2 + par) for g, s2 in zip(self.g, self.s2, strict=True)]
            norm = math.sqrt(sum(ck * ck for ck in c))
        fitted = sum(ck * ck * s2 for ck, s2 in zip(c, self.s2, strict=True))
        return -(np.array(c) @ self.vt), norm, par, fitted

    def _damping(self, delta: float, par: float, fp: float) -> float:
        # the bounds: Newton's first step from none (full rank), and the gradient's length
        # over the radius
        low = 0.0
        if self.full_rank:
            curvature = sum(c * c / s2 for c, s2 in zip(self.c0, self.s2, strict=True))
            low = fp * self.n0**2 / delta / curvature
        high = self.gnorm / delta
        par = min(max(par, low), high) or self.gnorm / self.n0
        for turn in range(10):
            if par == 0:
                par = max(_TINY, 0.001 * high)
            c = [g / (s2 + par) for g, s2 in zip(self.g, self.s2, strict=True)]
            norm = math.sqrt(sum(ck * ck for ck in c))
            last, fp = fp, norm - delta
            if abs(fp) <= 0.1 * delta or (low == 0 and fp <= last < 0) or turn == 9:
                return par
            slope = sum(ck * ck / (s2 + par) for ck, s2 in zip(c, self.s2, strict=True)) / norm
            if fp > 0:
                low = max(low, par)
            else:
                high = min(high, par)
            par = max(low, par + fp / slope * norm / delta)  # slope: -d norm / d par
        return par
