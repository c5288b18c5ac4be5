"""``kubechat run`` against the real sandbox: output formats, policy gates, the audit seam."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from kubechat_lab.cli import main
from kubechat_lab.cli._errors import PolicyDenied, RuntimeFailure
from kubechat_lab.cli.run import run_command
from kubechat_lab.cluster import ClusterConfig
from kubechat_lab.command import parse
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl, scratch_namespace

pytestmark = pytest.mark.sandbox


def invoke(sandbox: SandboxInfo, *args: str) -> tuple[int, str, str]:
    # the audit chain is tested in test_run_audit.py; here no PostgreSQL is needed
    runner = CliRunner()
    result = runner.invoke(main, ["run", *args, "--kubeconfig", str(sandbox.kubeconfig),
                                  "--no-audit"])
    return result.exit_code, result.stdout, result.stderr


def test_get_pods_json_holds_the_same_pods_as_kubectl(sandbox: SandboxInfo,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "f.json"

    def real() -> set[tuple[str, str]]:
        return {(p["metadata"]["namespace"], p["metadata"]["name"])
                for p in kjson(sandbox, "get", "pods", "-A")["items"]}

    for _ in range(3):
        before = real()
        code, _, err = invoke(sandbox, "kubectl get pods -A", "--format", "json", "--out",
                              str(out))
        assert code == 0, err
        ours = {(r["namespace"], r["name"]) for r in json.loads(out.read_text())}
        after = real()
        if ours == before == after:
            break
    # pods may come and go meanwhile (cronjob runs, other tests): every pod present before
    # and after must be ours, and ours must all have existed
    assert before & after <= ours <= before | after
    assert len(ours) >= len(before & after) > 0
    rows = json.loads(out.read_text())
    assert {"namespace", "name", "ready", "status", "restarts", "age", "node", "ip",
            "created", "labels"} <= set(rows[0])
    assert isinstance(rows[0]["restarts"], int) and isinstance(rows[0]["labels"], dict)


def test_table_csv_parquet(sandbox: SandboxInfo, tmp_path: Path) -> None:
    code, out, _ = invoke(sandbox, "get deployments -n shop")
    assert code == 0 and out.splitlines()[0].split()[:3] == ["NAMESPACE", "NAME", "READY"]
    assert "frontend" in out
    code, out, _ = invoke(sandbox, "get deployments -n shop", "--format", "csv")
    assert code == 0 and out.startswith("namespace,name,ready")
    target = tmp_path / "d.parquet"
    code, _, err = invoke(sandbox, "get deployments -n shop", "--format", "parquet", "--out",
                          str(target))
    assert code == 0, err
    frame = pd.read_parquet(target)
    assert "frontend" in set(frame["name"]) and frame["replicas"].dtype.kind == "i"
    code, out, _ = invoke(sandbox, "describe deployment frontend -n shop")
    assert code == 0 and "Replicas:" in out


@pytest.fixture
def space(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-cli") as name:
        kubectl(sandbox, "create", "configmap", "target", "-n", name, "--from-literal=a=1")
        yield name


def test_policy_gates(sandbox: SandboxInfo, space: str) -> None:
    code, _, err = invoke(sandbox, "kubectl exec -it web -- sh")
    assert code == 3 and "forbidden" in err
    code, _, err = invoke(sandbox, "kubectl get pods --token=abc")
    assert code == 3
    code, _, err = invoke(sandbox, f"label configmap target -n {space} gated=yes")
    assert code == 3 and "--yes" in err and "dry run" in err
    live = kjson(sandbox, "get", "cm", "target", "-n", space)
    assert "gated" not in (live["metadata"].get("labels") or {})
    code, out, err = invoke(sandbox, f"label configmap target -n {space} gated=yes", "--yes")
    assert code == 0, err
    assert kjson(sandbox, "get", "cm", "target", "-n", space)["metadata"]["labels"] == {
        "gated": "yes"}
    code, _, err = invoke(sandbox, f"delete configmap target -n {space}", "--yes")
    assert code == 3 and "--confirm target" in err
    code, _, err = invoke(sandbox, f"delete configmap target -n {space}", "--confirm", "other")
    assert code == 3
    assert kubectl(sandbox, "get", "cm", "target", "-n", space, check=False).returncode == 0
    code, _, err = invoke(sandbox, f"delete configmap target -n {space}", "--confirm", "target")
    assert code == 0, err
    assert kubectl(sandbox, "get", "cm", "target", "-n", space, check=False).returncode != 0


def test_impersonation_options(sandbox: SandboxInfo, space: str) -> None:
    code, _, err = invoke(sandbox, f"get configmaps -n {space}", "--as", "kc-nobody")
    assert code == 1 and "user kc-nobody cannot list configmaps" in err


def test_recorder_sees_each_step_and_fails_closed(sandbox: SandboxInfo, space: str) -> None:
    config = ClusterConfig(kubeconfig=str(sandbox.kubeconfig))
    events: list[Mapping[str, object]] = []
    run_command(f"label configmap target -n {space} seen=yes", config=config, yes=True,
                recorder=events.append, say=lambda _: None)
    assert [e["type"] for e in events] == ["proposed", "approved", "executing", "executed"]
    assert events[0]["command"] == parse(f"label configmap target -n {space} seen=yes").render()
    assert events[0]["level"] == "warning"
    assert str(events[-1]["result_digest"]).startswith("sha256:")
    events.clear()
    with pytest.raises(PolicyDenied):
        run_command("kubectl exec -it web -- sh", config=config, recorder=events.append)
    assert [(e["type"], e["level"], e["outcome"]) for e in events] == [
        ("proposed", "forbidden", "invalid")]

    def broken(event: Mapping[str, object]) -> None:
        raise OSError("audit database is down")

    with pytest.raises(RuntimeFailure, match="fail closed"):
        run_command(f"label configmap target -n {space} never=yes", config=config, yes=True,
                    recorder=broken, say=lambda _: None)
    labels = kjson(sandbox, "get", "cm", "target", "-n", space)["metadata"]["labels"]
    assert "never" not in labels


def test_two_person_commands_never_run_on_their_proposer_s_word(sandbox: SandboxInfo, space: str,
                                                                tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"version: 1\ntwo_person:\n  - namespaces: [{space}]\n"
                      "    approvers: sre-leads\n")
    code, _, err = invoke(sandbox, f"delete configmap target -n {space}", "--confirm", "target",
                          "--policy", str(policy))
    assert code == 3, err
    assert "needs approval by a member of sre-leads other than you" in err
    assert kubectl(sandbox, "get", "cm", "target", "-n", space, check=False).returncode == 0
