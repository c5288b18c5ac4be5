"""Names a package imports on first use (PEP 562), so that importing it stays light.

``kubechat run`` and the kernel need :mod:`kubechat_lab.audit` and :mod:`kubechat_lab.sandbox`
for a few small names; their heavy modules (the embedded PostgreSQL, certificate code, the
demo inventory) load only when a name that lives there is first used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, lazy: Mapping[str, str], exported: Sequence[str]
               ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` of ``package``.

    Parameters
    ----------
    package
        The package's ``__name__``.
    lazy
        ``{name: module}``: each name, and the private module (``_manager``) defining it.
    exported
        The package's ``__all__``.
    """

    def getattr_(name: str) -> Any:
        module = lazy.get(name)
        if module is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    def dir_() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exported})

    return getattr_, dir_
