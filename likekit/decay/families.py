"""Decay families of the net like count after its peak, each relaxing to a plateau.

Every family writes the level ``s`` hours after the start of the decline as
``plateau + amplitude * g(s)`` with ``g(0) = 1`` and ``g -> 0``. The optimiser works on
``log(tau)`` and ``log(shape)`` so that both stay positive and Wald intervals on that scale are
closer to normal; each family gives ``g``, its derivatives on that scale, and the half-life
with its gradient for the delta method.

This module is light (numpy only): the decline generator of :mod:`likekit.simulation` uses it
without loading the fitting machinery.
"""

from __future__ import annotations

import numpy as np

from likekit.data import LikekitInputError

__all__ = ["FAMILIES", "MODELS", "Family"]

LN2 = float(np.log(2.0))


class Family:
    """One decay family: the shape ``g(s; tau, shape)`` of the excess over the plateau.

    Subclasses set the class attributes and the four shape functions; ``shape_name`` is None
    for a one-parameter shape (the exponential).
    """

    name: str
    formula: str
    shape_name: str | None = None
    #: bounds of log(shape) (the optimiser's box); None without a shape parameter
    log_shape_bounds: tuple[float, float] | None = None
    #: shapes tried by the start-value grid
    shape_grid: tuple[float | None, ...] = (None,)

    @property
    def n_shape(self) -> int:
        return 0 if self.shape_name is None else 1

    def g(self, s: np.ndarray, tau: float, shape: float | None = None) -> np.ndarray:
        """Share of the initial excess still there ``s`` hours after the start."""
        raise NotImplementedError

    def g_dg(
        self, s: np.ndarray, tau: float, shape: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``g`` and its derivatives with respect to log(tau) and log(shape), (k, len(s))."""
        raise NotImplementedError

    def half_life(self, tau: float, shape: float | None = None, since: float = 0.0) -> float:
        """Hours from ``since`` hours after the start until ``g`` falls to half its value
        there."""
        raise NotImplementedError

    def log_half_life_grad(
        self, tau: float, shape: float | None = None, since: float = 0.0
    ) -> np.ndarray:
        """Gradient of log(:meth:`half_life`) with respect to (log tau[, log shape]), at a
        fixed ``since``."""
        raise NotImplementedError

    def log_tau_for(self, half_life: float, shape: float | None, since: float) -> float:
        """log(tau) whose :meth:`half_life` from ``since`` is ``half_life`` (NaN if none)."""
        raise NotImplementedError

    def dg(self, s: np.ndarray, tau: float, shape: float | None = None) -> np.ndarray:
        """Derivatives of ``g`` with respect to log(tau) and log(shape), shape (k, len(s))."""
        return self.g_dg(s, tau, shape)[1]

    def tau_for(self, half_life: float, shape: float | None = None) -> float:
        """The ``tau`` that gives ``half_life`` (used by the simulator)."""
        return half_life / self.half_life(1.0, shape)

    def __repr__(self) -> str:
        return f"<Family {self.name}: {self.formula}>"

    @staticmethod
    def named(name: str) -> Family:
        """The decay family called ``name``; a clear error listing the valid names otherwise.

        Examples
        --------
        >>> Family.named("power_law").formula
        'P + A (1 + s/tau)^-alpha'
        """
        try:
            return FAMILIES[name]
        except (KeyError, TypeError):
            valid = ", ".join(FAMILIES)
            raise LikekitInputError(f"no decay family {name!r}: one of {valid}") from None


class Exponential(Family):
    name = "exponential"
    formula = "P + A exp(-s/tau)"

    def g(self, s, tau, shape=None):
        return np.exp(-s / tau)

    def g_dg(self, s, tau, shape=None):
        x = s / tau
        g = np.exp(-x)
        return g, (x * g)[None, :]

    def half_life(self, tau, shape=None, since=0.0):
        return tau * LN2  # memoryless: the same from any point

    def log_half_life_grad(self, tau, shape=None, since=0.0):
        return np.array([1.0])

    def log_tau_for(self, half_life, shape, since):
        return float(np.log(half_life / LN2))


class PowerLaw(Family):
    """Crane & Sornette relaxation: the rate decays like ``(1 + s/tau)^-(1 + alpha)``."""

    name = "power_law"
    formula = "P + A (1 + s/tau)^-alpha"
    shape_name = "alpha"
    log_shape_bounds = (float(np.log(0.05)), float(np.log(50.0)))
    shape_grid = (0.5, 1.0, 2.0, 4.0)

    def g(self, s, tau, shape=None):
        return (1.0 + s / tau) ** -shape

    def g_dg(self, s, tau, shape=None):
        x = s / tau
        g = (1.0 + x) ** -shape
        return g, np.vstack([shape * x / (1.0 + x) * g, -shape * np.log1p(x) * g])

    def half_life(self, tau, shape=None, since=0.0):
        # seen from ``since``, a power law is another one with tau + since
        return (tau + since) * np.expm1(LN2 / shape)

    def log_half_life_grad(self, tau, shape=None, since=0.0):
        e = LN2 / shape
        return np.array([tau / (tau + since), -e * np.exp(e) / np.expm1(e)])

    def log_tau_for(self, half_life, shape, since):
        tau = half_life / np.expm1(LN2 / shape) - since
        return float(np.log(tau)) if tau > 0 else float("nan")


class StretchedExponential(Family):
    name = "stretched_exponential"
    formula = "P + A exp(-(s/tau)^beta)"
    shape_name = "beta"
    log_shape_bounds = (float(np.log(0.1)), float(np.log(5.0)))
    shape_grid = (0.4, 0.6, 0.8, 1.2)

    def g(self, s, tau, shape=None):
        return np.exp(-((s / tau) ** shape))

    def g_dg(self, s, tau, shape=None):
        x = s / tau
        with np.errstate(divide="ignore", invalid="ignore"):
            logx = np.log(x)
        u = np.exp(shape * logx)  # x ** shape, with log x reused (0 at x = 0)
        g = np.exp(-u)
        logx = np.where(x > 0, logx, 0.0)
        return g, np.vstack([shape * u * g, -shape * u * logx * g])

    def half_life(self, tau, shape=None, since=0.0):
        # (s / tau)^beta grows by log 2 from s = since
        return tau * ((since / tau) ** shape + LN2) ** (1.0 / shape) - since

    def log_half_life_grad(self, tau, shape=None, since=0.0):
        u = (since / tau) ** shape
        q = (u + LN2) ** (1.0 / shape)
        half = tau * q - since
        d_tau = tau * q * LN2 / (u + LN2)
        log_x = np.log(since / tau) if since > 0 else 0.0
        d_shape = tau * q * (u * log_x / (u + LN2) - np.log(u + LN2) / shape)
        return np.array([d_tau, d_shape]) / half

    def log_tau_for(self, half_life, shape, since):
        # (s / tau)^beta grows by log 2 from since to since + half_life
        grown = np.power(np.float64(since + half_life), shape) - np.power(np.float64(since), shape)
        return float((np.log(grown) - np.log(LN2)) / shape)


#: the decay families by name, in the order of the comparison table
FAMILIES: dict[str, Family] = {
    f.name: f for f in (Exponential(), PowerLaw(), StretchedExponential())
}
#: the candidate models: the families and "none" (a flat level, no decline)
MODELS = (*FAMILIES, "none")
