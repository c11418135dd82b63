"""Decay families of the net like count after its peak, each relaxing to a plateau.

Every family writes the level ``s`` hours after the start of the decline as
``plateau + amplitude * g(s)`` with ``g(0) = 1`` and ``g -> 0``. The optimiser works on
``log(tau)`` and ``log(shape)`` so that both stay positive and Wald intervals on that scale are
closer to normal; :class:`Family` gives ``g``, its derivatives on that scale, and the half-life
with its gradient for the delta method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LN2 = float(np.log(2.0))


@dataclass(frozen=True)
class Family:
    """One decay family: the shape ``g(s; tau, shape)`` of the excess over the plateau.

    ``shape_name`` is None for a one-parameter shape (the exponential).
    """

    name: str
    formula: str
    shape_name: str | None
    #: bounds of log(shape) (the optimiser's box); None without a shape parameter
    log_shape_bounds: tuple[float, float] | None = None

    @property
    def n_shape(self) -> int:
        return 0 if self.shape_name is None else 1

    def g(self, s: np.ndarray, tau: float, shape: float | None = None) -> np.ndarray:
        """Share of the initial excess still there ``s`` hours after the start."""
        x = s / tau
        if self.name == "exponential":
            return np.exp(-x)
        if self.name == "power_law":
            return (1.0 + x) ** -shape
        return np.exp(-(x**shape))

    def g_dg(
        self, s: np.ndarray, tau: float, shape: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``g`` and its derivatives with respect to log(tau) and log(shape), (k, len(s))."""
        x = s / tau
        if self.name == "exponential":
            g = np.exp(-x)
            return g, (x * g)[None, :]
        if self.name == "power_law":
            g = (1.0 + x) ** -shape
            return g, np.vstack([shape * x / (1.0 + x) * g, -shape * np.log1p(x) * g])
        with np.errstate(divide="ignore", invalid="ignore"):
            logx = np.log(x)
        u = np.exp(shape * logx)  # x ** shape, with log x reused (0 at x = 0)
        g = np.exp(-u)
        logx = np.where(x > 0, logx, 0.0)
        return g, np.vstack([shape * u * g, -shape * u * logx * g])

    def dg(self, s: np.ndarray, tau: float, shape: float | None = None) -> np.ndarray:
        """Derivatives of ``g`` with respect to log(tau) and log(shape), shape (k, len(s))."""
        return self.g_dg(s, tau, shape)[1]

    def half_life(self, tau: float, shape: float | None = None) -> float:
        """Hours until ``g`` falls to one half."""
        if self.name == "exponential":
            return tau * LN2
        if self.name == "power_law":
            return tau * np.expm1(LN2 / shape)
        return tau * LN2 ** (1.0 / shape)

    def tau_for(self, half_life: float, shape: float | None = None) -> float:
        """The ``tau`` that gives ``half_life`` (used by the simulator)."""
        return half_life / self.half_life(1.0, shape)

    def log_half_life_grad(self, shape: float | None = None) -> np.ndarray:
        """Gradient of log(half-life) with respect to (log tau[, log shape])."""
        if self.name == "exponential":
            return np.array([1.0])
        if self.name == "power_law":
            e = LN2 / shape
            return np.array([1.0, -e * np.exp(e) / np.expm1(e)])
        return np.array([1.0, -np.log(LN2) / shape])


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("exponential", "P + A exp(-s/tau)", None),
        # Crane & Sornette relaxation: the rate decays like (1 + s/tau)^-(1 + alpha)
        Family("power_law", "P + A (1 + s/tau)^-alpha", "alpha", (np.log(0.05), np.log(50.0))),
        Family(
            "stretched_exponential", "P + A exp(-(s/tau)^beta)", "beta", (np.log(0.1), np.log(5.0))
        ),
    )
}
