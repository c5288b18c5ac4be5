"""Translator plugins: entry points of the ``kubechat_lab.translators`` group, loaded lazily."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from traitlets import Dict, List, Unicode, default, validate
from traitlets.config import LoggingConfigurable

from kubechat_lab.errors import TranslateError
from kubechat_lab.translate._options import check_options
from kubechat_lab.translate._types import Translator
from kubechat_lab.translate.rules import RulesTranslator

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = [
    "ENTRY_POINT_GROUP",
    "TranslatorRegistry",
    "available_translators",
    "create_translator",
    "load_translator",
]

logger = logging.getLogger(__name__)

#: The entry-point group translator plugins register in.
ENTRY_POINT_GROUP = "kubechat_lab.translators"

_loaded: dict[tuple[str, str], type[Translator]] = {}


def _entry_points() -> dict[str, EntryPoint]:
    from importlib.metadata import entry_points  # scanning installed packages: only when asked

    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point)
    return found


def _filtered(names: Iterable[str], allowed: Iterable[str] | None,
              blocked: Iterable[str]) -> list[str]:
    allow = None if allowed is None else set(allowed)
    block = set(blocked)
    if RulesTranslator.id in block:
        logger.warning("the %s translator cannot be blocked: it is the default and the fallback",
                       RulesTranslator.id)
    kept = [RulesTranslator.id]
    for name in sorted(names):
        if name == RulesTranslator.id:
            continue
        if (allow is not None and name not in allow) or name in block:
            logger.debug("translator %s left out by the allow/block lists", name)
            continue
        kept.append(name)
    return kept


def available_translators(
    *, allowed: Iterable[str] | None = None, blocked: Iterable[str] = ()
) -> list[str]:
    """Return the ids of the installed translators (``rules`` first), without importing them.

    Parameters
    ----------
    allowed
        When given, only these ids (``rules`` is always kept).
    blocked
        Ids to leave out (``rules`` cannot be blocked).
    """
    return _filtered(_entry_points(), allowed, blocked)


def load_translator(
    translator_id: str, *, allowed: Iterable[str] | None = None, blocked: Iterable[str] = ()
) -> type[Translator]:
    """Import and return the class of translator ``translator_id``.

    Raises
    ------
    TranslateError
        When the id is unknown, left out by the allow/block lists, or its plugin fails to
        import (the message names the missing package).
    """
    if translator_id == RulesTranslator.id:
        return RulesTranslator
    points = _entry_points()
    usable = _filtered(points, allowed, blocked)
    if translator_id not in usable:
        if translator_id in points:
            raise TranslateError(
                f"translator {translator_id!r} is not allowed by this server's configuration "
                f"(allowed here: {', '.join(usable)}); ask an admin to change "
                "allowed_translators/blocked_translators"
            )
        close = difflib.get_close_matches(translator_id, list(points), n=2)
        hint = f"did you mean {' or '.join(close)}?" if close else f"installed: {', '.join(usable)}"
        raise TranslateError(f"no translator called {translator_id!r}; {hint}")
    point = points[translator_id]
    key = (translator_id, point.value)
    if key in _loaded:
        return _loaded[key]
    try:
        cls = point.load()
    except ImportError as exc:
        missing = getattr(exc, "name", None) or str(exc)
        logger.warning("translator plugin %s (%s) failed to import: missing %s; skipped",
                       translator_id, point.value, missing)
        raise TranslateError(
            f"translator {translator_id!r} ({point.value}) cannot be imported: missing "
            f"{missing}; install it (pip install {missing}) or pick another provider"
        ) from exc
    except Exception as exc:
        logger.warning("translator plugin %s (%s) failed to load: %s; skipped",
                       translator_id, point.value, exc)
        raise TranslateError(
            f"translator {translator_id!r} ({point.value}) failed to load: {exc}"
        ) from exc
    if not callable(getattr(cls, "translate", None)) or not isinstance(getattr(cls, "id", None),
                                                                         str):
        raise TranslateError(
            f"translator plugin {translator_id!r} ({point.value}) is not a Translator: it needs "
            "an `id` ClassVar and a translate(question, context) method"
        )
    _loaded[key] = cls
    return cls  # type: ignore[no-any-return]


def create_translator(
    translator_id: str = RulesTranslator.id,
    *,
    options: Mapping[str, object] | None = None,
    allowed: Iterable[str] | None = None,
    blocked: Iterable[str] = (),
    api_key: str | None = None,
    **kwargs: object,
) -> Translator:
    """Create translator ``translator_id`` with the options it declares (model, host, ...).

    Options come as a mapping (``options=``) or as keyword arguments; both are merged and
    checked against the translator's declared ``options`` (see
    :func:`~kubechat_lab.translate.check_options`): text values are converted, unknown or
    missing ones are errors. ``api_key`` is the key value for a translator that uses one
    (never an option); objects that are not plain values (a fallback translator, a sleep
    function for tests) pass through as keyword arguments.

    Raises
    ------
    TranslateError
        As :func:`load_translator`, or when the options do not fit the translator.
    """
    cls = load_translator(translator_id, allowed=allowed, blocked=blocked)
    given = {**(options or {}), **kwargs}
    plain = {k: v for k, v in given.items()
             if v is None or isinstance(v, str | int | float | bool)}
    extra = {k: v for k, v in given.items() if k not in plain}
    arguments: dict[str, object] = {**check_options(cls, plain), **extra}
    if api_key:
        if getattr(cls, "api_key_env", None) is None and not getattr(cls, "requires_network",
                                                                      False):
            raise TranslateError(f"translator {translator_id!r} takes no API key")
        arguments["api_key"] = api_key
    try:
        return cls(**arguments)
    except TypeError as exc:
        raise TranslateError(
            f"translator {translator_id!r} does not take these options "
            f"({', '.join(sorted(arguments)) or 'none'}): {exc}"
        ) from exc


class TranslatorRegistry(LoggingConfigurable):
    """The server's view of the translator plugins, with allow and block lists.

    .. versionadded:: 0.1
    """

    allowed_translators = List(
        Unicode(),
        default_value=None,
        allow_none=True,
        config=True,
        help="""Translator ids users may pick (entry points of the kubechat_lab.translators
        group). None (the default) allows every installed one. The offline 'rules' translator is
        always available: it is the default and the fallback.""",
    )
    blocked_translators = List(
        Unicode(),
        default_value=[],
        config=True,
        help="""Translator ids users may not pick, applied after allowed_translators.
        Default: none. 'rules' cannot be blocked.""",
    )
    default_translator = Unicode(
        config=True,
        help="""The translator used when a request names none. Default: 'rules'.""",
    )
    translator_options = Dict(
        key_trait=Unicode(),
        value_trait=Dict(),
        default_value={},
        config=True,
        help="""Options per translator id, as each plugin declares them, for example
        {'ollama': {'host': 'http://127.0.0.1:11434', 'model': 'llama3.1'}}. Checked against
        the plugin's declared options when it is created (unknown or missing ones are errors).
        Never secrets: name the key's environment variable with 'api_key_env'. Default: none.""",
    )

    @default("default_translator")
    def _default_translator(self) -> str:
        return RulesTranslator.id

    @validate("default_translator")
    def _check_default(self, proposal: dict[str, Any]) -> str:
        value: str = proposal["value"]
        if not value:
            from traitlets import TraitError

            raise TraitError("TranslatorRegistry.default_translator must be an id, e.g. 'rules'")
        return value

    def available(self) -> list[str]:
        """Ids users may pick, ``rules`` first (plugins are not imported)."""
        return available_translators(allowed=self.allowed_translators,
                                     blocked=self.blocked_translators)

    def load(self, translator_id: str | None = None) -> type[Translator]:
        """Import the class of ``translator_id`` (default: :attr:`default_translator`)."""
        return load_translator(translator_id or self.default_translator,
                               allowed=self.allowed_translators,
                               blocked=self.blocked_translators)

    def options_for(self, translator_id: str) -> dict[str, object]:
        """Return the configured options of ``translator_id`` (from :attr:`translator_options`)."""
        return dict(self.translator_options.get(translator_id) or {})

    def create(self, translator_id: str | None = None, *, api_key: str | None = None,
               **options: object) -> Translator:
        """Create ``translator_id`` (default: :attr:`default_translator`).

        Its options are :attr:`translator_options` for that id, overridden by ``options``.
        """
        chosen = translator_id or self.default_translator
        return create_translator(chosen, options={**self.options_for(chosen), **options},
                                 allowed=self.allowed_translators,
                                 blocked=self.blocked_translators, api_key=api_key)
