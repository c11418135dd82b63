"""The sentences of a report: the answer, where the fall from the peaks went, what the
display rounding hides, and what a technical table's numbers mean.

Every number comes from :meth:`likekit.Diagnosis.losses` (by cause and by video), so the
sentences and the tables of every report agree. Counts are whole with separators, shares
of the peak in per cent, and the counted thing is named by the table's own word
(``counts.attrs["metric"]``, "likes" by default: "followers lost for good").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from likekit.formatting import count, duration, percent, plural, singular, when, whole

if TYPE_CHECKING:
    from likekit.diagnosis.accounting import Answer

#: a cause in words, as the subject of "the main cause is ..."
CAUSE_WORDS = {
    "purge": "bot purges (fake accounts removed by the platform)",
    "trend_decline": "the fading trend (real users leaving faster than new ones come)",
    "glitch": "glitches (the count shown too low for a while)",
    "status": "hidden counts or removed videos",
}

#: one line per technical column: what its numbers mean, for the Details section
MEANINGS = {
    "z": "z: how many standard deviations of ordinary noise the joint move was "
    "(about 2 is common by chance, above 5 is not).",
    "p_value": "p-value: the chance of a move this strong if the videos moved independently, "
    "already corrected for every window scanned (below 1% is strong evidence).",
    "n_videos": "videos: how many videos moved at that moment.",
    "k": "k: how many numbers the model fits (more numbers fit better but must earn it).",
    "llf": "log-likelihood: how well the model fits the increments (higher is better).",
    "aic": "AIC and BIC: fit penalised for the numbers the model uses (lower is better); "
    "BIC penalises more.",
    "delta": "delta: the model's criterion minus the best one's; above about 10 the data "
    "speak clearly against the model.",
    "std_err": "std. error: the uncertainty of an estimate; n/a for derived quantities, "
    "whose interval (low to high) is computed on their own scale.",
    "interval": "low, high: the 95% interval; the true value is in it 19 times out of 20.",
    "parameters": "plateau: where the count will settle; amplitude: how far above it the "
    "count was at the peak; tau and half_life: time scales in hours; alpha or beta: the "
    "shape of the tail; loss_share: the share of the peak expected to be lost (0.05 is 5%).",
}


def meanings(*names: str) -> list[str]:
    """The Details lines for ``names`` (keys of :data:`MEANINGS`)."""
    return [MEANINGS[n] for n in names]


def _share(n: float, peak: float) -> str:
    return percent(n / peak) if peak > 0 else "n/a"


def _videos(n: int) -> str:
    return "your video" if n == 1 else f"your {n:,} videos"


def _peaks(n: int) -> str:
    return "its peak" if n == 1 else "their peaks"


def main_missing_cause(a: Answer, losses: pd.DataFrame) -> str | None:
    """The cause to name first: :attr:`Answer.main_cause` when likes were lost for good,
    otherwise the cause of most of what is hidden or came back (None when nothing)."""
    if a.main_cause is not None:
        return a.main_cause
    missing = losses["hidden"] + losses["came_back"]
    return None if round(float(missing.max())) == 0 else str(missing.idxmax())


def answer_text(a: Answer, losses: pd.DataFrame, n_videos: int, metric: str = "likes") -> str:
    """The report's answer in two sentences: where the counts went, the main cause, what
    was lost for good, hidden and came back, in whole counts and per cent of the peak."""
    first = (
        f"{_videos(n_videos).capitalize()} went from {count(a.peak, metric)} at "
        f"{_peaks(n_videos)} to {count(a.now, metric)} now"
    )
    cause = main_missing_cause(a, losses)
    if n_videos == 0 or a.peak <= 0:
        return f"No {metric} were counted on {_videos(n_videos)}: there is nothing to explain."
    if cause is None:
        fall = a.peak - a.now
        rest = (
            f"; the fall of {count(fall, metric)} is within the counts' own noise and display "
            "rounding"
            if round(fall) > 0
            else ""
        )
        return (
            f"{first}. No {singular(metric)} was lost for good: no purge, glitch, lasting "
            f"decline or hidden count was found{rest}."
        )
    lost = f"{count(a.lost, metric)} ({_share(a.lost, a.peak)} of the peak) lost for good"
    hidden = f"{whole(a.hidden)} ({_share(a.hidden, a.peak)}) hidden"
    back = f"{whole(a.came_back)} ({_share(a.came_back, a.peak)}) gone for a while and come back"
    if round(a.lost) == 0:
        lost = f"no {singular(metric)} lost for good"
    others = [p for p, n in ((hidden, a.hidden), (back, a.came_back)) if round(n) > 0]
    rest = " and ".join(others) if others else "nothing hidden and nothing came back"
    return f"{first}. The main cause is {CAUSE_WORDS[cause]}: {lost}; {rest}."


def verdict(a: Answer, losses: pd.DataFrame, n_videos: int, counts, metric: str = "likes") -> str:
    """The longer verdict of :meth:`likekit.Diagnosis.answer`: the period, the answer
    (:func:`answer_text`) and what each cause did (:func:`breakdown`)."""
    times = counts["timestamp"]
    period = f"The table runs from {when(times.min())} to {when(times.max())}."
    return " ".join(
        [period, answer_text(a, losses, n_videos, metric), breakdown(a, losses, metric)]
    )


def breakdown(a: Answer, losses: pd.DataFrame, metric: str = "likes") -> str:
    """What each cause did, in plain sentences ("" when nothing disappeared)."""
    parts = []
    if a.main_cause is not None:
        k = a.purge_waves
        waves = f"in {plural(k, 'creator-wide wave')}" if k else "none in a creator-wide wave"
        parts.append(
            f"The {count(a.lost, metric)} that disappeared for good were "
            f"{whole(losses.at['purge', 'lost'])} taken by bot purges ({waves}) and "
            f"{whole(losses.at['trend_decline', 'lost'])} by real users leaving as the trend "
            "faded. Neither kind comes back."
        )
    if round(losses.at["glitch", "came_back"]):
        parts.append(
            f"Glitches made {count(losses.at['glitch', 'came_back'], metric)} disappear for a "
            "while; those came back, so nothing was lost to them."
        )
    if round(losses.at["glitch", "hidden"]):
        parts.append(
            f"A glitch still shows {count(losses.at['glitch', 'hidden'], metric)} too few at "
            "the last snapshot; they should come back."
        )
    if round(losses.at["status", "hidden"]):
        parts.append(
            f"{count(losses.at['status', 'hidden'], metric)} are hidden or belong to removed "
            f"videos: a change of status, not {metric} lost."
        )
    return " ".join(parts)


def accounting_text(accounts: pd.DataFrame, losses: pd.DataFrame, metric: str = "likes") -> str:
    """Where the fall from the peaks went, adding up exactly (see
    :mod:`likekit.diagnosis.accounting`), and the purges the videos grew past."""
    total = accounts[["peak", "now", "purge", "hidden", "trend_decline", "glitch"]].sum()
    rest = float(accounts["unexplained"].sum())
    fall = total["peak"] - total["now"]
    if round(fall) == 0 and round(rest) == 0:
        text = f"The videos are where they peaked: nothing fell ({count(0, metric)})."
    else:
        parts = [
            f"{whole(total['purge'])} to bot purges after each video's peak",
            f"{whole(total['trend_decline'])} to the fading trend",
            f"{whole(total['hidden'])} hidden or on removed videos",
            f"{whole(total['glitch'])} still shown too low by a glitch at the last snapshot",
            f"{whole(rest)} not attributed to a cause ({_rest_meaning(rest)})",
        ]
        text = (
            f"From their peaks ({count(total['peak'], metric)}) to now "
            f"({count(total['now'], metric)}) the videos fell by {count(fall, metric)}: "
            + "; ".join(parts)
            + "."
        )
    before = float(losses.at["purge", "lost"]) - float(total["purge"])
    if round(before) > 0:
        text += (
            f" Purges also took {count(before, metric)} before a video had peaked: those are "
            "lost for good too, but the video grew past them, so they are not part of the fall."
        )
    return text


def _rest_meaning(rest: float) -> str:
    if round(rest) < 0:
        return "negative: videos grew back after a loss"
    return "counting noise and falls too small to call"


def rounding_note(counts: pd.DataFrame, metric: str = "likes") -> str:
    """What the app's display rounding hides at the last snapshot, or "" when every count
    is shown exactly ("changes under 100 likes cannot be seen while the count shows 1.1K")."""
    from likekit.data import format_count

    obs = counts.loc[counts["likes"].notna()]
    if obs.empty or "resolution" not in obs:
        return ""
    last = obs.groupby("video_id", sort=False)[["likes", "resolution"]].last()
    rounded = last.loc[last["resolution"] > 1]
    if rounded.empty:
        return ""
    example = rounded.loc[rounded["resolution"].idxmin()]
    shown = format_count(int(example["likes"]))
    n = len(rounded)
    who = (
        "Your video is"
        if len(last) == 1
        else f"{n:,} of your {len(last):,} videos {'is' if n == 1 else 'are'}"
    )
    note = (
        f"{who} shown rounded at the last snapshot: changes under "
        f"{count(example['resolution'], metric)} cannot be seen while the count shows {shown}"
        + (
            f" (up to {count(rounded['resolution'].max(), metric)} on the largest)."
            if rounded["resolution"].nunique() > 1
            else "."
        )
    )
    return note + _inferred_note(counts.attrs.get("resolution_inferred") or [], len(last))


def _inferred_note(inferred: list[str], n_videos: int) -> str:
    """Say so when display steps were inferred from expanded values (load_counts'
    ``resolution="infer"``), not read from display strings."""
    if not inferred:
        return ""
    who = "this video's" if n_videos == 1 else f"{len(inferred):,} videos'"
    return (
        f" The display steps of {who} counts were inferred: every value is a multiple of the "
        f"step a three-significant-figure display shows, so the table holds shown values "
        f"written out in full, not exact counts."
    )


def video_verdict(
    data_quality: str,
    kinds: set,
    n_glitch: int,
    purged: float,
    declined: float,
    resolution: float = 1,
    metric: str = "likes",
) -> str:
    """One sentence per video from its data quality, the kinds of its events and the
    counts it lost to purges and to its decline (positive)."""
    if data_quality == "all_missing":
        return f"No {singular(metric)} count was observed for this video."
    if data_quality in ("one_snapshot", "too_short"):
        return "Too few snapshots to say anything."
    if "video_removed" in kinds:
        return "The video was removed: its count is gone, not lost."
    if "likes_hidden" in kinds:
        return f"The {singular(metric)} count was hidden: the {metric} still exist."
    parts = []
    if round(purged) > 0:
        parts.append(f"{count(purged, metric)} were removed by bot purges")
    if "decline" in kinds and round(declined) > 0:
        if resolution > 1 and declined <= resolution:
            parts.append(
                f"the count fell by one display step: changes under "
                f"{count(resolution, metric)} cannot be seen at this size"
            )
        else:
            parts.append(f"{count(declined, metric)} lost as the trend faded")
    if n_glitch:
        parts.append(f"{plural(n_glitch, 'glitch', 'glitches')} came and went")
    if not parts:
        return "Nothing lost: no purge, glitch or lasting decline was found."
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


# -- the other reports' answers --------------------------------------------------------


def waves_answer(diag, metric: str = "likes") -> str:
    """Report 04's answer: how many purge waves, the largest, and what purges took."""
    per_wave = diag.losses(by="wave")
    n_videos = len(diag.videos)
    if n_videos < 2:
        return (
            f"A wave is the same move on many videos at once, so it cannot be seen on "
            f"{_videos(n_videos)} alone; report 03 tells what happened to it."
        )
    purges = per_wave.loc[per_wave["cause"] == "purge"]
    outages = int((per_wave["cause"] == "glitch").sum())
    peak = float(diag.losses(by="video")["peak"].sum())
    outage_text = (
        f" {plural(outages, 'outage')} also hit the videos together and recovered."
        if outages
        else ""
    )
    if purges.empty:
        return (
            f"No purge wave was found on {_videos(n_videos)}: no moment when many of them "
            f"lost {metric} together for good.{outage_text}"
        )
    alone = float(diag.losses().at["purge", "lost"]) - float(purges["likes"].sum())
    outage_text += (
        f" Purges outside any wave took {count(alone, metric)} more." if round(alone) > 0 else ""
    )
    big = purges["likes"].idxmax()
    total, largest = float(purges["likes"].sum()), count(purges.at[big, "likes"], metric)
    return (
        f"{plural(len(purges), 'purge wave').capitalize()} hit {_videos(n_videos)} and took "
        f"{count(total, metric)} for good ({_share(total, peak)} of the peak); the largest, "
        f"wave {big} on {when(purges.at[big, 'time'])}, took {largest} "
        f"from {plural(purges.at[big, 'n_videos'], 'video')}.{outage_text}"
    )


def gaps_text(times: pd.Series) -> str:
    """The time between consecutive purge waves, in words."""
    gaps = pd.Series(times).sort_values().diff().dropna()
    if gaps.empty:
        return "With fewer than two purge waves there is no time between waves to measure."
    return "Time between purge waves: " + ", ".join(duration(g) for g in gaps) + "."


def glitch_text(glitches: pd.DataFrame, name: str) -> str:
    """How many glitches the table shows, how long they lasted, how many came back."""
    if glitches.empty:
        return f"No glitch was found in {name}."
    hours = (glitches["end"] - glitches["start"]) / pd.Timedelta(hours=1)
    back = int(glitches["recovered"].astype(bool).sum())
    return (
        f"{plural(len(glitches), 'glitch', 'glitches').capitalize()} in {name}, lasting "
        f"{duration(float(hours.median()))} at the median; {whole(back)} of them came back."
    )


def rate_text(k: int, days: float, low: float, high: float) -> str:
    """Purge waves per 30 days with their 95% interval, in words."""
    per = 30 * k / days if days > 0 else float("nan")
    return (
        f"{plural(k, 'purge wave').capitalize()} in {_days(days)}: {per:.2f} per 30 days "
        f"(95% interval {low:.2f} to {high:.2f}). "
        + ("" if k >= 5 else "So few waves say little about how often the platform purges.")
    )


def _days(days: float) -> str:
    return duration(days * 24)


def table_text(counts: pd.DataFrame, name: str) -> str:
    """What the table holds: videos, snapshots, their spacing and period, missing values."""
    times = counts["timestamp"]
    steps = counts.groupby("video_id")["timestamp"].diff().dropna()
    every = f", one every {duration(steps.median()).removeprefix('1 ')}" if len(steps) else ""
    missing = int(counts["likes"].isna().sum())
    return (
        f"{name} holds {plural(counts['video_id'].nunique(), 'video')} and "
        f"{plural(len(counts), 'snapshot')}{every}, from {when(times.min())} to "
        f"{when(times.max())}; {plural(missing, 'snapshot')} "
        f"{'has' if missing == 1 else 'have'} no count."
    )


def most_fallen_text(shown: int, n_videos: int) -> str:
    """Which videos get their own figure."""
    if shown == 0:
        return "No video fell from its peak: there is no video to show."
    if shown == n_videos:
        return f"Every video that fell ({plural(shown, 'video')}), largest fall first."
    return f"The {plural(shown, 'video')} that fell most, of {n_videos:,}, largest fall first."


def tour_answer(sims: dict) -> str:
    """Report 01's answer: what each cause did in the simulations, from their truth."""
    events = pd.concat([s.events for s in sims.values()], ignore_index=True)
    taken = -events.groupby("cause")["likes_delta"].sum()
    peak = sum(float(s.truth.groupby("video_id")["likes"].max().sum()) for s in sims.values())
    n_videos = sum(s.truth["video_id"].nunique() for s in sims.values())

    def part(cause: str) -> str:
        n = float(taken.get(cause, 0.0))
        return f"{count(n, 'likes')} ({_share(n, peak)} of the peak)"

    return (
        f"In these {plural(len(sims), 'simulated creator')} ({plural(n_videos, 'video')}), "
        f"glitches made {part('glitch')} disappear for a while, and they came back; bot "
        f"purges took {part('purge')} and fading trends {part('trend_decline')} for good; "
        f"status changes hid {part('status')} that still exist. Only purges and fading "
        "trends lower the true count: what the app shows is not always what is there."
    )


#: a decay model in words
MODEL_WORDS = {
    "exponential": "exponential (the excess halves at a steady pace)",
    "power_law": "power law (the halving slows down: a long tail)",
    "stretched_exponential": "stretched exponential (between the two)",
    "none": "no decline (a constant level)",
}


def decay_answer(fit, video: str, criterion: str = "bic", metric: str = "likes") -> str:
    """Report 02's answer: is the video declining, how fast, and where it will settle."""
    d = fit.derived
    peak = f"about {count(fit.peak, metric)} at its peak on {when(fit.start)}"
    if fit.model == "none":
        return (
            f"Video {video} is not losing {metric} in a way a decay explains ({peak}). "
            f"Why: {fit.message}."
        )
    if not fit.identified:
        low, high = d.at["plateau", "low"], d.at["plateau", "high"]
        return (
            f"Video {video} has been losing {metric} since its peak ({peak}) and has not "
            f"levelled off yet: where it will settle cannot be told from these data "
            f"(somewhere between {whole(low)} and {whole(high)})."
        )
    half = d.loc["half_life"]
    plateau = d.loc["plateau"]
    return (
        f"Video {video} is losing {metric} as its trend fades: from {peak}, the excess over "
        f"where it will settle halves in {duration(half['estimate'])} (95% interval "
        f"{duration(half['low'])} to {duration(half['high'])}), counted from the first "
        f"snapshot after the peak ({when(fit.reference)}), and it should settle near "
        f"{count(plateau['estimate'], metric)} ({whole(plateau['low'])} to "
        f"{whole(plateau['high'])}): {percent(fit.loss_share)} of the peak lost. The best "
        f"model by {criterion.upper()} is {MODEL_WORDS.get(fit.model, fit.model)}."
    )
