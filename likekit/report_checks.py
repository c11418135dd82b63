"""Checks of notebook parameter values against the input table, before a kernel starts.

:func:`likekit.report.run_report` has already checked each given parameter's name and type
against the notebook's ``parameters`` cell and loaded the input table. The values are checked
here, by parameter name and alike in every notebook, so that a video id absent from the table
or a misspelt model name fails within a second with one line, instead of a traceback from a
cell after the kernel has started:

======================================  =================================================
parameter                               accepted values
======================================  =================================================
``video_id``                            empty (the notebook chooses), or a video in the table
``models``                              a non-empty list of ``likekit.decay.MODELS``
``criterion``                           ``bic`` or ``aic``
``start``, ``end``, ``*_date``          empty, or a date or time pandas can read
``wave_alpha``                          a probability, strictly between 0 and 1
``n_videos``, ``days``, ``forecast_days``  above zero
``max_videos_plotted``                  zero or more
======================================  =================================================

>>> check_values({"criterion": "cv"})
Traceback (most recent call last):
...
likekit.data.LikekitInputError: parameter 'criterion' must be one of bic, aic, got 'cv'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from likekit.data import LikekitInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["check_values"]

#: model-choice criteria of likekit.fit_decay
CRITERIA = ("bic", "aic")
#: how many of the table's videos an error message names
_SHOWN = 5

Check = Callable[[str, Any, "pd.DataFrame | None"], None]


def _video_in_table(name: str, value: Any, counts: pd.DataFrame | None) -> None:
    if value == "" or counts is None:
        return
    ids = counts["video_id"].unique()
    if value not in set(ids):
        shown = ", ".join(map(str, ids[:_SHOWN]))
        more = f", ... ({len(ids)} videos)" if len(ids) > _SHOWN else ""
        raise LikekitInputError(
            f"parameter {name!r}: no video {value!r} in the table; its videos: {shown}{more}"
        )


def _models(name: str, value: Any, counts: pd.DataFrame | None) -> None:
    from likekit.decay import MODELS

    unknown = [m for m in value if m not in MODELS]
    if not value or unknown:
        what = f"unknown model(s) {', '.join(map(str, unknown))}" if unknown else "no model"
        raise LikekitInputError(f"parameter {name!r}: {what}; models: {', '.join(MODELS)}")


def _criterion(name: str, value: Any, counts: pd.DataFrame | None) -> None:
    if value not in CRITERIA:
        raise LikekitInputError(
            f"parameter {name!r} must be one of {', '.join(CRITERIA)}, got {value!r}"
        )


def _date(name: str, value: Any, counts: pd.DataFrame | None) -> None:
    import pandas as pd

    if value in ("", None):
        return
    try:
        pd.Timestamp(value)
    except (ValueError, TypeError):
        raise LikekitInputError(
            f"parameter {name!r}: {value!r} is not a date or time (e.g. 2026-01-05 or "
            "2026-01-05 14:00)"
        ) from None


def _bounded(low: float, high: float, *, closed_low: bool) -> Check:
    def check(name: str, value: Any, counts: pd.DataFrame | None) -> None:
        above = value >= low if closed_low else value > low
        if not (above and value < high):
            wanted = (
                f"between {low:g} and {high:g}"
                if high != float("inf")
                else ("zero or more" if closed_low else f"above {low:g}")
            )
            raise LikekitInputError(f"parameter {name!r} must be {wanted}, got {value!r}")

    return check


_CHECKS: dict[str, Check] = {
    "video_id": _video_in_table,
    "models": _models,
    "criterion": _criterion,
    "start": _date,
    "end": _date,
    "wave_alpha": _bounded(0, 1, closed_low=False),
    "n_videos": _bounded(0, float("inf"), closed_low=False),
    "days": _bounded(0, float("inf"), closed_low=False),
    "forecast_days": _bounded(0, float("inf"), closed_low=False),
    "max_videos_plotted": _bounded(0, float("inf"), closed_low=True),
}


def check_values(params: dict[str, Any], counts: pd.DataFrame | None = None) -> None:
    """Check the values of a notebook's parameters, the table's videos included.

    Parameters
    ----------
    params : dict
        Parameter values, already of their declared types.
    counts : DataFrame, optional
        The loaded input table (None for a notebook without one).

    Raises
    ------
    LikekitInputError
        On the first value that is not accepted, naming the parameter and what it accepts.
    """
    for name, value in params.items():
        check = _CHECKS.get(name) or (_date if name.endswith("_date") else None)
        if check is not None and value is not None:
            check(name, value, counts)
