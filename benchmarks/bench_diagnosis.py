"""diagnose() accuracy per scenario and speed, against a ruptures baseline on the same data.

Baseline: ruptures Binseg (l2 cost, penalty 3 log n times the robust variance of the
increments) on each video's increments; a detected change of the increments is an event
when its increment is negative; a negative change followed within a day by a positive
change of at least half its size is a glitch, otherwise a purge. Scored with the same
``score_events`` (2-hour tolerance) on the same simulated panels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import likekit as lk
from benchmarks.harness import Row, best_of
from likekit.diagnosis import event_sizes, score_events

SCENARIOS = ("healthy", "server_glitch", "bot_purge", "purge_waves", "spam_bots", "mixed")


def ruptures_events(counts: pd.DataFrame) -> pd.DataFrame:
    import ruptures as rpt

    rows = []
    for v, one in counts.loc[counts["likes"].notna()].groupby("video_id", sort=False):
        y = one["likes"].to_numpy(dtype=float)
        d = np.diff(y)
        if len(d) < 10:
            continue
        ts = one["timestamp"].iloc[1:].reset_index(drop=True)
        sd = max(1.4826 * np.median(np.abs(d - np.median(d))), 1.0)
        bkps = (
            rpt.Binseg(model="l2", min_size=1, jump=1)
            .fit(d)
            .predict(pen=3 * np.log(len(d)) * sd**2)
        )
        idx = [b - 1 for b in bkps[:-1]]
        jumps = [(i, d[i] - np.median(d)) for i in idx if abs(d[i] - np.median(d)) > 3 * sd]
        used = set()
        for k, (i, j) in enumerate(jumps):
            if j >= 0 or i in used:
                continue
            back = [
                i2
                for i2, j2 in jumps[k + 1 :]
                if j2 >= -j / 2 and (ts[i2] - ts[i]) <= pd.Timedelta(days=1)
            ]
            cause = "glitch" if back else "purge"
            used.update(back[:1])
            rows.append(
                {
                    "video_id": v,
                    "cause": cause,
                    "start": ts[i],
                    "likes_delta": j,
                }
            )
    return pd.DataFrame(rows, columns=["video_id", "cause", "start", "likes_delta"])


def _accuracy(seeds, n_videos):
    tallies = {k: {"lk": [0, 0, 0], "rp": [0, 0, 0]} for k in ("purge", "glitch", "faint")}
    errors = {"lk": [], "rp": []}
    false_healthy = {"lk": 0, "rp": 0}
    waves = {"found": 0, "total": 0, "false": 0, "months": 0}
    for scenario in SCENARIOS:
        for seed in seeds:
            sim = lk.simulate(scenario, n_videos=n_videos, days=30, seed=seed, display=True)
            det = {"lk": lk.diagnose(sim.counts), "rp": None}
            found = {"lk": det["lk"].events, "rp": ruptures_events(sim.counts)}
            if scenario == "healthy":
                for k in found:
                    false_healthy[k] += len(found[k])
                continue
            size = event_sizes(sim.events, sim.counts)
            for k, ev in found.items():
                clear = score_events(ev, sim.events, evaluate=size >= 5)
                for cause in ("purge", "glitch"):
                    t = tallies[cause][k]
                    for n, col in enumerate(("tp", "fp", "fn")):
                        t[n] += int(clear.loc[cause, col])
                if not np.isnan(clear.loc["purge", "rel_error"]):
                    errors[k].append(clear.loc["purge", "rel_error"])
                faint = score_events(ev, sim.events, evaluate=(size >= 1.5) & (size < 5))
                t = tallies["faint"][k]
                for n, col in enumerate(("tp", "fp", "fn")):
                    t[n] += int(faint.loc["purge", col])
            if scenario == "spam_bots":
                truth_waves = sim.events.loc[sim.events["cause"] == "purge"].groupby("wave")
                got = det["lk"].waves
                for _, w in truth_waves:
                    waves["total"] += 1
                    t0 = w["start"].min()
                    waves["found"] += (
                        bool((abs(got["time"] - t0) <= pd.Timedelta("2h")).any()) if len(got) else 0
                    )
                waves["false"] += max(len(got) - truth_waves.ngroups, 0)
                waves["months"] += 1
    return tallies, errors, false_healthy, waves


def _f1(t):
    tp, fp, fn = t
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")


def run(quick: bool = False) -> list[Row]:
    seeds = range(2) if quick else range(6)
    n_videos = 20
    tallies, errors, false_healthy, waves = _accuracy(seeds, n_videos)
    months = len(seeds) * n_videos
    rows = [
        Row(
            "purge F1, clear (>= 5x noise)",
            _f1(tallies["purge"]["lk"]),
            _f1(tallies["purge"]["rp"]),
            "ruptures Binseg",
            "",
            ">= 0.98",
            _f1(tallies["purge"]["lk"]) >= 0.98,
        ),
        Row(
            "glitch F1, clear (>= 5x noise)",
            _f1(tallies["glitch"]["lk"]),
            _f1(tallies["glitch"]["rp"]),
            "ruptures Binseg",
            "",
            ">= 0.95",
            _f1(tallies["glitch"]["lk"]) >= 0.95,
        ),
        Row(
            "purge likes_delta median rel. error",
            float(np.median(errors["lk"])),
            float(np.median(errors["rp"])) if errors["rp"] else None,
            "ruptures Binseg",
            "",
            "<= 0.10",
            float(np.median(errors["lk"])) <= 0.10,
        ),
    ]
    for k, name in (("lk", "likekit"), ("rp", "ruptures")):
        tp, fp, fn = tallies["faint"][k]
        if k == "lk":
            rec_lk, prec_lk = tp / max(tp + fn, 1), tp / max(tp + fp, 1)
        else:
            rec_rp, prec_rp = tp / max(tp + fn, 1), tp / max(tp + fp, 1)
        del name
    rows += [
        Row(
            "faint purge recall per video (1.5-5x)",
            rec_lk,
            rec_rp,
            "ruptures Binseg",
            "",
            ">= 0.8",
            rec_lk >= 0.8,
        ),
        Row(
            "faint purge precision per video",
            prec_lk,
            prec_rp,
            "ruptures Binseg",
            "",
            ">= 0.9",
            prec_lk >= 0.9,
        ),
        Row(
            "spam_bots wave recall (all waves)",
            waves["found"] / max(waves["total"], 1),
            None,
            "",
            "",
            ">= 0.95 (>= 5x combined)",
            waves["found"] / max(waves["total"], 1) >= 0.95,
        ),
        Row(
            "false waves per 100 creator-months",
            100 * waves["false"] / max(waves["months"], 1),
            None,
            "",
            "",
            "< 1",
            100 * waves["false"] / max(waves["months"], 1) < 1,
        ),
        Row(
            "healthy false events per video-month",
            false_healthy["lk"] / months,
            false_healthy["rp"] / months,
            "ruptures Binseg",
            "",
            "< 0.02",
            false_healthy["lk"] / months < 0.02,
        ),
    ]
    # speed: 1,000 videos x 30 days hourly; ruptures timed on a tenth and scaled (it is
    # linear in the number of videos), to keep the run short
    n = 100 if quick else 1000
    sim = lk.simulate("mixed", n_videos=n, days=30, seed=1, display=False)
    t_lk = best_of(lambda: lk.diagnose(sim.counts), repeat=1 if quick else 2)
    tenth = sim.counts.loc[sim.counts["video_id"].isin(sim.counts["video_id"].unique()[: n // 10])]
    t_rp = 10 * best_of(lambda: ruptures_events(tenth), repeat=1, warmup=0)
    rows.append(
        Row(
            f"diagnose {n} videos x 30 d hourly",
            t_lk,
            t_rp,
            "ruptures Binseg (x10 of a tenth)",
            "s",
            ">= 10x faster",
            t_rp / t_lk >= 10,
        )
    )
    return rows
