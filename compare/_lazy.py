"""Lazy re-exports for package ``__init__`` modules (PEP 562).

Importing a package then loads only what is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list]]:
    """``__getattr__`` and ``__dir__`` for a package that re-exports names of its modules.

    Parameters
    ----------
    package : str
        The package's name (for error messages).
    exports : mapping of str to str
        Exported name -> module that defines it.

    Returns
    -------
    tuple of callable
        ``(__getattr__, __dir__)``, to be bound at the package's top level.
    """

    def __getattr__(name: str) -> object:
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list:
        return sorted(exports)

    return __getattr__, __dir__
