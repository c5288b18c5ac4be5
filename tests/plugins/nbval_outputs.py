"""Record what each notebook cell printed during an nbval run (``-p tests.plugins.nbval_outputs``).

nbval keeps a cell's outputs on the item (``test_outputs``) but writes them nowhere. With
``KUBECHAT_NBVAL_OUTPUTS=FILE`` this plugin appends one JSON line per executed cell
(notebook, cell number, outputs) so that the test that started the run can check them, for
example that no secret value was ever shown. Without the variable it does nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from typing import Any

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Any, Any]:
    report = yield
    path = os.environ.get("KUBECHAT_NBVAL_OUTPUTS")
    outputs = getattr(item, "test_outputs", None)
    if path and call.when == "call" and outputs is not None:
        line = {"notebook": str(item.path.name), "cell": getattr(item, "cell_num", None),
                "outcome": report.outcome, "outputs": outputs}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, default=str) + "\n")
    return report
