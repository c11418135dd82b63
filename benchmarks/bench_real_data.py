"""diagnose() on real public tables nobody here made (../shared/data), beside two peers.

Goals of issue 10: the healthy controls (Reddit scores that never fall, trending videos
that grow) show no purge wave and at most one purge (or glitch, for Reddit) per 100 series,
the trending file's two status changes are still named, and YouTube's documented spam
purge of 14 Dec 2018 is one wave over both channels of the subscriber table. The peers
(:mod:`benchmarks.peers`, robust z and MVCAPA) are shown beside likekit's event counts.
Skipped, with a row saying so, when the data is absent.
"""

from __future__ import annotations

import time

import pandas as pd

import likekit as lk
from benchmarks import peers, real_data
from benchmarks.harness import Row


def _peer_steps(counts: pd.DataFrame) -> tuple[float, str]:
    """The fewest purge or glitch events a peer reports on ``counts``, and which peer."""
    found = {
        "robust z": len(peers.robust_z_events(counts)),
        "MVCAPA": len(peers.mvcapa_events(counts)),
    }
    name = min(found, key=found.get)
    return float(found[name]), name


def _healthy(label: str, table: pd.DataFrame, causes: tuple[str, ...]) -> list[Row]:
    counts = lk.load_counts(table, duplicates="last")
    t0 = time.perf_counter()
    diag = lk.diagnose(counts)
    seconds = time.perf_counter() - t0
    n = len(diag.videos)
    per_100 = 100 * diag.events["cause"].isin(causes).sum() / n
    peer, name = _peer_steps(counts)
    purge_waves = int((diag.waves["cause"] == "purge").sum())
    what = " or ".join(causes)
    return [
        Row(f"{label}: purge waves", purge_waves, None, "", "", "0", purge_waves == 0, True),
        Row(
            f"{label}: {what} events per 100 series",
            per_100,
            100 * peer / n,
            f"fewest of peers ({name})",
            "",
            "<= 1",
            per_100 <= 1,
            True,
        ),
        Row(f"{label}: diagnose seconds ({n} series)", seconds, None, "", "s", "", None),
    ]


def run(quick: bool = False) -> list[Row]:
    if not real_data.available():
        return [Row(f"real data not found at {real_data.DATA}: skipped", float("nan"))]
    rows = _healthy("Reddit r/all hourly", real_data.reddit(), ("purge", "glitch"))
    rows += _healthy("YouTube trending Nov 2017", real_data.trending_v2(), ("purge",))
    rows += _healthy("YouTube trending Sep-Oct 2017", real_data.trending_v1(), ("purge",))
    v1 = lk.diagnose(lk.load_counts(real_data.trending_v1(), duplicates="last"))
    named = set(v1.events.loc[v1.events["cause"] == "status", "detail"])
    both = float(named == {"video_removed", "likes_hidden"})
    rows.append(
        Row(
            "YouTube trending Sep-Oct 2017: both status changes named",
            both,
            None,
            "",
            "",
            "1",
            both == 1,
            True,
        )
    )
    subs = lk.diagnose(real_data.subscribers())
    known = real_data.subscriber_purges()
    day = pd.Timestamp(known["after_timestamp"].iloc[0])
    wave = subs.waves.loc[(subs.waves["time"] == day) & (subs.waves["cause"] == "purge")]
    channels = set()
    if len(wave) == 1:
        hit = subs.events.loc[subs.events["wave"] == wave["wave"].iloc[0]]
        channels = set(hit.loc[hit["cause"] == "purge", "video_id"])
    found = float(channels == set(known["video_id"]))
    rows += [
        Row(
            "YouTube subscribers: 2018-12-14 purge, one wave on both channels",
            found,
            None,
            "",
            "",
            "1",
            found == 1,
            True,
        ),
        Row(
            "YouTube subscribers: other purge waves (undocumented)",
            float((subs.waves["cause"] == "purge").sum() - len(wave)),
            None,
            "",
            "",
            "",
            None,
        ),
    ]
    return rows
