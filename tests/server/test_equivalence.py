"""One pipeline, two faces: the server and ``kubechat run`` give the same canonical command
(every default explicit), level and reasons for the same command on the same context.

The commands: every reference answer of the dev questions, every kubectl example, and commands
without ``-n`` under a context whose namespace is the protected kube-system (the safety defect
seen before the pipeline: judged "warning" on the server, "dangerous" by the CLI, run in
kube-system by both).
Both faces run against the real sandbox; the server through HTTP, the CLI through click.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from kubechat_lab.cli import main
from tests.server.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

EVAL = Path(__file__).resolve().parents[2].parent / "shared" / "eval"
PROTECTED = "protected"

#: Commands without -n: under a kube-system context each one acts in kube-system.
IMPLICIT = [
    "kubectl set image deployment/coredns coredns=registry.k8s.io/coredns/coredns:v1.11.3",
    "kubectl scale deployment coredns --replicas=3",
    "kubectl rollout restart deployment/coredns",
    "kubectl delete pod coredns-0",
    "kubectl label configmap kube-proxy team=sre",
    "kubectl annotate pods web-1 note=checked",
    "kubectl create configmap kc-probe --from-literal=a=b",
    "kubectl get pods",
    "kubectl logs coredns-0 --tail=20",
    "kubectl top pods",
    "kubectl events",
    "kubectl auth can-i delete pods",
    "kubectl wait --for=condition=Ready pod/coredns-0",
    "kubectl rollout status deployment/coredns",
    "kubectl get nodes",
    "kubectl cordon kwok-worker-1",
]


def _commands() -> list[str]:
    found: list[str] = []
    for line in (EVAL / "questions-dev.jsonl").read_text().splitlines():
        found += [a for a in json.loads(line)["a"] if a]
    for line in (EVAL / "kubectl-examples.jsonl").read_text().splitlines():
        found.append(json.loads(line)["command"])
    return list(dict.fromkeys(found))


@pytest.fixture
def kubeconfig(sandbox: Any, tmp_path: Path) -> Path:
    """The sandbox kubeconfig plus a context on it whose namespace is kube-system."""
    cfg = yaml.safe_load(Path(sandbox.kubeconfig).read_text())
    first = cfg["contexts"][0]
    cfg["contexts"].append(
        {"name": PROTECTED, "context": {**first["context"], "namespace": "kube-system"}}
    )
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    path.chmod(0o600)
    return path


@pytest.fixture
def kubechat_settings(audit_db: Any, api_key_file: Path, kubeconfig: Path) -> dict[str, Any]:
    return {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(kubeconfig),
        "contexts": [PROTECTED],
        "openai_api_key_file": str(api_key_file),
        "dry_run_writes": False,  # previews do not change the judgement; keep the test short
    }


def _context_name(kubeconfig: Path) -> str:
    return str(yaml.safe_load(kubeconfig.read_text())["current-context"])


async def _server(api: Api, command: str, context: str | None) -> tuple[str, Any, Any]:
    body = {"command": command, **({"context": context} if context else {})}
    code, reply = await api.call("POST", "propose", body)
    if code == 400:
        return ("refused", reply["reason"], reply["message"].rstrip("."))
    assert code == 201, (command, code, reply)
    return (reply["command"], reply["level"], reply["reasons"])


def _cli(kubeconfig: Path, command: str, context: str | None) -> tuple[str, Any, Any]:
    args = ["run", command, "--plan", "--kubeconfig", str(kubeconfig)]
    if context:
        args += ["--context", context]
    result = CliRunner().invoke(main, args)
    if result.exit_code == 3:
        message = result.stderr.strip().removeprefix("Error: ").removeprefix("forbidden: ")
        return ("refused", None, message)
    assert result.exit_code == 0, (command, result.output)
    plan = json.loads(result.stdout)
    return (plan["command"], plan["level"], plan["reasons"])


def _same(server: tuple[str, Any, Any], cli: tuple[str, Any, Any]) -> bool:
    if server[0] == "refused" or cli[0] == "refused":
        # the grammar's refusal: same sentence from both (the CLI has no machine reason)
        return server[0] == cli[0] and server[2] == cli[2]
    return server == cli


async def test_every_command_is_judged_the_same_by_the_server_and_the_cli(
    api: Api, kubeconfig: Path
) -> None:
    commands = _commands()
    assert len(commands) >= 300
    cases = [(c, None) for c in commands] + [(c, PROTECTED) for c in IMPLICIT]
    differ = []
    refused = judged = 0
    for command, context in cases:
        server = await _server(api, command, context)
        cli = _cli(kubeconfig, command, context)
        if not _same(server, cli):
            differ.append((command, context, server, cli))
        refused += server[0] == "refused"
        judged += server[0] != "refused"
    assert not differ, "\n".join(map(repr, differ[:10]))
    assert judged > 200 and refused > 10  # both kinds of answer were compared


async def test_a_protected_context_namespace_is_explicit_and_judged_there(
    api: Api, kubeconfig: Path
) -> None:
    command = IMPLICIT[0]
    server = await _server(api, command, PROTECTED)
    cli = _cli(kubeconfig, command, PROTECTED)
    assert server == cli
    shown, level, reasons = server
    assert shown.endswith("-n kube-system") and level == "dangerous", server
    assert any("kube-system" in reason for reason in reasons), reasons
    # what the page shows: the context too
    code, proposal = await api.call("POST", "propose", {"command": command, "context": PROTECTED})
    assert code == 201
    assert proposal["context"] == PROTECTED and proposal["namespace"] == "kube-system"
    assert proposal["display"].startswith(f"kubectl --context={PROTECTED} set image")
    # the default context's namespace (default) is made explicit the same way
    shown, level, _ = await _server(api, command, None)
    assert shown.endswith("-n default") and level == "warning"
    code, proposal = await api.call("POST", "propose", {"command": "kubectl get pods"})
    assert proposal["context"] == _context_name(kubeconfig)
    assert proposal["command"] == "kubectl get pods -n default"
    # cluster-scoped commands get no -n
    shown, _, _ = await _server(api, "kubectl get nodes", PROTECTED)
    assert shown == "kubectl get nodes"
