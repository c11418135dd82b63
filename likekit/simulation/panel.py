"""Simulate a creator's like counts under a named scenario: :func:`simulate`.

The generative model is in :mod:`likekit.simulation.simulator`, its parameters in
:mod:`likekit.simulation.params` and the result in :mod:`likekit.simulation.result`
(:class:`SimParams` and :class:`Simulation` are importable from here too).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from likekit.data import LikekitInputError
from likekit.simulation.params import SimParams, params_for
from likekit.simulation.result import Simulation
from likekit.simulation.simulator import Simulator

__all__ = ["SimParams", "Simulation", "simulate"]


def simulate(
    scenario: str,
    *,
    n_videos: int | None = None,
    days: float | None = None,
    step: str | pd.Timedelta = "1h",
    seed: int | None = None,
    display: bool = True,
    progress: bool | None = None,
    **overrides: Any,
) -> Simulation:
    """Simulate a creator's like counts under a named scenario.

    Parameters
    ----------
    scenario : str
        A name from :func:`likekit.scenarios`.
    n_videos, days : optional
        Size of the panel (default: the scenario's, 20 videos over 30 days).
    step : str or Timedelta
        Simulation step ("1h", "30min", ...); rates and hazards are per hour.
    seed : int, optional
        Seed of the one ``numpy.random.default_rng``; the same seed and parameters give the
        same tables. Without one a seed is drawn and kept in ``Simulation.seed``.
    display : bool
        Render the ``display`` strings ("12.3K"); ``False`` skips that slow step.
    progress : bool, optional
        Show a progress bar (default: on large runs only).
    **overrides
        Any field of :class:`SimParams`, e.g. ``purge_prob=0.8``.

    Returns
    -------
    Simulation

    Raises
    ------
    LikekitInputError
        (a ``ValueError``) On an unknown scenario or parameter (the message lists the valid
        ones) or an invalid value.

    Examples
    --------
    >>> import likekit as lk
    >>> sim = lk.simulate("purge_waves", n_videos=5, days=10, seed=7)
    >>> sorted(set(sim.events["cause"]))
    ['purge']
    """
    params = params_for(scenario, {"n_videos": n_videos, "days": days}, overrides)
    try:
        step_td = pd.Timedelta(step)
    except ValueError:
        raise LikekitInputError(
            f"step must be a duration like '1h' or '30min', got {step!r}"
        ) from None
    if step_td <= pd.Timedelta(0):
        raise LikekitInputError(f"step must be positive, got {step!r}")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63)
    elif not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise LikekitInputError(f"seed must be a non-negative integer, got {seed!r}")
    sim = Simulator(params, step_td, np.random.default_rng(seed), progress)
    return sim.run(scenario, seed, display)
