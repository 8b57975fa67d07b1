"""Names of a package that load on first use (PEP 562), so importing it stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose names load lazily.

    Parameters
    ----------
    package
        The package's dotted name, for the error message of an unknown name.
    exports
        Public name to the dotted name of the module defining it.
    namespace
        The package's ``globals()``: a name, once loaded, is stored there so that later
        look-ups are plain attribute reads.

    Returns
    -------
    __getattr__, __dir__
        To assign at the package's top level; ``__dir__`` lists ``namespace["__all__"]``.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return list(namespace["__all__"])

    return __getattr__, __dir__
