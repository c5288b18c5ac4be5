"""``GET kubechat/api/proposals``: what waits for a person, and who or what proposed each.

A real ipykernel started through the server (a notebook session) proposes a write with its own
capability; the person's page lists it as its kernel's, with the notebook's path, its approval
link and the server's clock, but not the proposals the page itself made (those are listed with
``kind`` ``page``, for the panel to leave to its conversation). Capabilities never list.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.sandbox import SandboxInfo, scratch_namespace
from tests.server._cluster import cluster_settings  # noqa: F401  (the sandbox's settings)
from tests.server.conftest import Api
from tests.server.test_kernels import run_in_kernel, start_session

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

KERNEL = """
import json, os, urllib.request
req = urllib.request.Request(
    os.environ["KUBECHAT_URL"] + "kubechat/api/propose", method="POST",
    data=json.dumps({{"command": {command!r}}}).encode(),
    headers={{"Content-Type": "application/json",
              "X-Kubechat-Capability": os.environ["KUBECHAT_CAPABILITY"]}})
with urllib.request.urlopen(req, timeout=60) as r, open({out!r}, "w") as f:
    f.write(r.read().decode())
"""


async def test_a_kernels_proposal_is_listed_with_its_notebook_and_approval_link(
        api: Api, jp_serverapp: Any, sandbox: SandboxInfo, tmp_path: Path) -> None:
    with scratch_namespace(sandbox, "kc-waiting") as ns:
        _, kernel_id = await start_session(api, "triage")
        out = tmp_path / "proposed.json"
        await run_in_kernel(jp_serverapp, kernel_id, KERNEL.format(
            command=f"kubectl delete configmap nothing -n {ns}", out=str(out)))
        theirs = json.loads(out.read_text())
        code, mine = await api.call("POST", "propose",
                                    {"command": f"kubectl create configmap c -n {ns}"},
                                    signed_in=True)
        assert code == 201, mine
        code, waiting = await api.call("GET", "proposals", signed_in=True)
    assert code == 200, waiting
    by_id = {p["id"]: p for p in waiting["proposals"]}
    kernels = by_id[theirs["id"]]
    assert kernels["owner"] == f"kernel:{kernel_id}"
    assert kernels["proposed_by"]["kind"] == "kernel", kernels["proposed_by"]
    assert kernels["proposed_by"]["kernel_id"] == kernel_id
    assert kernels["proposed_by"]["notebook"] == "triage.ipynb", kernels["proposed_by"]
    assert kernels["proposed_by"]["client"] is None
    assert kernels["level"] == "dangerous" and kernels["approval_page"], kernels
    assert kernels["approval_page"].endswith(f"proposals/{theirs['id']}/approval-page")
    page = by_id[mine["id"]]
    assert page["proposed_by"]["kind"] == "page" and page["approval_page"] is None
    assert page["proposed_by"]["capability"] is None
    assert [p["id"] for p in waiting["proposals"]][:2] == [mine["id"], theirs["id"]]
    assert waiting["now"] >= page["created"] >= kernels["created"]
    assert "kcap_" not in json.dumps(waiting)  # no capability token, ever
