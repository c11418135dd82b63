"""Capture the golden outputs that pin likekit's behaviour across refactors.

Run from the repository root with ``python -m tests.golden.capture`` (or as a script). It
writes one Parquet file per table into ``tests/golden/``; ``tests/test_golden.py`` recomputes
the same tables and requires them identical. Re-capture only when a change of behaviour is
intended, and say why in the commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SAMPLES = ("creator", "glitch", "purge", "status", "trend_decline")
# a few benchmark worlds (scenario, seed): bench_diagnosis draws these scenarios at 30 days
WORLDS = (("mixed", 1), ("purge_waves", 3), ("app_glitch", 2), ("spam_bots", 4))
DECAY_SAMPLES = (("trend_decline", None), ("creator", "v16"), ("creator", "v03"))
DECAY_SEEDS = (
    (model, 10_000 * (i + 1))
    for i, model in enumerate(("exponential", "power_law", "stretched_exponential"))
)


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Objects that Parquet cannot hold (dicts, mixed) as their repr; index reset."""
    out = frame.reset_index(drop=True)
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None else repr(v))
    return out


def tables() -> dict[str, pd.DataFrame]:
    """Every golden table, computed by the installed likekit."""
    import likekit as lk
    from likekit.simulation import draw_decline

    out: dict[str, pd.DataFrame] = {}
    for name in SAMPLES:
        diag = lk.diagnose(lk.load_counts(lk.sample_path(name)))
        out[f"diagnose_{name}_events"] = diag.events
        out[f"diagnose_{name}_waves"] = diag.waves
    for scenario, seed in WORLDS:
        sim = lk.simulate(scenario, n_videos=20, days=30, seed=seed)
        diag = lk.diagnose(sim.counts)
        out[f"diagnose_{scenario}_{seed}_events"] = diag.events
        out[f"diagnose_{scenario}_{seed}_waves"] = diag.waves
    rows = []
    for name, video in DECAY_SAMPLES:
        counts = lk.load_counts(lk.sample_path(name))
        if video is not None:
            counts = counts.loc[counts["video_id"] == video]
        fit = lk.fit_decay(counts)
        rows.append(_derived(f"{name}:{video}", fit))
    for model, seed in DECAY_SEEDS:
        for display in (False, True):
            counts, _ = draw_decline(model, seed=seed, display=display)
            rows.append(_derived(f"{model}:{seed}:{display}", lk.fit_decay(counts)))
    out["fit_decay_derived"] = pd.concat(rows, ignore_index=True)
    return {k: _flat(v) for k, v in out.items()}


def _derived(key: str, fit) -> pd.DataFrame:
    d = fit.derived.reset_index(names="quantity")
    d.insert(0, "model", fit.model)
    d.insert(0, "case", key)
    return d


def main() -> None:
    for name, table in tables().items():
        table.to_parquet(HERE / f"{name}.parquet")
    print(f"wrote {len(list(HERE.glob('*.parquet')))} tables to {HERE}", file=sys.stderr)


if __name__ == "__main__":
    main()
