"""Scale: diagnose() time and peak memory as the panel grows, against load_counts.

Each size (videos x 30 days hourly, scenario "mixed") is simulated once and written as
Parquet; a fresh process then loads it with ``load_counts`` and diagnoses it, so that its
peak resident memory (``ru_maxrss``) is that of loading plus diagnosing, nothing else. The
baseline is ``load_counts`` of the same table: reading and validating it is the floor any
diagnosis pays.

Goals (issue 14): time grows linearly with the table (exponent of time vs videos <= 1.1,
fitted on log-log), diagnose within 8x the time of ``load_counts``, and at 5,000 videos a
peak RSS of at most 1 GB. Time and ratio are judged from 1,000 videos on (the exponent when
the sizes also span at least 4x): below that, the wave scan's calibration, whose cost
depends on the number of time bins and not on the videos, dominates and flatters both.
The default sizes keep the run within a couple of minutes on 2 cores;
``LIKEKIT_BENCH_SCALE_SIZES=1000,5000`` runs the issue's sizes.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.harness import Row

SIZES, QUICK_SIZES = (250, 1000), (40, 160)
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
    """In this (fresh) process: load and diagnose ``path``; times and peak RSS."""
    import likekit as lk
    from likekit.diagnosis import diagnose

    t0 = time.perf_counter()
    table = lk.load_counts(path)
    t1 = time.perf_counter()
    diagnose(table)
    t2 = time.perf_counter()
    return {
        "rows": len(table),
        "load_s": t1 - t0,
        "diagnose_s": t2 - t1,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _in_fresh_process(path: Path) -> dict[str, float]:
    code = f"import json, benchmarks.bench_scale as b; print(json.dumps(b.measure({str(path)!r})))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.splitlines()[-1])


def run(quick: bool = False) -> list[Row]:
    import likekit as lk

    sizes = _sizes(quick)
    found = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"mixed-{n}.parquet"
            sim = lk.simulate("mixed", n_videos=n, days=DAYS, seed=1, progress=False)
            sim.counts.to_parquet(path, index=False)
            del sim
            found[n] = _in_fresh_process(path)
    rows = []
    for n, m in found.items():
        large = n >= LARGE
        rows.append(
            Row(
                f"diagnose, {n:,} videos x {DAYS} days hourly ({m['rows']:,} rows) (s)",
                m["diagnose_s"],
                m["load_s"],
                "load_counts, same table",
                "s",
                f"ratio <= {MAX_RATIO:g}" if large else "",
                m["diagnose_s"] / m["load_s"] <= MAX_RATIO if large else None,
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
    if len(sizes) >= 2:
        x = np.log(list(found))
        exponent = float(np.polyfit(x, np.log([m["diagnose_s"] for m in found.values()]), 1)[0])
        load_exp = float(np.polyfit(x, np.log([m["load_s"] for m in found.values()]), 1)[0])
        spans = max(sizes) / min(sizes) >= 4 and min(sizes) >= LARGE
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
