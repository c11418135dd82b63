"""diagnose() accuracy on every scenario and speed, against a ruptures baseline, same data.

Baseline: ruptures Binseg (l2 cost, penalty 3 log n times the robust variance of the
increments) on each video's increments; a change whose increment is negative (beyond 3
robust SDs) is an event: a glitch when a positive change of at least half its size follows
within a day, a purge otherwise. Both are scored by ``score_events`` (2-hour tolerance on
the start) against the simulation's ground truth.

Scoring notes: true events are split by ``event_sizes`` into clear (>= 5x the local noise)
and faint (1.5-5x) ones. The simulator records an event only where the app shows it (no
purge of a hidden or removed video; an old app's under-count from the first snapshot where it
shows a fall), so every true event is scored. A second glitch row matches detections to true
glitches by overlapping spans instead of start, as extra information.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import likekit as lk
from benchmarks.harness import Row, best_of
from likekit.metrics import event_sizes, score_events

TOLERANCE = pd.Timedelta("2h")


def ruptures_events(counts: pd.DataFrame) -> pd.DataFrame:
    """The baseline detector: Binseg change points on each video's increments."""
    import ruptures as rpt

    rows = []
    for v, one in counts.loc[counts["likes"].notna()].groupby("video_id", sort=False):
        y = one["likes"].to_numpy(dtype=float)
        d = np.diff(y)
        if len(d) < 10:
            continue
        ts = one["timestamp"].iloc[1:].reset_index(drop=True)
        centre = np.median(d)
        sd = max(1.4826 * np.median(np.abs(d - centre)), 1.0)
        algo = rpt.Binseg(model="l2", min_size=1, jump=1).fit(d)
        bkps = algo.predict(pen=3 * np.log(len(d)) * sd**2)
        idx = [b - 1 for b in bkps[:-1]]
        jumps = [(i, d[i] - centre) for i in idx if abs(d[i] - centre) > 3 * sd]
        used = set()
        for k, (i, j) in enumerate(jumps):
            if j >= 0 or i in used:
                continue
            back = [
                i2
                for i2, j2 in jumps[k + 1 :]
                if j2 >= -j / 2 and (ts[i2] - ts[i]) <= pd.Timedelta(days=1)
            ]
            used.update(back[:1])
            rows.append(
                {
                    "video_id": v,
                    "cause": "glitch" if back else "purge",
                    "start": ts[i],
                    "likes_delta": j,
                }
            )
    return pd.DataFrame(rows, columns=["video_id", "cause", "start", "likes_delta"])


def _add(tally: dict, key: str, table: pd.DataFrame, cause: str) -> None:
    t = tally.setdefault(key, np.zeros(3))
    t += table.loc[cause, ["tp", "fp", "fn"]].to_numpy(dtype=float)


def _f1(t) -> float:
    tp, fp, fn = t
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")


def _waves(sim, diag, noise_of: pd.Series) -> tuple[int, int, int]:
    """(true waves with a combined drop >= 5x combined noise, of them found, false waves)."""
    ev = sim.events.loc[sim.events["wave"].notna()]
    spans = ev.groupby("wave").agg(start=("start", "min"), end=("end", "max"))
    found = diag.waves["time"] if len(diag.waves) else pd.Series(dtype="datetime64[us, UTC]")
    # a detected wave is false when its span meets no true wave's span (within tolerance)
    false = sum(
        not ((w.time <= spans["end"] + TOLERANCE) & (w.end >= spans["start"] - TOLERANCE)).any()
        for w in diag.waves.itertuples()
    )
    purge = ev.loc[ev["cause"] == "purge"]
    strong = found_strong = 0
    for _, w in purge.groupby("wave"):
        noise = noise_of.loc[w.index]
        combined = w["likes_delta"].abs().sum() / np.sqrt((noise**2).sum())
        if np.isfinite(combined) and combined >= 5:
            strong += 1
            found_strong += bool((abs(found - w["start"].min()) <= TOLERANCE).any())
    return strong, found_strong, false


def _accuracy(seeds, n_videos):
    tally: dict[str, np.ndarray] = {}
    errors = {"likekit": [], "ruptures": []}
    healthy = {"likekit": 0, "ruptures": 0}
    waves = np.zeros(3)
    months = 0
    for scenario in lk.scenarios()["name"]:
        for seed in seeds:
            sim = lk.simulate(scenario, n_videos=n_videos, days=30, seed=seed)
            diag = lk.diagnose(sim.counts)
            found = {"likekit": diag.events, "ruptures": ruptures_events(sim.counts)}
            months += 1
            if scenario == "healthy":
                for k, ev in found.items():
                    healthy[k] += len(ev)
                continue
            size = event_sizes(sim.events, sim.counts)
            clear = (size >= 5).to_numpy()
            faint = ((size >= 1.5) & (size < 5)).to_numpy()
            for k, ev in found.items():
                table = score_events(ev, sim.events, evaluate=clear)
                for cause in table.index:
                    _add(tally, f"{cause} {k}", table, cause)
                overlap = score_events(ev, sim.events, evaluate=clear, match="overlap")
                _add(tally, f"glitch overlap {k}", overlap, "glitch")
                if not np.isnan(table.loc["purge", "rel_error"]):
                    errors[k].append(table.loc["purge", "rel_error"])
                if scenario == "spam_bots":
                    table = score_events(ev, sim.events, evaluate=faint)
                    _add(tally, f"faint {k}", table, "purge")
            noise_of = sim.events["likes_delta"].abs() / size
            waves += _waves(sim, diag, noise_of)
    return tally, errors, healthy, waves, months


def run(quick: bool = False) -> list[Row]:
    seeds = range(2) if quick else range(5)
    n_videos = 20
    tally, errors, healthy, waves, months = _accuracy(seeds, n_videos)
    base = "ruptures Binseg"
    rows = []
    for key, label, goal, need in (
        ("purge", "purge F1, clear (>= 5x noise)", ">= 0.98", 0.98),
        ("glitch", "glitch F1, clear (>= 5x noise)", ">= 0.95", 0.95),
        ("glitch overlap", "glitch F1, clear, matched by overlap", ">= 0.95", 0.95),
    ):
        f1 = _f1(tally[f"{key} likekit"])
        rows.append(Row(label, f1, _f1(tally[f"{key} ruptures"]), base, "", goal, f1 >= need))
    # every cause: precision and recall beside F1 (the baseline knows no decline or status)
    for cause in ("purge", "glitch", "trend_decline", "status"):
        tp, fp, fn = tally[f"{cause} likekit"]
        for what, value in (
            ("precision", tp / max(tp + fp, 1)),
            ("recall", tp / max(tp + fn, 1)),
        ):
            b_tp, b_fp, b_fn = tally[f"{cause} ruptures"]
            b = b_tp / max(b_tp + (b_fp if what == "precision" else b_fn), 1)
            rows.append(Row(f"{cause} {what}, clear", value, b, base, "", "", None))
        if cause in ("trend_decline", "status"):
            f1 = _f1(tally[f"{cause} likekit"])
            rows.append(
                Row(f"{cause} F1, clear", f1, _f1(tally[f"{cause} ruptures"]), base, "", "", None)
            )
    err = float(np.median(errors["likekit"]))
    rows.append(
        Row(
            "purge likes_delta median rel. error, clear",
            err,
            float(np.median(errors["ruptures"])),
            base,
            "",
            "<= 0.10",
            err <= 0.10,
        )
    )
    recall, precision = {}, {}
    for k in ("likekit", "ruptures"):
        tp, fp, fn = tally[f"faint {k}"]
        recall[k], precision[k] = tp / max(tp + fn, 1), tp / max(tp + fp, 1)
    rows += [
        Row(
            "spam_bots per-video purge recall (1.5-5x)",
            recall["likekit"],
            recall["ruptures"],
            base,
            "",
            ">= 0.8",
            recall["likekit"] >= 0.8,
        ),
        Row(
            "spam_bots per-video purge precision",
            precision["likekit"],
            precision["ruptures"],
            base,
            "",
            ">= 0.9",
            precision["likekit"] >= 0.9,
        ),
    ]
    strong, found, false = waves
    rows += [
        Row(
            "purge wave recall (combined drop >= 5x)",
            found / max(strong, 1),
            None,
            "",
            "",
            ">= 0.95",
            found / max(strong, 1) >= 0.95,
        ),
        Row(
            "false waves per 100 creator-months",
            100 * false / months,
            None,
            "",
            "",
            "< 1",
            100 * false / months < 1,
        ),
        Row(
            "healthy: false events per video-month",
            healthy["likekit"] / (len(seeds) * n_videos),
            healthy["ruptures"] / (len(seeds) * n_videos),
            base,
            "",
            "< 0.02",
            healthy["likekit"] / (len(seeds) * n_videos) < 0.02,
        ),
    ]
    # speed: 1,000 videos x 30 days hourly; ruptures is timed on a tenth of the videos and
    # scaled (its work is per video), to keep the run short
    n = 100 if quick else 1000
    sim = lk.simulate("mixed", n_videos=n, days=30, seed=1, display=False)
    t_lk = best_of(lambda: lk.diagnose(sim.counts), repeat=1 if quick else 2)
    ids = sim.counts["video_id"].unique()[: n // 10]
    tenth = sim.counts.loc[sim.counts["video_id"].isin(ids)]
    t_rp = 10 * best_of(lambda: ruptures_events(tenth), repeat=1, warmup=0)
    rows.append(
        Row(
            f"diagnose {n} videos x 30 d hourly",
            t_lk,
            t_rp,
            f"{base} (10x a tenth)",
            "s",
            ">= 10x faster",
            t_rp / t_lk >= 10,
        )
    )
    return rows
