"""The result of a decay fit: :class:`DecayFit`, and the scales of its derived intervals."""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from likekit.decay.families import Family
from likekit.decay.likelihood import natural

if TYPE_CHECKING:
    from likekit.decay.estimation import Candidate, Comparison

#: the derived quantities, in the order of :attr:`DecayFit.derived`
DERIVED = ("half_life", "plateau", "loss_share")
_HOUR = pd.Timedelta(hours=1)
#: derived quantity -> (estimate, std. error, scale) on the scale of its Wald interval
Link = dict[str, tuple[float, float, str]]


def _exp(v: float) -> float:
    return math.inf if v > 709.0 else math.exp(v)  # an unbounded interval, not an error


_INVERSE_LINK = {"log": _exp, "raw": float, "logit": lambda v: float(special.expit(v))}


def link_scale(family: Family, x: np.ndarray, cov: np.ndarray, since: float) -> Link:
    """Derived quantities on the scale where their Wald interval is built, with std errors.

    Half-life (from ``since`` hours after the peak: :attr:`DecayFit.reference`) on the log
    scale (it is positive and skewed), plateau as is (a parameter), loss share
    ``A / (P + A)`` on the logit scale ``log(A / P)`` when it is in (0, 1).
    """
    p, a, tau, shape = natural(family, x)
    k = len(x)

    def se(grad: np.ndarray) -> float:
        return math.sqrt(max(float(grad @ cov @ grad), 0.0))

    g_half = np.zeros(k)
    g_half[2:] = family.log_half_life_grad(tau, shape, since)
    g_plateau = np.eye(k)[0]
    g_share = np.zeros(k)
    if p > 0 and a > 0:
        g_share[:2] = [-1.0 / p, 1.0 / a]
        share = (math.log(a / p), se(g_share), "logit")
    else:
        g_share[:2] = [-a / (p + a) ** 2, p / (p + a) ** 2]
        share = (a / (p + a), se(g_share), "raw")
    rows = {
        "half_life": (math.log(family.half_life(tau, shape, since)), se(g_half), "log"),
        "plateau": (p, se(g_plateau), "raw"),
        "loss_share": share,
    }
    return rows


def tail_area_interval(
    chosen: tuple[float, float, str],
    mixture: list[tuple[float, tuple[float, float, str]]],
    alpha: float,
    df: float,
) -> tuple[float, float]:
    """Model-averaged tail-area (MATA-Wald) interval on the link scale.

    Turek & Fletcher (2012): the lower bound ``L`` solves
    ``sum_i w_i P(T > (t_i - L) / se_i) = alpha / 2`` and the upper ``U`` solves
    ``sum_i w_i P(T < (t_i - U) / se_i) = alpha / 2`` over the components ``(w_i, (t_i,
    se_i, scale))`` (candidate families at the start offsets, weighted), with ``T`` Student's
    t on ``df`` degrees of freedom: the tails of the mixture of the components' Wald
    distributions, so a rival that is likely but far off carries its own tail instead of
    stretching a symmetric one. The interval is then widened to hold the ``chosen``
    component's own (a choice never narrows it). Components on another scale (a loss share
    on the edge of its range) or without a finite error are left out.
    """
    est, se, scale = chosen
    # scipy.special's t functions: scipy.stats' per-call overhead is most of a fit here
    quant = float(special.stdtrit(df, 1 - alpha / 2))
    own = (est - quant * se, est + quant * se)
    parts = [(w, t, s) for w, (t, s, sc) in mixture if sc == scale and np.isfinite(s) and w > 0]
    if not parts or not np.isfinite(se):
        return own
    w, t, s = (np.array(v, float) for v in zip(*parts, strict=True))
    w, s = w / w.sum(), np.maximum(s, 1e-12 * (1.0 + np.abs(t)))
    # beyond these every component's tail is below alpha / 4: the root is inside
    reach = float(special.stdtrit(df, 1 - alpha / 4))
    lo, hi = float(np.min(t - reach * s)), float(np.max(t + reach * s))

    def above(x: float) -> float:  # mixture mass above x, minus alpha / 2
        return float(w @ special.stdtr(df, (t - x) / s)) - alpha / 2

    # a far rival of negligible weight can make the bracket ~1e100 wide: bisection alone
    # takes log2(width / xtol) steps, at most ~1,100 over the doubles (brentq's default 100)
    root = {"xtol": 1e-10 * (1 + abs(est)), "maxiter": 1100}
    low = optimize.brentq(lambda x: -above(x) + 1 - alpha, lo, hi, **root)
    high = optimize.brentq(above, lo, hi, **root)
    return min(low, own[0]), max(high, own[1])


class DecayFit:
    """A decay model fitted to one video's net like count after its peak.

    Made by :func:`fit_decay`; mirrors statsmodels results (``params``, ``bse``,
    ``conf_int()``, ``aic``, ``bic``, ``summary()``, ``predict()``) and lifelines' ``plot``.

    Attributes
    ----------
    model : str
        "exponential", "power_law", "stretched_exponential" or "none".
    params : pandas.Series
        Estimates on the natural scale: plateau, amplitude (excess over the plateau at the
        start), tau (hours) and the shape (alpha or beta) when the family has one.
    comparison : pandas.DataFrame
        Every candidate fitted, indexed by model: k (parameters, the two of the variance
        included), llf, aic, bic, converged, delta (criterion minus the best), selected. All
        were fitted under one covariance, so that the criteria compare their means.
    half_life, plateau, loss_share : float
        Hours from the ``reference`` snapshot until the excess over the plateau is half what
        it was there (the interval carries the uncertainty of where the peak lies between
        snapshots); eventual likes; share of the peak expected to be lost. Always in their
        physical range (plateau >= 0, loss share in [0, 1]); NaN when not ``identified``.
    derived : pandas.DataFrame
        Those three, indexed by name, with columns estimate, low, high (level ``1 - alpha``).
        When the decline is not ``identified``, estimate is NaN and low, high are what the
        data bound (e.g. plateau in [0, the upper bound of the last level]).
    identified : bool
        False when the decline has not levelled off within the data: a straight line fits
        as well as any decay to a plateau (by the model-choice criterion), or the best decay
        would end below zero likes. The fitted path (``predict``) still describes the data,
        but where it ends is unknown; ``converged`` is then False and ``message`` says so.
    start : pandas.Timestamp
        Start of the decline: the peak of the fitted path, at its likeliest place between
        the snapshot before the highest one and the snapshot after it (the true peak falls
        between two snapshots), or the ``start`` asked for. ``predict`` counts hours from
        it.
    reference : pandas.Timestamp
        The snapshot the half-life is counted from: the one after the highest count seen
        (after ``start`` when it is given). The data pin it down, where the peak itself
        lies somewhere between two snapshots: a steep decline loses much of its excess in
        the hours after its peak, which coarse snapshots do not see.
    peak : float
        The highest count seen (at the first snapshot of the decline).
    converged : bool
        The fit reached an interior optimum that statsmodels confirmed.
    message : str
        Why the model is "none", or what went wrong; empty for a clean fit.
    result : statsmodels results or None
        The ``GenericLikelihoodModel`` results on the optimiser's scale (log tau, log shape).
    """

    def __init__(
        self,
        *,
        video_id: str | None,
        model: str,
        family: Family | None,
        candidate: Candidate | None,
        result,
        comparison: Comparison,
        start: pd.Timestamp,
        reference: pd.Timestamp,
        peak: float,
        data: tuple[pd.DatetimeIndex, np.ndarray, np.ndarray],
        alpha: float,
        converged: bool,
        message: str,
        criterion: str,
        link: Link | None = None,
        mixture: list[tuple[float, Link]] | None = None,
        bounds: dict[str, tuple[float, float, float]] | None = None,
        profile: dict[str, tuple[float, float]] | None = None,
    ):
        self.video_id = video_id
        self.model: str = model
        self.family: Family | None = family
        self.result = result
        self._comparison = comparison  # arrays: a frame is built when asked for
        self.start: pd.Timestamp = start
        self.reference: pd.Timestamp = reference
        self.peak: float = peak
        self.alpha = alpha
        self.converged: bool = converged
        self.message: str = message
        self.criterion = criterion
        self.identified: bool = bounds is None
        self._bounds = bounds
        self._cand = candidate
        self._series = data  # times, levels and steps of the whole series (for plots)
        if result is not None:
            self._x = np.asarray(result.params, float)
            self._cov = np.asarray(result.cov_params(), float)
        elif family is not None:  # inference failed: estimates without intervals
            self._x = candidate.x
            self._cov = np.full((len(candidate.x), len(candidate.x)), np.nan)
        elif candidate is not None:
            self._x, self._cov = candidate.x, candidate.cov
        else:
            self._x, self._cov = np.array([peak]), np.array([[np.nan]])
        self._link = (
            link
            if link is not None
            else (
                link_scale(family, self._x, self._cov, (reference - start) / _HOUR)
                if family is not None
                else None
            )
        )
        self._mixture = mixture or []
        self._profile = profile or {}
        self._values = self._derived(alpha)

    @property
    def _df(self) -> int:
        """Residual degrees of freedom of the t quantile of the intervals.

        A sandwich estimated from a dozen increments (daily snapshots) is itself uncertain:
        the t quantile, not the normal one, gives its intervals their level (they agree on
        hourly data).
        """
        k = self._cand.k if self._cand is not None else 2
        return max(self.nobs - k, 1)

    def _quantile(self, alpha: float) -> float:
        """Student's t quantile for ``1 - alpha`` intervals (see :attr:`_df`)."""
        return float(stats.t.ppf(1 - alpha / 2, self._df))

    @property
    def _data(self) -> pd.DataFrame:
        stamps, level, res = self._series
        return pd.DataFrame({"timestamp": stamps, "level": level, "res": res})

    # -- parameters ----------------------------------------------------------------------
    @property
    def _names(self) -> list[str]:
        if self.family is None:
            return ["plateau"]
        return ["plateau", "amplitude", "tau"] + (
            [self.family.shape_name] if self.family.n_shape else []
        )

    def _to_natural(self, x: np.ndarray) -> np.ndarray:
        if self.family is None:
            return x
        with np.errstate(over="ignore"):  # a bound far beyond the span is infinite hours
            return np.r_[x[:2], np.exp(x[2:])]

    @property
    def params(self) -> pd.Series:
        return pd.Series(self._to_natural(self._x), index=self._names, name="estimate")

    @property
    def bse(self) -> pd.Series:
        """Standard errors on the natural scale (delta method for tau and the shape)."""
        se = np.sqrt(np.clip(np.diag(self._cov), 0, None))
        if self.family is not None:
            se = np.r_[se[:2], se[2:] * np.exp(self._x[2:])]
        return pd.Series(se, index=self._names, name="std_err")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """``1 - alpha`` Wald intervals; tau and the shape on the log scale (so positive).

        Plateau and amplitude are cut at zero (likes are never negative).
        """
        z = self._quantile(alpha)
        se = np.sqrt(np.clip(np.diag(self._cov), 0, None))
        low, high = self._x - z * se, self._x + z * se
        low[:2] = np.maximum(low[:2], 0.0)
        return pd.DataFrame(
            {"low": self._to_natural(low), "high": self._to_natural(high)}, index=self._names
        )

    @property
    def nobs(self) -> int:
        return int(self._cand.whiten.diag.size) if self._cand is not None else 0

    @property
    def llf(self) -> float:
        return self._row("llf")

    @property
    def aic(self) -> float:
        return self._row("aic")

    @property
    def bic(self) -> float:
        return self._row("bic")

    def _row(self, col: str) -> float:
        names = self._comparison.names
        if self.model not in names:
            return math.nan
        return float(self._comparison.columns[col][names.index(self.model)])

    @property
    def comparison(self) -> pd.DataFrame:
        comp = self._comparison
        return pd.DataFrame(comp.columns, index=pd.Index(comp.names, name="model"))

    # -- derived quantities --------------------------------------------------------------
    def _derived(self, alpha: float) -> np.ndarray:
        z = self._quantile(alpha)
        if self._bounds is not None:
            rows = {name: list(self._bounds[name]) for name in DERIVED}
        elif self.family is None:
            p = float(self._x[0])
            se = math.sqrt(self._cov[0, 0]) if np.isfinite(self._cov[0, 0]) else math.nan
            rows = {
                "half_life": [math.inf, math.nan, math.nan],
                "plateau": [p, p - z * se, p + z * se],
                "loss_share": [0.0, math.nan, math.nan],
            }
        else:
            rows = {}
            for name, (est, se, scale) in self._link.items():
                back = _INVERSE_LINK[scale]
                mix = [(w, link[name]) for w, link in self._mixture]
                low, high = tail_area_interval((est, se, scale), mix, alpha, self._df)
                if name in self._profile and alpha == self.alpha:  # the hull of both
                    low = min(low, self._profile[name][0])
                    high = max(high, self._profile[name][1])
                rows[name] = [back(est), back(low), back(high)]
        # the physical range (a Wald interval near a bound may cross it)
        return np.clip([rows[name] for name in DERIVED], 0.0, [[np.inf], [np.inf], [1.0]])

    @property
    def derived(self) -> pd.DataFrame:
        return pd.DataFrame(self._values, index=list(DERIVED), columns=["estimate", "low", "high"])

    @property
    def half_life(self) -> float:
        return float(self._values[0, 0])

    @property
    def plateau(self) -> float:
        return float(self._values[1, 0])

    @property
    def loss_share(self) -> float:
        return float(self._values[2, 0])

    # -- prediction ----------------------------------------------------------------------
    def _hours(self, times) -> tuple[pd.DatetimeIndex, np.ndarray]:
        idx = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
        return idx, np.asarray((idx - self.start) / _HOUR, float)

    def predict(
        self, times=None, interval: bool = True, alpha: float | None = None
    ) -> pd.DataFrame:
        """Expected net count at ``times`` (default: the snapshots), with a confidence band.

        Parameters
        ----------
        times : array-like of datetimes, optional
            Where to predict. Before the start of the decline the model says nothing (NaN).
        interval : bool
            Add ``low`` and ``high``: pointwise ``1 - alpha`` interval of the expected count
            (delta method).
        alpha : float, optional
            Default: the fit's ``alpha``.

        Returns
        -------
        pandas.DataFrame
            Indexed by time, with ``mean`` (and ``low``, ``high``).
        """
        alpha = self.alpha if alpha is None else alpha
        idx, s = self._hours(self._series[0] if times is None else times)
        after = s >= 0
        if self.family is None:
            mean = np.full(len(s), float(self._x[0]))
            grads = np.ones((len(s), 1))
        else:
            p, a, tau, shape = natural(self.family, self._x)
            sp = np.where(after, s, 0.0)
            mean = p + a * self.family.g(sp, tau, shape)
            grads = np.column_stack(
                [
                    np.ones(len(s)),
                    self.family.g(sp, tau, shape),
                    a * self.family.dg(sp, tau, shape).T,
                ]
            )
        mean = np.where(after, mean, np.nan)
        out = pd.DataFrame({"mean": mean}, index=idx)
        if interval:
            z = self._quantile(alpha)
            se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", grads, self._cov, grads), 0, None))
            out["low"], out["high"] = mean - z * se, mean + z * se
        return out

    # -- display -------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Parameters and derived quantities: estimate, std_err, low, high.

        Indexed by (kind, name), kind "parameter" or "derived". The derived intervals also
        carry the uncertainty of the model choice, so the derived plateau's may be wider than
        the parameter's.
        """
        params = pd.concat([self.params, self.bse, self.conf_int(self.alpha)], axis=1)
        derived = self.derived.assign(std_err=np.nan)[params.columns]
        return pd.concat({"parameter": params, "derived": derived}, names=["kind", "name"])

    def _header(self) -> list[str]:
        who = f"video {self.video_id}: " if self.video_id is not None else ""
        formula = f" ({self.family.formula})" if self.family is not None else ""
        lines = [
            f"{who}decay model {self.model}{formula}, chosen by {self.criterion.upper()}",
            f"start of the decline {self.start}, peak {self.peak:,.0f} likes, "
            f"{self.nobs} observations",
        ]
        if self.message:
            lines.append(f"note: {self.message}")
        return lines

    def __str__(self) -> str:
        level = f"{1 - self.alpha:.0%}"
        body = self.summary().to_string(float_format=lambda v: f"{v:,.4g}")
        comp = self.comparison[["k", "llf", "aic", "bic", "converged"]].to_string(
            float_format=lambda v: f"{v:,.1f}"
        )
        return "\n".join(
            [*self._header(), f"estimates with {level} intervals:", body, "candidates:", comp]
        )

    def __repr__(self) -> str:
        d = self.derived
        return (
            f"<DecayFit {self.model}: half_life={d.loc['half_life', 'estimate']:.4g} h, "
            f"plateau={d.loc['plateau', 'estimate']:,.0f}, "
            f"loss_share={d.loc['loss_share', 'estimate']:.3g}>"
        )

    def _repr_html_(self) -> str:
        # the header holds the video id and the message, which come from the input
        head = "".join(f"<p>{html.escape(line)}</p>" for line in self._header())
        return (
            head
            + self.summary().to_html(float_format=lambda v: f"{v:,.4g}")
            + "<p>candidates</p>"
            + self.comparison.to_html(float_format=lambda v: f"{v:,.1f}")
        )

    def plot(self, ax=None):
        """Data, fitted decay with its band, plateau and start. Returns the Axes."""
        import matplotlib.pyplot as plt

        from likekit.plots import CAUSE_COLORS, concise_dates

        color = CAUSE_COLORS["trend_decline"]
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4))
        data = self._data
        ax.plot(data["timestamp"], data["level"], ".", color="0.35", ms=3, label="likes")
        times = pd.date_range(self.start, data["timestamp"].iloc[-1], periods=200)
        pred = self.predict(times)
        ax.plot(pred.index, pred["mean"], color=color, lw=2, label=f"fit: {self.model}")
        ax.fill_between(
            pred.index,
            pred["low"],
            pred["high"],
            color=color,
            alpha=0.25,
            lw=0,
            label=f"{1 - self.alpha:.0%} band",
        )
        d = self.derived.loc["plateau"]
        ax.axhline(d["estimate"], color=color, ls="--", lw=1, label="plateau")
        if np.isfinite(d["low"]):
            ax.axhspan(d["low"], d["high"], color=color, alpha=0.08, lw=0)
        ax.axvline(self.start, color="0.5", ls=":", lw=1)
        concise_dates(ax)
        ax.set_ylabel("likes")
        title = f"{self.video_id}: " if self.video_id is not None else ""
        ending = f"half-life {self.half_life:.3g} h" if self.identified else "not levelled off"
        ax.set_title(f"{title}{self.model}, {ending}")
        ax.legend(loc="best", fontsize="small")
        return ax
