"""Decay models of trend-driven declines, fitted with statsmodels, with honest intervals.

When a trend passes, new likes dry up while real users keep un-liking: the net count peaks
and relaxes toward a plateau. :func:`fit_decay` fits the candidate families to the net count
after its peak and reports half-life (counted from the snapshot after the highest one, a
point the data pin down: :attr:`DecayFit.reference`), plateau and the share of the peak
expected to be lost, each with an interval.

==================  ======================================================================
module              what it holds
==================  ======================================================================
``families``        the decay shapes (one class per family), ``FAMILIES``, ``MODELS``;
                    light (numpy only): the decline generator uses it
``likelihood``      the observations (anchor level and increments), their covariance
                    (random walk of likes and un-likes, display rounding), whitening, the
                    statsmodels ``GenericLikelihoodModel``
``estimation``      start values, bounds, solving, the candidates under one covariance,
                    model comparison, inference, the rivals and places of the peak
``identification``  whether the decline has levelled off within the data; bounds if not
``results``         :class:`DecayFit`; the scales of the derived intervals and their
                    model-averaged tail areas
``inputs``          one video's snapshots: checked by the loader, exclusions applied
``fit``             :func:`fit_decay` and :func:`fit_decay_many`
==================  ======================================================================

Estimation: Gaussian quasi-likelihood of the anchor and increments (feasible GLS: variance
moments over several lags, then the mean by Levenberg-Marquardt); every candidate is then
refitted under the variance of the best one, so that AIC/BIC compare fits of the mean.
Inference: statsmodels' ``GenericLikelihoodModel`` (analytic score and information) polishes
the chosen fit and gives a sandwich covariance, robust to a wrong variance function.
Half-life, plateau and loss share get delta-method intervals on the log, raw and logit scales
(Student's t), combined over the rival families and the places the peak may lie between
two snapshots as model-averaged tail areas (MATA, Turek & Fletcher 2012; see
:func:`fit_decay`). Coverage is checked by
simulation in ``tests/test_decay.py`` and ``benchmarks/bench_decay.py``.

Physical bounds: the plateau and amplitude are never below zero (a fit that wants a negative
plateau is redone on the bound), and the loss share is in [0, 1]. A decline that has not
levelled off within the data (a straight line fits as well by the model-choice criterion,
the best decay would end below zero, or its half-life is beyond the hours observed) has no
identified plateau: the fit says so (``identified`` False, a plain ``message``) and reports
what the data bound instead of point estimates. A fit that the criterion cannot tell from the
best (within 2: another place of the peak between the snapshots, or with ``model="auto"`` a
rival family) and whose curvature the data do show is kept instead; the best one's tail still
widens its intervals.

The fitting modules (scipy, statsmodels) are imported on first use of a public name, so that
``likekit.decay.families`` (and :mod:`likekit.simulation`) stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from likekit._lazy import lazy_names
from likekit.decay.families import MODELS

__all__ = ["MODELS", "DecayFit", "fit_decay", "fit_decay_many"]

# name -> module that defines it, imported when first asked for
_LAZY: dict[str, str] = {
    "DecayFit": "likekit.decay.results",
    "fit_decay": "likekit.decay.fit",
    "fit_decay_many": "likekit.decay.fit",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals(), __all__)

if TYPE_CHECKING:  # for type checkers and IDEs; runtime stays lazy
    from likekit.decay.fit import fit_decay, fit_decay_many
    from likekit.decay.results import DecayFit
