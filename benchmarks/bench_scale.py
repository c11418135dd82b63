"""Scale: diagnose() time and peak memory as the panel grows, against load_counts.

Each size (videos x 30 days hourly, scenario "mixed") is simulated once and written as
Parquet; a fresh process then loads it with ``load_counts`` and diagnoses it, so that its
peak resident memory (``ru_maxrss``) is that of loading plus diagnosing, nothing else; the
peak while diagnosing alone (the loaded table held) is read too, the process's peak being
started afresh after loading (Linux). diagnose works on two cores, this process and a helper
process (:mod:`likekit.diagnosis.helper`): the peak is of both together, sampled
(:class:`TreePeak`); each one's own peak is given too. The baseline is ``load_counts`` of
the same table as a CSV file (what a user most often loads; in a fresh process of its own):
reading and validating it is the floor any diagnosis pays, and it is the baseline of the
issue's figures ("today 24x" was 68 s against 2.8 s to load the CSV table). A table
already in the data contract (the Parquet file) is passed through almost as it is read
(~3x faster than the CSV): the ratio to that is given too, not judged.

Goals (issue 14): time grows linearly with the table (exponent of time vs videos <= 1.1,
fitted on log-log), diagnose within 8x the time of ``load_counts`` of the CSV, and at 5,000
videos a peak RSS of at most 1 GB. Time and ratio are judged from 1,000 videos on (the exponent when
the sizes also span at least 4x): below that, the wave scan's calibration, whose cost
depends on the number of time bins and not on the videos, dominates and flatters both.
The default sizes (1,000 and 5,000 videos) take a few minutes on 2 cores;
``LIKEKIT_BENCH_SCALE_SIZES=1000,5000,20000`` runs the issue's sizes.

Dask: the same diagnosis from a partitioned Parquet dataset (one file per range of videos,
as a tracker writes one) on a 2-worker LocalCluster with a 4 GB limit per worker, against
the one-machine path on the same data (both in fresh processes). By default at LARGE
videos; ``LIKEKIT_BENCH_SCALE_DASK=50000`` runs it at the issue's 50,000 videos (the
dataset is simulated in blocks of DASK_BLOCK videos, each block a creator of its own, so
that the simulator's memory stays bounded too), ``LIKEKIT_BENCH_SCALE_DASK=0`` skips it.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from benchmarks.harness import Row

SIZES, QUICK_SIZES = (1000, 5000), (40, 160)
#: videos per simulated block (one file, one creator) of the Dask benchmark's dataset
DASK_BLOCK = 1000
#: the memory limit of each of the Dask benchmark's 2 workers (bytes)
WORKER_MEMORY = 4 * 10**9
DAYS = 30
MAX_EXPONENT, MAX_RATIO, MAX_RSS_MB, RSS_AT = 1.1, 8.0, 1024.0, 5000
#: from this many videos on, the per-video work dominates the fixed costs
LARGE = 1000


def _sizes(quick: bool) -> tuple[int, ...]:
    given = os.environ.get("LIKEKIT_BENCH_SCALE_SIZES")
    if given:
        return tuple(int(s) for s in given.split(","))
    return QUICK_SIZES if quick else SIZES


def measure(path: str) -> dict[str, float]:
    """In this (fresh) process: load and diagnose ``path``; times and peak RSS (this
    process and its helper process together, :class:`TreePeak`)."""
    import likekit as lk
    from likekit.diagnosis import diagnose

    t0 = time.perf_counter()
    table = lk.load_counts(path)
    t1 = time.perf_counter()
    reset = _reset_peak_rss()
    with TreePeak() as tree:
        diagnose(table, progress=False)
    t2 = time.perf_counter()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rows": len(table),
        "load_s": t1 - t0,
        "diagnose_s": t2 - t1,
        "peak_rss_mb": max(own, tree.peak_mb),
        "own_peak_rss_mb": own,
        "helper_peak_rss_mb": tree.children_peak_mb,
        "diagnose_peak_rss_mb": max(_peak_rss_mb(), tree.peak_mb) if reset else float("nan"),
    }


class TreePeak:
    """The peak resident memory of this process and its children together, sampled every
    SAMPLE_S in a thread, and the largest child's own peak.

    diagnose runs the per-video stages on this process and a helper process at once, so
    the memory it takes is their sum at each moment. ``ru_maxrss`` cannot give it: a
    child's (``RUSAGE_CHILDREN``) counts the parent's memory it was forked from (Linux keeps
    the high-water mark across ``exec``: a helper started from a 950 MB process reads 950
    MB), and the sum of two peaks reached at different stages overstates it.
    """

    def __enter__(self) -> TreePeak:
        self.peak_mb = self.children_peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = os.getpid()
        while True:
            children = [_rss_mb(pid) for pid in _children(me)]
            self.peak_mb = max(self.peak_mb, _rss_mb(me) + sum(children))
            self.children_peak_mb = max(self.children_peak_mb, *children, 0.0)
            if self._stop.wait(SAMPLE_S):
                return


#: how often :class:`TreePeak` reads the processes' resident memory (seconds)
SAMPLE_S = 0.01


def _children(pid: int) -> list[int]:
    """The children a process's main thread started (Linux; diagnose starts its helper
    there), read cheaply enough to sample often."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rss_mb(pid: int) -> float:
    """A process's resident memory now (0 once it has ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    if "VmRSS:" not in status:  # a zombie
        return 0.0
    return float(status.split("VmRSS:")[1].split()[0]) / 1024


def measure_load(path: str) -> dict[str, float]:
    """In this (fresh) process: the time ``load_counts`` takes to read ``path``."""
    import likekit as lk

    t0 = time.perf_counter()
    table = lk.load_counts(path)
    return {"rows": len(table), "load_s": time.perf_counter() - t0}


def _reset_peak_rss() -> bool:
    """Start this process's peak resident memory afresh (Linux: ``clear_refs``), so that
    the peak read after diagnosing is diagnose's, over the table it holds; False where the
    system cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return float(status.split("VmHWM:")[1].split()[0]) / 1024


def measure_dask(dataset: str, progress: bool = False) -> dict[str, float]:
    """In this (fresh) process: diagnose the Parquet dataset on a 2-worker LocalCluster
    (WORKER_MEMORY each); the wall time, this process's and the workers' peak RSS."""
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from likekit.diagnosis import diagnose

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit=WORKER_MEMORY, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        t0 = time.perf_counter()
        diag = diagnose(dd.read_parquet(dataset), progress=progress)
        wall = time.perf_counter() - t0
        # (a worker restarted after a crash would show its own peak since: none in a run
        # that completes on its first workers, which the scheduler's log would say)
        workers = client.run(_own_peak_rss_mb)
        spilled = client.run(_spilled_mb)
    return {
        "diagnose_s": wall,
        "events": len(diag.events),
        "waves": len(diag.waves),
        "peak_rss_mb": _own_peak_rss_mb(),
        "worker_peak_rss_mb": max(workers.values()),
        "spilled_mb": sum(spilled.values()),
    }


def _own_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _spilled_mb(dask_worker) -> float:
    """What a Dask worker wrote to disk when its memory ran short (MB, over the run)."""
    metrics = getattr(dask_worker.data, "cumulative_metrics", {})
    return metrics.get(("disk-write", "bytes"), 0.0) / 2**20


#: lines of a failed measurement's stderr shown in its row (and printed in full to stderr)
TAIL_LINES = 3


class Failed(dict):
    """A measurement whose fresh process failed: its exit code and the tail of its stderr."""

    def row(self, what: str) -> Row:
        """A row saying so (the goal "completes", not met), the stderr's last lines in it."""
        tail = " | ".join(self["stderr_tail"].strip().splitlines()[-TAIL_LINES:])
        return Row(
            f"{what}: FAILED, exit code {self['exit_code']}: {tail}",
            float("nan"),
            unit="s",
            goal="completes",
            passed=False,
            judged_quick=True,
        )


def _in_fresh_process(path: Path, how: str = "measure") -> dict[str, float] | Failed:
    """``how(path)`` in a fresh Python process: its figures, or :class:`Failed` (with the
    tail of its stderr, also printed here) when it did not complete."""
    code = f"import json, benchmarks.bench_scale as b; print(json.dumps(b.{how}({str(path)!r})))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode == 0:
        return json.loads(proc.stdout.splitlines()[-1])
    tail = proc.stderr[-4000:]
    print(f"bench scale: {how} failed (exit code {proc.returncode}):\n{tail}", file=sys.stderr)
    return Failed(exit_code=proc.returncode, stderr_tail=tail)


def run(quick: bool = False) -> list[Row]:
    import likekit as lk

    sizes = _sizes(quick)
    found = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"mixed-{n}.parquet"
            sim = lk.simulate("mixed", n_videos=n, days=DAYS, seed=1, progress=False)
            sim.counts.to_parquet(path, index=False)
            # the same table as a user would most often load it: a CSV file
            sim.counts.to_csv(path.with_suffix(".csv"), index=False)
            del sim
            found[n] = _in_fresh_process(path)
            found[n, "csv"] = _in_fresh_process(path.with_suffix(".csv"), "measure_load")
    rows = []
    done = {}
    for n in sizes:
        m, csv = found[n], found[n, "csv"]
        for failed, what in ((m, "diagnose"), (csv, "load_counts of the CSV file")):
            if isinstance(failed, Failed):
                rows.append(failed.row(f"{what}, {n:,} videos x {DAYS} days hourly"))
        if isinstance(m, Failed):
            continue
        done[n] = m
        large = n >= LARGE
        csv_s = float("nan") if isinstance(csv, Failed) else csv["load_s"]
        rows.append(
            Row(
                f"diagnose, {n:,} videos x {DAYS} days hourly ({m['rows']:,} rows) (s)",
                m["diagnose_s"],
                csv_s,
                "load_counts of the same table as CSV",
                "s",
                f"ratio <= {MAX_RATIO:g}" if large else "",
                m["diagnose_s"] / csv_s <= MAX_RATIO if large else None,
                judged_quick=True,
            )
        )
        rows.append(
            Row(
                f"diagnose, {n:,} videos, against loading the same table from Parquet (s)",
                m["diagnose_s"],
                m["load_s"],
                "load_counts of the Parquet file",
                "s",
                judged_quick=True,
            )
        )
        at_goal = n == RSS_AT
        rows.append(
            Row(
                f"peak RSS, load + diagnose, {n:,} videos (MB)",
                m["peak_rss_mb"],
                unit="MB",
                goal=f"<= {MAX_RSS_MB:,.0f}" if at_goal else "",
                passed=m["peak_rss_mb"] <= MAX_RSS_MB if at_goal else None,
                judged_quick=True,
            )
        )
        rows.append(
            Row(
                f"peak RSS while diagnosing (the loaded table held), {n:,} videos (MB)",
                m["diagnose_peak_rss_mb"],
                unit="MB",
                judged_quick=True,
            )
        )
        rows.append(
            Row(
                f"peak RSS of this process alone, load + diagnose, {n:,} videos (MB)",
                m["own_peak_rss_mb"],
                m["helper_peak_rss_mb"],
                "diagnose's helper process alone",
                "MB",
                judged_quick=True,
            )
        )
    n_dask = int(os.environ.get("LIKEKIT_BENCH_SCALE_DASK", LARGE))
    if n_dask and not quick:
        rows += _dask_rows(n_dask)
    if len(done) >= 2:
        x = np.log(list(done))
        exponent = float(np.polyfit(x, np.log([m["diagnose_s"] for m in done.values()]), 1)[0])
        load_exp = float(np.polyfit(x, np.log([m["load_s"] for m in done.values()]), 1)[0])
        spans = max(done) / min(done) >= 4 and min(done) >= LARGE
        rows.append(
            Row(
                "exponent of diagnose time vs videos",
                exponent,
                load_exp,
                "load_counts' exponent",
                "",
                f"<= {MAX_EXPONENT:g}" if spans else "",
                exponent <= MAX_EXPONENT if spans else None,
                judged_quick=True,
            )
        )
    return rows


def _dask_rows(n: int) -> list[Row]:
    """Dask on a 2-worker LocalCluster vs the one-machine path, same partitioned dataset."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(tmp) / "dataset"
        build_dataset(dataset, n)
        one = _in_fresh_process(dataset)
        on_dask = _in_fresh_process(dataset, "measure_dask")
    rows = []
    for m, what in ((one, "diagnose on one machine"), (on_dask, "diagnose on Dask")):
        if isinstance(m, Failed):
            rows.append(m.row(f"{what}, {n:,} videos x {DAYS} days hourly"))
    if isinstance(on_dask, Failed):
        return rows
    nan = float("nan")
    one = {} if isinstance(one, Failed) else one
    return rows + [
        Row(
            f"diagnose on Dask, 2-worker LocalCluster, {n:,} videos x {DAYS} days (s)",
            on_dask["diagnose_s"],
            one.get("diagnose_s", nan),
            "one machine, same dataset",
            "s",
            judged_quick=True,
        ),
        Row(
            f"peak RSS of the Dask client process, {n:,} videos (MB)",
            on_dask["peak_rss_mb"],
            one.get("peak_rss_mb", nan),
            "one machine",
            "MB",
            judged_quick=True,
        ),
        Row(
            f"peak RSS of a Dask worker, {n:,} videos (MB)",
            on_dask["worker_peak_rss_mb"],
            WORKER_MEMORY / 2**20,
            "its memory limit",
            "MB",
            judged_quick=True,
        ),
        Row(
            f"written to disk by the Dask workers (memory short), {n:,} videos (MB)",
            on_dask["spilled_mb"],
            2 * WORKER_MEMORY / 2**20,
            "their memory limits",
            "MB",
            judged_quick=True,
        ),
    ]


def build_dataset(dataset: Path, n: int) -> None:
    """A partitioned Parquet dataset of ``n`` videos x DAYS days hourly: one file per block
    of DASK_BLOCK videos (ids prefixed by the block), each simulated on its own (a creator
    of its own), so that the simulator's memory stays bounded; files already there kept."""
    import likekit as lk

    dataset.mkdir(parents=True, exist_ok=True)
    for k, first in enumerate(range(0, n, DASK_BLOCK)):
        path = dataset / f"part-{k:03d}.parquet"
        if path.exists():
            continue
        sim = lk.simulate(
            "mixed", n_videos=min(DASK_BLOCK, n - first), days=DAYS, seed=100 + k, progress=False
        )
        counts = sim.counts.assign(video_id=f"b{k:03d}-" + sim.counts["video_id"])
        counts.to_parquet(path, index=False)
        del sim, counts
