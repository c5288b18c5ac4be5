"""`kubechat parse` and `kubechat classify` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kubechat_lab.cli import main


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_parse_prints_the_command_as_json() -> None:
    code, out, _ = run("parse", "kubectl get po -n shop -l app=web --sort-by=.metadata.name")
    assert code == 0
    data = json.loads(out)
    assert data["verb"] == "get" and data["resources"] == ["pods"]
    assert data["namespace"] == "shop" and data["selector"] == "app=web"
    assert data["flags"] == [["sort-by", ".metadata.name"]]
    assert data["canonical"] == "kubectl get pods -n shop -l app=web --sort-by=.metadata.name"


def test_parse_refusal_goes_to_stderr_with_exit_2() -> None:
    code, out, err = run("parse", "kubectl get pods | sh")
    assert code == 2
    assert out == ""
    assert "refused (shell-syntax)" in err and "pipe" in err


def test_parse_reads_a_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    code, out, _ = run("parse", "kubectl apply -f -", "--manifest", str(manifest))
    assert code == 0 and "kind: ConfigMap" in json.loads(out)["manifest"]
    code, out, _ = run("parse", "kubectl apply -f -", "--manifest", "-", stdin="kind: x\n")
    assert code == 2


def test_classify_prints_one_object() -> None:
    code, out, _ = run("classify", "kubectl delete pod web-0 -n shop")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["command", "level", "reasons"]
    assert data["command"] == "kubectl delete pods web-0 -n shop"
    assert data["level"] == "dangerous" and data["reasons"]


def test_classify_refused_is_forbidden_with_exit_0() -> None:
    code, out, _ = run("classify", "kubectl get pods --token=abc")
    assert code == 0
    data = json.loads(out)
    assert data["command"] is None and data["level"] == "forbidden"
    assert "credential" in data["reasons"][0]


def test_classify_context_options() -> None:
    code, out, _ = run("classify", "kubectl label pods web a=b", "--namespace", "kube-system",
                       "--user", "alice")
    assert code == 0 and json.loads(out)["level"] == "dangerous"


def test_classify_jsonl_in_order(tmp_path: Path) -> None:
    lines = [
        {"command": "kubectl get pods"},
        {"command": "kubectl scale deploy/web --replicas=0"},
        {"command": "rm -rf /"},
        {"command": 42},
        {"question": "no command"},
        {"command": "kubectl apply -f -",
         "manifest": "apiVersion: v1\nkind: ConfigMap\n"
                     "metadata: {name: c, namespace: kube-system}"},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\nnot json\n")
    code, out, _ = run("classify", "--jsonl", str(path))
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["level"] for r in results] == [
        "safe", "dangerous", "forbidden", "forbidden", "forbidden", "dangerous", "forbidden"]
    assert results[0]["command"] == "kubectl get pods"
    assert "not JSON" in results[-1]["reasons"][0]
    code, out, _ = run("classify", "--jsonl", "-", stdin='{"command": "kubectl get ns"}\n')
    assert code == 0 and json.loads(out)["level"] == "safe"


def test_classify_with_operator_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("denied_resources: [secrets]\n")
    code, out, _ = run("classify", "kubectl describe secret db", "--policy", str(policy))
    assert code == 0 and json.loads(out)["level"] == "forbidden"
    policy.write_text("rules: [{id: x, level: nope, reason: r}]\n")
    code, _, err = run("classify", "kubectl get pods", "--policy", str(policy))
    assert code == 2 and "field 'level'" in err and str(policy) in err


def test_classify_needs_exactly_one_input() -> None:
    assert run("classify")[0] == 2
    assert run("classify", "kubectl get pods", "--jsonl", "-")[0] == 2
