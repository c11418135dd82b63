"""Reports: run a parameterized notebook with papermill and write a stamped HTML report.

:func:`run_report` is what ``likekit report`` calls. In order, before any kernel starts:

1. the notebook's ``parameters`` cell is read (plain ``NAME = literal`` lines, a trailing
   comment is the parameter's help) and every given parameter is checked against it: an
   unknown name or a value of the wrong type is a :class:`~likekit.data.LikekitInputError`
   that lists the valid parameters;
2. the input table is loaded with :func:`~likekit.load_counts`, so a bad table fails in about
   a second with its one-line message;
3. the parameters' values are checked against the table (:mod:`likekit.report_checks`: video
   ids present, model names, criteria, dates).

Then papermill executes the notebook on a ``python3`` kernel that is always the current
interpreter (whatever kernelspecs are installed), draws figures inline whatever
``MPLBACKEND`` says, and gets ``interactive=False`` when it has such a parameter (widgets
are dead in a static page). The output directory receives

``executed.ipynb``
    the executed notebook, its metadata stamped under ``"likekit"``;
``report.html``
    the notebook without code, self-contained and offline (:mod:`likekit.report_html`),
    headed by a stamp: title, parameters, input file name and sha256, likekit and key
    package versions;
``results.json``
    the notebook's key results, when the notebook has a ``results_path`` parameter.

The default output directory is ``reports/<notebook>-<input stem>/`` (``reports/<notebook>/``
for a notebook without input), relative to the working directory. Every file is written
atomically (temporary file, then :func:`os.replace`). When a cell fails, the partly executed
notebook is kept as ``executed-failed.ipynb``, :class:`ReportError` gives the error in one
line (the cell and the traceback in :meth:`ReportError.details`), and the previous
``report.html`` and ``results.json`` are left as they were.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import tokenize
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from likekit import __version__
from likekit._readers import input_files
from likekit.data import LikekitInputError, load_counts, sample_path
from likekit.report_checks import check_values
from likekit.report_html import html_exporter, to_html
from likekit.resources import notebooks_dir

__all__ = [
    "DEFAULT_NOTEBOOK",
    "NOTEBOOK_DIR",
    "Parameter",
    "Report",
    "ReportError",
    "SHORT_NAMES",
    "list_notebooks",
    "notebook_parameters",
    "notebook_path",
    "resolve_parameters",
    "run_report",
    "short_name",
]

NOTEBOOK_DIR = notebooks_dir()
DEFAULT_NOTEBOOK = "03_diagnose"
#: the parameter that receives the input table, and the one that receives the results path
INPUT_PARAM, RESULTS_PARAM = "input_path", "results_path"
#: the notebook parameter holding more :func:`likekit.load_counts` options (columns, dayfirst, ...)
LOAD_PARAM = "load_options"
#: the parameter that adds widgets when a notebook is opened in JupyterLab; a report sets it
#: False unless told otherwise
INTERACTIVE_PARAM = "interactive"
#: packages whose versions a report records
STAMPED_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "papermill",
    "nbconvert",
    "ipykernel",
)
# the types papermill translates faithfully; None as a default accepts any of them
_PLAIN = (type(None), str, bool, int, float, list, dict)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class ReportError(RuntimeError):
    """A notebook cell failed while a report was running.

    Attributes
    ----------
    cell : str
        Source of the failing cell.
    error : str
        ``"ExceptionName: message"``.
    traceback : str
        The kernel's traceback without terminal colours.
    executed : pathlib.Path
        The partly executed notebook kept for inspection.
    """

    def __init__(self, cell: str, error: str, traceback: str, executed: Path) -> None:
        self.cell, self.error, self.traceback, self.executed = cell, error, traceback, executed
        # one line: the error's first line (the cell and traceback are in details())
        super().__init__(f"a notebook cell failed: {error.strip().splitlines()[0]}")

    def details(self) -> str:
        """The failing cell and the kernel's full traceback."""
        return (
            f"--- failing cell ---\n{self.cell.rstrip()}\n"
            f"--- traceback ---\n{self.traceback.rstrip()}"
        )


@dataclass(frozen=True)
class Parameter:
    """One parameter of a notebook, as its ``parameters`` cell declares it."""

    name: str
    default: Any
    help: str = ""

    @property
    def type(self) -> str:
        """Name of the accepted type ("any" when the default is None)."""
        return "any" if self.default is None else type(self.default).__name__


@dataclass
class Report:
    """What :func:`run_report` wrote."""

    out_dir: Path
    executed: Path
    html: Path
    results: dict[str, Any] | None
    stamp: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# notebooks and their parameters


#: the bundled notebooks' short names, by their number
SHORT_NAMES = {"01": "tour", "02": "decay", "03": "diagnose", "04": "waves", "05": "faq"}


def short_name(path: Path) -> str:
    """A bundled notebook's short name ("decay" for 02_decay_models)."""
    return SHORT_NAMES.get(path.stem[:2], path.stem[3:])


def notebook_path(name: str | os.PathLike[str]) -> Path:
    """The notebook called ``name``: a bundled one or a path.

    A bundled notebook is named by its file name ("02_decay_models"), its number ("02"), its
    name without the number ("decay_models") or its short name ("decay"; see
    :data:`SHORT_NAMES`).

    Raises
    ------
    LikekitInputError
        If no notebook matches, listing the bundled ones.
    """
    path = Path(name)
    if path.suffix == ".ipynb" and path.is_file():
        return path.resolve()
    known = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    stem = path.stem
    matches = [p for p in known if stem in (p.stem, p.stem[:2], p.stem[3:], short_name(p))]
    if len(matches) != 1:
        names = ", ".join(f"{short_name(p)} ({p.stem})" for p in known) or "none"
        raise LikekitInputError(f"no notebook {str(name)!r}; available: {names}")
    return matches[0]


def _read_json(path: Path) -> dict[str, Any]:
    # plain json, not nbformat: validation costs a second we promise not to spend on errors
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LikekitInputError(f"{path}: not a readable notebook ({exc})") from None


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _title(nb: dict[str, Any]) -> str:
    """First markdown heading of a notebook."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in _source(cell).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def notebook_parameters(notebook: str | os.PathLike[str]) -> dict[str, Parameter]:
    """The parameters a notebook declares in its first code cell tagged ``parameters``.

    The cell must hold only ``NAME = literal`` assignments; a comment on the same line is the
    parameter's help.

    Raises
    ------
    LikekitInputError
        If the notebook has no such cell, or the cell holds anything else.
    """
    path = notebook_path(notebook)
    nb = _read_json(path)
    cell = next(
        (
            c
            for c in nb.get("cells", [])
            if c.get("cell_type") == "code"
            and "parameters" in c.get("metadata", {}).get("tags", [])
        ),
        None,
    )
    if cell is None:
        raise LikekitInputError(f"{path.name}: no code cell tagged 'parameters'")
    src = _source(cell)
    try:
        tree = ast.parse(src)
        comments = {
            tok.start[0]: tok.string.lstrip("#").strip()
            for tok in tokenize.generate_tokens(io.StringIO(src).readline)
            if tok.type == tokenize.COMMENT
        }
    except (SyntaxError, tokenize.TokenError) as exc:
        raise LikekitInputError(f"{path.name}: parameters cell does not parse ({exc})") from None
    params: dict[str, Parameter] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if (
            not isinstance(node, ast.Assign | ast.AnnAssign)
            or not isinstance(target, ast.Name)
            or (isinstance(node, ast.Assign) and len(node.targets) != 1)
            or node.value is None
        ):
            raise LikekitInputError(
                f"{path.name}: line {node.lineno} of the parameters cell is not NAME = literal"
            )
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            raise LikekitInputError(
                f"{path.name}: parameter {target.id!r} is not a plain literal"
            ) from None
        params[target.id] = Parameter(target.id, default, comments.get(node.end_lineno, ""))
    return params


def list_notebooks() -> list[tuple[str, str, dict[str, Parameter]]]:
    """The bundled notebooks: (name, title, parameters) in order."""
    return [
        (p.stem, _title(_read_json(p)), notebook_parameters(p))
        for p in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    ]


def _is_plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return isinstance(value, _PLAIN)


def _from_text(param: Parameter, text: str) -> Any:
    """A command-line value read as the parameter's type (str parameters keep the text)."""
    import yaml

    kind = type(param.default)
    try:
        if kind is str:
            return text
        if kind is bool:
            return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}[
                text.strip().lower()
            ]
        if kind in (int, float):
            return kind(text)
        return yaml.safe_load(text)
    except (KeyError, ValueError, yaml.YAMLError):
        raise LikekitInputError(
            f"parameter {param.name!r} expects {param.type}, got {text!r}"
        ) from None


def _check_type(param: Parameter, value: Any) -> Any:
    kind = type(param.default)
    ok = _is_plain(value) and (
        param.default is None
        or (kind is float and isinstance(value, int | float) and not isinstance(value, bool))
        or (kind is int and isinstance(value, int) and not isinstance(value, bool))
        or (kind not in (int, float) and isinstance(value, kind))
    )
    if not ok:
        raise LikekitInputError(
            f"parameter {param.name!r} expects {param.type}, got {type(value).__name__} {value!r}"
        )
    return float(value) if kind is float else value


def describe_parameters(params: dict[str, Parameter]) -> str:
    """The parameters a user may set (the runner sets ``results_path`` itself)."""
    settable = [p for p in params.values() if p.name != RESULTS_PARAM]
    return ", ".join(f"{p.name} ({p.type})" for p in settable) or "none"


def resolve_parameters(
    notebook: str | os.PathLike[str],
    parameters: dict[str, Any] | None = None,
    text_parameters: list[tuple[str, str]] | None = None,
    parameters_file: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Check given parameters against a notebook's and return them typed.

    Precedence: ``parameters_file`` (YAML), then ``parameters``, then ``text_parameters``
    (command-line ``-p KEY VALUE`` pairs, read as each parameter's type).

    Raises
    ------
    LikekitInputError
        On an unknown name or a value of the wrong type; the message lists the valid ones.
    """
    declared = notebook_parameters(notebook)
    given: dict[str, Any] = {}
    if parameters_file is not None:
        import yaml

        try:
            loaded = yaml.safe_load(Path(parameters_file).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise LikekitInputError(f"{parameters_file}: cannot read parameters ({exc})") from None
        if not isinstance(loaded, dict | None):
            raise LikekitInputError(f"{parameters_file}: expected a mapping of parameters")
        given.update(loaded or {})
    given.update(parameters or {})
    unknown = sorted(
        str(k) for k in [*given, *(k for k, _ in text_parameters or [])] if k not in declared
    )
    if unknown:
        raise LikekitInputError(
            f"unknown parameter(s) {', '.join(unknown)} for {notebook_path(notebook).stem}; "
            f"valid: {describe_parameters(declared)}"
        )
    try:
        for key, text in text_parameters or []:
            given[key] = _from_text(declared[key], text)
        return {key: _check_type(declared[key], value) for key, value in given.items()}
    except LikekitInputError as exc:
        raise LikekitInputError(f"{exc}; valid: {describe_parameters(declared)}") from None


# ---------------------------------------------------------------------------------------
# running


def _slug(name: str) -> str:
    """A folder name from an input's name (a glob's ``*`` and friends left out)."""
    return re.sub(r"[*?\[\]]+", "_", name).strip("_.") or "input"


def _sha256(source: Path) -> str:
    """Checksum of an input: a file's bytes, or a folder's or glob's files (names and bytes)."""
    files = input_files(source)
    digest = hashlib.sha256()
    for path in files:
        if len(files) > 1 or path != source:
            digest.update(f"{path.relative_to(path.anchor)}\0".encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    versions = {"likekit": __version__, "python": sys.version.split()[0]}
    for name in STAMPED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


_UMASK = os.umask(0)
os.umask(_UMASK)


def _atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a report is as readable as any file
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: the kernel draws figures inline whatever the caller's MPLBACKEND says: Agg (common on
#: servers, in containers and CI) would leave a report without figures
KERNEL_ENV = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}
#: every figure the kernel shows carries alt text (:mod:`likekit.report_kernel`)
KERNEL_ARGS = ["--ext=likekit.report_kernel"]


def _kernel_manager() -> Any:
    """A manager of a ``python3`` kernel that is this interpreter (ipykernel's native spec).

    An installed ``python3`` kernelspec may point at another environment (a user-wide one,
    say); the report must run with the packages it stamps. On POSIX the kernel talks over
    IPC sockets in a private temporary directory: no TCP port to open, so no warning that TCP
    runs unencrypted.
    """
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class CurrentInterpreterKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            if self._kernel_spec is None:
                spec = get_kernel_dict()
                spec["argv"] = [*spec["argv"], *KERNEL_ARGS]
                self._kernel_spec = KernelSpec(resource_dir=RESOURCES, env=KERNEL_ENV, **spec)
            return self._kernel_spec

    if os.name != "posix":
        return CurrentInterpreterKernelManager(kernel_name="python3")
    sockets = Path(tempfile.mkdtemp(prefix="likekit-kernel-"))
    return CurrentInterpreterKernelManager(
        kernel_name="python3", transport="ipc", ip=str(sockets / "kernel")
    )


def _remove_sockets(kernel: Any) -> None:
    """Remove the private directory of an IPC kernel's sockets."""
    if kernel.transport == "ipc":
        shutil.rmtree(Path(kernel.ip).parent, ignore_errors=True)


def run_report(
    input_path: str | os.PathLike[str] | None = None,
    notebook: str | os.PathLike[str] = DEFAULT_NOTEBOOK,
    parameters: dict[str, Any] | None = None,
    *,
    text_parameters: list[tuple[str, str]] | None = None,
    parameters_file: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    load_options: dict[str, Any] | None = None,
) -> Report:
    """Execute a notebook on a table and write ``executed.ipynb`` and ``report.html``.

    Parameters
    ----------
    input_path : path, optional
        The like-count table (CSV or Parquet) for the notebook's ``input_path`` parameter;
        None or "" means the bundled sample (:func:`likekit.sample_path`).
    notebook : str or path
        A bundled notebook ("03_diagnose", "03", "diagnose") or the path of one.
    parameters : dict, optional
        Parameter values, checked against the notebook's ``parameters`` cell.
    text_parameters : list of (key, value) strings, optional
        Command-line ``-p KEY VALUE`` pairs, read as each parameter's declared type.
    parameters_file : path, optional
        A YAML mapping of parameters (lowest precedence).
    out_dir : path, optional
        Where to write; default ``reports/<notebook>-<input stem>/``.
    progress : bool
        Show papermill's progress bar (one tick per cell) on stderr.
    load_options : dict, optional
        More :func:`likekit.load_counts` options (``columns``, ``dayfirst``, ``tz``,
        ``metric``, ...), merged over the notebook's ``load_options`` parameter.

    Returns
    -------
    Report

    Raises
    ------
    LikekitInputError
        Bad parameters or a bad table, before any kernel starts.
    ReportError
        A cell failed; the partly executed notebook is kept as ``executed-failed.ipynb``.
    """
    nb_path = notebook_path(notebook)
    declared = notebook_parameters(nb_path)
    params = resolve_parameters(nb_path, parameters, text_parameters, parameters_file)
    given_input = os.fspath(input_path) if input_path else ""
    if given_input and params.get(INPUT_PARAM, given_input) != given_input:
        raise LikekitInputError(f"two inputs given: {given_input!r} and {params[INPUT_PARAM]!r}")
    if given_input and INPUT_PARAM not in declared:
        raise LikekitInputError(f"notebook {nb_path.stem} takes no input table")
    if given_input:
        params[INPUT_PARAM] = given_input
    if load_options:
        if LOAD_PARAM not in declared:
            raise LikekitInputError(f"notebook {nb_path.stem} takes no options for reading a table")
        params[LOAD_PARAM] = {**params.get(LOAD_PARAM, {}), **load_options}
    if RESULTS_PARAM in params:
        raise LikekitInputError(
            f"{RESULTS_PARAM} is set by the report itself (results.json in the output directory)"
        )

    source: Path | None = None
    input_stamp: dict[str, Any] | None = None
    counts = None
    if INPUT_PARAM in declared:
        source = Path(params.get(INPUT_PARAM) or declared[INPUT_PARAM].default or sample_path())
        options = {k: params[k] for k in ("duplicates", "rounding") if k in params}
        options.update(params.get(LOAD_PARAM, {}))
        try:  # a bad table stops here, before any kernel
            counts = load_counts(source, **options)
        except ValueError as exc:  # a bad option (duplicates=...) reads like a bad table
            raise LikekitInputError(str(exc)) from None
        except TypeError as exc:  # an option load_counts does not have
            raise LikekitInputError(f"{LOAD_PARAM}: {exc}") from None
        source = source.absolute()
        params[INPUT_PARAM] = str(source)
        input_stamp = {
            "name": source.name,
            "sha256": _sha256(source),
            "rows": len(counts),
            "videos": counts["video_id"].nunique(),
        }
    check_values(params, counts)
    if INTERACTIVE_PARAM in declared and INTERACTIVE_PARAM not in params:
        params[INTERACTIVE_PARAM] = False  # widgets are dead in a static page

    out = (
        Path(out_dir)
        if out_dir
        else Path("reports") / (f"{nb_path.stem}-{_slug(source.stem)}" if source else nb_path.stem)
    )
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    title_param = params.get("title", declared["title"].default if "title" in declared else "")
    stamp = {
        "title": title_param or _title(_read_json(nb_path)) or nb_path.stem,
        "notebook": nb_path.stem,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "input": input_stamp,
        # before the runner adds results_path; the input by name (a local path is private,
        # and the input entry identifies the file by its checksum)
        "parameters": {**params, **({INPUT_PARAM: source.name} if source else {})},
        "versions": _versions(),
    }

    from jupyter_core.utils import run_sync

    # the kernel boots (a second or so of imports) while this process imports papermill
    kernel = _kernel_manager()
    try:
        run_sync(kernel.start_kernel)()
    except BaseException:
        _remove_sockets(kernel)
        raise

    import nbformat
    import papermill

    # nbconvert takes seconds to import and warm up: done on the other core while the
    # kernel works (a daemon thread, so that an interrupted run does not wait for it)
    warm: dict[str, Any] = {}
    warming = threading.Thread(target=lambda: warm.update(exporter=html_exporter()), daemon=True)
    warming.start()

    token = f"{os.getpid()}-{datetime.now(UTC).strftime('%H%M%S%f')}"
    running = out / f".running-{token}.ipynb"
    results_tmp = out / f".results-{token}.json"
    if RESULTS_PARAM in declared:
        params[RESULTS_PARAM] = str(results_tmp)
    failed = out / "executed-failed.ipynb"
    try:
        try:
            papermill.execute_notebook(
                str(nb_path),
                str(running),
                parameters=params,
                kernel_name="python3",
                language="python",
                progress_bar=progress,
                request_save_on_cell_execute=False,  # written once, at the end
                km=kernel,
            )
        except papermill.PapermillExecutionError as exc:
            raise ReportError(
                exc.source,
                f"{exc.ename}: {exc.evalue}",
                _ANSI.sub("", "\n".join(exc.traceback)),
                failed,
            ) from None
        nb = nbformat.read(running, as_version=4)
        nb.metadata["likekit"] = stamp
        warming.join()
        report_html = to_html(warm.get("exporter") or html_exporter(), nb, stamp)
        executed, html_path = out / "executed.ipynb", out / "report.html"
        _atomic_write(executed, nbformat.writes(nb))
        running.unlink()
        _atomic_write(html_path, report_html)
        results = None
        if RESULTS_PARAM in declared and results_tmp.exists():
            results = json.loads(results_tmp.read_text(encoding="utf-8"))
            os.replace(results_tmp, out / "results.json")
    finally:
        run_sync(kernel.shutdown_kernel)(now=True)  # papermill leaves a kernel it was given
        _remove_sockets(kernel)
        if running.exists():  # failed or interrupted: keep it for inspection
            os.replace(running, failed)
        results_tmp.unlink(missing_ok=True)
    return Report(out, executed, html_path, results, stamp)
