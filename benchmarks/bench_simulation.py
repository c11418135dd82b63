"""Simulator speed and memory: every mechanism on ("mixed"), 10,000 videos x 30 days hourly.

The floor, measured in the same run, is numpy's ``Generator.poisson`` drawing 4 variates per
video-step, with the run's own mean organic likes per video-step as the Poisson mean. The
``display`` strings are not part of the timed work (``display=False``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from benchmarks.harness import Row, best_of, peak_memory
from likekit.simulation import simulate

DAYS = 30
GOAL_RATIO = 3.0
GOAL_BYTES = 4e9


def run(quick: bool = False) -> list[Row]:
    n_videos = 1_000 if quick else 10_000
    video_steps = n_videos * DAYS * 24

    def simulation() -> object:
        return simulate(
            "mixed", n_videos=n_videos, days=DAYS, seed=1, display=False, progress=False
        )

    probe = simulation()
    last = probe.truth.groupby("video_id")["organic_given"].last()
    lam = float(last.sum()) / video_steps
    del probe, last
    rng = np.random.default_rng(0)

    def floor() -> object:
        return rng.poisson(lam, size=(4, video_steps))

    # best of 3 each after a warm-up, interleaved so that both see the same machine load
    simulation(), floor()
    runs = [(best_of(simulation, 1, 0), best_of(floor, 1, 0)) for _ in range(3)]
    t_sim, t_floor = (min(column) for column in zip(*runs, strict=True))
    # for information: the same run rendering the display strings ("12.3K")
    t_display = best_of(
        lambda: simulate("mixed", n_videos=n_videos, days=DAYS, seed=1, progress=False),
        repeat=1,
        warmup=0,
    )
    # numpy reports to tracemalloc; Arrow (the str columns) has its own pool: add its peak
    traced = peak_memory(simulation)
    arrow = pa.default_memory_pool().max_memory() or 0
    memory = traced + arrow
    size = f"{n_videos:,} videos x {DAYS} d hourly"
    return [
        Row(
            f"simulate('mixed'), {size}",
            t_sim,
            t_floor,
            f"Generator.poisson, 4 per video-step (mean {lam:.2f})",
            "s",
            f"<= {GOAL_RATIO:g}x floor",
            t_sim <= GOAL_RATIO * t_floor,
        ),
        Row(
            "video-steps per second",
            video_steps / t_sim,
            video_steps / t_floor,
            "the floor's video-steps per second",
            "1/s",
        ),
        Row(
            "simulate with display strings (not timed by the goal)",
            t_display,
            t_sim,
            "the same run with display=False",
            "s",
        ),
        Row(
            f"peak memory, {size}",
            memory / 1e9,
            None,
            "",
            "GB",
            f"< {GOAL_BYTES / 1e9:g} GB",
            memory < GOAL_BYTES,
        ),
    ]
