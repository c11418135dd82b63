"""The entry points: :func:`fit_decay` for one video, :func:`fit_decay_many` for a table."""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import ThreadpoolController

from likekit.data import LikekitInputError, load_counts
from likekit.decay import inputs
from likekit.decay.estimation import (
    Candidate,
    Comparison,
    Criterion,
    compare,
    fit_candidates,
    infer,
    likeliest_start,
    rivals,
)
from likekit.decay.families import FAMILIES, MODELS, Family
from likekit.decay.identification import halving_bound, halving_unseen, straight_line
from likekit.decay.likelihood import Design
from likekit.decay.profile import profile_bounds
from likekit.decay.results import DERIVED, DecayFit, Link, link_scale, tail_area_interval
from likekit.diagnosis.stream import CHUNK_ROWS, chunks_by_video
from likekit.distributed import is_dask_frame

__all__ = ["DecayFit", "fit_decay", "fit_decay_many"]

#: fewest usable snapshots after the peak for a decay fit
MIN_SNAPSHOTS = 8
#: most snapshots used with display-rounded counts (their covariance is dense)
MAX_DENSE = 150
_COV_TYPES = ("HC0", "HC2", "HC3", "nonrobust")


@dataclass(frozen=True)
class _Options:
    """The options of :func:`fit_decay`, checked once."""

    model: str = "auto"
    start: Any = None
    criterion: Criterion = "bic"
    exclude: pd.DataFrame | None = None
    alpha: float = 0.05
    cov_type: str = "HC2"

    def __post_init__(self) -> None:
        if self.model != "auto" and self.model not in MODELS:
            raise LikekitInputError(
                f"model must be 'auto' or one of {', '.join(MODELS)}, got {self.model!r}"
            )
        if self.criterion not in ("bic", "aic"):
            raise LikekitInputError(f"criterion must be 'bic' or 'aic', got {self.criterion!r}")
        if not 0 < self.alpha < 1:
            raise LikekitInputError(f"alpha must be in (0, 1), got {self.alpha!r}")
        if self.cov_type not in _COV_TYPES:
            raise LikekitInputError(
                f"cov_type must be one of {', '.join(_COV_TYPES)}, got {self.cov_type!r}"
            )

    @property
    def z(self) -> float:
        return float(stats.norm.ppf(1 - self.alpha / 2))


def fit_decay(
    counts: pd.DataFrame | pd.Series,
    *,
    model: str = "auto",
    start=None,
    criterion: Criterion = "bic",
    exclude: pd.DataFrame | None = None,
    alpha: float = 0.05,
    cov_type: str = "HC2",
) -> DecayFit:
    """Fit decay models to one video's net like count after its peak.

    Parameters
    ----------
    counts : DataFrame or Series
        One video in the data contract (timestamp, likes, resolution; likes may be missing;
        any sampling; ``video_id`` optional), checked as :func:`likekit.load_counts` checks a
        table (display strings such as "12.3K" are read), or a Series of likes indexed by
        timestamp (taken as exact).
    model : {"auto", "exponential", "power_law", "stretched_exponential", "none"}
        "auto" fits every candidate and keeps the best by ``criterion``; when the data do
        not show the best one's curvature (see ``identified`` below) but do show that of a
        fit the criterion cannot tell from it (within 2: a rival family, or the same one
        with its peak elsewhere between the snapshots), that fit is kept, its intervals
        widened by the best one's (model-averaged tail areas). A model asked for by name
        gets the same choice among its places of the peak.
    start : datetime-like, optional
        Start of the decline; default the peak of the net count (after ``exclude``).
    criterion : {"bic", "aic"}
        BIC by default: the exponential is nested in the stretched exponential, which AIC
        picks too often.
    exclude : DataFrame, optional
        Events to leave out (columns start, end, optionally video_id), as
        :func:`likekit.diagnose` reports them: snapshots inside a window are dropped and the
        increment across it is not used, so a purge step or a glitch cannot pull the fit.
    alpha : float
        Intervals are ``1 - alpha``.
    cov_type : {"HC2", "HC3", "HC0", "nonrobust"}
        statsmodels covariance of the estimates. The sandwiches are robust to a wrong
        variance function; "HC2" (the default) and "HC3" also correct for leverage: the
        first increments of a steep decline weigh most, and on daily snapshots a few
        increments carry the whole decline, where HC0 is too narrow. HC2 is unbiased when
        the variance model is right; HC3 errs on the wide side.

    Returns
    -------
    DecayFit
        With model "none" and a message when there is too little data after the peak or no
        decline worth a model; with ``identified`` False, NaN estimates, bounds and a message
        when the decline has not levelled off within the data.

    Raises
    ------
    LikekitInputError
        A bad table (naming the row and column as :func:`likekit.load_counts` does) or a bad
        option.

    Notes
    -----
    The statistical model is described in :mod:`likekit.decay`.

    The half-life is counted from the snapshot after the highest one
    (:attr:`DecayFit.reference`), a point the data pin down: hours from there until the
    excess over the plateau is half what it was there. Counted from the peak itself, which
    no snapshot sees, it would not be identified by coarse snapshots: a stretched
    exponential loses much of its excess in the first hour after its peak, and a daily
    series cannot say how much. (The exponential forgets, so its half-life is the same from
    any point; a power law's grows with the hours since the peak.)

    The start of the decline is uncertain, and that uncertainty is in the intervals: the
    plateau and loss share are those of the path from its peak, which lies
    somewhere between the snapshot before the highest one and the snapshot after it (on
    daily snapshots, up to a day either side). Each family is fitted with the peak 0, an
    eighth, a quarter, half and a whole gap before the highest snapshot (closer together
    near it: a stretched exponential falls steeply in the first hour after its peak, and a
    peak placed hours late bends its shape), and half a gap after it (the count may have
    been rising until a peak that the next snapshot already shows fallen: that increment
    is then left out, its rise counted as one more parameter). The estimate is at the
    likeliest place by the criterion; the intervals are model-averaged tail areas
    (MATA-Wald, Turek & Fletcher 2012) over the places (weighted by the criterion times
    the hours of the gap each stands for: a uniform prior over the gap) and the rival
    families (weighted by the criterion), and never narrower than the chosen fit's own,
    nor than its profile-likelihood interval (half-life and plateau: a decline still well
    above its plateau at the end of the data has a curved ridge that a Wald interval
    misses). Intervals use Student's t on the residual
    degrees of freedom with a leverage-corrected sandwich (``cov_type``): on a dozen daily
    points the normal quantile and HC0 are too narrow.

    With ``exclude``, the
    plateau is where the trend alone takes the count: a jump inside an excluded window (the
    likes a purge removed) is not in it; :func:`likekit.diagnose` reports those apart.

    Examples
    --------
    >>> from likekit.simulation import simulate_decline
    >>> counts, truth = simulate_decline("exponential", half_life=48, seed=1)
    >>> fit = fit_decay(counts)
    >>> fit.model, round(fit.half_life), truth["half_life"]
    ('exponential', 47, 48.0)
    """
    options = _Options(model, start, criterion, exclude, alpha, cov_type)
    video, table = inputs.load_one(counts)
    with _one_thread():
        return _fit(video, *inputs.columns(table), options)


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()  # once: it looks through the loaded libraries


def _one_thread():
    """BLAS and LAPACK on one thread while fitting (restored after).

    The fits solve matrices of at most :data:`MAX_DENSE` rows, thousands of times: threads
    cost more there than they save, up to ten times the whole fit on a busy machine.
    """
    return _blas().limit(limits=1, user_api="blas")


def _fit(
    video: str | None,
    stamps: pd.DatetimeIndex,
    lower: np.ndarray,
    r: np.ndarray,
    options: _Options,
) -> DecayFit:
    """:func:`fit_decay` on one video's validated, sorted snapshots."""
    if len(stamps) == 0:
        raise LikekitInputError("no snapshot with a like count")
    snaps = inputs.snapshots(stamps, lower, r, inputs.windows(options.exclude, video))
    if len(snaps.stamps) == 0:
        raise LikekitInputError("no snapshot with a like count outside the excluded windows")
    i0 = _choose_start(snaps.stamps, snaps.y, options.start)
    made = _Maker(video, snaps, i0, options)
    n_after = len(snaps.y) - i0
    if n_after < MIN_SNAPSHOTS:
        return made.nothing(
            f"too little data after the peak: the count is highest {n_after - 1} snapshot(s) "
            f"before the end, a decline needs {MIN_SNAPSHOTS}"
        )
    designs, levels, leads = _designs(snaps, i0, _gaps(snaps, i0, options.start))
    if options.model == "none":
        designs = designs[:1]
        per_start = [fit_candidates(["none"], designs[0], *levels[0])]
    else:
        # every family, also for one model: the covariance is the best family's, so that a
        # family's estimate is the same whichever model is asked for
        per_start = [
            fit_candidates(list(FAMILIES), d, *lv) for d, lv in zip(designs, levels, strict=True)
        ]
    cands, where = likeliest_start(per_start, designs[0].n, options.criterion)
    auto = options.model == "auto"
    if not auto:
        cands = {name: cands[name] for name in dict.fromkeys([options.model, "none"])}
    comp = compare(cands, designs[0].n, options.criterion, auto, options.model)
    if comp.chosen == "none":
        message = _no_decline(designs[0], options.criterion) if auto else ""
        return made.fit(cands["none"], comp, model="none", result=None, message=message)
    tried: list[DecayFit] = []
    for name, i in _in_order(per_start, cands, where, comp, designs[0].n, options.criterion, auto):
        at = {**cands, name: per_start[i][name]}
        forced = compare(at, designs[0].n, options.criterion, False, name)
        fit = _decay(made.at(designs[i].offset - leads[i]), designs[i], at, forced,
                     (designs, per_start))  # fmt: skip
        if fit.identified and (fit.converged or not tried):
            return fit
        tried.append(fit)
    return tried[0]


#: most criterion difference of a fit tried when the best one is not identified: one the
#: criterion cannot tell from the best (Burnham & Anderson's "substantial support")
_RIVAL_DELTA = 2.0


def _in_order(
    per_start: list[dict[str, Candidate]],
    cands: dict[str, Candidate],
    where: dict[str, int],
    comp: Comparison,
    n: int,
    criterion: Criterion,
    auto: bool,
) -> list[tuple[str, int]]:
    """The (family, place of the peak) to try, best first: the chosen family at its
    likeliest place, then the fits that beat the null and that the criterion cannot tell
    from it: the chosen family at its other places, and with ``auto`` the rival families at
    theirs (converged, inside their range).

    A fit whose curvature the data do not show (its half-life reaching beyond them) is
    passed over for a close one whose curvature they do show: the peak may lie anywhere in
    its gap, and the first fit still widens the intervals of the one kept by its tail area
    (:func:`_decay`); the fit says it is not identified only when no close one is. ``n``
    is the number of observations the criteria count.
    """
    best = cands[comp.chosen].criterion(n, criterion)
    reach = min(cands["none"].criterion(n, criterion) - best, _RIVAL_DELTA)
    names = [comp.chosen]
    if auto:
        ok = comp.columns["converged"]
        names += [m for m, good in zip(comp.names, ok, strict=True) if good and m not in names]
        names.remove("none")
    close = [
        (fits[name].criterion(n, criterion), name, i)
        for name in names
        for i, fits in enumerate(per_start)
        if (name, i) != (comp.chosen, where[comp.chosen])
        and fits[name].converged
        and fits[name].levelled
        and fits[name].criterion(n, criterion) - best < reach
    ]
    return [(comp.chosen, where[comp.chosen])] + [(m, i) for _, m, i in sorted(close)]


def _choose_start(stamps: pd.DatetimeIndex, level: np.ndarray, start) -> int:
    """The first snapshot of the decline: ``start``, or the highest level seen.

    The level as seen, not with the excluded steps taken out: a window over the rise (an
    app glitch in the first week) would otherwise take the rise out and leave the highest
    "level" at the first snapshot, a peak of a few likes.
    """
    if start is None:
        # a display-rounded count may show the highest level for hours around the peak:
        # take the middle of that run
        first = int(np.argmax(level))
        run = np.flatnonzero(level[first:] != level[first])
        length = int(run[0]) if len(run) else len(level) - first
        return first + (length - 1) // 2
    ts = pd.Timestamp(start)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    after = np.flatnonzero(stamps >= ts)
    if len(after) == 0:
        raise LikekitInputError(f"start {ts} is after the last snapshot")
    return int(after[0])


def _gaps(snaps: inputs.Snapshots, i0: int, start) -> tuple[float, float]:
    """Hours in which the peak may lie before and after the highest snapshot.

    Before: since the snapshot before it; after: until the next one (the count may have
    been rising until a peak that the next snapshot already shows fallen). Both nil when
    the start is given (the user says where the decline starts); a side is nil when nothing
    is seen there or its increment crosses an excluded window (it bounds nothing).
    """
    if start is not None:
        return 0.0, 0.0
    before = snaps.hours[i0] - snaps.hours[i0 - 1] if i0 > 0 and snaps.keep[i0] else 0.0
    ok = i0 + 1 < len(snaps.hours) and snaps.keep[i0 + 1]
    after = snaps.hours[i0 + 1] - snaps.hours[i0] if ok else 0.0
    return float(before), float(after)


#: places of the peak tried before the highest snapshot, in shares of the gap to the one
#: before: closer together near it, where the level at the snapshot changes fastest with
#: the place (a stretched exponential falls steeply in the first hour after its peak)
_PLACES = (0.0, 0.125, 0.25, 0.5, 1.0)


def _designs(
    snaps: inputs.Snapshots, i0: int, gaps: tuple[float, float]
) -> tuple[list[Design], list[tuple[np.ndarray, np.ndarray]], list[float]]:
    """The designs of the decline for each place of the peak, with start values' data.

    Peak at :data:`_PLACES` of the gap before the highest snapshot ``i0`` (the anchor);
    half a gap after it, when the count may have risen until then: the anchor is then the
    next snapshot, free, and the increment to it is not used (its rise is unknown; see
    :func:`~likekit.decay.estimation.given_anchor`). Each place stands for the hours of the
    gaps nearer to it than to any other (``Design.prior``). Returns the designs, each one's
    (corrected level, hours since the peak) for start values, and the hours from ``i0`` to
    each one's anchor.
    """
    before, after = gaps
    sel = np.arange(i0, len(snaps.y))
    if np.any(snaps.r[i0:] > 1) and len(sel) > MAX_DENSE:
        # display-rounded counts need a dense covariance (cubic cost); there, neighbouring
        # snapshots mostly repeat one display value, so every k-th loses little
        sel = np.unique(np.r_[sel[:: math.ceil(len(sel) / MAX_DENSE)], sel[-1]])
    # an increment between two selected snapshots is usable when all it spans is
    broken = np.cumsum(~snaps.keep)[sel]
    usable = np.r_[True, np.diff(broken) == 0]
    s = snaps.hours[sel] - snaps.hours[i0]
    # the corrected level (excluded steps out) for start values, counted from the start
    level = snaps.y[i0] + snaps.corrected[sel] - snaps.corrected[i0]
    # the half-life is counted from the snapshot after the highest one (DecayFit.reference)
    ref = snaps.hours[i0 + 1] - snaps.hours[i0]
    offsets = tuple(before * f for f in _PLACES) if before > 0 else (0.0,)
    places = np.r_[offsets, [-after / 2] if after > 0 else []]
    prior = _cells(places, -after, before)
    designs = [
        Design(s, snaps.y[sel], snaps.r[sel], usable, o, reference=ref + o, prior=w)
        for o, w in zip(offsets, prior, strict=False)
    ]
    levels = [(level, s + o) for o in offsets]
    leads = [0.0] * len(offsets)
    if after > 0:
        t, lead = s[1:] - s[1], float(s[1])
        o = lead - after / 2
        keep = np.r_[True, usable[2:]]
        designs.append(Design(t, snaps.y[sel[1:]], snaps.r[sel[1:]], keep, o, True,
                              ref - lead + o, prior[-1]))  # fmt: skip
        levels.append((level[1:], t + o))
        leads.append(lead)
    return designs, levels, leads


def _cells(places: np.ndarray, low: float, high: float) -> np.ndarray:
    """Hours of [low, high] nearer to each place than to any other (at least a hair)."""
    order = np.argsort(places)
    edges = np.r_[low, (places[order][1:] + places[order][:-1]) / 2, high]
    widths = np.empty(len(places))
    widths[order] = np.diff(edges)
    return np.maximum(widths, 1e-9 * max(high - low, 1.0))


def _no_decline(design: Design, criterion: str) -> str:
    message = f"no decline: no decay model beats a constant level by {criterion.upper()}"
    if design.dense:  # say why a visible fall may not be evidence enough
        message += f" (the display shows steps of {design.resolution:,.0f} likes)"
    return message


class _Maker:
    """Builds the :class:`DecayFit` of one video: what every outcome shares."""

    def __init__(self, video: str | None, snaps: inputs.Snapshots, i0: int, options: _Options):
        self.options = options
        self.first = snaps.stamps[i0]
        self.common = dict(
            video_id=video,
            start=self.first,  # the first snapshot of the decline, until a fit says otherwise
            reference=snaps.stamps[min(i0 + 1, len(snaps.stamps) - 1)],
            peak=float(snaps.y[i0]),
            data=(snaps.stamps, snaps.y, snaps.r),
            alpha=options.alpha,
            criterion=options.criterion,
        )

    def at(self, before: float) -> _Maker:
        """The same, with the peak ``before`` hours before the first snapshot."""
        made = copy.copy(self)
        made.common = {**self.common, "start": self.first - pd.Timedelta(hours=before)}
        return made

    def nothing(self, message: str) -> DecayFit:
        """Model "none" without any candidate fitted (too little data)."""
        empty = {c: [] for c in ("k", "llf", "aic", "bic", "delta", "converged", "selected")}
        return self.fit(None, Comparison([], empty, "none"), model="none", result=None,
                        message=message)  # fmt: skip

    def fit(
        self,
        cand: Candidate | None,
        comp: Comparison,
        *,
        model: str,
        result,
        message: str,
        converged: bool = True,
        **extra: Any,
    ) -> DecayFit:
        family = None if model == "none" else Family.named(model)
        return DecayFit(model=model, family=family, candidate=cand, comparison=comp,
                        result=result, converged=converged, message=message, **extra,
                        **self.common)  # fmt: skip


def _decay(
    made: _Maker,
    design: Design,
    cands: dict[str, Candidate],
    comp: Comparison,
    starts: tuple[list[Design], list[dict[str, Candidate]]],
) -> DecayFit:
    """The fit of the chosen decay family: identified, not levelled off, or singular.

    The estimate is at the chosen family's likeliest start (``design``); the intervals carry
    the uncertainty of the model choice and of where the peak lies between two snapshots
    (:func:`~likekit.decay.estimation.rivals` over ``starts``: each offset's design and
    candidates).
    """
    options, chosen = made.options, comp.chosen
    family, cand = Family.named(chosen), cands[chosen]
    straight, bounds = straight_line(design, cand, options.criterion, options.z)
    bounds["half_life"] = (math.nan, halving_bound(family, design, cand, bounds), math.inf)
    result = infer(family, design, cand, options.cov_type)
    link, mixture = None, None
    if result is not None and not straight and cand.levelled:
        link = link_scale(family, result.params, result.cov_params(), design.reference)
        mixture = rivals(*starts, cands, (chosen, link), options.criterion, options.cov_type)
    why = _why_not_levelled(design, cand, straight, (link, mixture), options)
    if why is not None:
        message = (
            f"the decline has not levelled off within the data ({why}): the plateau, "
            f"half-life and loss share are not identified; their intervals are what the data "
            f"bound (plateau at most {bounds['plateau'][2]:,.0f} likes, half-life at least "
            f"{bounds['half_life'][1]:,.0f} h)"
        )
        return made.fit(cand, comp, model=chosen, result=result, converged=False,
                        message=message, bounds=bounds)  # fmt: skip
    if result is None:
        message = "the information matrix is singular: the parameters are not identified"
        return made.fit(cand, comp, model=chosen, result=None, converged=False, message=message)
    converged = cand.converged and bool(result.mle_retvals.get("converged", True))
    message = cand.message or ("" if converged else "statsmodels did not converge")
    profile = None
    if link is not None:
        quant = float(stats.t.ppf(1 - options.alpha / 2, max(design.n - cand.k, 1)))
        x = np.asarray(result.params, float)
        profile = profile_bounds(family, design, cand, x, link, quant)
    return made.fit(cand, comp, model=chosen, result=result, converged=converged,
                    message=message, link=link, mixture=mixture, profile=profile)  # fmt: skip


def _why_not_levelled(
    design: Design,
    cand: Candidate,
    straight: bool,
    inference: tuple[Link | None, list[tuple[float, Link]] | None],
    options: _Options,
) -> str | None:
    """Why the curvature of the decline is not identified, or None when it is.

    The excess over the plateau must be seen to halve: a half-life beyond the hours observed
    (estimated, or within the profile interval) makes the plateau an extrapolation of the
    model's shape.
    """
    if straight:
        return f"a straight line fits as well by {options.criterion.upper()}"
    if not cand.levelled:
        return "the best decay would end below zero likes"
    link, mixture = inference
    if link is None:
        return None
    log_half = link["half_life"][0]
    mix = [(w, other["half_life"]) for w, other in mixture or []]
    high = tail_area_interval(link["half_life"], mix, options.alpha, math.inf)[1]
    log_span = math.log(design.span)
    if log_half > log_span:
        return (
            f"the excess over the plateau would halve in {math.exp(log_half):,.0f} h, "
            f"beyond the {design.span:,.0f} h observed"
        )
    # the Wald interval reaches beyond the data: the profile likelihood decides (it follows
    # a ridge that the Wald interval misses; where the Wald interval stays well inside the
    # span, the curvature is plain and the profile is not needed)
    if high > log_span and halving_unseen(Family.named(cand.name), design, cand, options.z):
        return (
            f"a half-life beyond the {design.span:,.0f} h observed fits about as well "
            f"(profile likelihood at {1 - options.alpha:.0%})"
        )
    return None


# ---------------------------------------------------------------------------------------
# many videos


def _fits(counts: pd.DataFrame, options: _Options):
    """(video, DecayFit or the exception) for each video, in video order.

    The table is loaded and checked once and split by video (pandas per video costs more
    than a fit); a table with a bad value anywhere goes video by video, so that only the
    videos at fault fail (their rows are then numbered within the video's rows).
    """
    try:
        table = load_counts(counts)
    except LikekitInputError:
        for video, frame in counts.groupby("video_id", sort=True, observed=True):
            try:
                video_id, one = inputs.load_one(frame)
                yield video, _fit(video_id, *inputs.columns(one), options)
            except Exception as err:  # one video's failure goes in its row, never raised
                yield video, err
        return
    stamps, lower, res = inputs.columns(table)
    # the loaded table is sorted by video, then time; a video without a count keeps its row
    codes, videos = pd.factorize(table["video_id"].to_numpy())
    codes = codes[table["likes"].notna().to_numpy()]
    ends = np.searchsorted(codes, np.arange(len(videos) + 1))
    for i, video in enumerate(videos):
        sl = slice(ends[i], ends[i + 1])
        try:
            yield video, _fit(str(video), stamps[sl], lower[sl], res[sl], options)
        except Exception as err:  # one video's failure goes in its row, never raised
            yield video, err


def _row(video: str, fit: DecayFit | Exception) -> dict[str, Any]:
    row: dict[str, Any] = {"video_id": video}
    if isinstance(fit, Exception):
        row.update(model=None, converged=False, message=f"{type(fit).__name__}: {fit}")
        return row
    row.update(
        model=fit.model,
        converged=fit.converged,
        identified=fit.identified,
        message=fit.message,
        start=fit.start,
        peak=fit.peak,
        # the arrays behind the frames: pandas per video costs as much as a fit
        params=dict(zip(fit._names, fit._to_natural(fit._x).tolist(), strict=True)),
    )
    for name, (est, low, high) in zip(DERIVED, fit._values, strict=True):
        row.update({name: est, f"{name}_low": low, f"{name}_high": high})
    row.update(aic=fit.aic, bic=fit.bic)
    return row


def fit_decay_many(
    counts: pd.DataFrame,
    *,
    progress: bool = True,
    **kwargs: Any,
) -> pd.DataFrame:
    """Fit :func:`fit_decay` to every video of a table; one row per video.

    Parameters
    ----------
    counts : DataFrame or dask.dataframe.DataFrame
        Several videos in the data contract (column ``video_id``). A Dask DataFrame is
        fitted partition by partition where it lies (``pip install likekit[dask]``), on the
        active ``dask.distributed`` client or Dask's local scheduler; same rows.
    progress : bool
        Show a progress bar (tqdm; notebook or console).
    **kwargs
        Passed to :func:`fit_decay` (model, criterion, exclude, alpha, ...). ``exclude`` may
        hold events of every video: each fit keeps its own (by ``video_id``). A bad option
        raises :class:`likekit.LikekitInputError` (``TypeError`` for an unknown one) once,
        before any fit.

    Returns
    -------
    pandas.DataFrame
        video_id, model, converged, identified (see :class:`DecayFit`), message, start,
        peak, params (dict, natural scale),
        half_life, half_life_low, half_life_high, plateau, plateau_low, plateau_high,
        loss_share, loss_share_low, loss_share_high, aic, bic. A video whose fit fails has
        its error in ``message`` and NaN elsewhere; nothing is raised for one video.
    """
    from tqdm.auto import tqdm

    if is_dask_frame(counts):  # each partition's videos fitted where it is
        from likekit.distributed import fit_decay_many_dask

        return fit_decay_many_dask(counts, progress=progress, **kwargs)
    if not isinstance(counts, pd.DataFrame) or "video_id" not in counts.columns:
        raise LikekitInputError("fit_decay_many needs a DataFrame with a 'video_id' column")
    inputs.as_frame(counts)
    try:
        options = _Options(**kwargs)
    except TypeError:
        unknown = set(kwargs) - set(_Options.__dataclass_fields__)
        raise TypeError(f"fit_decay_many got unexpected options {sorted(unknown)}") from None
    # loaded a chunk of whole videos at a time: memory holds one chunk's table, not two
    # copies of the whole
    fits = (one for chunk in chunks_by_video(counts, CHUNK_ROWS) for one in _fits(chunk, options))
    with _one_thread():
        rows = [
            _row(str(video), fit)
            for video, fit in tqdm(
                fits,
                total=counts["video_id"].nunique(),
                disable=not progress,
                desc="fit_decay",
                unit="video",
            )
        ]
    columns = ["video_id", "model", "converged", "identified", "message", "start", "peak"]
    columns += ["params"]
    columns += [f"{n}{suffix}" for n in DERIVED for suffix in ("", "_low", "_high")]
    columns += ["aic", "bic"]
    table = pd.DataFrame(rows).reindex(columns=columns)
    if len(counts) <= CHUNK_ROWS:  # one chunk: already in the loaded table's video order
        return table
    return table.sort_values("video_id", kind="stable", ignore_index=True)
