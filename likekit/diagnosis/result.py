"""The result of :func:`likekit.diagnose`: :class:`Diagnosis`, its summary and verdicts."""

from __future__ import annotations

import html
import warnings
from functools import cached_property
from typing import Any

import pandas as pd

from likekit.data import LikekitInputError
from likekit.diagnosis import accounting
from likekit.diagnosis.figures import panel_plot, video_plot
from likekit.diagnosis.options import Options
from likekit.formatting import metric_of
from likekit.narrative import video_verdict


class Diagnosis:
    """What :func:`diagnose` found: events per video, creator-wide waves, a summary.

    Attributes
    ----------
    events : DataFrame
        One row per event: video_id, cause ("glitch", "purge", "trend_decline", "status"),
        start, end (UTC; a purge has end == start), likes_delta (negative for a loss) with
        its 95% interval delta_low/delta_high, recovered, score, detail (kind of event:
        "step", "drop", "freeze", "flicker", "missing", "decline", "likes_hidden",
        "video_removed"), wave (id in ``waves`` when the event is part of one) and a
        plain-language evidence string.
        ``score`` is the size of the event in units of its noise (|likes_delta| over the
        standard deviation of the increment, or for a trend decline of the level change,
        that it was measured on); status changes, which are certain, score infinity;
        missing snapshots, which have no size, NaN.
    waves : DataFrame
        Creator-wide events found by synchrony, sorted by time and numbered in time order:
        wave, time, end, cause ("purge" for a permanent wave, "glitch" for an outage that
        recovered), n_videos, likes_delta (sum over the videos hit), recovered, z (combined
        z-score of the move that revealed it, negative for a loss) and p_value (against
        videos moving independently, calibrated for every bin and test scanned).
    videos : DataFrame
        Per video: snapshots, observed likes, data_quality ("ok", "all_missing",
        "one_snapshot", "too_short", "constant", "large_gaps"). Deprecated: the same values
        are still in a ``status`` column (its old name, which clashed with the cause
        "status"), kept for this release only; a column cannot warn when it is read, so
        this note is the warning. Read ``data_quality``.
    increments : DataFrame
        The standardized increments the detector worked on (see
        :mod:`likekit.diagnosis.increments`), computed again on first use.
    options : Options
        The options it ran with and the levels derived from them (z_alarm, z_video, ...).

    Trend declines are described by :meth:`decay_fit` (a :func:`likekit.fit_decay` fit,
    computed on first use) and :attr:`trend_declines` (their half-life and plateau).
    """

    def __init__(self, counts, events, waves, videos, increments, *, options: Options):
        """``counts`` and ``increments``: DataFrames, or callables returning them on first
        use."""
        self._counts = counts
        self.events = events
        self.waves = waves
        self.videos = _with_data_quality(videos)
        # a callable computes them on first use: a large panel's increments take more
        # memory than its table, and few callers read them
        self._increments = increments
        self.options = options
        self._fits: dict[str, Any] = {}

    @property
    def counts(self) -> pd.DataFrame:
        """The table diagnosed (a Dask run collects it on first use)."""
        if callable(self._counts):
            self._counts = self._counts()
        return self._counts

    @property
    def increments(self) -> pd.DataFrame:
        """The standardized increments the detector worked on (computed on first use)."""
        if callable(self._increments):
            self._increments = self._increments()
        return self._increments

    @property
    def metric(self) -> str:
        """What the table counts ("likes", "followers", ...): ``counts.attrs["metric"]``, as
        :func:`likekit.load_counts` sets it; every sentence, table and figure uses the word."""
        return metric_of(self.counts)

    @property
    def z_alarm(self) -> float:
        """The single-video alarm level (``options.z_alarm``)."""
        return self.options.z_alarm

    @property
    def z_video(self) -> float:
        """The per-video level at a wave (``options.z_video``)."""
        return self.options.z_video

    def __repr__(self) -> str:
        by = self.events["cause"].value_counts().to_dict()
        return (
            f"<Diagnosis: {len(self.videos)} videos, {len(self.events)} events {by}, "
            f"{len(self.waves)} waves>"
        )

    def _repr_html_(self) -> str:
        table = self.losses().round().astype({"events": int})
        return (
            f"<p><b>Diagnosis</b> of {len(self.videos)} videos: {len(self.events)} events, "
            f"{len(self.waves)} creator-wide waves.</p>"
            f"<p>{html.escape(self.answer().verdict)}</p>"
            + table.to_html(float_format=lambda x: f"{x:,.0f}")
        )

    # -- where the likes went --------------------------------------------------------------

    def losses(self, by: str = "cause") -> pd.DataFrame:
        """Likes that disappeared, positive, with 95% intervals where they exist.

        Parameters
        ----------
        by : {"cause", "video", "wave"}
            "cause": one row per cause (glitch, purge, trend_decline, status) with events
            and the likes ``lost`` for good, ``hidden`` (hidden counts, removed videos,
            glitches still on at the end) and that ``came_back``, with ``lost_low``,
            ``lost_high``, ``came_back_low``, ``came_back_high``.
            "video": per video, the fall from its peak accounted for exactly: ``peak - now
            = purge + hidden + trend_decline + glitch + unexplained`` (columns peak, now,
            change and the terms); the sum over videos is the creator's total.
            "wave": per wave, its time, cause, n_videos and the likes its events took
            (likes, low, high).

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> import likekit as lk
        >>> diag = lk.diagnose(lk.sample_path("purge"))
        >>> diag.losses().loc["purge", "lost"] > 0
        np.True_
        >>> acc = diag.losses(by="video")
        >>> bool(((acc["peak"] - acc["now"]) - acc.loc[:, "purge":].sum(axis=1)).abs().max() < 1e-6)
        True
        """
        if by == "cause":
            return accounting.by_cause(self.events, self.counts)
        if by == "video":
            return accounting.by_video(self.events, self.counts)
        if by == "wave":
            return accounting.by_wave(self.events, self.waves)
        raise LikekitInputError(f"by must be 'cause', 'video' or 'wave', got {by!r}")

    def answer(self) -> accounting.Answer:
        """The main cause and the plain-language verdict, from :meth:`losses`."""
        losses, accounts = self.losses(), self.losses(by="video")
        short = accounting.answer(losses, accounts, self.counts, self.waves)
        return accounting.with_verdict(short, losses, len(accounts), self.counts, self.metric)

    # -- trend declines, fitted lazily -----------------------------------------------------

    def decay_fit(self, video_id: str, **fit_decay_options):
        """The decay fit (:func:`likekit.fit_decay`) of a video's decline, computed once
        per set of options.

        Its detected glitches, purges and status changes are excluded from the fit (unless
        ``exclude`` is given); ``model`` defaults to "auto". Other keywords go to
        :func:`likekit.fit_decay`.
        """
        from likekit.decay import fit_decay

        key = f"{video_id!r} {sorted(fit_decay_options.items())!r}"
        if key not in self._fits:
            one = self.counts.loc[self.counts["video_id"] == video_id]
            if one.empty:
                raise KeyError(f"no video {video_id!r} in this diagnosis")
            ev = self.events
            fit_decay_options.setdefault("model", "auto")
            fit_decay_options.setdefault(
                "exclude", ev.loc[(ev["video_id"] == video_id) & (ev["cause"] != "trend_decline")]
            )
            self._fits[key] = fit_decay(one, **fit_decay_options)
        return self._fits[key]

    def fit(self, video_id: str):
        """Deprecated: use :meth:`decay_fit`."""
        warnings.warn(
            "Diagnosis.fit is deprecated; use Diagnosis.decay_fit", FutureWarning, stacklevel=2
        )
        return self.decay_fit(video_id)

    @cached_property
    def trend_declines(self) -> pd.DataFrame:
        """The trend-decline events with their decay fit: model, half_life, plateau."""
        out = self.events.loc[self.events["cause"] == "trend_decline"].copy()
        fits = [self.decay_fit(v) for v in out["video_id"]]
        out["model"] = [f.model for f in fits]
        out["half_life"] = [f.half_life for f in fits]
        out["plateau"] = [f.plateau for f in fits]
        return out

    # -- summary ---------------------------------------------------------------------------

    def summary(self) -> pd.DataFrame:
        """One row per video: what happened to its likes, in numbers and in one sentence.

        Columns: likes_peak, likes_now (last observed), purge_loss (sum of purge steps,
        negative), decline (the fall since the peak left once purges after the peak,
        hidden counts and glitches still on are taken out: the net of un-likes over new
        likes, negative), glitch_hours (time under glitches), data_quality (the
        ``videos`` table's status: "ok", "all_missing", "one_snapshot", ...) and verdict.
        The numbers are those of ``losses(by="video")``.
        """
        obs = self.counts.loc[self.counts["likes"].notna()]
        last = obs.groupby("video_id", sort=False)[["likes", "resolution"]].last()
        acc = self.losses(by="video").reindex(self.videos.index)
        ev = self.events
        out = pd.DataFrame(index=self.videos.index)
        out["likes_peak"] = acc["peak"]
        out["likes_now"] = last["likes"].astype(float)
        purges = ev.loc[ev["cause"] == "purge"]
        purge_loss = purges.groupby("video_id")["likes_delta"].sum()
        out["purge_loss"] = purge_loss.reindex(out.index).fillna(0.0).where(acc["peak"].notna())
        decline = (acc["trend_decline"] + acc["unexplained"]).clip(lower=0.0)
        # a hidden or removed video shows nothing: only a detected decline is a decline
        out["decline"] = -decline.where(acc["hidden"] <= 0, acc["trend_decline"])
        glitch = ev.loc[ev["cause"] == "glitch"]
        hours = (glitch["end"] - glitch["start"]) / pd.Timedelta(hours=1)
        out["glitch_hours"] = hours.groupby(glitch["video_id"]).sum().reindex(out.index)
        out["glitch_hours"] = out["glitch_hours"].fillna(0.0).where(acc["peak"].notna())
        out["data_quality"] = self.videos["data_quality"]
        kinds = ev.groupby("video_id")["detail"].agg(set)
        n_glitch = glitch.groupby("video_id").size()
        out["verdict"] = [
            video_verdict(
                out.at[v, "data_quality"],
                kinds.get(v, set()),
                int(n_glitch.get(v, 0)),
                -out.at[v, "purge_loss"],
                -out.at[v, "decline"],
                last["resolution"].get(v, 1),
                self.metric,
            )
            for v in out.index
        ]
        return out.rename_axis("video_id")

    # -- plots -----------------------------------------------------------------------------

    def plot(self, video_id: str | None = None, ax=None, *, top: int = 5):
        """One video's series with its events shaded by cause, or (None) the whole panel.

        The panel view shows every video's count as a share of its peak, aligned in time,
        with the waves marked and numbered in time order. Beyond 30 videos the lines would
        be a solid mass: the panel shows the median video and the middle 80% of videos
        instead, with the ``top`` videos that lost most drawn on top (the title says so).
        Titles and labels stay inside the figure, so ``savefig`` keeps them. Returns the
        matplotlib Axes.
        """
        import matplotlib.pyplot as plt

        from likekit.plots import concise_dates

        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4), layout="constrained")
        concise_dates(ax)
        obs = self.counts.loc[self.counts["likes"].notna()]
        if video_id is None:
            return panel_plot(self, ax, obs, top=top)
        one = obs.loc[obs["video_id"] == video_id]
        if one.empty and video_id not in self.videos.index:
            raise KeyError(f"no video {video_id!r} in this diagnosis")
        return video_plot(self, ax, one, video_id)


def _with_data_quality(videos: pd.DataFrame) -> pd.DataFrame:
    """The pipeline's ``status`` column named ``data_quality``, its old name kept as a copy
    for one release (deprecated); a table that has both already is left as it is."""
    if "data_quality" in videos.columns:  # combined from panels' own Diagnosis.videos
        return videos
    return videos.rename(columns={"status": "data_quality"}).assign(status=videos["status"])
