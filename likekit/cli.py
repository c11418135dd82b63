"""Command line: ``likekit simulate``, ``report`` and ``diagnose`` (also ``python -m likekit``).

A bad input fails before any kernel starts, with the one-line ``LikekitInputError`` message
and exit code 2; a failing notebook cell exits 1 with its error and the executed notebook's
path (``--verbose`` adds the cell and the traceback). Each command's arguments are added by
its own ``_add_*`` function, so that options can be added where they belong.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import textwrap
from collections.abc import Callable
from typing import Any

from likekit import __version__
from likekit.data import LikekitInputError

EXIT_BAD_INPUT, EXIT_CELL_FAILED, EXIT_WRITE_FAILED = 2, 1, 1
DESCRIPTION = (
    "Why did the likes on my videos go down? Simulate the causes with their ground truth, "
    "or diagnose a like-count table and write a report."
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose help may end with text made only when help is shown.

    The scenario catalogue imports the simulation (a second): a report, which must reject a
    bad table within a second, does not wait for it.
    """

    def __init__(self, *args: Any, more_help: Callable[[], str] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.more_help = more_help

    def format_help(self) -> str:
        text = super().format_help()
        return f"{text}\n{self.more_help()}" if self.more_help else text


def _parse_value(text: str) -> object:
    """A ``KEY=VALUE`` override's value: int, float, bool or None when it reads as one."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _first_sentence(text: str) -> str:
    """The first sentence of a docstring's text, on one line, without reST markup."""
    text = " ".join(text.replace("``", "").split())
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0]


def _simulation_catalogue() -> str:
    """The scenarios and every simulation parameter with its default, for ``--help``."""
    from dataclasses import fields

    from likekit.simulation import SCENARIOS, SimParams

    wrap = textwrap.TextWrapper(width=100, subsequent_indent=" " * 28)
    lines = ["scenarios:"]
    lines += [wrap.fill(f"  {s.name:<24}  {' '.join(s.claim.split())}") for s in SCENARIOS.values()]
    # numpydoc "name : type" (or "a, b : type") lines, then the description indented
    doc = inspect.getdoc(SimParams) or ""
    described: dict[str, str] = {}
    for names, body in re.findall(r"^(\w+(?:, \w+)*) : .*\n((?:    .*\n?)+)", doc, flags=re.M):
        for name in names.split(", "):
            described[name] = _first_sentence(body)
    lines += ["", "parameters (--set KEY=VALUE; a scenario changes some of these defaults):"]
    for f in fields(SimParams):
        lines.append(
            wrap.fill(f"  {f.name + '=' + repr(f.default):<24}  {described.get(f.name, '')}")
        )
    return "\n".join(lines) + "\n"


def _cmd_simulate(args: argparse.Namespace) -> int:
    from likekit.simulation import simulate

    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise LikekitInputError(f"--set expects KEY=VALUE, got {item!r}")
        overrides[key.strip()] = _parse_value(value.strip())
    sizes = {k: v for k, v in (("n_videos", args.n_videos), ("days", args.days)) if v is not None}
    sim = simulate(
        args.scenario, **sizes, step=args.step, seed=args.seed, display=True, **overrides
    )
    for kind, path in sim.write(args.out).items():
        print(f"wrote {kind}: {path}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    # jsonschema (under nbformat) compiles an IRI grammar at import when rfc3987_syntax is
    # installed: 2 s of every report, for a format notebook schemas never use. This process
    # is ours, so it can go without.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    from pathlib import Path

    from likekit import report

    if args.list:
        for name, title, params in report.list_notebooks():
            print(f"{report.short_name(Path(name)):<10} {name:<24} {title}")
            print(f"{'':<35} parameters: {report.describe_parameters(params)}")
        return 0
    if args.help_notebook:
        path = report.notebook_path(args.help_notebook)
        print(f"parameters of {path.stem}:")
        for p in report.notebook_parameters(path).values():
            print(f"  {p.name}: {p.type} (default {p.default!r})  {p.help}".rstrip())
        return 0
    try:
        done = report.run_report(
            args.input,
            args.notebook,
            text_parameters=args.param,
            load_options=loader_options(args),
            parameters_file=args.param_file,
            out_dir=args.out,
            progress=not args.no_progress_bar,
        )
    except report.ReportError as exc:
        if args.verbose:
            print(exc.details(), file=sys.stderr)
        print(f"likekit: error: {exc}", file=sys.stderr)
        hint = "" if args.verbose else " (--verbose shows the cell and the traceback)"
        print(f"likekit: executed notebook kept in {exc.executed}{hint}", file=sys.stderr)
        return EXIT_CELL_FAILED
    print(f"wrote {done.html}")
    print(f"wrote {done.executed}")
    if done.results is not None:
        print(f"wrote {done.out_dir / 'results.json'}")
    return 0


def add_loader_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of :func:`likekit.load_counts`, under the same names, for any subcommand."""
    group = parser.add_argument_group("reading the table (as likekit.load_counts)")
    group.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="SOURCE=TARGET",
        help="read column SOURCE as TARGET (video_id, timestamp, likes, views, ...); repeatable",
    )
    order = group.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", action="store_const", const=True, help="dates are 24/11/2026")
    order.add_argument(
        "--monthfirst",
        dest="dayfirst",
        action="store_const",
        const=False,
        help="dates are 11/24/2026",
    )
    group.add_argument(
        "--date-format", metavar="FORMAT", help='strftime layout, e.g. "%%d.%%m.%%Y"'
    )
    group.add_argument("--tz", metavar="ZONE", help="zone of times without offset (default UTC)")
    group.add_argument("--sheet", metavar="NAME", help="Excel sheet name or number from 0")
    group.add_argument("--thousands", metavar="CHAR", help="the one thousands separator")
    group.add_argument("--decimal", metavar="CHAR", help="the one decimal mark")
    group.add_argument("--metric", help="what the counter counts (default likes): followers, ...")
    group.add_argument(
        "--resolution", choices=["infer"], help="infer display steps of expanded values"
    )


def loader_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :func:`likekit.load_counts` keyword arguments given on the command line."""
    columns = {}
    for item in args.column:
        source, sep, target = item.rpartition("=")
        if not sep or not source or not target:
            raise LikekitInputError(f"--column expects SOURCE=TARGET, got {item!r}")
        columns[source] = target.strip()
    options = {
        "columns": columns or None,
        "dayfirst": args.dayfirst,
        "date_format": args.date_format,
        "tz": args.tz,
        "sheet": args.sheet,
        "thousands": args.thousands,
        "decimal": args.decimal,
        "metric": args.metric,
        "resolution": args.resolution,
    }
    return {key: value for key, value in options.items() if value is not None}


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from likekit.batch import diagnose_to_dir

    try:
        written = diagnose_to_dir(
            args.input,
            args.out,
            panel=args.panel,
            progress=not args.no_progress_bar,
            load_options=loader_options(args),
            scheduler=args.scheduler,
        )
    except OSError as exc:  # the last good directory is still in place
        print(f"likekit: error: could not write {args.out}: {exc}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    for path in written.values():
        print(f"wrote {path}")
    return 0


def _add_simulate(sub: Any) -> None:
    sim = sub.add_parser(
        "simulate",
        help="simulate a scenario and write its table and truth",
        description="Simulate a creator's like counts under a named scenario and write the "
        "table, with the truth and the events beside it.",
        more_help=_simulation_catalogue,
    )
    sim.add_argument("scenario", help="scenario name (listed below)")
    sim.add_argument(
        "--out",
        required=True,
        help="output table: Parquet when the name ends in .parquet (fast, typed), else CSV "
        "(a progress bar when large); the truth and events go beside it",
    )
    sim.add_argument("--n-videos", type=int, default=None, help="videos (default: scenario's)")
    sim.add_argument("--days", type=float, default=None, help="days (default: scenario's)")
    sim.add_argument("--step", default="1h", help="simulation step (default 1h)")
    sim.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sim.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="set a parameter"
    )
    sim.set_defaults(func=_cmd_simulate)


def _add_report(sub: Any) -> None:
    rep = sub.add_parser(
        "report",
        help="run a notebook on a table and write report.html and executed.ipynb",
        description="Run a notebook with papermill and write report.html (code hidden, "
        "figures embedded, works offline, stamped with parameters, input checksum and "
        "versions) and executed.ipynb. Default output directory: "
        "reports/<notebook>-<input stem>/. Notebooks by short name: tour, decay, diagnose, "
        "waves, faq (--list shows them).",
    )
    rep.add_argument("input", nargs="?", help="like-count table (default: the bundled sample)")
    rep.add_argument(
        "--notebook", default="diagnose", help="notebook short name, name or path (diagnose)"
    )
    rep.add_argument(
        "-p",
        dest="param",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help="set a parameter (read as its declared type)",
    )
    rep.add_argument("-f", dest="param_file", metavar="PARAMS.yaml", help="YAML parameters")
    rep.add_argument("--out", help="output directory")
    rep.add_argument("--list", action="store_true", help="list the bundled notebooks")
    rep.add_argument("--help-notebook", metavar="NAME", help="show a notebook's parameters")
    rep.add_argument("--no-progress-bar", action="store_true", help="no progress bar")
    rep.add_argument(
        "-v", "--verbose", action="store_true", help="on a failing cell, show it and its traceback"
    )
    add_loader_arguments(rep)
    rep.set_defaults(func=_cmd_report)


def _add_diagnose(sub: Any) -> None:
    diag = sub.add_parser(
        "diagnose",
        help="diagnose a table and write its events, waves and videos as Parquet",
        description="Diagnose a like-count table and write events.parquet, waves.parquet, "
        "videos.parquet and summary.json into a directory. The directory is replaced only "
        "once every file is written: a failed run leaves the last good one as it was.",
    )
    diag.add_argument(
        "input", help="like-count table: CSV or Parquet file, or a Parquet dataset directory"
    )
    diag.add_argument("--out", required=True, metavar="DIR", help="output directory")
    diag.add_argument(
        "--panel",
        metavar="COLUMN",
        help="diagnose each panel of this column (e.g. creator_id) on its own",
    )
    diag.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on this dask.distributed scheduler (e.g. tcp://10.0.0.5:8786): the input "
        "is read as a Dask DataFrame and each partition's videos are diagnosed on the "
        "cluster (needs likekit[dask])",
    )
    diag.add_argument("--no-progress-bar", action="store_true", help="no progress bar")
    add_loader_arguments(diag)
    diag.set_defaults(func=_cmd_diagnose)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="likekit", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"likekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_simulate(sub)
    _add_report(sub)
    _add_diagnose(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``likekit`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `likekit`: what it can do, not an error
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except LikekitInputError as exc:
        print(f"likekit: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
