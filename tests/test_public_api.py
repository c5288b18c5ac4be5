"""Each subpackage's ``__all__`` is sorted and equals its public names (its re-exported API).

Sorted means plain ``sorted()`` order or ruff's isort-style order (RUF022: CONSTANTS, then
Classes, then functions). A public submodule may also be listed in ``__all__``.

Generic: every subpackage of kubechat_lab is checked as it appears; empty ones are skipped.
Public modules inside a subpackage must declare a sorted ``__all__`` of names they define.
"""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import kubechat_lab

# Names a module gets from `from __future__ import annotations`, not API.
_NOT_API = frozenset({"annotations"})


def _isort_key(name: str) -> tuple[int, str]:
    """ruff RUF022 "isort-style" order: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return (0, name)
    return (1 if name[:1].isupper() else 2, name)


def _is_sorted(names: list[str]) -> bool:
    """Plain sorted() order or ruff's isort-style order (both are used in the project)."""
    return names in (sorted(names), sorted(names, key=_isort_key))


def _subpackages() -> list[str]:
    return sorted(
        f"kubechat_lab.{info.name}"
        for info in pkgutil.iter_modules(kubechat_lab.__path__)
        if info.ispkg
    )


def _public_modules() -> list[str]:
    names = []
    for package in _subpackages():
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            if not info.name.startswith("_") and not info.ispkg:
                names.append(f"{package}.{info.name}")
    return sorted(names)


def _public_names(module: types.ModuleType) -> set[str]:
    """Non-underscore names; ``dir()`` covers a lazy ``__getattr__`` (each must resolve)."""
    return {
        name
        for name in dir(module)
        if not name.startswith("_")
        and name not in _NOT_API
        and not isinstance(getattr(module, name), types.ModuleType)
    }


@pytest.mark.parametrize("name", _subpackages())
def test_subpackage_all_equals_public_names(name: str) -> None:
    module = importlib.import_module(name)
    public = _public_names(module)
    exported = getattr(module, "__all__", None)
    if exported is None and not public:
        pytest.skip(f"{name} is empty so far")
    assert exported is not None, f"{name} has public names but no __all__"
    assert _is_sorted(list(exported)), f"{name}.__all__ is not sorted"
    submodules = {
        n for n in exported
        if isinstance(getattr(module, n, None), types.ModuleType)
        and getattr(module, n).__name__ == f"{name}.{n}"
    }
    assert set(exported) - submodules == public, f"{name}: __all__ and public names differ"


@pytest.mark.parametrize("name", _public_modules())
def test_public_module_declares_sorted_all(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert _is_sorted(list(exported)), f"{name}.__all__ is not sorted"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names undefined {missing}"
