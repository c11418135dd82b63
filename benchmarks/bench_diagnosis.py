"""diagnose() accuracy and speed on a sealed set of simulated panels, beside three peers.

Peers (:mod:`benchmarks.peers`): a robust z-score of each video's increments, skchange's
MVCAPA across a creator's videos, and ruptures Binseg, all naming drops by the same
reversal rule. Every detector is scored by ``score_events`` against the simulation's ground
truth (2-hour tolerance on the start, or one snapshot interval where snapshots are sparser:
an event is seen only at the snapshot after it).

The sealed set: panel ``k`` draws its scenario (every scenario of the catalogue in turn),
its seed and a jitter of its reach and spread of videos from ``SEALED_ENTROPY`` and ``k``;
none of these panels was looked at while the detector was tuned (tuning used seeds 100-103
of the plain scenarios). Three samplings: hourly snapshots over 30 days, 6-hourly over 30
days and daily over 60 days. True events are split by ``event_sizes`` into clear (>= 5x
the local noise at that sampling) and faint (1.5-5x) ones, a glitch by the deepest offset
the table shows (:func:`shown_truth`): a 6-hour server outage that starts and ends between
two daily snapshots leaves every shown count what it would have been, so no detector can
tell it happened; a detection that matches it is neither a hit nor a false alarm. Healthy
worlds (healthy, rhythm, plateau_flicker) count every detection as false. ruptures, slow on
hourly series, is scored on the first RUPTURES_PANELS hourly panels only.

False waves are rare: one wave in the first panels' 26-39 creator-months would read as 2.6-3.8
per 100. More sealed panels of the worlds without any true wave (:data:`WAVE_FREE`, drawn by
the same scheme from the next ``k``) bring them to QUIET_MONTHS creator-months per sampling;
they count false waves only (likekit alone), and the rate is quoted with its exact Poisson 95%
interval.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
from scipy import stats

import likekit as lk
from benchmarks import peers
from benchmarks.harness import Row, best_of
from likekit.metrics import event_sizes, score_events

TOLERANCE = pd.Timedelta("2h")
SEALED_ENTROPY = 20261201
#: sampling -> (snapshot hours, days, panels, panels in quick mode)
SAMPLINGS = {"hourly": (1.0, 30, 39, 13), "6-hourly": (6.0, 30, 13, 4), "daily": (24.0, 60, 13, 4)}
HEALTHY = ("healthy", "rhythm", "plateau_flicker")
RUPTURES_PANELS = 6
DETECTORS = ("likekit", "robust z", "MVCAPA", "ruptures")
#: worlds without any true wave (no purge, no outage, no old app): every wave found is false
WAVE_FREE = ("healthy", "trend_unlikes", "status_change", "rhythm", "plateau_flicker", "backlash")
#: creator-months of wave-free panels per sampling (a rate of 1 per 100 is then judged on
#: about 1.5 expected waves, not on one wave or none)
QUIET_MONTHS = 150


def sealed_panels(sampling: str, quick: bool):
    """The sealed panels of one sampling: (scenario, simulation) pairs."""
    hours, days, n, n_quick = SAMPLINGS[sampling]
    names = list(lk.scenarios()["name"])
    for k in range(n_quick if quick else n):
        yield _sealed(names[k % len(names)], hours, days, k)


def quiet_panels(sampling: str):
    """The extra wave-free panels of one sampling, (scenario, simulation) pairs numbered on
    from the sealed panels': as many as bring its wave-free panels to QUIET_MONTHS
    creator-months."""
    hours, days, n, _ = SAMPLINGS[sampling]
    names = list(lk.scenarios()["name"])
    have = sum(names[k % len(names)] in WAVE_FREE for k in range(n)) * days / 30
    for j in range(max(math.ceil((QUIET_MONTHS - have) * 30 / days), 0)):
        yield _sealed(WAVE_FREE[j % len(WAVE_FREE)], hours, days, n + j)


def _sealed(scenario: str, hours: float, days: int, k: int):
    """Sealed panel ``k`` of ``scenario``: its seed and jitter drawn from SEALED_ENTROPY."""
    rng = np.random.default_rng([SEALED_ENTROPY, int(hours), k])
    overrides = lk.scenarios().set_index("name").loc[scenario, "overrides"]
    jitter = {"video_scale_sigma": float(rng.uniform(0.3, 0.7))}
    if "peak_views" not in overrides:  # scenarios that set their reach keep it
        jitter["peak_views"] = float(400 * np.exp(rng.normal(0, 0.3)))
    seed = int(rng.integers(2**31))
    sim = lk.simulate(
        scenario, n_videos=20, days=days, seed=seed, display=False, snapshot_hours=hours, **jitter
    )
    return scenario, sim


def shown_truth(sim) -> pd.DataFrame:
    """The simulation's true events as the table can show them. A glitch changes what the
    app shows only while it lasts and only at the snapshots taken then: its size is the
    deepest served-minus-true offset at a snapshot of its video within its span (0 when no
    snapshot fell inside: a 6-hour outage between two daily snapshots leaves every shown
    count what it would have been). Every other event leaves a lasting mark."""
    ev = sim.events.reset_index(drop=True)
    glitch = ev.index[ev["cause"] == "glitch"]
    if not len(glitch):
        return ev
    keys = ["video_id", "timestamp"]
    snaps = sim.counts[keys].merge(sim.truth[[*keys, "glitch_offset"]], on=keys, how="left")
    snaps = snaps.loc[snaps["glitch_offset"] != 0]
    pairs = ev.loc[glitch, ["video_id", "start", "end"]].reset_index().merge(snaps, on="video_id")
    pairs = pairs.loc[(pairs["timestamp"] >= pairs["start"]) & (pairs["timestamp"] <= pairs["end"])]
    deepest = pairs.loc[pairs["glitch_offset"].abs().groupby(pairs["index"]).idxmax()]
    seen = deepest.set_index("index")["glitch_offset"].reindex(glitch, fill_value=0)
    ev.loc[glitch, "likes_delta"] = seen.to_numpy(dtype=ev["likes_delta"].dtype)
    return ev


def _add(tally: dict, key: str, table: pd.DataFrame, cause: str) -> None:
    t = tally.setdefault(key, np.zeros(3))
    t += table.loc[cause, ["tp", "fp", "fn"]].to_numpy(dtype=float)


def _f1(t) -> float:
    tp, fp, fn = t
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")


def _tolerance(sim) -> pd.Timedelta:
    """Start tolerance of a match: 2 hours, or one snapshot interval if longer (an event is
    seen only at the first snapshot after it)."""
    return max(TOLERANCE, pd.Timedelta(hours=sim.params.snapshot_hours))


def _waves(sim, diag, noise_of: pd.Series) -> np.ndarray:
    """(true waves with a combined drop >= 5x combined noise, of them found, false waves,
    faint true waves (1.5-5x), of them found)."""
    ev = sim.events.loc[sim.events["wave"].notna()]
    spans = ev.groupby("wave").agg(start=("start", "min"), end=("end", "max"))
    found = diag.waves["time"] if len(diag.waves) else pd.Series(dtype="datetime64[us, UTC]")
    tol = _tolerance(sim)
    # a detected wave is false when its span meets no true wave's span (within tolerance)
    false = sum(
        not ((w.time <= spans["end"] + tol) & (w.end >= spans["start"] - tol)).any()
        for w in diag.waves.itertuples()
    )
    out = np.zeros(5)
    out[2] = false
    for _, w in ev.loc[ev["cause"] == "purge"].groupby("wave"):
        noise = noise_of.loc[w.index]
        combined = w["likes_delta"].abs().sum() / np.sqrt((noise**2).sum())
        hit = bool((abs(found - w["start"].min()) <= tol).any())
        if np.isfinite(combined) and combined >= 5:
            out[[0, 1]] += (1, hit)
        elif np.isfinite(combined) and combined >= 1.5:
            out[[3, 4]] += (1, hit)
    return out


def _score(tally: dict, det: str, events: pd.DataFrame, sim, scenario: str, size) -> None:
    clear = (size >= 5).to_numpy()
    if scenario in HEALTHY:
        tally.setdefault(f"healthy {det}", np.zeros(3))[0] += len(events)
        return
    tol = _tolerance(sim)
    table = score_events(events, sim.events, evaluate=clear, tolerance=tol)
    for cause in ("purge", "glitch"):
        _add(tally, f"{cause} {det}", table, cause)
    overlap = score_events(events, sim.events, evaluate=clear, match="overlap", tolerance=tol)
    _add(tally, f"glitch overlap {det}", overlap, "glitch")
    if scenario == "spam_bots":
        faint = ((size >= 1.5) & (size < 5)).to_numpy()
        faint_table = score_events(events, sim.events, evaluate=faint, tolerance=tol)
        _add(tally, f"faint {det}", faint_table, "purge")


def accuracy(sampling: str, quick: bool) -> tuple[dict, np.ndarray, float, dict]:
    """Tallies per detector, wave counts, creator-months and seconds per detector."""
    tally: dict[str, np.ndarray] = {}
    waves, months = np.zeros(5), 0.0
    seconds = dict.fromkeys(DETECTORS, 0.0)
    run = {
        "likekit": lambda c: lk.diagnose(c).events,
        "robust z": peers.robust_z_events,
        "MVCAPA": peers.mvcapa_events,
        "ruptures": peers.ruptures_events,
    }
    for k, (scenario, sim) in enumerate(sealed_panels(sampling, quick)):
        months += sim.params.days / 30
        if scenario in HEALTHY:
            tally.setdefault("healthy video-months", np.zeros(3))[0] += 20 * sim.params.days / 30
        size = event_sizes(shown_truth(sim), sim.counts)
        for det, fn in run.items():
            if det == "ruptures" and (sampling != "hourly" or k >= RUPTURES_PANELS):
                continue
            t0 = time.perf_counter()
            diag = lk.diagnose(sim.counts) if det == "likekit" else None
            events = diag.events if diag is not None else fn(sim.counts)
            seconds[det] += time.perf_counter() - t0
            _score(tally, det, events, sim, scenario, size)
            if diag is not None:
                waves += _waves(sim, diag, sim.events["likes_delta"].abs() / size)
    for _, sim in () if quick else quiet_panels(sampling):
        months += sim.params.days / 30
        waves += _waves(sim, lk.diagnose(sim.counts), pd.Series(dtype=float))
    return tally, waves, months, seconds


def poisson_interval(k: float, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval of a Poisson mean from ``k`` events."""
    tail = (1 - level) / 2
    low = stats.chi2.ppf(tail, 2 * k) / 2 if k > 0 else 0.0
    return float(low), float(stats.chi2.ppf(1 - tail, 2 * k + 2) / 2)


def _rows(sampling: str, tally: dict, waves: np.ndarray, months: float) -> list:
    """Goal rows of one sampling: likekit beside the best peer on each figure."""
    rows = []

    def best_peer(key: str, f) -> tuple[float, str]:
        values = {d: f(tally[f"{key} {d}"]) for d in DETECTORS[1:] if f"{key} {d}" in tally}
        name = max(values, key=lambda d: np.nan_to_num(values[d], nan=-1))
        return values[name], name

    for key, label, need in (
        ("purge", "purge F1, clear (>= 5x noise)", 0.98),
        ("glitch", "glitch F1, clear (>= 5x noise)", 0.99),
        ("glitch overlap", "glitch F1, clear, matched by overlap", None),
    ):
        f1 = _f1(tally[f"{key} likekit"])
        peer, name = best_peer(key, _f1)
        goal = f">= {need} and > best peer" if need else ""
        ok = (f1 >= need and f1 > peer) if need else None
        rows.append(Row(f"{sampling}: {label}", f1, peer, name, "", goal, ok))
    videos = max(tally["healthy video-months"][0], 1.0)
    per = tally["healthy likekit"][0] / videos
    rows.append(
        Row(
            f"{sampling}: healthy worlds, false events per video-month",
            per,
            min(tally[f"healthy {d}"][0] / videos for d in DETECTORS[1:3]),
            "best of robust z, MVCAPA",
            "",
            "<= 0.02",
            per <= 0.02,
        )
    )
    strong, found, false, faint, faint_found = waves
    tp, fp, fn = tally.get("faint likekit", np.zeros(3))
    recall, precision = tp / max(tp + fn, 1), tp / max(tp + fp, 1)
    low, high = (100 * x / months for x in poisson_interval(false))
    rows += [
        Row(
            f"{sampling}: purge wave recall (>= 5x)",
            found / max(strong, 1),
            None,
            "",
            "",
            ">= 0.95",
            found / max(strong, 1) >= 0.95,
        ),
        Row(
            f"{sampling}: faint purge wave recall (1.5-5x)",
            faint_found / max(faint, 1),
            None,
            "",
            "",
            ">= 0.95",
            faint_found / max(faint, 1) >= 0.95,
        ),
        Row(
            f"{sampling}: false waves per 100 creator-months ({false:.0f} in {months:.0f}, "
            f"95% CI {low:.2f}-{high:.2f})",
            100 * false / months,
            None,
            "",
            "",
            "<= 1",
            100 * false / months <= 1,
        ),
        Row(
            f"{sampling}: spam_bots per-video faint recall",
            recall,
            None,
            "",
            "",
            ">= 0.8",
            recall >= 0.8,
        ),
        Row(
            f"{sampling}: spam_bots per-video faint precision",
            precision,
            None,
            "",
            "",
            ">= 0.9",
            precision >= 0.9,
        ),
    ]
    return rows


def run(quick: bool = False) -> list[Row]:
    rows = []
    seconds = dict.fromkeys(DETECTORS, 0.0)
    for sampling in SAMPLINGS:
        tally, waves, months, spent = accuracy(sampling, quick)
        rows += _rows(sampling, tally, waves, months)
        if sampling == "hourly":
            seconds = spent
    # speed: 1,000 videos x 30 days hourly (quick: 100); ruptures on a tenth, times ten
    n = 100 if quick else 1000
    sim = lk.simulate("mixed", n_videos=n, days=30, seed=1, display=False)
    t_lk = best_of(lambda: lk.diagnose(sim.counts), repeat=1, warmup=0 if quick else 1)
    t_z = best_of(lambda: peers.robust_z_events(sim.counts), repeat=1)
    t_capa = best_of(lambda: peers.mvcapa_events(sim.counts), repeat=1)
    tenth = sim.counts.loc[sim.counts["video_id"].isin(sim.counts["video_id"].unique()[: n // 10])]
    t_rp = 10 * best_of(lambda: peers.ruptures_events(tenth), repeat=1, warmup=0)
    fastest = min(t_z, t_capa)
    rows += [
        Row(
            f"diagnose {n} videos x 30 d hourly",
            t_lk,
            fastest,
            "fastest peer (robust z / MVCAPA)",
            "s",
            "<= 2x",
            t_lk <= 2 * fastest,
        ),
        Row(
            f"diagnose {n} videos x 30 d hourly, vs ruptures",
            t_lk,
            t_rp,
            "ruptures Binseg (10x a tenth)",
            "s",
            ">= 10x faster",
            t_rp / t_lk >= 10,
        ),
        Row("robust z, seconds", t_z, None, "", "s", "", None),
        Row("MVCAPA, seconds", t_capa, None, "", "s", "", None),
    ]
    rows += [
        Row(f"sealed hourly panels: {d}, seconds in all", s, None, "", "s", "", None)
        for d, s in seconds.items()
    ]
    return rows
