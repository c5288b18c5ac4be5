"""Where the widgets' ES module and style sheet are: built from ``js/src/widget`` by esbuild.

The cards, choices and tables of the widgets are the side panel's own components
(``js/src/components``), bundled with React into ``static/kubechat.js`` and ``static/kubechat.css``
by ``jlpm build:widget`` (part of ``jlpm build``, ``make setup`` and the wheel build, which
refuses to build a wheel without them). A wheel therefore needs no Node. An editable install
made without Node has no bundle: a widget then shows how to build it instead of failing.
"""

from __future__ import annotations

import json
import pathlib

__all__ = ["ESM", "CSS", "MISSING", "esm", "css"]

STATIC = pathlib.Path(__file__).parent / "static"
ESM = STATIC / "kubechat.js"
CSS = STATIC / "kubechat.css"

#: What a widget says when its module was never built.
MISSING = (f"The kubechat widget module {ESM} is not built (this install was made without "
           "Node). Build it with `make setup`, or `jlpm install && jlpm build` in js/.")


def esm() -> pathlib.Path | str:
    """Return the built module's path, or a module that says how to build it."""
    if ESM.is_file():
        return ESM
    return ("export default { render({ el }) { const p = document.createElement('pre'); "
            f"p.textContent = {json.dumps(MISSING)}; el.replaceChildren(p); }} }};\n")


def css() -> pathlib.Path | str:
    """Return the built style sheet's path (empty style when it was never built)."""
    return CSS if CSS.is_file() else ""
