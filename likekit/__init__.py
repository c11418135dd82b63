"""likekit: why did the likes on my videos go down?

Simulate the causes of disappearing likes with full ground truth, fit decay models to
trend-driven declines, diagnose a creator's like-count table and write reproducible reports.

>>> import likekit as lk
>>> lk.format_count(12_345)
'12.3K'
>>> lk.parse_count("12.3K")
(12300, 100)

The public names are imported lazily, so that ``import likekit`` (and the command line,
which must reject a bad table within a second) does not pay for statsmodels or matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from likekit._lazy import lazy_names

__version__ = "0.1.0"

# public name -> module that defines it (modules are not named like the functions they
# hold: importing a submodule would otherwise shadow the function on the package)
_PUBLIC: dict[str, str] = {
    "LikekitInputError": "likekit.data",
    "load_counts": "likekit.data",
    "format_count": "likekit.data",
    "parse_count": "likekit.data",
    "sample_path": "likekit.data",
    "simulate": "likekit.simulation",
    "Simulation": "likekit.simulation",
    "scenarios": "likekit.simulation",
    "fit_decay": "likekit.decay",
    "fit_decay_many": "likekit.decay",
    "DecayFit": "likekit.decay",
    "diagnose": "likekit.diagnosis",
    "Diagnosis": "likekit.diagnosis",
}

__all__ = [
    "DecayFit",
    "Diagnosis",
    "LikekitInputError",
    "Simulation",
    "__version__",
    "diagnose",
    "fit_decay",
    "fit_decay_many",
    "format_count",
    "load_counts",
    "parse_count",
    "sample_path",
    "scenarios",
    "simulate",
]


__getattr__, __dir__ = lazy_names(__name__, _PUBLIC, globals(), __all__)

if TYPE_CHECKING:  # for type checkers and IDEs; runtime stays lazy
    from likekit.data import (
        LikekitInputError,
        format_count,
        load_counts,
        parse_count,
        sample_path,
    )
    from likekit.decay import DecayFit, fit_decay, fit_decay_many
    from likekit.diagnosis import Diagnosis, diagnose
    from likekit.simulation import Simulation, scenarios, simulate
