"""The package as installed: public API, light import, typing marker, lint."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import likekit

ROOT = Path(__file__).resolve().parent.parent


def test_every_public_name_resolves():
    assert set(likekit.__all__) == {"__version__", *likekit._PUBLIC}
    for name in likekit.__all__:
        assert getattr(likekit, name) is not None, name
    # functions, not the subpackages that hold them
    assert inspect.isfunction(likekit.simulate) and inspect.isfunction(likekit.diagnose)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        likekit.nope  # noqa: B018


def test_import_is_light():
    # the command line rejects a bad table within a second: no statsmodels, no matplotlib
    code = (
        "import sys, likekit; likekit.load_counts; "
        "print(sorted(m for m in ('statsmodels', 'matplotlib', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version_and_typing_marker():
    assert likekit.__version__.count(".") == 2
    assert (Path(likekit.__file__).parent / "py.typed").exists()


def test_console_script_reports_its_version():
    script = Path(sys.executable).parent / "likekit"
    if not script.exists():
        pytest.skip("likekit is not installed with its console script here")
    out = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"likekit {likekit.__version__}"


def test_ruff_is_clean():
    ruff = Path(sys.executable).parent / "ruff"
    if not ruff.exists():
        pytest.skip("ruff is not installed in this environment")
    out = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout


def test_readme_tour_runs(monkeypatch):
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    monkeypatch.chdir(ROOT)  # the tour names the bundled sample by its path in the repo
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has no python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    plt.close("all")


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory) -> Path:
    """A fresh virtual environment holding only likekit's wheel, built from this checkout.

    No network and no second copy of the dependencies: a ``.pth`` file puts this environment's
    site-packages after the new one's. Path entries of a ``.pth`` file do not run the ``.pth``
    files they point at, so this checkout's editable install is not seen; nbconvert's
    templates (data files of a dependency, not modules) are linked in alike.
    """
    pytest.importorskip("hatchling", reason="the wheel is built with hatchling (dev extra)")
    tmp = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", tmp, ROOT],
        check=True,
    )
    (wheel,) = tmp.glob("likekit-*.whl")
    env = tmp / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", env], check=True)
    python = env / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "likekit-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    templates = Path(sys.prefix, "share", "jupyter", "nbconvert")
    (env / "share" / "jupyter").mkdir(parents=True)
    (env / "share" / "jupyter" / "nbconvert").symlink_to(templates)
    subprocess.run(
        [*pip, "--python", python, "install", "--no-deps", "--no-index", wheel], check=True
    )
    return env


def _run_outside(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(args, cwd=cwd, env=clean, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_wheel_carries_samples_and_notebooks(wheel_env, tmp_path):
    python = wheel_env / "bin" / "python"
    code = "import likekit; print(likekit.__file__); print(likekit.sample_path('creator'))"
    out = _run_outside([python, "-c", code], tmp_path)
    assert out.returncode == 0, out.stderr
    module, sample = map(Path, out.stdout.split())
    assert module.is_relative_to(wheel_env), "likekit was not imported from the wheel"
    assert sample.is_relative_to(module.parent) and sample.is_file()

    done = _run_outside([wheel_env / "bin" / "likekit", "report", "--no-progress-bar"], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    (out_dir,) = (tmp_path / "reports").iterdir()
    assert (out_dir / "report.html").stat().st_size > 0
    stamp = json.loads((out_dir / "executed.ipynb").read_text(encoding="utf-8"))["metadata"]
    assert Path(stamp["papermill"]["input_path"]).is_relative_to(module.parent)
    assert stamp["likekit"]["input"]["name"] == "creator.csv"
