"""The package as installed: public API, light import, typing marker, lint."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
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
