"""The configurable classes of kubechat_lab, found by importing every module of the package."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache
from typing import Any

from traitlets import TraitType
from traitlets.config import Configurable

import kubechat_lab


@cache
def configurables() -> dict[str, type[Configurable]]:
    """``{class name: class}`` of every kubechat class with configurable traits of its own."""
    found: dict[str, type[Configurable]] = {}
    for info in pkgutil.walk_packages(kubechat_lab.__path__, "kubechat_lab."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (inspect.isclass(obj) and issubclass(obj, Configurable)
                    and obj.__module__.startswith("kubechat_lab.") and own_traits(obj)):
                found[obj.__name__] = obj
    # A kubechat base class (a mixin of settings) is configured through the class users
    # configure: c.KubechatApp.x, not c.KubechatSettings.x.
    return {name: cls for name, cls in found.items()
            if not any(other is not cls and issubclass(other, cls) for other in found.values())}


def own_traits(cls: type[Configurable]) -> dict[str, TraitType[Any, Any]]:
    """Configurable traits that kubechat classes define (not the ones Jupyter's bases bring)."""
    ours = [c for c in cls.__mro__ if c.__module__.startswith("kubechat_lab.")]
    return {name: trait for name, trait in cls.class_traits(config=True).items()
            if any(name in vars(c) for c in ours)}


def is_computed(cls: type[Configurable], name: str) -> bool:
    """Whether the trait's default comes from a ``@default`` method."""
    return any(name in getattr(c, "_trait_default_generators", {}) for c in cls.__mro__
               if c.__module__.startswith("kubechat_lab."))


def default_of(cls: type[Configurable], name: str) -> Any:
    """The default a fresh instance gets."""
    if is_computed(cls, name):
        return cls().trait_defaults(name)
    return cls.class_traits()[name].default()
