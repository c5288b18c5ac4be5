"""``POST ask`` routes a why-question about one object to an investigation (server/_why.py).

A real JupyterLab with kubechat, the sandbox and a real audit chain: the demo workload's
pending ``recommendations`` comes back as an investigation marker (nothing proposed), the
marker's target runs as ``POST investigate``; a question that is not a why is translated as
before; an object that is not there is refused, never guessed; an object created a moment
ago (after the translation grounding cached the inventory) is still found.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.investigate.test_sandbox import KUBECHAT, nbval, notebook
from tests.plugins.browser import LabServer
from tests.plugins.sandbox import SandboxInfo, kubectl, scratch_namespace

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres]


def ask(lab: LabServer, question: str) -> dict[str, Any]:
    code, out = lab.api("POST", "ask", {"question": question})
    assert code == 200, (code, out)
    return dict(out)


def ask_events(lab: LabServer, after: int) -> list[dict[str, Any]]:
    code, page = lab.api("GET", "audit", params={"after": after, "type": "ask", "limit": 50})
    assert code == 200, page
    return [r["event"] for r in page["records"]]


def test_a_why_question_is_an_investigation_not_a_read(lab_server: LabServer) -> None:
    out = ask(lab_server, "why is recommendations pending")
    assert out["proposal"] is None and out["choices"] == []
    why = out["investigate"]
    assert why["target"] == "deployment/recommendations -n shop"
    assert why["subject"] == {"kind": "deployments", "name": "recommendations",
                              "namespace": "shop"}
    assert why["plan"][0] == "kubectl get deployments recommendations -n shop -o json"
    (event,) = [e for e in ask_events(lab_server, out["audit_seq"] - 1)
                if e.get("question") == "why is recommendations pending"]
    assert event["outcome"] == "investigation" and event["provider"] == "investigate"
    code, done = lab_server.api("POST", "investigate", {"target": why["target"]})
    assert code == 200, done
    assert any("nodes fit pod recommendations-" in f["title"] for f in done["findings"])
    assert done["summary"] is None  # the rules translator: no model, no summary


@pytest.mark.parametrize(("question", "target"), [
    ("why does fraud-detector crash?", "deployment/fraud-detector -n payments"),
    ("why has checkout no endpoints", "service/checkout -n shop"),
])
def test_each_demo_question_names_its_object(lab_server: LabServer, question: str,
                                             target: str) -> None:
    assert ask(lab_server, question)["investigate"]["target"] == target


def test_a_question_that_is_not_a_why_is_translated_as_before(lab_server: LabServer) -> None:
    out = ask(lab_server, "pods in shop")
    assert "investigate" not in out
    assert out["proposal"]["command"].startswith("kubectl get pods -n shop")


def test_an_object_that_is_not_there_is_refused_not_guessed(lab_server: LabServer) -> None:
    missing = f"web-{uuid.uuid4().hex[:6]}-x9"
    out = ask(lab_server, f"why is pod {missing} pending")
    assert out["proposal"] is None and out["choices"] == []
    assert out["investigate"]["target"] is None
    assert f"no pod '{missing}'" in out["translation"]["explanation"]
    (event,) = [e for e in ask_events(lab_server, out["audit_seq"] - 1)
                if missing in str(e.get("question"))]
    assert event["outcome"] == "refused"
    typo = ask(lab_server, "why is recomendations pending")
    assert typo["investigate"]["target"] is None
    assert [c["target"] for c in typo["investigate"]["choices"]] == [
        "deployment/recommendations -n shop"]


def test_an_object_created_after_the_inventory_was_cached_is_found(
        lab_server: LabServer, sandbox: SandboxInfo) -> None:
    ask(lab_server, "why is recommendations pending")  # the grounding's inventory is cached
    with scratch_namespace(sandbox, "kc-askwhy") as namespace:
        name = f"late-{uuid.uuid4().hex[:6]}"
        kubectl(sandbox, "create", "deployment", name, "--image=busybox", "-n", namespace)
        out = ask(lab_server, f"why is {name} not ready")
        assert out["investigate"]["target"] == f"deployment/{name} -n {namespace}"


def test_a_why_question_in_a_kernel_follows_the_route(lab_server: LabServer,
                                                      tmp_path: Path) -> None:
    """``%kubechat what's wrong with ...`` is asked, routed by the server, then investigated."""
    minted = subprocess.run(
        [str(KUBECHAT), "token", "--url", lab_server.url, "--label", "why-route", "--format",
         "json", "--scope", "ask", "--scope", "propose", "--scope", "execute"],
        env={**os.environ, "JUPYTER_TOKEN": lab_server.token}, capture_output=True, text=True,
        timeout=60, check=False)
    assert minted.returncode == 0, minted.stderr
    capability = json.loads(minted.stdout)
    driver = tmp_path / "route.ipynb"
    driver.write_text(json.dumps(notebook(
        "%load_ext kubechat_lab",
        "node = %kubechat what's wrong with node kwok-worker-2\n"
        "assert node.reply['subject'] == {'kind': 'nodes', 'name': 'kwok-worker-2', "
        "'namespace': None}, node",
        "try:\n"
        "    %kubechat why is recomendations pending\n"
        "except Exception as exc:\n"
        "    assert 'Not investigated' in str(exc), exc\n"
        "    assert '%kubechat why deployment/recommendations -n shop' in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('a typo was guessed')",
    )))
    run = nbval(driver, capability)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "3 passed" in run.stdout, run.stdout[-2000:]
