"""What a translator plugin can be configured with: each class declares its own options.

A plugin lists :class:`TranslatorOption` values in its ``options`` ClassVar; the server
(``c.KubechatApp.translator_options``) and the CLI (``--option NAME=VALUE``) hand whatever the
operator wrote to :func:`check_options`, which names unknown options (with close matches),
converts text to the declared type and insists on the required ones. Neither face knows any
provider by name. Secrets are never options: a key comes from the caller (``api_key``) or from
the environment variable an option names (``api_key_env``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from kubechat_lab.errors import TranslateError

__all__ = ["TranslatorOption", "check_options", "declared_options"]

_TYPES: dict[str, type] = {"str": str, "float": float, "int": int, "bool": bool}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class TranslatorOption:
    """One configuration option of a translator plugin.

    Parameters
    ----------
    name
        The keyword the translator's constructor takes (``host``, ``model``, ``timeout``).
    type
        ``"str"``, ``"float"``, ``"int"`` or ``"bool"``: text from a config file or the command
        line is converted to it.
    help
        What it does, with units and the default.
    required
        True when the translator cannot be built without it.
    """

    name: str
    type: str = "str"
    help: str = ""
    required: bool = False

    def convert(self, value: object, translator_id: str) -> object:
        """Return ``value`` as this option's type.

        Raises
        ------
        TranslateError
            When it cannot be converted (the message names the option and the type).
        """
        kind = _TYPES[self.type]
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        text = str(value).strip()
        try:
            if kind is bool:
                if text.lower() in _TRUE | _FALSE:
                    return text.lower() in _TRUE
                raise ValueError(text)
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                return float(value)
            return kind(text)
        except ValueError as exc:
            raise TranslateError(
                f"translator {translator_id!r}: option {self.name!r} must be {self.type}, "
                f"got {value!r}"
            ) from exc


def declared_options(cls: type) -> tuple[TranslatorOption, ...]:
    """Return the options translator class ``cls`` declares (none when it declares none)."""
    declared = getattr(cls, "options", ())
    return tuple(o for o in declared if isinstance(o, TranslatorOption))


def check_options(cls: type, options: Mapping[str, object]) -> dict[str, object]:
    """Return ``options`` checked against what ``cls`` declares, converted to their types.

    Raises
    ------
    TranslateError
        For an unknown option (close matches suggested), a value of the wrong type, or a
        missing required option.
    """
    translator_id = str(getattr(cls, "id", cls.__name__))
    known = {option.name: option for option in declared_options(cls)}
    checked: dict[str, object] = {}
    for name, value in options.items():
        option = known.get(name)
        if option is None:
            if not known:
                raise TranslateError(f"translator {translator_id!r} does not take these "
                                     f"options ({', '.join(sorted(options))}): it takes none; "
                                     "options are for the network providers")
            close = difflib.get_close_matches(name, list(known), n=2)
            hint = (f"did you mean {' or '.join(close)}?" if close
                    else f"its options: {', '.join(sorted(known))}")
            raise TranslateError(f"translator {translator_id!r} has no option {name!r}; {hint}")
        if value is None or value == "":
            continue
        checked[name] = option.convert(value, translator_id)
    missing = [o.name for o in known.values() if o.required and o.name not in checked]
    if missing:
        name = missing[0]
        raise TranslateError(f"the {translator_id} translator needs a {name}: set its option "
                             f"{name!r} ({known[name].help})")
    return checked
