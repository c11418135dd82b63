"""The simulation's parameters: :class:`SimParams`, checked and coerced once, and the
parameters of a named scenario with the caller's overrides (:func:`params_for`)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from likekit.data import LikekitInputError
from likekit.simulation.catalog import SCENARIOS

__all__ = ["SimParams", "params_for"]

_CHOICES = {
    "fade": ("exponential", "power_law"),
    "outage_kind": ("mixed", "stale", "partial", "missing"),
    "hidden_as": ("na", "zero"),
    "removed_as": ("zero", "drop"),
    "display_rounding": ("truncate", "round"),
}


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


def params_for(scenario: str, sizes: dict[str, Any], overrides: dict[str, Any]) -> SimParams:
    """The parameters of ``scenario`` with ``overrides`` and the ``sizes`` that are given
    (not None) on top; an unknown scenario or parameter is refused, naming the valid ones."""
    if scenario not in SCENARIOS:
        raise LikekitInputError(f"unknown scenario {scenario!r}; valid: {', '.join(SCENARIOS)}")
    valid = SimParams.names()
    unknown = sorted(set(overrides) - set(valid))
    if unknown:
        raise LikekitInputError(f"unknown parameter(s) {unknown}; valid: {', '.join(valid)}")
    given = {k: v for k, v in sizes.items() if v is not None}
    return replace(SimParams(), **{**SCENARIOS[scenario].overrides, **overrides, **given})
