"""The scenario catalogue: named simulations, each illustrating one claim of the article.

A scenario is a set of parameter overrides of :class:`likekit.simulation.SimParams` plus the
claim it lets a user check with evidence. ``likekit.scenarios()`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["SCENARIOS", "Scenario", "scenarios"]


@dataclass(frozen=True)
class Scenario:
    """A named simulation: its claim, the causes it draws and its parameter overrides."""

    name: str
    claim: str
    causes: tuple[str, ...]
    overrides: dict[str, Any] = field(default_factory=dict)


# Spam bots (issue 3): faint purges. Videos with a steady ~1-4 organic likes an hour (counts
# stay below 1,000, so the display is exact) and a hourly noise sd of ~1-2 likes; 60 spam
# accounts each like 60 % of the videos (36 likes a video, ~4 % of its likes); a wave removes
# 10 % of the surviving accounts: ~3.6 likes from each video, ~1.5-5x its hourly noise.
_SPAM = {
    "peak_views": 100.0,
    "video_scale_sigma": 0.3,
    "baseline_share": 0.25,
    "like_prob": 0.03,
    "n_spam_accounts": 60,
    "spam_like_prob": 0.6,
    "purge_waves": 3,
    "purge_prob": 0.1,
}

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "healthy",
            "Nothing is wrong: likes rise with the video's reach and level off, never fall.",
            (),
            {},
        ),
        Scenario(
            "server_glitch",
            "Servers can be unstable: counts freeze, dip or go missing on every video at "
            "once, then come back to the true count within hours.",
            ("glitch",),
            {"outages": 3, "outage_kind": "mixed"},
        ),
        Scenario(
            "app_glitch",
            "An out-of-date app can show wrong counts until it is updated; the real count "
            "is unaffected.",
            ("glitch",),
            {"client_glitch": True},
        ),
        Scenario(
            "bot_purge",
            "The platform removes fake accounts: every like they gave vanishes at once and "
            "does not come back.",
            ("purge",),
            {"burst_prob": 0.5, "purge_waves": 1, "purge_prob": 0.8},
        ),
        Scenario(
            "purge_waves",
            "Purges come in waves: the same permanent drop hits every video that had bot "
            "likes at the same moment.",
            ("purge",),
            {"burst_prob": 0.6, "purge_waves": 3, "purge_prob": 0.5},
        ),
        Scenario(
            "spam_bots",
            "Spam bots liked many of the creator's videos a little: each purge takes a "
            "small drop, near the noise, from many videos at once.",
            ("purge",),
            _SPAM,
        ),
        Scenario(
            "trend_unlikes",
            "When a trend passes, real users un-like: the count peaks, then decays smoothly "
            "toward a plateau, and those likes do not come back.",
            ("trend_decline",),
            {
                "fickle_share": 0.3,
                "unlike_hazard": 0.01,
                "baseline_share": 0.005,
                "videos_per_trend": 4,
            },
        ),
        Scenario(
            "status_change",
            "Likes that fall to zero while views go on are hidden, not lost; a removed video "
            "loses every counter: a status change, not disappearing likes.",
            ("status",),
            {"hide_prob": 0.25, "remove_prob": 0.15},
        ),
        Scenario(
            "rhythm",
            "Attention has a rhythm: fewer likes at night and on some days, on every video "
            "at once. A slowdown that all videos and their views share is not a purge.",
            (),
            {"daily_amplitude": 0.6, "weekly_amplitude": 0.25},
        ),
        Scenario(
            "plateau_flicker",
            "Past its peak a video gains and loses likes alike: a count at a display "
            'boundary flickers by itself ("12.3K" <-> "12.4K"), which is no app glitch.',
            (),
            {
                "peak_views": 3000.0,
                "baseline_share": 0.05,
                "fickle_share": 0.5,
                "unlike_hazard": 0.0,
                "churn_hazard": 0.002,
                "decline_min_share": 0.5,
            },
        ),
        Scenario(
            "backlash",
            "Users leaving a creator after a controversy un-like over several days: a trend "
            "decline on the videos they left, however fast, not a purge.",
            ("trend_decline",),
            {"backlash_share": 0.3, "backlash_days": 3.0, "backlash_video_share": 0.6},
        ),
        Scenario(
            "big_creator",
            'A big creator\'s counts run into millions and are shown coarsely ("1.2M"): only '
            "purges larger than the display step can be seen at all.",
            ("purge",),
            {
                "peak_views": 300_000.0,
                "n_farm_accounts": 400_000,
                "burst_prob": 0.5,
                "burst_size": 150_000.0,
                "purge_waves": 2,
                "purge_prob": 0.8,
            },
        ),
        Scenario(
            "mixed",
            "Several causes at once, as on a real creator's account: un-likes after a trend, "
            "bot purges in waves, server outages, an old app and status changes.",
            ("glitch", "purge", "trend_decline", "status"),
            {
                "videos_per_trend": 3,
                "baseline_share": 0.005,
                "fickle_share": 0.25,
                "unlike_hazard": 0.01,
                "burst_prob": 0.3,
                "n_spam_accounts": 40,
                "spam_like_prob": 0.4,
                "purge_waves": 2,
                "purge_prob": 0.5,
                "outages": 2,
                "outage_kind": "mixed",
                "client_glitch": True,
                "hide_prob": 0.05,
                "remove_prob": 0.05,
                "missing_prob": 0.01,
            },
        ),
    )
}


def scenarios() -> pd.DataFrame:
    """The named scenarios of :func:`likekit.simulate`.

    Returns
    -------
    DataFrame
        One row per scenario: ``name``, ``claim`` (the article's claim it illustrates),
        ``causes`` (comma-separated causes of its ground-truth events, empty for none) and
        ``overrides`` (its parameters that differ from the defaults of ``SimParams``).

    Examples
    --------
    >>> import likekit as lk
    >>> "spam_bots" in set(lk.scenarios()["name"])
    True
    """
    return pd.DataFrame(
        {
            "name": [s.name for s in SCENARIOS.values()],
            "claim": [s.claim for s in SCENARIOS.values()],
            "causes": [",".join(s.causes) for s in SCENARIOS.values()],
            "overrides": [
                ", ".join(f"{k}={v!r}" for k, v in s.overrides.items()) for s in SCENARIOS.values()
            ],
        }
    )
