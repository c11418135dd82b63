"""Panels: one table holding many creators (or any grouping), each diagnosed on its own.

``diagnose(table, panel="creator_id")`` splits the table by the panel column, diagnoses
each panel's videos together (so waves are scanned within a panel: one creator's purge is
not looked for on another creator's videos) and combines the per-panel results into one
:class:`~likekit.diagnosis.result.Diagnosis` whose events, waves and videos carry the
panel column first. Waves are renumbered 1, 2, ... in time order over all panels (ties in
panel order), and each event's ``wave`` follows its wave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from likekit.data import LikekitInputError, load_counts
from likekit.diagnosis.options import Options
from likekit.diagnosis.result import Diagnosis

RATES = ("false_alarms", "wave_alpha", "video_alpha")
#: a progress bar is shown (``progress=None``) from this many panels on: each panel pays the
#: wave scan's calibration, seconds whatever its size
PROGRESS_FROM = 2


def diagnose_panels(
    counts: Any,
    panel: str,
    diagnose_one: Callable[..., Diagnosis],
    *,
    progress: bool | None = None,
    **options: float,
) -> Diagnosis:
    """Diagnose each panel of ``counts`` alone and combine the results.

    Parameters
    ----------
    counts : DataFrame, str or Path
        A like-count table (anything :func:`likekit.load_counts` reads) with a ``panel``
        column.
    panel : str
        The column naming each row's panel; every video must sit in a single panel.
    diagnose_one : callable
        Diagnoses one panel's table (:func:`likekit.diagnose` without a panel).
    progress : bool, optional
        Show a progress bar over the panels; by default when there are many of them.
    **options
        ``false_alarms``, ``wave_alpha``, ``video_alpha`` for every panel.

    Returns
    -------
    Diagnosis

    Raises
    ------
    LikekitInputError
        When the column is missing or empty somewhere, or a video sits in two panels.
    """
    # the rates not given take diagnose's defaults, which Options holds too
    checked = Options.checked(**{name: getattr(Options, name) for name in RATES} | options)
    table = load_counts(counts)
    key = panel_column(table, panel)
    groups = table.groupby(key, sort=True, observed=True)
    show = len(groups) >= PROGRESS_FROM if progress is None else progress
    parts = []
    for name, one in tqdm(
        groups, desc="diagnose panels", unit="panel", disable=not show, leave=False
    ):
        parts.append((name, diagnose_one(one.reset_index(drop=True), **options)))

    def increments() -> pd.DataFrame:  # on first use, as each panel's own
        return pd.concat([d.increments for _, d in parts], ignore_index=True)

    options = checked.for_table(table)
    return combine(table, panel, parts, options, dtype=table[panel].dtype, increments=increments)


def check_column(columns: pd.Index, panel: str) -> None:
    """The panel column is one of ``columns``."""
    if panel not in columns:
        found = ", ".join(map(str, columns))
        raise LikekitInputError(f"no panel column {panel!r} (columns found: {found})")


def panel_column(table: pd.DataFrame, panel: str) -> pd.Series:
    """The panel of every row, checked: present, never missing, one panel per video."""
    check_column(table.columns, panel)
    key = table[panel]
    if key.isna().any():
        row = int(np.flatnonzero(key.isna().to_numpy())[0])
        raise LikekitInputError(
            f"panel column {panel!r} is missing on {int(key.isna().sum())} rows "
            f"(first: video {table['video_id'].iat[row]!r})"
        )
    per_video = key.groupby(table["video_id"], sort=False).nunique()
    if (per_video > 1).any():
        raise in_two_panels(per_video.index[per_video > 1][0], panel)
    return key


def in_two_panels(video: Any, panel: str) -> LikekitInputError:
    """The error of a video found in two panels."""
    return LikekitInputError(f"video {video!r} sits in more than one {panel!r} panel")


def combine(
    table: Any,
    panel: str,
    parts: list[tuple[Any, Any]],
    options: Options,
    *,
    dtype: Any,
    increments: Callable[[], pd.DataFrame],
) -> Diagnosis:
    """One Diagnosis from the panels' own (``parts``: each panel's name and what it found,
    ``events``, ``waves``, ``videos`` and ``options``, in panel order), waves renumbered in
    time order. ``table``: the table (or a callable returning it), ``options``: the run's
    for the whole table, ``dtype``: the panel column's, ``increments``: a callable
    returning every panel's increments."""
    waves = _stacked([d.waves for _, d in parts], parts, panel, dtype)
    waves = waves.sort_values(["time", "_part", "wave"], kind="stable", ignore_index=True)
    # (part, panel-local wave) -> global wave number
    number = {
        (int(p), int(w)): i + 1
        for i, (p, w) in enumerate(zip(waves["_part"], waves["wave"], strict=True))
    }
    waves["wave"] = np.arange(1, len(waves) + 1, dtype=np.int64)
    events = _stacked([d.events for _, d in parts], parts, panel, dtype)
    events = events.sort_values(["video_id", "start"], kind="stable", ignore_index=True)
    local = zip(events["_part"], events["wave"], strict=True)
    events["wave"] = pd.array(
        [pd.NA if pd.isna(w) else number[(int(p), int(w))] for p, w in local], dtype="Int64"
    )
    videos = _stacked([d.videos for _, d in parts], parts, panel, dtype).sort_index(kind="stable")
    step_h = float(np.median([d.options.step_h for _, d in parts]))
    options = replace(options, step_h=step_h)
    strip = {"columns": "_part"}
    return Diagnosis(
        table,
        events.drop(**strip),
        waves.drop(**strip),
        videos.drop(**strip),
        increments,
        options=options,
    )


def _stacked(
    frames: list[pd.DataFrame], parts: list[tuple[Any, Diagnosis]], panel: str, dtype: Any
) -> pd.DataFrame:
    """The panels' frames one under the other, the panel column first (of the table's
    dtype, also when empty) and ``_part``, the panel's position, last."""
    tagged = [f.drop(columns=panel, errors="ignore").assign(_part=i) for i, f in enumerate(frames)]
    out = pd.concat(tagged)
    names = pd.Series([name for name, _ in parts], dtype=dtype)
    out.insert(0, panel, names.take(out["_part"].to_numpy()).set_axis(out.index))
    return out
