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

OUT_DIR = Path(__file__).resolve().parent.parent / "reports" / "benchmarks"


@dataclass
class Row:
    """One measured figure beside its baseline from the same run.

    ``ratio`` is likekit / baseline. ``passed`` says whether the goal was met (None when the
    row has no goal).
    """

    metric: str
    likekit: float
    baseline: float | None = None
    baseline_name: str = ""
    unit: str = ""
    goal: str = ""
    passed: bool | None = None

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


def report(name: str, rows: list[Row], extra: dict[str, Any] | None = None) -> str:
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
            "-" if r.passed is None else ("yes" if r.passed else "NO"),
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
        "rows": [r.as_dict() for r in rows],
        **(extra or {}),
    }
    (OUT_DIR / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str))
    return text
