"""Dask: the pieces shared by the distributed paths of :func:`likekit.diagnose` and
:func:`likekit.fit_decay_many` (``pip install likekit[dask]``).

A Dask DataFrame's partitions are made to hold whole videos and read by
:func:`likekit.load_counts` where they lie (:func:`whole_videos`); :class:`Runner` computes
tasks on the active ``dask.distributed`` client (or Dask's local scheduler when there is
none) behind a progress bar per stage. :func:`fit_decay_many_dask` fits each partition's
videos where the partition is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from likekit.data import load_counts


def is_dask_frame(obj: Any) -> bool:
    """Whether ``obj`` is a Dask DataFrame (without importing Dask when it is not)."""
    return type(obj).__module__.split(".")[0] == "dask" and hasattr(obj, "to_delayed")


class Runner:
    """Computes Dask tasks on the active distributed client (results kept on the workers
    when asked), else on the local scheduler, each stage behind a progress bar."""

    def __init__(self, progress: bool):
        self.progress = progress
        try:
            from distributed import default_client

            self.client = default_client()
        except (ImportError, ValueError):  # no distributed client: the local scheduler
            self.client = None
        if self.client is not None and progress:
            print(f"Dask dashboard: {self.client.dashboard_link}", flush=True)

    def _bar(self, total: int, desc: str) -> tqdm:
        return tqdm(total=total, desc=desc, unit="task", disable=not self.progress, leave=False)

    def keep(self, tasks: list, desc: str) -> list:
        """Start the tasks; their results stay where they are computed (futures on a
        cluster), to be passed to later tasks."""
        if self.client is None:
            return self.compute(tasks, desc)
        from distributed import as_completed

        futures = self.client.compute(tasks)
        with self._bar(len(futures), desc) as bar:
            for _ in as_completed(futures):
                bar.update()
        return futures

    def together(self, kept: list) -> tuple[list, list[list[int]]]:
        """Results :meth:`keep` kept, held together by each worker that holds some (here:
        all of them by one :class:`Held`), and which of them each holds: a round of calls
        over them then costs a call per worker, not a task per partition. A worker's
        :class:`Held` is a Dask actor: its calls go to the worker directly, not through the
        scheduler, and what it holds stays in the worker's memory (Dask never spills it to
        disk, as it would spill a result that a round is reading when the worker's memory
        runs short, and read it back for the next round)."""
        if self.client is None:
            return [Held(*kept)], [list(range(len(kept)))]
        where = self.client.who_has(kept)
        members: dict[str, list[int]] = {}
        for k, future in enumerate(kept):
            members.setdefault(where[future.key][0], []).append(k)
        held = [
            self.client.submit(
                Held, *[kept[k] for k in ks], workers=[w], allow_other_workers=False, actor=True
            )
            for w, ks in members.items()
        ]
        from distributed import wait

        wait(held)
        return held, list(members.values())

    def _actors(self, held: list) -> list:
        """What :meth:`together` made, to be called (here: themselves; on a cluster: each
        actor's handle, while ``held`` keeps the actor alive)."""
        return held if self.client is None else [h.result() for h in held]

    def parts(self, held: list, desc: str) -> Callable:
        """How to reach what :meth:`together` holds, as the parts of a
        :class:`~likekit.diagnosis.grid.ShardedGrid` (its ``each``): a function runs on
        every worker's results where they are (:meth:`Held.apply`), and the answers come
        here one at a time, in order (a bar shows if a round takes a while)."""
        actors = self._actors(held)

        def each(fn: Callable, args: tuple, splits: list[tuple], add: bool) -> Iterator:
            pairs = list(zip(actors, splits, strict=True))
            with tqdm(total=len(actors), desc=desc, leave=False, delay=2) as bar:
                # on a cluster, every worker's call starts before the first answer is read
                calls = [a.apply(fn, args, add, *s) for a, s in pairs]
                done = calls if self.client is None else (c.result() for c in calls)
                for k, result in enumerate(done):
                    bar.update()
                    yield k, result

        return each

    def update(self, held: list, fn: Callable) -> None:
        """Replace each result :meth:`together` holds ``r`` by ``fn(r)``, where it is."""
        calls = [a.update(fn) for a in self._actors(held)]
        if self.client is not None:
            for call in calls:
                call.result()

    def compute(self, tasks: list, desc: str) -> list:
        """The tasks' results, here."""
        if self.client is not None:
            return self.client.gather(self.keep(tasks, desc))
        import dask
        from dask.callbacks import Callback

        bar = self._bar(0, desc)

        class Bar(Callback):  # the local scheduler's tasks, done over all
            def _start_state(self, dsk, state):
                bar.total = sum(len(state[k]) for k in ("ready", "waiting", "running"))
                bar.refresh()

            def _posttask(self, key, result, dsk, state, worker_id):
                bar.update()

        with bar, Bar():
            return list(dask.compute(*tasks))


class Held:
    """Results held together where they are, for rounds of calls over them
    (:meth:`Runner.together`; on a cluster, a Dask actor on the worker that computed them)."""

    def __init__(self, *results: Any):
        self.results = list(results)

    def apply(self, fn: Callable, args: tuple, add: bool, *split: Any) -> Any:
        """``fn`` on every result, combined (:func:`~likekit.diagnosis.grid.in_turn`)."""
        from likekit.diagnosis.grid import in_turn

        return in_turn(self.results, fn, args, add, *split)

    def update(self, fn: Callable) -> None:
        """Each result ``r`` replaced by ``fn(r)``; the memory freed handed back."""
        from likekit.diagnosis.stream import release_memory

        self.results = [fn(r) for r in self.results]
        release_memory()


def whole_videos(frame: Any, run: Runner, load_options: dict[str, Any]) -> list:
    """The frame's partitions read by :func:`likekit.load_counts`, empty ones left out.

    Where each partition already holds whole videos (a dataset written by video), they
    are Dask tasks that read the partition again wherever a later task needs it (a read
    costs a few per cent of the per-video stages): no worker holds a table it is not
    working on. Where a video is spread over several, the frame is shuffled on video_id
    once read, and the shuffled partitions are kept where they are computed."""
    from dask import dataframe as dd
    from dask import delayed

    parts = [delayed(_read)(p, load_options) for p in frame.to_delayed()]
    ids = run.compute([delayed(_video_ids)(p) for p in parts], "videos")
    parts = [p for p, i in zip(parts, ids, strict=True) if len(i)]
    every = np.concatenate(ids)
    if len(every) == len(set(every)):
        return parts
    # shuffled once read (the contract's video_id column), then read again: each shuffled
    # partition sorted by video and time
    meta = run.compute([delayed(_empty)(parts[0])], "columns")[0]
    shuffled = dd.from_delayed(parts, meta=meta).shuffle("video_id")
    parts = run.keep([delayed(_read)(p, {}) for p in shuffled.to_delayed()], "shuffle")
    ids = run.compute([delayed(_video_ids)(p) for p in parts], "videos")
    return [p for p, i in zip(parts, ids, strict=True) if len(i)]


def _empty(part: pd.DataFrame) -> pd.DataFrame:
    return part.iloc[:0]


def _read(part: pd.DataFrame, load_options: dict[str, Any]) -> pd.DataFrame:
    """A partition in the data contract; an empty one stays empty."""
    return load_counts(part, **load_options) if len(part) else part


def _video_ids(part: pd.DataFrame) -> np.ndarray:
    if not len(part):  # an empty partition, not read
        return np.array([], dtype=object)
    return part["video_id"].drop_duplicates().to_numpy(dtype=object)


def fit_decay_many_dask(frame: Any, *, progress: bool = True, **kwargs: Any) -> pd.DataFrame:
    """:func:`likekit.fit_decay_many` of a Dask DataFrame: each partition's videos fitted
    where it is; the same rows, in the same (video) order, as on the whole table."""
    from dask import delayed

    from likekit.decay import fit_decay_many

    run = Runner(progress)
    parts = whole_videos(frame, run, {})
    fits = [delayed(fit_decay_many)(p, progress=False, **kwargs) for p in parts]
    rows = pd.concat(run.compute(fits, "fit_decay"), ignore_index=True)
    return rows.sort_values("video_id", kind="stable", ignore_index=True)
