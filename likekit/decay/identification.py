"""Whether a fitted decline has levelled off within the data, and what the data bound if not.

A decline whose curvature is not seen (a straight line fits as well, or a half-life beyond
the hours observed fits about as well) has no identified plateau: the fit reports bounds
instead of point estimates.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from likekit.decay.estimation import Candidate, Criterion, given_anchor
from likekit.decay.families import Family
from likekit.decay.likelihood import Design, natural
from likekit.decay.optimise import least_squares

Bounds = dict[str, tuple[float, float, float]]


def straight_line(
    design: Design, cand: Candidate, criterion: Criterion, z: float
) -> tuple[bool, Bounds]:
    """Whether a straight decline fits as well as ``cand``; and what the data bound then.

    A straight line is the limit of every family when the curvature is not seen (tau far
    beyond the window, the plateau sent toward minus infinity): under the candidate's
    covariance, it is the null of a test of the curvature, judged by the same criterion as
    the model choice. When the decline has not levelled off, the plateau is only known to be
    in [0, L] with L the upper ``1 - alpha`` bound of the level at the last snapshot (it is
    still falling); the loss share in [1 - L / peak, 1]; the half-life's lower bound is
    :func:`halving_bound`'s.
    """
    x = np.column_stack([design.anchor, -np.where(design.anchor, 0.0, design.dt)])
    wx, wy = cand.whiten(x), cand.whiten(design.endog)
    coef, *_ = np.linalg.lstsq(wx, wy, rcond=None)
    llf = given_anchor(cand.whiten, design.endog - x @ coef, design.free_anchor)
    penalty = 2.0 if criterion == "aic" else math.log(design.n)
    # level, slope, the two of the variance (and the rise with a free anchor)
    line = -2.0 * llf + penalty * (4 + design.free_anchor)
    straight = line <= cand.criterion(design.n, criterion)
    cov = np.linalg.pinv(wx.T @ wx)
    end = np.array([1.0, -design.span])  # level at the last snapshot: c - b * span
    level = float(coef[0])
    high = min(max(float(end @ coef) + z * math.sqrt(max(end @ cov @ end, 0.0)), 0.0), level)
    share = 1.0 - high / level if level > 0 else 0.0
    bounds = {
        "half_life": (math.nan, 0.0, math.inf),  # see halving_bound
        "plateau": (math.nan, 0.0, high),
        "loss_share": (math.nan, share, 1.0),
    }
    return straight, bounds


def halving_bound(family: Family, design: Design, cand: Candidate, bounds: Bounds) -> float:
    """Least half-life of a decline whose plateau is at most ``L`` (``bounds``' plateau).

    For any plateau ``P <= L`` the excess over it halves when the level reaches
    ``(top + P) / 2 <= (top + L) / 2``, ``top`` the fitted level at the reference snapshot
    (the half-life is counted from there): no sooner than the fitted path (which describes
    the data seen, if not where they end) reaches ``(top + L) / 2``. Hours from the
    reference; the rest of the span if the path does not get there within the data. A
    straight line's time would be too long for a convex decline (a steep start that crawls
    on).
    """
    p, a, tau, shape = natural(family, cand.x)
    s = np.linspace(design.reference, max(design.span + design.offset, design.reference), 2001)
    path = p + a * family.g(s, tau, shape)
    below = np.flatnonzero(path <= (path[0] + bounds["plateau"][2]) / 2)
    return float(s[below[0] if len(below) else -1] - design.reference)


#: half-lives tried beyond the span, in spans, by :func:`halving_unseen`
_BEYOND = (1.0, 3.0, 10.0, 100.0)


def halving_unseen(family: Family, design: Design, cand: Candidate, z: float) -> bool:
    """Whether a half-life beyond the hours observed fits about as well as the best.

    The profile likelihood of the half-life at a few values from the span on (the excess
    not halved within the data): when one is within ``z^2 / 2`` of the maximum, the
    ``1 - alpha`` profile interval of the half-life reaches beyond the data and the plateau
    is an extrapolation. A Wald interval misses this when the likelihood is a long ridge (a
    stretched exponential with a small beta seen early: a steep start that crawls on).
    """
    y, whiten = design.endog, cand.whiten
    x = cand.x.copy()
    free = np.ones(len(x), bool)
    free[2] = False

    def at(u, log_half):
        x[free] = u
        shape = None
        if family.n_shape:
            x[3] = np.clip(x[3], *family.log_shape_bounds)
            shape = float(np.exp(x[3]))
        x[2] = log_half - math.log(family.half_life(1.0, shape))
        return x

    def resid(u, log_half):
        return whiten(y - design.mean(family, at(u, log_half)))

    def jac(u, log_half):
        xs = at(u, log_half)
        j = design.jac(family, xs)
        if family.n_shape:  # log tau moves with log shape at a fixed half-life
            j[:, 3] -= family.log_half_life_grad(1.0, float(np.exp(xs[3])))[1] * j[:, 2]
        return -whiten(j[:, free])

    u = x[free].copy()
    for times in _BEYOND:
        log_half = math.log(times * max(design.span, 1.0))
        u, _ = least_squares(
            partial(resid, log_half=log_half), u, partial(jac, log_half=log_half), maxfev=60
        )
        xs = at(u, log_half)
        if xs[0] >= 0 and xs[1] >= 0:  # only admissible declines count
            llf = given_anchor(whiten, y - design.mean(family, xs), design.free_anchor)
            if llf >= cand.llf - z**2 / 2:
                return True
    return False
