"""Simulate the causes of disappearing likes, with full ground truth.

:func:`simulate` draws a creator's panel of videos in discrete steps (hourly by default) with
one ``numpy.random.default_rng(seed)``, vectorized over videos and steps (only the un-likes,
which depend on the likes still standing, are drawn step by step, vectorized over videos):

- attention: views per step follow a trend curve that rises linearly, peaks and relaxes
  (exponentially or as a power law) toward a baseline; several videos can share one curve;
- organic likes: each view likes with probability ``like_prob`` (drawn by Poisson thinning:
  likes and the other views are independent Poisson counts);
- un-likes: a share ``fickle_share`` of organic likes can be withdrawn, each with an hourly
  hazard ``unlike_hazard`` times how far the trend has faded (zero up to the peak);
- bot likes: bought bursts (blocks of accounts from a farm) and spam bots (accounts that like
  many of the creator's videos), every like owned by one account;
- purge waves: at platform-wide times each surviving bot account is removed with probability
  ``purge_prob``; all its likes on every video vanish at that step, and it likes no more;
- glitches: server outages shared by the videos (counts frozen, partly dropped or missing)
  that recover when they end; an out-of-date app that under-counts some snapshots until an
  update;
- status changes: the creator hides the like count, or the video is removed;
- observation: snapshots every ``snapshot_hours``, some missing, shown the way the app shows
  them (:func:`likekit.data.format_count`): ``likes`` is the lower bound of the display.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm.auto import tqdm

from likekit.batch import write_csv
from likekit.data import LikekitInputError, display_bounds, format_count
from likekit.simulation.catalog import SCENARIOS

__all__ = ["SimParams", "Simulation", "simulate"]

_HOUR = pd.Timedelta(hours=1)
_UTC_US = pd.DatetimeTZDtype(unit="us", tz="UTC")
_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas 3's default ``str`` dtype
_CHOICES = {
    "fade": ("exponential", "power_law"),
    "outage_kind": ("mixed", "stale", "partial", "missing"),
    "hidden_as": ("na", "zero"),
    "removed_as": ("zero", "drop"),
    "display_rounding": ("truncate", "round"),
}
_OUTAGE_KINDS = ("stale", "partial", "missing")
#: video-steps above which a progress bar is shown (a couple of seconds of work)
_PROGRESS_MIN = 2_000_000
#: per cent of a typical run's time spent in each stage, for the progress bar
_WORK = {"attention": 5, "organic": 40, "un-likes": 15, "bots": 5, "glitches": 5, "tables": 30}


@dataclass(frozen=True)
class SimParams:
    """Parameters of the generative model; rates and hazards are per hour.

    Attributes
    ----------
    n_videos : int
        Videos of the creator.
    days : float
        Length of the observed window.
    start : str
        Time of the first step (UTC).
    peak_views : float
        Median views per hour of a video at its trend's peak.
    video_scale_sigma : float
        Log-normal spread of the videos' peak views around ``peak_views``.
    baseline_share : float
        Views before the trend and after it has faded, as a share of the peak.
    videos_per_trend : int
        Videos that share one trend curve (same start, peak and fade).
    trend_start_max_days : float
        Trend starts are uniform between the window's start and this many days later.
    rise_hours : float
        Hours from a trend's start to its peak (linear rise).
    fade : {"exponential", "power_law"}
        Relaxation after the peak: ``exp(-s / fade_hours)`` or
        ``(1 + s / fade_hours) ** -fade_exponent``, ``s`` hours since the peak.
    fade_hours, fade_exponent : float
        Time scale and power-law exponent of the relaxation.
    daily_amplitude, weekly_amplitude : float
        Rhythm of attention shared by every video: views per step are multiplied by
        ``1 + a cos(2 pi (hour - daily_peak_hour) / 24)`` and by
        ``1 + w cos(2 pi (day - weekly_peak_day) / 7)`` (UTC clock; day 0 is Monday). 0: none.
    daily_peak_hour, weekly_peak_day : float
        When the daily and weekly rhythms peak.
    like_prob : float
        Probability that a view likes.
    comment_prob, share_prob : float
        Comments and shares per view.
    fickle_share : float
        Share of organic likes that can be withdrawn (the others stay for good); the net
        count relaxes toward a plateau that keeps ``1 - fickle_share`` of the likes.
    unlike_hazard : float
        Hourly hazard that a standing fickle like is withdrawn once the trend has fully
        faded; it grows from 0 at the peak as ``1 - relaxation``.
    churn_hazard : float
        Hourly hazard that a standing fickle like is withdrawn whatever the trend (on top of
        ``unlike_hazard``): likes and un-likes both arrive, so a count at a plateau moves
        both ways (at a display boundary, "12.3K" <-> "12.4K"). 0: none.
    backlash_share : float
        Users leaving the creator: the share of each affected video's standing organic
        likes withdrawn, spread evenly over ``backlash_days`` from a time uniform in the
        30-70 % part of the window (a trend decline, not a purge). 0: none.
    backlash_days : float
        Days over which the backlash's un-likes arrive.
    backlash_video_share : float
        Share of the videos the backlash hits.
    n_farm_accounts : int
        Bot accounts of the farm that sells bursts of likes.
    burst_prob : float
        Probability that a video buys a burst of bot likes.
    burst_size : float
        Mean number of likes in a burst (Poisson), one per farm account, a block of
        consecutive accounts from a random position of the farm.
    burst_hours : float
        Hours over which a burst's likes arrive; bursts start in the first half of the window.
    n_spam_accounts : int
        Spam bot accounts that like many of the creator's videos.
    spam_like_prob : float
        Probability that a spam account likes a given video.
    spam_delay_hours : float
        Mean delay (exponential) of a spam like after the video's trend starts.
    purge_waves : int
        Platform-wide purge waves, one at a random time in each of equal slots of the last
        three quarters of the window.
    purge_prob : float
        Probability that a wave removes a surviving bot account.
    outages : int
        Server outages, one in each of equal slots of the window, hitting every affected
        video at the same steps.
    outage_hours : float
        Mean length of an outage (uniform between half and one and a half times it).
    outage_kind : {"mixed", "stale", "partial", "missing"}
        Stale: counts frozen at the last value before the outage; partial: likes shown
        short by a share uniform in ``[partial_drop_min, partial_drop_max]`` per video;
        missing: no snapshot values. Mixed draws one kind per outage.
    outage_share : float
        Share of the videos an outage hits.
    partial_drop_min, partial_drop_max : float
        Range of the share of likes a partial outage drops.
    client_glitch : bool
        Whether an out-of-date app under-counts snapshots from the start until an update.
    client_update_days : float
        Days from the start until the app is updated.
    client_undercount : float
        Share of the likes the old app leaves out.
    client_share : float
        Share of the snapshots before the update taken with the old app.
    hide_prob, remove_prob : float
        Probability that the creator hides a video's like count, or that the video is
        removed (at a uniform time in the 30-90 % part of the window; exclusive).
    hidden_as : {"na", "zero"}
        What a hidden like count shows: nothing (NA) or 0. Views go on.
    removed_as : {"zero", "drop"}
        A removed video shows 0 for every counter, or its rows stop. It gets no more views.
    snapshot_hours : float
        Hours between snapshots (a multiple of the step).
    missing_prob : float
        Probability that a snapshot is missing (every counter NA), independently.
    display_rounding : {"truncate", "round"}
        How the app reduces counts above 1,000 to one decimal ("12.3K").
    decline_min_share : float
        A ``trend_decline`` event is recorded when a video's organic net count
        (organic given - un-liked) falls after its peak by at least this share of the peak.
    """

    n_videos: int = 20
    days: float = 30.0
    start: str = "2026-01-05T00:00:00Z"
    peak_views: float = 400.0
    video_scale_sigma: float = 0.5
    baseline_share: float = 0.03
    videos_per_trend: int = 1
    trend_start_max_days: float = 10.0
    rise_hours: float = 12.0
    fade: str = "exponential"
    fade_hours: float = 36.0
    fade_exponent: float = 1.5
    daily_amplitude: float = 0.0
    daily_peak_hour: float = 20.0
    weekly_amplitude: float = 0.0
    weekly_peak_day: float = 5.0
    like_prob: float = 0.05
    comment_prob: float = 0.002
    share_prob: float = 0.003
    fickle_share: float = 0.0
    unlike_hazard: float = 0.01
    churn_hazard: float = 0.0
    backlash_share: float = 0.0
    backlash_days: float = 3.0
    backlash_video_share: float = 1.0
    n_farm_accounts: int = 5000
    burst_prob: float = 0.0
    burst_size: float = 150.0
    burst_hours: float = 6.0
    n_spam_accounts: int = 0
    spam_like_prob: float = 0.5
    spam_delay_hours: float = 24.0
    purge_waves: int = 0
    purge_prob: float = 0.5
    outages: int = 0
    outage_hours: float = 6.0
    outage_kind: str = "mixed"
    outage_share: float = 1.0
    partial_drop_min: float = 0.1
    partial_drop_max: float = 0.5
    client_glitch: bool = False
    client_update_days: float = 7.0
    client_undercount: float = 0.2
    client_share: float = 0.5
    hide_prob: float = 0.0
    remove_prob: float = 0.0
    hidden_as: str = "na"
    removed_as: str = "zero"
    snapshot_hours: float = 1.0
    missing_prob: float = 0.0
    display_rounding: str = "truncate"
    decline_min_share: float = 0.05

    def __post_init__(self) -> None:
        for f in fields(self):  # frozen: values are coerced once, here
            object.__setattr__(self, f.name, _coerce(f.name, getattr(self, f.name), f.default))
        for name, choices in _CHOICES.items():
            if getattr(self, name) not in choices:
                raise LikekitInputError(
                    f"{name} must be one of {choices}, got {getattr(self, name)!r}"
                )
        probs = [f.name for f in fields(self) if f.name.endswith(("_prob", "_share"))]
        probs += ["partial_drop_min", "partial_drop_max", "client_undercount", "unlike_hazard"]
        probs += ["churn_hazard", "daily_amplitude", "weekly_amplitude"]
        for name in probs:
            if not 0 <= getattr(self, name) <= 1:
                raise LikekitInputError(
                    f"{name} must be between 0 and 1, got {getattr(self, name)}"
                )
        if self.partial_drop_min > self.partial_drop_max:
            raise LikekitInputError("partial_drop_min must not exceed partial_drop_max")
        if self.hide_prob + self.remove_prob > 1:
            raise LikekitInputError("hide_prob + remove_prob must not exceed 1")
        positive = ("n_videos", "days", "peak_views", "videos_per_trend", "rise_hours")
        positive += ("fade_hours", "snapshot_hours", "outage_hours", "burst_hours")
        positive += ("backlash_days",)
        for name in positive:
            if not getattr(self, name) > 0:
                raise LikekitInputError(f"{name} must be positive, got {getattr(self, name)}")
        counts = ("n_farm_accounts", "n_spam_accounts", "purge_waves", "outages", "burst_size")
        counts += ("trend_start_max_days", "spam_delay_hours", "client_update_days")
        for name in counts + ("fade_exponent",):
            if getattr(self, name) < 0:
                raise LikekitInputError(f"{name} must not be negative, got {getattr(self, name)}")

    @classmethod
    def names(cls) -> list[str]:
        """Names of the parameters, in the order of the documentation."""
        return [f.name for f in fields(cls)]


def _coerce(name: str, value: Any, default: Any) -> Any:
    """``value`` as the type of the parameter's default (an int is a float, 3.0 an int)."""
    kind = type(default)
    numeric = isinstance(value, (int, float, np.integer, np.floating))
    if isinstance(value, (bool, np.bool_)):
        ok = kind is bool
    elif kind is int:
        ok = numeric and float(value).is_integer()
    elif kind is float:
        ok = numeric
    else:
        ok = isinstance(value, kind)
    if not ok:
        what = {int: "an integer", float: "a number", bool: "true or false"}.get(kind, "a string")
        raise LikekitInputError(f"{name} must be {what}, got {value!r}")
    return kind(value)


def _params_for(scenario: str, sizes: dict[str, Any], overrides: dict[str, Any]) -> SimParams:
    if scenario not in SCENARIOS:
        raise LikekitInputError(f"unknown scenario {scenario!r}; valid: {', '.join(SCENARIOS)}")
    valid = SimParams.names()
    unknown = sorted(set(overrides) - set(valid))
    if unknown:
        raise LikekitInputError(f"unknown parameter(s) {unknown}; valid: {', '.join(valid)}")
    given = {k: v for k, v in sizes.items() if v is not None}
    return replace(SimParams(), **{**SCENARIOS[scenario].overrides, **overrides, **given})


# ---------------------------------------------------------------------------------------
# display


def _render(values: np.ndarray, na: np.ndarray, rounding: str) -> pd.Series:
    """Display strings of counts (NA where ``na``): ``format_count`` once per distinct value."""
    codes = np.zeros(len(values), dtype=np.int64)
    uniq, codes[~na] = np.unique(values[~na], return_inverse=True)
    return _strings(codes, [format_count(int(v), rounding=rounding) for v in uniq], na)


# ---------------------------------------------------------------------------------------
# the result


@dataclass(eq=False)
class Simulation:
    """A simulated creator's panel with everything the simulation knows.

    Attributes
    ----------
    counts : DataFrame
        The observed table in likekit's data contract: ``video_id``, ``timestamp``,
        ``likes`` (Int64, NA when missing or hidden), ``resolution``, ``views``,
        ``comments``, ``shares`` (Int64) and ``display`` (the string the app shows; only
        with ``display=True``). Sorted by video and time.
    truth : DataFrame
        Per video and step: ``likes`` (true) = ``organic_given - unliked + bot_given -
        bot_purged`` (cumulative counts), ``glitch_offset`` (served - true before display
        rounding, 0 outside glitches and for missing values), ``views`` (true, cumulative)
        and ``unlike_hazard`` (probability that a standing fickle like is withdrawn in the
        step).
    events : DataFrame
        Ground truth: ``video_id``, ``cause`` ("glitch", "purge", "trend_decline",
        "status"), ``start``, ``end`` (first and last step affected; a purge has
        ``end == start``, a status change lasts to the end), ``likes_delta`` (purge: minus
        the likes it removed from the video; glitch: served - true at its largest, 0 for
        missing values; status: minus the likes the app would show when it starts, the lower
        bound of the display; trend decline: organic net count at its lowest after the peak
        minus at the peak), ``detail`` and ``wave`` (id of the platform-wide purge wave,
        outage or app bug shared by several videos).
    videos : DataFrame
        Per video: its trend, peak views per hour, trend start and peak, status and its time.
    accounts : DataFrame
        Per bot account: ``kind`` ("farm" or "spam"), ``removed`` (time of its purge,
        NaT if never) and ``wave``.
    bot_likes : DataFrame
        Every bot like given in the window: ``account``, ``video_id``, ``given`` and
        ``removed`` (NaT unless a purge took it).
    params : SimParams
    scenario : str
    seed : int
        The seed used (drawn from the OS when ``simulate`` got none).
    """

    counts: pd.DataFrame
    truth: pd.DataFrame
    events: pd.DataFrame
    videos: pd.DataFrame
    accounts: pd.DataFrame
    bot_likes: pd.DataFrame
    params: SimParams
    scenario: str
    seed: int

    def __repr__(self) -> str:
        p = self.params
        return (
            f"Simulation(scenario={self.scenario!r}, n_videos={p.n_videos}, days={p.days}, "
            f"seed={self.seed}, rows={len(self.counts)}, events={len(self.events)})"
        )

    def plot(self, video_id: str | None = None, ax: Any = None) -> Any:
        """One video: what the app showed, the true count and the true events.

        Parameters
        ----------
        video_id : str, optional
            The video (default: the one whose events lost the most likes).
        ax : matplotlib Axes, optional
            Where to draw (default: a new figure).

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        from likekit.plots import CAUSE_COLORS, concise_dates, event_label, legend_above_data

        if video_id is None:
            lost = self.events.groupby("video_id")["likes_delta"].sum()
            video_id = lost.idxmin() if len(lost) else self.counts["video_id"].iloc[0]
        shown = self.counts[self.counts["video_id"] == video_id]
        if shown.empty:
            raise LikekitInputError(f"no video {video_id!r} in this simulation")
        true = self.truth[self.truth["video_id"] == video_id]
        if ax is None:
            ax = plt.subplots(figsize=(9, 4))[1]
        likes = shown["likes"].astype(float).to_numpy()
        top = likes + shown["resolution"].to_numpy()
        ax.fill_between(
            shown["timestamp"], likes, top, step="post", color="0.8", label="hidden by rounding"
        )
        ax.step(
            shown["timestamp"], likes, where="post", color="0.2", lw=1, label="shown by the app"
        )
        ax.plot(true["timestamp"], true["likes"], color="tab:blue", lw=1, label="true likes")
        for e in self.events[self.events["video_id"] == video_id].itertuples():
            color, label = CAUSE_COLORS[e.cause], event_label(e.cause, e.detail)
            if e.start == e.end:
                ax.axvline(e.start, color=color, lw=1.5, label=label)
            else:
                ax.axvspan(e.start, e.end, color=color, alpha=0.2, label=label)
        ax.set_ylim(bottom=0)
        legend_above_data(ax, room=0.45, ncols=3)
        ax.set(title=f"{self.scenario}: {video_id}", ylabel="likes")
        return concise_dates(ax)

    def write(self, path: str | Path) -> dict[str, Path]:
        """Write ``counts`` to ``path`` and ``truth``, ``events`` beside it.

        Parameters
        ----------
        path : str or Path
            A ``.csv`` or ``.parquet`` file; the ground truth goes to ``STEM_truth`` and
            ``STEM_events`` with the same suffix.

        Returns
        -------
        dict
            ``{"counts": path, "truth": ..., "events": ...}``.
        """
        path = Path(path)
        if path.suffix not in (".csv", ".parquet"):
            raise LikekitInputError(f"write to a .csv or .parquet file, got {path.name!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        out = {
            "counts": path,
            "truth": path.with_name(f"{path.stem}_truth{path.suffix}"),
            "events": path.with_name(f"{path.stem}_events{path.suffix}"),
        }
        for kind, target in out.items():
            frame: pd.DataFrame = getattr(self, kind)
            if path.suffix == ".csv":
                write_csv(frame, target)  # progress shown when large
            else:
                frame.to_parquet(target, index=False)
        return out


# ---------------------------------------------------------------------------------------
# simulate


def simulate(
    scenario: str,
    *,
    n_videos: int | None = None,
    days: float | None = None,
    step: str | pd.Timedelta = "1h",
    seed: int | None = None,
    display: bool = True,
    progress: bool | None = None,
    **overrides: Any,
) -> Simulation:
    """Simulate a creator's like counts under a named scenario.

    Parameters
    ----------
    scenario : str
        A name from :func:`likekit.scenarios`.
    n_videos, days : optional
        Size of the panel (default: the scenario's, 20 videos over 30 days).
    step : str or Timedelta
        Simulation step ("1h", "30min", ...); rates and hazards are per hour.
    seed : int, optional
        Seed of the one ``numpy.random.default_rng``; the same seed and parameters give the
        same tables. Without one a seed is drawn and kept in ``Simulation.seed``.
    display : bool
        Render the ``display`` strings ("12.3K"); ``False`` skips that slow step.
    progress : bool, optional
        Show a progress bar (default: on large runs only).
    **overrides
        Any field of :class:`SimParams`, e.g. ``purge_prob=0.8``.

    Returns
    -------
    Simulation

    Raises
    ------
    LikekitInputError
        (a ``ValueError``) On an unknown scenario or parameter (the message lists the valid
        ones) or an invalid value.

    Examples
    --------
    >>> import likekit as lk
    >>> sim = lk.simulate("purge_waves", n_videos=5, days=10, seed=7)
    >>> sorted(set(sim.events["cause"]))
    ['purge']
    """
    params = _params_for(scenario, {"n_videos": n_videos, "days": days}, overrides)
    try:
        step_td = pd.Timedelta(step)
    except ValueError:
        raise LikekitInputError(
            f"step must be a duration like '1h' or '30min', got {step!r}"
        ) from None
    if step_td <= pd.Timedelta(0):
        raise LikekitInputError(f"step must be positive, got {step!r}")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63)
    elif not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise LikekitInputError(f"seed must be a non-negative integer, got {seed!r}")
    sim = _Simulator(params, step_td, np.random.default_rng(seed), progress)
    return sim.run(scenario, seed, display)


_TRUTH_COUNTS = (
    "likes",
    "organic_given",
    "unliked",
    "bot_given",
    "bot_purged",
    "glitch_offset",
    "views",
)


def _strings(codes: np.ndarray, labels: list[str], na: np.ndarray | None = None) -> pd.Series:
    """A ``str`` column from integer codes into ``labels`` (fast for millions of rows)."""
    arr = pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32, copy=False), mask=na), pa.array(labels, pa.large_string())
    )
    return pd.Series(pd.array(arr.cast(pa.large_string()), dtype=_STR), copy=False)


def _repeated_ids(ids: list[str], per: int) -> pd.Series:
    """``ids`` (ASCII, all of one length) each repeated ``per`` times as a ``str`` column,
    written straight into Arrow buffers (the dictionary route is ~20x slower for millions)."""
    width = len(ids[0])
    chars = np.frombuffer("".join(ids).encode("ascii"), dtype=np.uint8).reshape(-1, width)
    n = len(ids) * per
    offsets = np.arange(n + 1, dtype=np.int64) * width
    data = np.repeat(chars, per, axis=0)
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    return pd.Series(pd.array(arr, dtype=_STR), copy=False)


class _Simulator:
    """One run. Arrays are (videos, steps): a video's series is contiguous and the tables are
    their flattening. Only the un-like recursion walks the steps (over a transposed copy)."""

    def __init__(
        self, p: SimParams, step: pd.Timedelta, rng: np.random.Generator, progress: bool | None
    ) -> None:
        self.p, self.rng = p, rng
        self.h = step / _HOUR  # hours per step
        self.T = int(round(p.days * 24 / self.h))
        self.V = int(p.n_videos)
        if self.T < 2:
            raise LikekitInputError(f"days={p.days} with step={step} gives fewer than 2 steps")
        every = p.snapshot_hours / self.h
        if abs(every - round(every)) > 1e-9 or round(every) < 1:
            raise LikekitInputError(
                f"snapshot_hours={p.snapshot_hours} is not a multiple of {step}"
            )
        self.every = int(round(every))
        try:
            start = pd.Timestamp(p.start)
        except ValueError:
            raise LikekitInputError(f"start must be a date and time, got {p.start!r}") from None
        start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
        self.start = start.as_unit("us")
        self.step_us = int(step / pd.Timedelta(microseconds=1))
        self.show = self.T * self.V >= _PROGRESS_MIN if progress is None else progress
        width = max(2, len(str(self.V - 1)))
        self.ids = [f"v{i:0{width}d}" for i in range(self.V)]
        self.wave_id = 0
        self.events: list[pd.DataFrame] = []
        self._keys: tuple[pd.Series, pd.Series] | None = None
        # the truth's integer columns, filled in place and handed to pandas without a copy
        self.block = np.zeros((len(_TRUTH_COUNTS), self.V * self.T), dtype=np.int64)

    # -- helpers -------------------------------------------------------------------------

    def col(self, name: str) -> np.ndarray:
        return self.block[_TRUTH_COUNTS.index(name)].reshape(self.V, self.T)

    def stage(self, name: str, share: int) -> None:
        """Progress: ``name`` is done, ``share`` per cent of a typical run's time."""
        self.bar.set_postfix_str(name, refresh=False)
        self.bar.update(share)

    def times(self, steps: np.ndarray) -> pd.DatetimeIndex:
        us = self.start.value // 1000 + np.asarray(steps, dtype=np.int64) * self.step_us
        return pd.DatetimeIndex(us.view("M8[us]"), tz="UTC")

    def steps_of_hours(self, hours: np.ndarray | float) -> np.ndarray:
        return np.floor(np.asarray(hours) / self.h).astype(np.int64)

    def next_wave(self) -> int:
        self.wave_id += 1
        return self.wave_id

    def add_events(self, videos, cause, start, end, delta, detail, wave=None) -> None:
        videos = np.asarray(videos, dtype=np.int64)
        n = len(videos)
        if n == 0:
            return
        full = np.broadcast_to
        self.events.append(
            pd.DataFrame(
                {
                    "video": videos,
                    "cause": full(cause, n),
                    "start": full(np.asarray(start, dtype=np.int64), n),
                    "end": full(np.asarray(end, dtype=np.int64), n),
                    "likes_delta": full(np.asarray(delta, dtype=np.int64), n),
                    "detail": full(np.asarray(detail, dtype=object), n),
                    "wave": pd.array(full(pd.NA if wave is None else wave, n), dtype="Int64"),
                }
            )
        )

    def slots(self, n: int, lo: float, hi: float, length: np.ndarray | int = 0) -> np.ndarray:
        """One random step in each of ``n`` equal slots of ``[lo, hi)`` (shares of T)."""
        edges = np.linspace(lo * self.T, hi * self.T, n + 1)
        room = np.maximum(np.diff(edges) - length, 1)
        return (edges[:-1] + self.rng.random(n) * room).astype(np.int64)

    def after(self, steps: np.ndarray, at: np.ndarray) -> np.ndarray:
        """(videos, len(steps)) mask: the step is at or after the video's ``at``."""
        return np.asarray(steps)[None, :] >= at[:, None]

    # -- mechanisms ----------------------------------------------------------------------

    def attention(self) -> None:
        """Expected views per step and un-like hazard per step (V, T); status changes."""
        p, rng, T, V = self.p, self.rng, self.T, self.V
        n_trends = math.ceil(V / p.videos_per_trend)
        self.trend = rng.permutation(V) // p.videos_per_trend
        self.trend_start = rng.random(n_trends) * p.trend_start_max_days * 24  # hours
        self.scale = p.peak_views * np.exp(p.video_scale_sigma * rng.standard_normal(V))
        # one curve per trend, (n_trends, T), in hours since the trend started
        tau = np.arange(T)[None, :] * self.h - self.trend_start[:, None]
        since_peak = np.maximum(tau - p.rise_hours, 0)
        if p.fade == "exponential":
            relax = np.exp(-since_peak / p.fade_hours)
        else:
            relax = (1 + since_peak / p.fade_hours) ** -p.fade_exponent
        rising = tau < p.rise_hours
        level = p.baseline_share + (1 - p.baseline_share) * np.where(
            rising, np.clip(tau / p.rise_hours, 0, 1), relax
        )
        fade = np.where(rising, 0.0, 1 - relax) * (1 - (1 - p.unlike_hazard) ** self.h)
        # status: hidden (views go on) or removed (no more views, likes or un-likes)
        u = rng.random(V)
        self.status = np.where(u < p.hide_prob, 1, np.where(u < p.hide_prob + p.remove_prob, 2, 0))
        self.status_step = np.full(V, T, dtype=np.int64)
        changed = self.status > 0
        self.status_step[changed] = (T * (0.3 + 0.6 * rng.random(changed.sum()))).astype(int)
        self.rate = level[self.trend]
        self.rate *= (self.scale * self.h)[:, None]
        if p.daily_amplitude or p.weekly_amplitude:
            self.rate *= self.rhythm()[None, :]
        self.hazard = fade[self.trend]
        if p.churn_hazard:
            self.hazard += 1 - (1 - p.churn_hazard) ** self.h
        if (self.status == 2).any():
            gone = self.after(np.arange(T), np.where(self.status == 2, self.status_step, T))
            self.rate[gone] = 0
            self.hazard[gone] = 0
        self.stage("attention", _WORK["attention"])

    def rhythm(self) -> np.ndarray:
        """Attention's daily and weekly rhythm per step (UTC clock), mean about 1."""
        p = self.p
        start = self.start.tz_convert(None)
        hours = (start - start.normalize()) / _HOUR + np.arange(self.T) * self.h
        days = start.day_of_week + hours / 24
        daily = 1 + p.daily_amplitude * np.cos(2 * np.pi * (hours - p.daily_peak_hour) / 24)
        weekly = 1 + p.weekly_amplitude * np.cos(2 * np.pi * (days - p.weekly_peak_day) / 7)
        return daily * weekly

    def backlash(self) -> None:
        """Users leave the creator: a share of the standing organic likes of some videos is
        withdrawn evenly over a few days (recorded as trend declines by their net count)."""
        p, rng, T = self.p, self.rng, self.T
        hit = np.flatnonzero(rng.random(self.V) < p.backlash_video_share)
        begin = int(T * (0.3 + 0.4 * rng.random()))
        end = min(begin + max(int(round(p.backlash_days * 24 / self.h)), 1), T)
        given, unliked = self.col("organic_given"), self.col("unliked")
        standing = given[hit, begin] - unliked[hit, begin]
        lost = rng.binomial(np.maximum(standing, 0), p.backlash_share)
        per_step = rng.multinomial(lost, np.full(end - begin, 1 / (end - begin)))
        extra = np.zeros((len(hit), T), dtype=np.int64)
        extra[:, begin:end] = np.cumsum(per_step, axis=1)
        extra[:, end:] = extra[:, end - 1 : end]
        # never more un-likes than likes given (fickle un-likes may have taken some already)
        unliked[hit] = np.minimum(unliked[hit] + extra, given[hit])

    def organic(self) -> None:
        """Organic likes, un-likes, views, comments and shares, cumulative (V, T)."""
        p, rng, rate = self.p, self.rng, self.rate
        fickle_share = p.fickle_share if p.unlike_hazard > 0 or p.churn_hazard > 0 else 0.0
        mean = np.empty_like(rate)  # one buffer for the Poisson means

        def draw(share: float) -> np.ndarray:
            return rng.poisson(np.multiply(rate, share, out=mean))

        loyal = draw(p.like_prob * (1 - fickle_share))
        others = draw(1 - p.like_prob)
        self.comments = np.cumsum(draw(p.comment_prob), axis=1)
        self.shares = np.cumsum(draw(p.share_prob), axis=1)
        if fickle_share > 0:
            fickle = draw(p.like_prob * fickle_share)
            del mean
            self.stage("organic", _WORK["organic"])
            self.unlikes(fickle)
            loyal += fickle
            del fickle
        else:
            self.stage("organic", _WORK["organic"] + _WORK["un-likes"])
        others += loyal
        np.cumsum(others, axis=1, out=self.col("views"))
        np.cumsum(loyal, axis=1, out=self.col("organic_given"))
        if p.backlash_share > 0:
            self.backlash()

    def unlikes(self, fickle: np.ndarray) -> None:
        """Each standing fickle like is withdrawn with the step's hazard: step by step."""
        fickle_t = np.ascontiguousarray(fickle.T)
        hazard_t = np.ascontiguousarray(self.hazard.T)
        total_t = np.empty_like(fickle_t)
        standing = np.zeros(self.V, dtype=np.int64)
        total = np.zeros(self.V, dtype=np.int64)
        for t in range(self.T):
            gone = self.rng.binomial(standing, hazard_t[t])
            standing -= gone
            standing += fickle_t[t]  # likes given in step t can be withdrawn from t + 1
            total += gone
            total_t[t] = total
            # whole per cents, summing to the stage's share
            self.stage(
                "un-likes", (t + 1) * _WORK["un-likes"] // self.T - t * _WORK["un-likes"] // self.T
            )
        self.col("unliked")[:] = total_t.T

    def bots(self) -> None:
        """Bot likes (bursts, spam) owned by accounts; purge waves remove accounts."""
        p, rng, T, V = self.p, self.rng, self.T, self.V
        n_spam, n_farm = p.n_spam_accounts, p.n_farm_accounts
        # spam accounts 0..n_spam-1 like each video with a probability, a while after its
        # trend starts
        acc_s, vid_s = np.nonzero(rng.random((n_spam, V)) < p.spam_like_prob)
        delay = rng.exponential(p.spam_delay_hours, len(vid_s))
        step_s = self.steps_of_hours(self.trend_start[self.trend[vid_s]] + delay)
        # bursts: a block of consecutive farm accounts from a random position
        buyers = np.flatnonzero(rng.random(V) < p.burst_prob) if n_farm else np.array([], int)
        size = np.minimum(rng.poisson(p.burst_size, len(buyers)), n_farm)
        first = rng.integers(0, max(n_farm, 1), len(buyers))
        begin = (rng.random(len(buyers)) * T / 2).astype(np.int64)
        k = np.repeat(np.arange(len(buyers)), size)
        rank = np.arange(len(k)) - np.repeat(np.cumsum(size) - size, size)
        acc_b = n_spam + (first[k] + rank) % max(n_farm, 1)
        step_b = begin[k] + self.steps_of_hours(rng.random(len(k)) * p.burst_hours)
        account = np.concatenate([acc_s, acc_b]).astype(np.int64)
        video = np.concatenate([vid_s, buyers[k]]).astype(np.int64)
        given = np.concatenate([step_s, step_b])
        # purge waves: each surviving account is removed with purge_prob
        n_acc = n_spam + n_farm
        removed = np.full(n_acc, T, dtype=np.int64)
        wave_of = np.zeros(n_acc, dtype=np.int64)
        wave_steps = np.sort(self.slots(p.purge_waves, 0.25, 0.95))
        wave_ids = np.array([self.next_wave() for _ in wave_steps], dtype=np.int64)
        for w, s in zip(wave_ids, wave_steps, strict=True):
            hit = (removed == T) & (rng.random(n_acc) < p.purge_prob)
            removed[hit], wave_of[hit] = s, w
        # a like happens in the window, on a video still up, from an account not yet removed
        keep = (given < T) & (given < removed[account])
        keep &= (self.status[video] != 2) | (given < self.status_step[video])
        account, video, given = account[keep], video[keep], given[keep]
        order = np.argsort((video * T + given) * max(n_acc, 1) + account)
        account, video, given = account[order], video[order], given[order]
        gone = removed[account]
        purged = gone < T
        flat = np.bincount(video * T + given, minlength=T * V).reshape(V, T)
        np.cumsum(flat, axis=1, out=self.col("bot_given"))
        flat = np.bincount(video[purged] * T + gone[purged], minlength=T * V).reshape(V, T)
        np.cumsum(flat, axis=1, out=self.col("bot_purged"))
        # one purge event per wave and video it took likes from, while the video's count was
        # still shown (a purge of a hidden or removed video's likes cannot be seen)
        for w, s in zip(wave_ids, wave_steps, strict=True):
            lost = np.bincount(video[purged & (gone == s)], minlength=V)
            hit = np.flatnonzero((lost > 0) & (self.status_step > s))
            self.add_events(hit, "purge", s, s, -lost[hit], "purge", w)
        self.account_removed, self.account_wave = removed, wave_of
        self.bot_records = (account, video, given, gone)
        self.stage("bots", _WORK["bots"])

    def glitches(self) -> None:
        """Served-minus-true offsets, stale windows and missing values from glitches."""
        p, rng, T, V = self.p, self.rng, self.T, self.V
        true, offset = self.col("likes"), self.col("glitch_offset")
        self.missing = np.zeros((V, T), dtype=bool)
        self.stale: list[tuple[np.ndarray, int, int, int]] = []  # videos, start, end, shown
        lengths = np.maximum(
            np.round(p.outage_hours * (0.5 + rng.random(p.outages)) / self.h), 1
        ).astype(np.int64)
        starts = self.slots(p.outages, 0.1, 0.95, lengths)
        if p.outage_kind == "mixed":
            kinds = rng.choice(_OUTAGE_KINDS, p.outages)
        else:
            kinds = np.full(p.outages, p.outage_kind)
        for s, n, kind in zip(starts, lengths, kinds, strict=True):
            e = min(s + n, T)
            hit = np.flatnonzero((rng.random(V) < p.outage_share) & (self.status_step > s))
            drop = p.partial_drop_min + (p.partial_drop_max - p.partial_drop_min) * rng.random(
                len(hit)
            )
            window = true[hit, s:e]
            if kind == "stale":  # every counter shows its value from before the outage
                shown = max(s - 1, 0)
                off = true[hit, shown][:, None] - window
                self.stale.append((hit, s, e, shown))
            elif kind == "partial":
                off = np.floor(window * (1 - drop)[:, None]).astype(np.int64) - window
            else:
                off = np.zeros_like(window)
                self.missing[hit, s:e] = True
            offset[hit, s:e] = off
            deepest = off[np.arange(len(hit)), np.abs(off).argmax(axis=1)]
            self.add_events(hit, "glitch", s, e - 1, deepest, f"server_{kind}", self.next_wave())
        if p.client_glitch:
            # the old app takes a share of the snapshots until the update, on every video
            update = min(int(round(p.client_update_days * 24 / self.h)), T)
            steps = np.arange(update)
            old = (rng.random((V, update)) < p.client_share) & (steps % self.every == 0)
            old &= ~self.after(steps, self.status_step)
            window = true[:, :update]
            off = np.floor(window * (1 - p.client_undercount)).astype(np.int64) - window
            off[~old] = 0
            offset[:, :update] = np.where(old, off, offset[:, :update])
            # the event spans the snapshots where the old app's under-count can be seen: it
            # shows fewer likes than were shown at an earlier snapshot (before that, it only
            # slows a rising count down, which nothing tells from a slower video)
            snaps = steps[steps % self.every == 0]
            served = window[:, snaps] + offset[:, snaps]
            shown = display_bounds(served, p.display_rounding)[0]
            before = np.maximum.accumulate(shown, axis=1)
            seen = np.zeros_like(old)
            seen[:, snaps[1:]] = shown[:, 1:] < before[:, :-1]
            wrong = old & (off != 0) & seen
            hit = np.flatnonzero(wrong.any(axis=1))
            if len(hit):
                first = wrong[hit].argmax(axis=1)
                last = update - 1 - wrong[hit, ::-1].argmax(axis=1)
                deepest = off[hit, np.abs(off[hit]).argmax(axis=1)]
                wave = self.next_wave()
                self.add_events(hit, "glitch", first, last, deepest, "client_undercount", wave)
        self.stage("glitches", _WORK["glitches"])

    def trend_declines(self) -> None:
        """``trend_decline`` events: the organic net count falls materially after its peak."""
        net = self.col("organic_given") - self.col("unliked")
        # only while the count is shown: after a status change a decline cannot be seen
        hidden = self.after(np.arange(self.T), self.status_step)
        net[hidden] = np.iinfo(np.int64).min
        rows = np.arange(self.V)
        peak_step = net.argmax(axis=1)
        peak = net[rows, peak_step]
        net[~self.after(np.arange(self.T), peak_step) | hidden] = np.iinfo(np.int64).max
        low_step = net.argmin(axis=1)
        low = net[rows, low_step]
        hit = np.flatnonzero((peak - low >= self.p.decline_min_share * peak) & (peak > low))
        self.add_events(
            hit, "trend_decline", peak_step[hit], low_step[hit], (low - peak)[hit], "unlikes"
        )

    # -- assembly ------------------------------------------------------------------------

    def run(self, scenario: str, seed: int, display: bool) -> Simulation:
        self.bar = tqdm(total=100, desc="simulate", unit="%", disable=not self.show, leave=False)
        with self.bar:
            self.attention()
            self.organic()
            self.bots()
            likes = self.col("likes")
            np.subtract(self.col("organic_given"), self.col("unliked"), out=likes)
            likes += self.col("bot_given")
            likes -= self.col("bot_purged")
            self.glitches()
            self.trend_declines()
            # status: the shown likes (what the app would show then) fall to nothing
            changed = np.flatnonzero(self.status > 0)
            at = self.status_step[changed]
            served = likes[changed, at] + self.col("glitch_offset")[changed, at]
            shown = display_bounds(served, self.p.display_rounding)[0]
            detail = np.where(self.status[changed] == 1, "likes_hidden", "video_removed")
            self.add_events(changed, "status", at, self.T - 1, -shown, detail)
            counts = self.counts_table(display)
            self.stage("tables", _WORK["tables"])
            return Simulation(
                counts=counts,
                truth=self.truth_table(),
                events=self.events_table(),
                videos=self.videos_table(),
                accounts=self.accounts_table(),
                bot_likes=self.bot_likes_table(),
                params=self.p,
                scenario=scenario,
                seed=seed,
            )

    def counts_table(self, display: bool) -> pd.DataFrame:
        """What the app shows at the snapshot steps, sorted by video and time."""
        p, every = self.p, self.every
        snap = np.arange(0, self.T, every)
        served = self.col("likes")[:, ::every] + self.col("glitch_offset")[:, ::every]
        # views are copied (the truth keeps its own); comments and shares are only shown
        views = np.array(self.col("views")[:, ::every])
        comments, shares = (
            np.ascontiguousarray(a[:, ::every]) for a in (self.comments, self.shares)
        )
        sources = (self.col("views"), self.comments, self.shares)
        frozen = [  # read every frozen value before writing any (comments may be in place)
            (
                np.ix_(hit, np.flatnonzero((snap >= s) & (snap < e))),
                [a[hit, shown] for a in sources],
            )
            for hit, s, e, shown in self.stale
        ]
        for where, values in frozen:
            for a, value in zip((views, comments, shares), values, strict=True):
                a[where] = value[:, None]
        hidden = removed = np.zeros(served.shape, dtype=bool)
        if self.status.any():
            after = self.after(snap, self.status_step)
            hidden = after & (self.status == 1)[:, None]
            removed = after & (self.status == 2)[:, None]
            served[hidden | removed] = 0
            for a in (views, comments, shares):
                a[removed] = 0
        missing = np.array(self.missing[:, ::every])
        if p.missing_prob > 0:  # independent misses: a binomial number of uniform places
            n = missing.size
            missing.ravel()[self.rng.choice(n, self.rng.binomial(n, p.missing_prob), False)] = True
        likes_na = (missing | hidden if p.hidden_as == "na" else missing.copy()).ravel()
        missing = missing.ravel()
        lower, resolution = display_bounds(served.ravel(), p.display_rounding)
        resolution[likes_na] = 1
        keys = self.keys(snap)
        counts = pd.DataFrame(
            {
                "video_id": keys[0],
                "timestamp": keys[1],
                "likes": pd.arrays.IntegerArray(lower, likes_na),
                "resolution": resolution,
                # each column its own mask: a write into one must not show in another
                "views": pd.arrays.IntegerArray(views.ravel(), missing.copy()),
                "comments": pd.arrays.IntegerArray(comments.ravel(), missing.copy()),
                "shares": pd.arrays.IntegerArray(shares.ravel(), missing),
            },
            copy=False,
        )
        if display:
            counts["display"] = _render(served.ravel(), likes_na, p.display_rounding)
        if p.removed_as == "drop":
            counts = counts[~removed.ravel()].reset_index(drop=True)
        return counts

    def keys(self, steps: np.ndarray) -> tuple[pd.Series, pd.Series]:
        """``video_id`` and ``timestamp`` columns for ``steps`` of every video (built once
        when counts and truth share them: pandas' copy-on-write keeps them apart)."""
        if self._keys is None or len(self._keys[0]) != self.V * len(steps):
            videos = _repeated_ids(self.ids, len(steps))
            us = self.start.value // 1000 + np.tile(steps * self.step_us, self.V)
            times = pd.Series(us.view("M8[us]"), copy=False).dt.tz_localize("UTC")
            self._keys = (videos, times)
        return self._keys

    def truth_table(self) -> pd.DataFrame:
        truth = pd.DataFrame(self.block.T, columns=list(_TRUTH_COUNTS), copy=False)
        videos, times = self.keys(np.arange(self.T))
        truth.insert(0, "video_id", videos)
        truth.insert(1, "timestamp", times)
        truth["unlike_hazard"] = self.hazard.ravel()
        return truth

    def events_table(self) -> pd.DataFrame:
        columns = ["video_id", "cause", "start", "end", "likes_delta", "detail", "wave"]
        if not self.events:
            return pd.DataFrame(
                {
                    "video_id": pd.Series([], dtype=_STR),
                    "cause": pd.Series([], dtype=_STR),
                    "start": pd.Series([], dtype=_UTC_US),
                    "end": pd.Series([], dtype=_UTC_US),
                    "likes_delta": pd.Series([], dtype=np.int64),
                    "detail": pd.Series([], dtype=_STR),
                    "wave": pd.Series([], dtype="Int64"),
                }
            )
        ev = pd.concat(self.events, ignore_index=True)
        ev = ev.sort_values(["video", "start", "cause"], kind="stable", ignore_index=True)
        ev["video_id"] = _strings(ev["video"].to_numpy(), self.ids)
        ev["start"] = self.times(ev["start"].to_numpy())
        ev["end"] = self.times(ev["end"].to_numpy())
        ev["cause"] = ev["cause"].astype(_STR)
        ev["detail"] = ev["detail"].astype(_STR)
        return ev[columns]

    def videos_table(self) -> pd.DataFrame:
        peak_hours = self.trend_start[self.trend] + self.p.rise_hours
        status = np.array(["", "likes_hidden", "video_removed"])[self.status]
        return pd.DataFrame(
            {
                "video_id": pd.array(self.ids, dtype=_STR),
                "trend": self.trend,
                "peak_views": self.scale,
                "trend_start": self.start + pd.to_timedelta(self.trend_start[self.trend], "h"),
                "peak": self.start + pd.to_timedelta(peak_hours, "h"),
                "status": pd.array(status, dtype=_STR),
                "status_time": self.times(self.status_step).where(self.status > 0),
            }
        )

    def accounts_table(self) -> pd.DataFrame:
        removed = self.account_removed
        kind = np.where(np.arange(len(removed)) < self.p.n_spam_accounts, "spam", "farm")
        purged = removed < self.T
        return pd.DataFrame(
            {
                "account": np.arange(len(removed)),
                "kind": pd.array(kind, dtype=_STR),
                "removed": self.times(removed).where(purged),
                "wave": pd.arrays.IntegerArray(self.account_wave, ~purged),
            }
        )

    def bot_likes_table(self) -> pd.DataFrame:
        account, video, given, gone = self.bot_records
        return pd.DataFrame(
            {
                "account": account,
                "video_id": _strings(video, self.ids),
                "given": self.times(given),
                "removed": self.times(gone).where(gone < self.T),
            }
        )
