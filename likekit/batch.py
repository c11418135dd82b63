"""Batch runs: ``likekit diagnose`` writes a diagnosis as Parquet tables, atomically.

:func:`diagnose_to_dir` reads a table (a CSV or Parquet file, or a directory holding a
Parquet dataset), diagnoses it, optionally panel by panel, and writes into one directory

``events.parquet``, ``waves.parquet``, ``videos.parquet``
    the diagnosis' tables (``videos`` with each video's summary and verdict);
``summary.json``
    the input, options, counts of events per cause, the losses per cause and the answer.

The directory is replaced as a whole: everything is written to a temporary directory beside
it, which then takes its place, so a failed run leaves the last good directory as it was.
:func:`write_csv` writes a large table in chunks behind a progress bar.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from likekit import __version__
from likekit.data import LikekitInputError, load_counts

#: the files a diagnosis directory holds
OUTPUTS = ("events.parquet", "waves.parquet", "videos.parquet", "summary.json")
#: rows per chunk when a CSV is written behind a progress bar
CSV_CHUNK = 100_000
#: pandas writes CSV at about 100k rows a second: from this size on it shows its progress
CSV_PROGRESS_FROM = 200_000


def diagnose_to_dir(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    panel: str | None = None,
    progress: bool = True,
    load_options: dict[str, Any] | None = None,
    scheduler: str | None = None,
) -> dict[str, Path]:
    """Diagnose the table at ``source`` and write its results into ``out_dir``.

    Parameters
    ----------
    source : str or Path
        A CSV or Parquet file, or a directory holding a Parquet dataset.
    out_dir : str or Path
        The directory to (re)place; its parent is created when missing.
    panel : str, optional
        Diagnose panel by panel (see :func:`likekit.diagnose`).
    progress : bool
        Show the stage being run (and, with many panels, a bar over them).
    load_options : dict, optional
        Options of :func:`likekit.load_counts` (``columns``, ``dayfirst``, ``metric``, ...).
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler: the table is read as a Dask DataFrame
        (a Parquet file or dataset directory, or CSV files) and diagnosed on that cluster
        (``pip install likekit[dask]``), panel by panel with ``panel``.

    Returns
    -------
    dict
        File name -> path written, for every name in :data:`OUTPUTS`.

    Raises
    ------
    LikekitInputError
        When the table breaks the data contract, the panel column is missing, or ``out_dir``
        is an existing file.
    """
    from likekit.diagnosis import diagnose
    from likekit.diagnosis.distributed import diagnose_dask, diagnose_dask_panels
    from likekit.diagnosis.options import Options
    from likekit.diagnosis.panels import RATES, diagnose_panels

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise LikekitInputError(f"--out {out_dir}: exists and is not a directory")
    bar = tqdm(total=4, desc="likekit diagnose", unit="stage", disable=not progress, leave=False)
    with _client(scheduler), bar:
        with _stage(bar, "read"):
            data = _read(source, scheduler, load_options or {})
        with _stage(bar, "diagnose"):
            if scheduler is not None:
                rates = {k: getattr(Options, k) for k in RATES}  # diagnose's defaults
                options = Options.checked(**rates)
                on_dask = {"progress": progress, "load_options": load_options}
                if panel is None:
                    diag = diagnose_dask(data, options, **on_dask)
                else:
                    diag = diagnose_dask_panels(data, panel, options, **on_dask)
            elif panel is None:
                diag = diagnose(data)
            else:  # the panels' own bar follows this one's switch
                diag = diagnose_panels(data, panel, diagnose, progress=None if progress else False)
        with _stage(bar, "summarize"):
            tables = {
                "events.parquet": diag.events,
                "waves.parquet": diag.waves,
                "videos.parquet": diag.videos.join(diag.summary().drop(columns="data_quality")),
            }
            summary = _summary(diag, source, panel)
        with _stage(bar, "write"):
            _write_dir(out_dir, tables, summary)
    return {name: out_dir / name for name in OUTPUTS}


@contextmanager
def _client(scheduler: str | None) -> Iterator[None]:
    """A ``dask.distributed`` client of the scheduler at ``scheduler`` while the run lasts
    (nothing when None)."""
    if scheduler is None:
        yield
        return
    try:
        from distributed import Client
    except ImportError:
        raise LikekitInputError("--scheduler needs Dask: pip install 'likekit[dask]'") from None
    try:
        client = Client(scheduler, timeout="10s")
    except OSError as exc:
        raise LikekitInputError(
            f"--scheduler {scheduler}: no Dask scheduler there ({exc})"
        ) from None
    with client:
        yield


def _read(source: str | os.PathLike[str], scheduler: str | None, load_options: dict) -> Any:
    """The table: read by :func:`load_counts` here, or with a scheduler as a Dask DataFrame
    (each partition read by ``load_counts`` on the cluster)."""
    if scheduler is None:
        return load_counts(source, **load_options)
    import dask.dataframe as dd

    path = Path(source)
    if path.is_dir() or path.suffix == ".parquet":
        return dd.read_parquet(path)
    if path.suffix == ".csv":
        return dd.read_csv(path, dtype=str)  # the loader parses every column itself
    raise LikekitInputError(f"{source}: with --scheduler, give Parquet or CSV files")


@contextmanager
def _stage(bar: Any, name: str) -> Iterator[None]:
    """Name the stage on the bar while it runs; one step more when it is done."""
    bar.set_postfix_str(name)
    yield
    bar.update()


def _write_dir(out_dir: Path, tables: dict[str, pd.DataFrame], summary: dict[str, Any]) -> None:
    """Write the files into a temporary directory beside ``out_dir``, then swap it in."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        for name, frame in tables.items():
            frame.to_parquet(work / name, index=name == "videos.parquet")
        (work / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        _swap_in(work, out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _swap_in(work: Path, out_dir: Path) -> None:
    """Put ``work`` where ``out_dir`` is; the old directory goes only once the new is in."""
    if not out_dir.exists():
        work.rename(out_dir)
        return
    old = out_dir.with_name(f".{out_dir.name}-old-{os.getpid()}")
    out_dir.rename(old)
    try:
        work.rename(out_dir)
    except OSError:
        old.rename(out_dir)
        raise
    shutil.rmtree(old)


def _summary(diag: Any, source: str | os.PathLike[str], panel: str | None) -> dict[str, Any]:
    """The run in a small JSON object: input, options, counts, losses and the answer."""
    answer = asdict(diag.answer())
    losses = diag.losses().round(1)
    return {
        "likekit": __version__,
        "input": str(source),
        "panel": panel,
        "panels": int(diag.videos[panel].nunique()) if panel else 1,
        "metric": diag.counts.attrs.get("metric", "likes"),
        "rows": len(diag.counts),
        "videos": len(diag.videos),
        "events": {k: int(v) for k, v in diag.events["cause"].value_counts().items()},
        "waves": len(diag.waves),
        "options": {k: _plain(v) for k, v in asdict(diag.options).items()},
        "losses": {c: {k: _plain(v) for k, v in row.items()} for c, row in losses.iterrows()},
        "answer": {k: _plain(v) for k, v in answer.items()},
    }


def _plain(value: Any) -> Any:
    """A JSON value: numpy scalars as Python ones, NaN as null."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def write_csv(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, progress: bool | None = None
) -> None:
    """Write ``frame`` as CSV (as ``DataFrame.to_csv(index=False)`` would), in chunks behind
    a progress bar; ``progress=None`` shows it for tables of :data:`CSV_PROGRESS_FROM` rows
    or more."""
    show = len(frame) >= CSV_PROGRESS_FROM if progress is None else progress
    bar = tqdm(
        total=len(frame),
        desc=f"write {Path(path).name}",
        unit="row",
        unit_scale=True,
        disable=not show,
        leave=False,
    )
    with bar, open(path, "w", newline="", encoding="utf-8") as fh:
        for start in range(0, max(len(frame), 1), CSV_CHUNK):
            chunk = frame.iloc[start : start + CSV_CHUNK]
            chunk.to_csv(fh, index=False, header=start == 0)
            bar.update(len(chunk))
