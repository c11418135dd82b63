"""Rows, timing and printing shared by the benchmarks."""

from __future__ import annotations

import json
import math
import platform
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

OUT_DIR = Path(__file__).resolve().parent.parent / "reports" / "benchmarks"


@dataclass
class Row:
    """One measured figure beside its baseline from the same run.

    ``ratio`` is likekit / baseline. ``passed`` says whether the goal was met (None when the
    row has no goal). ``judged_quick`` says whether the ``--quick`` sizes are enough to judge
    the goal (a share over ten cases cannot judge ">= 0.9"; "no video failed" can be judged
    on any number of videos); the goals they cannot judge are reported "not judged".
    """

    metric: str
    likekit: float
    baseline: float | None = None
    baseline_name: str = ""
    unit: str = ""
    goal: str = ""
    passed: bool | None = None
    judged_quick: bool = False

    def __post_init__(self) -> None:
        # numpy scalars (``per_100 <= 1`` is a numpy bool) as Python values: JSON writes them
        # as true/false and numbers, not as the strings its str() fallback would make
        for name in ("likekit", "baseline", "passed"):
            value = getattr(self, name)
            if isinstance(value, np.generic):
                setattr(self, name, value.item())

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0 or math.isnan(self.baseline):
            return None
        return self.likekit / self.baseline

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def best_of(fn: Callable[[], Any], repeat: int = 3, warmup: int = 1) -> float:
    """Best wall time of ``repeat`` calls of ``fn`` after ``warmup`` untimed calls, seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def peak_memory(fn: Callable[[], Any]) -> float:
    """Peak Python-allocated memory of one call of ``fn`` (numpy included), bytes."""
    tracemalloc.start()
    try:
        fn()
        return float(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, bool):
        return str(x)
    if abs(x) >= 1000 or x == int(x):
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"
    return f"{x:.3g}"


def verdict(row: Row, quick: bool = False) -> str:
    """Whether ``row`` met its goal: "yes", "NO", "not judged" (quick sizes) or "-" (no goal)."""
    if row.passed is None:
        return "-"
    if quick and not row.judged_quick:
        return "not judged"
    return "yes" if row.passed else "NO"


def missed(rows: list[Row], quick: bool = False) -> list[Row]:
    """The rows whose goal was judged and missed."""
    return [r for r in rows if verdict(r, quick) == "NO"]


def report(
    name: str, rows: list[Row], extra: dict[str, Any] | None = None, *, quick: bool = False
) -> str:
    """Print ``rows`` as a table and write them to ``reports/benchmarks/NAME.json``."""
    header = ("metric", "likekit", "baseline", "baseline is", "ratio", "unit", "goal", "met")
    body = [
        (
            r.metric,
            _fmt(r.likekit),
            _fmt(r.baseline),
            r.baseline_name,
            _fmt(r.ratio),
            r.unit,
            r.goal,
            verdict(r, quick),
        )
        for r in rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *body, strict=True)]
    lines = [f"== {name} =="]
    for cells in (header, *body):
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)))
    text = "\n".join(lines)
    print(text, flush=True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "quick": quick,
        "rows": [{**r.as_dict(), "verdict": verdict(r, quick)} for r in rows],
        **(extra or {}),
    }
    (OUT_DIR / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str))
    return text
