"""Diagnose disappearing likes: :func:`diagnose` and its result, :class:`Diagnosis`.

=================  =======================================================================
module             what it holds
=================  =======================================================================
``pipeline``       :func:`diagnose`: the stages in order (read its docstring first)
``options``        :class:`Options`, the one frozen set of options every stage receives
``increments``     standardized snapshot-to-snapshot increments (columns in a table)
``single``         one video alone: data quality, status changes, drops, trend declines
``scan``           the panel scan's statistics (synchronized moves, calibrated p-values)
``waves``          how a wave is read (purge, outage, catch-up), outages of missing data
``flicker``        flicker of an old app, glitch episodes
``result``         :class:`Diagnosis`: tables, summary, verdicts, plots
``accounting``     where the likes went: ``Diagnosis.losses`` and ``Diagnosis.answer``
``panels``         ``diagnose(table, panel=...)``: each panel alone, the results combined
``helper``         a helper process: the per-video stages' chunks on two cores
=================  =======================================================================

The typed records (:class:`likekit.schema.Event`, :class:`likekit.schema.Wave`) are in
:mod:`likekit.schema`; scoring against a simulation's truth is in :mod:`likekit.metrics`
(``score_events``, ``event_sizes`` and ``local_noise`` stay importable from here).
"""

from __future__ import annotations

import importlib
from typing import Any

from likekit.diagnosis.accounting import Answer
from likekit.diagnosis.options import Options
from likekit.diagnosis.pipeline import diagnose
from likekit.diagnosis.result import Diagnosis

__all__ = [
    "Answer",
    "Diagnosis",
    "Options",
    "diagnose",
    "event_sizes",
    "local_noise",
    "score_events",
]

_METRICS = ("event_sizes", "local_noise", "score_events")


def __getattr__(name: str) -> Any:
    # lazily, since likekit.metrics imports this package's increments module
    if name in _METRICS:
        return getattr(importlib.import_module("likekit.metrics"), name)
    raise AttributeError(f"module 'likekit.diagnosis' has no attribute {name!r}")
