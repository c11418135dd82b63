"""Which of a user's columns plays which role: synonyms, explicit mapping, conflicts, near misses.

Names match ignoring case, spaces, dashes and underscores; a nested JSON field
(``stats.diggCount``) matches by its whole path or by its last part, and a top-level column
wins over a nested one.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping, Sequence

from likekit._source import Source

REQUIRED = ("video_id", "timestamp", "likes")
#: counters parsed like likes when present
COUNTERS = ("likes", "views", "comments", "shares")
ROLES = (*REQUIRED, "resolution", "views", "comments", "shares")

#: names each role is recognised by (compared by :func:`name_key`)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "video_id": ("video_id", "video", "id", "post_id", "url", "aweme_id"),
    "timestamp": (
        "timestamp",
        "time",
        "date",
        "datetime",
        "captured_at",
        "scraped_at",
        "collected_at",
        "fetched_at",
        "epoch",
    ),
    "likes": ("likes", "like", "like_count", "likes_count", "diggcount", "digg_count", "hearts"),
    "views": ("views", "view_count", "playcount", "play_count", "plays"),
    "comments": ("comments", "comment_count", "commentcount"),
    "shares": ("shares", "share_count", "sharecount"),
    "resolution": ("resolution",),
}
#: other counters a table may track instead of likes, and the names they go by
METRICS: dict[str, tuple[str, ...]] = {
    "followers": ("followers", "follower_count", "followers_count"),
    "subscribers": ("subscribers", "subscriber_count", "subscribers_count", "subs"),
    "stars": ("stars", "stargazers", "stargazers_count", "star_count"),
}
#: times a record carries that are not its capture time (a video's upload), never suggested
UPLOAD_TIMES = (
    "createtime",
    "create_time",
    "upload_date",
    "upload_time",
    "published_at",
    "publish_time",
    "created_at",
)
_IGNORED = re.compile(r"[\s_\-]+")


def name_key(name: object) -> str:
    """A column name as compared: lower case, without spaces, dashes and underscores."""
    return _IGNORED.sub("", str(name)).lower()


@functools.cache
def _metric_names(metric: str) -> tuple[str, ...]:
    singular = metric.removesuffix("s")
    names = (*METRICS.get(metric, ()), metric, singular, f"{singular}_count", f"{metric}_count")
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(name_key(name), name)
    return tuple(unique.values())


def _names(metric: str) -> dict[str, tuple[str, ...]]:
    if metric == "likes":
        return SYNONYMS
    return {**SYNONYMS, "likes": _metric_names(metric)}  # the counter goes by the metric's names


@functools.cache  # read for every header of every table; never modified
def _lookup(metric: str) -> dict[str, str]:
    return {name_key(n): role for role, group in _names(metric).items() for n in group}


def _claims(header: str, lookup: dict[str, str]) -> tuple[str | None, bool]:
    """The role a header claims and whether it claims it only through a nested field's name."""
    role = lookup.get(name_key(header))
    if role is not None or "." not in header:
        return role, False
    return lookup.get(name_key(header.rsplit(".", 1)[1])), True


def resolve(
    headers: Sequence[str],
    src: Source,
    columns: Mapping[str, str] | None = None,
    metric: str | None = None,
) -> tuple[dict[str, str], str]:
    """Map contract roles to the user's headers; return it and the counter's metric.

    Without ``metric`` a table that has no likes but exactly one followers, subscribers or
    stars column is read as that counter.
    """
    taken = _explicit(headers, src, columns or {})
    if metric is None and "likes" not in taken:
        found = {m for h in headers for m, names in METRICS.items() if _named(h, names)}
        if not any(_named(h, _metric_names("likes")) for h in headers) and len(found) == 1:
            metric = found.pop()
    metric = metric or "likes"
    lookup = _lookup(metric)
    claimants: dict[str, list[tuple[bool, str]]] = {}
    for header in headers:
        if header in taken.values():
            continue
        role, nested = _claims(header, lookup)
        if role is not None and role not in taken:
            claimants.setdefault(role, []).append((nested, header))
    for role, found in claimants.items():
        top = [h for nested, h in found if not nested] or [h for _, h in found]
        if len(top) > 1:
            both = " and ".join(repr(h) for h in top)
            src.error(
                f"{src.column_word}s {both} both read as {_role_word(role, metric)}; pass "
                f"columns={{{top[0]!r}: {role!r}}} (--column '{top[0]}={role}') to choose one"
            )
        taken[role] = top[0]
    missing = [role for role in REQUIRED if role not in taken]
    if missing:
        _missing(missing, headers, taken, src, metric)
    return taken, metric


@functools.cache
def _keys(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(name_key(n) for n in names)


def _named(header: str, names: tuple[str, ...]) -> bool:
    keys = _keys(names)
    return name_key(header) in keys or name_key(header.rsplit(".", 1)[-1]) in keys


def _role_word(role: str, metric: str) -> str:
    return f"{role} ({metric})" if role == "likes" and metric != "likes" else role


def _explicit(headers: Sequence[str], src: Source, columns: Mapping[str, str]) -> dict[str, str]:
    taken: dict[str, str] = {}
    for header, role in columns.items():
        if role not in ROLES:
            src.error(
                f"columns= maps {header!r} to {role!r}, which is not one of {', '.join(ROLES)}"
            )
        if header not in headers:
            near = difflib.get_close_matches(header, [str(h) for h in headers], n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            src.error(
                f"columns= names {header!r}, which is not a {src.column_word} "
                f"({src.column_word}s found: {', '.join(map(str, headers))}){hint}"
            )
        if role in taken:
            src.error(f"columns= maps both {taken[role]!r} and {header!r} to {role!r}")
        taken[role] = header
    return taken


def _missing(
    missing: list[str], headers: Sequence[str], taken: dict[str, str], src: Source, metric: str
) -> None:
    names = _names(metric)
    upload = {name_key(n) for n in UPLOAD_TIMES}
    free = [h for h in headers if h not in taken.values()]
    posted = [h for h in free if name_key(h.rsplit(".", 1)[-1]) in upload]
    notes = [
        f"{h!r} is when the video was posted, not when the count was captured"
        for h in posted
        if "timestamp" in missing
    ]
    near = []
    for role in missing:
        keys = [name_key(n) for n in names[role]]
        for header in (h for h in free if h not in posted):
            if difflib.get_close_matches(name_key(header), keys, n=1, cutoff=0.75):
                near.append(f"{header!r} looks like {role}: pass columns={{{header!r}: {role!r}}}")
                break
    words = [role if role != "likes" else metric for role in missing]
    looked = [
        f"{w} is looked for as {', '.join(names[r])}" for w, r in zip(words, missing, strict=True)
    ]
    what = " or ".join(repr(w) for w in words)
    src.error(
        f"has no {what} {src.column_word} ({src.column_word}s found: "
        f"{', '.join(map(str, headers)) or 'none'}; required: {', '.join(REQUIRED)}; "
        f"{'; '.join([*notes, *(near or looked)])})"
    )
