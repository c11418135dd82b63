"""Where the bundled sample tables and notebooks are, installed or in a source checkout.

In the repository they live at the top level (``data/samples/``, ``notebooks/``), where users
look for them. The wheel carries copies inside the package, under ``likekit/_bundled/`` (see
``pyproject.toml``), because an installed package cannot reach outside itself. An editable
install imports the package from the checkout, which has no ``_bundled`` folder: the
top-level folders are used instead.

>>> (samples_dir() / "creator.csv").is_file()
True
>>> sorted(p.name for p in notebooks_dir().glob("03_*.ipynb"))
['03_diagnose.ipynb']
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["notebooks_dir", "samples_dir"]

#: the folder inside the installed package that holds the bundled files
BUNDLED = "_bundled"
#: bundled folder -> where it lives in a source checkout (relative to the repository root)
_CHECKOUT = {"samples": Path("data", "samples"), "notebooks": Path("notebooks")}


def _bundled(name: str) -> Path:
    # pip always unpacks a wheel, so the package's resources are plain files on disk
    package = Path(str(files("likekit")))
    inside = package / BUNDLED / name
    return inside if inside.is_dir() else package.parent / _CHECKOUT[name]


def samples_dir() -> Path:
    """The folder of the bundled sample tables (``data/samples`` in the repository)."""
    return _bundled("samples")


def notebooks_dir() -> Path:
    """The folder of the bundled notebooks (``notebooks`` in the repository)."""
    return _bundled("notebooks")
