"""A dot-named manifest object never reaches the API as a collection (or parent) path.

``/api/v1/namespaces/NS/configmaps/.`` is the collection once a URL is normalised, and
``.../configmaps/..`` the namespace itself: a delete of "one object" named so would delete
them all. The grammar refuses such names; the cluster layer refuses them too, on its own, for
a Command built without the grammar.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from kubechat_lab.cluster import ClusterClient
from kubechat_lab.command import CommandError, parse
from kubechat_lab.errors import ClusterError
from tests.plugins.sandbox import SandboxInfo, kubectl

pytestmark = pytest.mark.sandbox

KEEP = ("keep-a", "keep-b")


def _configmap(name: Any, namespace: Any) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": name, "namespace": namespace}})


def _left(sandbox: SandboxInfo, namespace: str) -> set[str]:
    out = kubectl(sandbox, "get", "configmaps", "-n", namespace, "-o", "name").stdout
    return {line.rpartition("/")[2] for line in out.split()}


@pytest.mark.parametrize("verb", ["delete", "apply", "replace"])
@pytest.mark.parametrize(("name", "namespace"), [
    (".", None), ("..", None), ("", None), ("a/..", None), ("%2e%2e", None),
    ("keep-a", ".."), ("keep-a", "."),
])
def test_dot_names_never_become_a_collection_path(
        client: ClusterClient, sandbox: SandboxInfo, scratch: str, verb: str, name: str,
        namespace: str | None) -> None:
    for keep in KEEP:
        kubectl(sandbox, "create", "configmap", keep, "-n", scratch, check=False)
    manifest = _configmap(name, namespace or scratch)
    with pytest.raises(CommandError) as refused:
        parse(f"kubectl {verb} -f -", manifest=manifest)
    assert refused.value.reason == "invalid-name"
    # the same object in a Command that skipped the grammar: the cluster layer refuses it too
    valid = parse(f"kubectl {verb} -f -", manifest=_configmap("keep-a", scratch))
    forged = dataclasses.replace(valid, manifest=manifest)
    for dry_run in (True, False):
        with pytest.raises(ClusterError) as info:
            client.dry_run(forged) if dry_run else client.execute(forged)
        assert info.value.status == 400, info.value
    assert _left(sandbox, scratch) >= set(KEEP)
    assert kubectl(sandbox, "get", "namespace", scratch, check=False).returncode == 0
