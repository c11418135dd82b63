"""Lazy public names of a package: its modules are imported when a name is first used.

``import likekit`` (and the command line, which must reject a bad table within a second) and
the light parts of the subpackages must not pay for statsmodels or matplotlib.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_names(
    package: str, names: dict[str, str], namespace: dict[str, Any], public: list[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``names`` (public name -> its module).

    A name found is cached in ``namespace`` (the package's globals): later lookups skip
    ``__getattr__``.
    """

    def __getattr__(name: str) -> Any:
        try:
            module = names[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(public)

    return __getattr__, __dir__
