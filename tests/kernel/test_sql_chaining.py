"""``%kubechat sql -o NAME`` keeps a frame a later query can read (in a real IPython shell)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from kubechat_lab.kernel.magics import KubechatMagics


@pytest.fixture
def shell() -> Iterator[Any]:
    ip = InteractiveShell.instance()
    magics = KubechatMagics(ip)
    ip.register_magics(magics)
    pods = pd.DataFrame({"namespace": ["shop", "shop", "ci"], "name": ["a", "b", "c"]})
    pods.attrs["kind"] = "pods"
    magics.registry.add(pods, "pods")
    yield ip
    InteractiveShell.clear_instance()


def test_sql_result_kept_with_o_is_queryable(shell: Any) -> None:
    result = shell.run_cell("%%kubechat sql -o per_ns\n"
                            "SELECT namespace, count(*) AS n FROM pods GROUP BY 1 ORDER BY 1")
    assert result.success, result.error_in_exec
    assert shell.user_ns["per_ns"].to_dict("list") == {"namespace": ["ci", "shop"], "n": [1, 2]}
    result = shell.run_cell("top = %kubechat sql SELECT namespace FROM per_ns WHERE n > 1")
    assert result.success, result.error_in_exec
    assert list(shell.user_ns["top"].namespace) == ["shop"]
    shell.user_ns["per_ns"] = shell.user_ns["per_ns"].head(1)  # the edited frame is the one read
    shell.run_cell("again = %kubechat sql SELECT count(*) AS rows FROM per_ns")
    assert int(shell.user_ns["again"].rows.iloc[0]) == 1
