"""``kubechat translate`` and ``kubechat eval`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubechat_lab.cli import main
from kubechat_lab.command import parse
from tests.plugins.llm_servers import FakeLLMServer

KEYS = {"question", "command", "level", "reasons", "provider", "assumptions", "choices"}


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_translate_prints_the_command() -> None:
    code, out, err = _run("translate", "scale deployment cart in orders to 3")
    assert code == 0
    assert out.strip() == parse("kubectl scale deployment/cart -n orders --replicas=3").render()
    assert "level: warning" in err


def test_translate_json() -> None:
    code, out, _ = _run("translate", "--json", "delete pod cart-5f7 in orders")
    assert code == 0
    record = json.loads(out)
    assert set(record) == KEYS
    assert record["question"] == "delete pod cart-5f7 in orders"
    assert record["command"] == parse("kubectl delete pod cart-5f7 -n orders").render()
    assert record["level"] == "dangerous" and record["reasons"]
    assert record["provider"] == "rules" and record["assumptions"] == []


def test_translate_json_with_grounding_reports_assumptions(tmp_path: Path) -> None:
    grounding = tmp_path / "cluster.json"
    grounding.write_text(json.dumps({"namespace": "default", "namespaces": ["default", "shop"],
                                     "inventory": {"deployments": [["shop", "checkout"]]}}))
    code, out, _ = _run("translate", "--json", "--grounding", str(grounding),
                        "restart the checkout deployment")
    record = json.loads(out)
    assert code == 0
    assert record["command"] == parse(
        "kubectl rollout restart deployment/checkout -n shop").render()
    assert any("shop" in a for a in record["assumptions"])


def test_translate_jsonl_keeps_the_order(tmp_path: Path) -> None:
    questions = ["list namespaces", "write a poem", "drain node-c", "open a shell in pod x-1",
                 "pods in namespace shop"]
    path = tmp_path / "questions.jsonl"
    lines = [json.dumps({"q": q}) for q in questions]
    path.write_text("\n".join([lines[0], "", *lines[1:], "not json"]) + "\n")
    code, out, _ = _run("translate", "--jsonl", str(path))
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in records] == [*questions, None]
    assert all(set(r) == KEYS for r in records)
    assert [r["level"] for r in records] == ["safe", None, "dangerous", "forbidden", "safe",
                                             None]
    assert records[1]["command"] is None and "try" in records[1]["reasons"][0]
    assert "not JSON" in records[-1]["reasons"][0]


def test_translate_jsonl_from_stdin() -> None:
    code, out, _ = _run("translate", "--jsonl", "-", stdin='{"q": "show nodes"}\n')
    assert code == 0 and json.loads(out)["command"] == "kubectl get nodes"


def test_translate_exit_codes() -> None:
    code, out, err = _run("translate", "write me a poem")
    assert code == 1 and out == "" and "I can't translate this: " in err and "; try " in err
    code, out, err = _run("translate", "open a shell in pod web-1")
    assert code == 3 and out == "" and "forbidden" in err
    code, _, err = _run("translate")
    assert code == 2 and "QUESTION or --jsonl" in err
    code, _, err = _run("translate", "--provider", "nope", "x")
    assert code == 2 and "not an installed translator" in err
    code, _, err = _run("translate", "--model", "m", "list nodes")
    assert code == 2 and "network providers" in err
    code, _, err = _run("translate", "--provider", "ollama", "list nodes")
    assert code == 2 and "--model" in err


def test_translate_with_ollama_provider(ollama_server: FakeLLMServer) -> None:
    ollama_server.answer("kubectl get nodes -o wide", "Lists nodes with their addresses.")
    code, out, _ = _run("translate", "--json", "--provider", "ollama", "--model", "m",
                        "--ollama-host", ollama_server.url, "nodes with their IPs")
    record = json.loads(out)
    assert code == 0 and record["provider"] == "ollama"
    assert record["command"] == "kubectl get nodes -o wide"
    assert ollama_server.received[0].body["model"] == "m"


def test_translate_with_openai_provider_falls_back_visibly(openai_server: FakeLLMServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECHAT_CLI_TEST_KEY", "sk-cli")
    openai_server.reply("rm -rf /").reply("rm -rf /")
    code, out, err = _run("translate", "--provider", "openai", "--model", "m",
                          "--openai-base-url", openai_server.url,
                          "--api-key-env", "KUBECHAT_CLI_TEST_KEY", "list namespaces")
    assert code == 0 and out.strip() == "kubectl get namespaces"
    assert "note: fell back to rules:" in err
    assert openai_server.received[0].headers["authorization"] == "Bearer sk-cli"


def _eval_file(tmp_path: Path) -> Path:
    path = tmp_path / "set.jsonl"
    rows = [
        {"q": "pods in namespace shop", "a": ["kubectl get pods -n shop"], "safety": ["safe"]},
        {"q": "restart deployment web in site", "a": ["kubectl rollout restart deployment/web "
                                                      "-n site"], "safety": ["warning"]},
        {"q": "logs of pod web-1", "a": ["kubectl logs web-1 --previous"], "safety": ["safe"]},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_eval_table(tmp_path: Path) -> None:
    code, out, _ = _run("eval", str(_eval_file(tmp_path)))
    assert code == 0
    assert "structural accuracy:   66.7%" in out
    assert "safety accuracy:      100.0%" in out
    assert "latency ms: p50" in out
    assert "rollout restart" in out and "logs" in out
    assert "[command] logs of pod web-1" in out


def test_eval_json_summary(tmp_path: Path) -> None:
    code, out, _ = _run("eval", str(_eval_file(tmp_path)), "--json")
    summary = json.loads(out)
    assert code == 0
    assert summary["provider"] == "rules" and summary["total"] == 3
    assert summary["structural_accuracy"] == pytest.approx(0.6667, abs=1e-4)
    assert summary["safety_accuracy"] == 1.0
    assert summary["by_verb"]["logs"] == {"right": 0, "total": 1, "accuracy": 0.0}
    assert set(summary["latency_ms"]) == {"p50", "p90", "p99", "max"}
    assert [f["question"] for f in summary["failures"]] == ["logs of pod web-1"]


def test_eval_fail_under_and_bad_file(tmp_path: Path) -> None:
    code, _, err = _run("eval", str(_eval_file(tmp_path)), "--fail-under", "90")
    assert code == 1 and "below 90%" in err
    code, _, err = _run("eval", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "cannot read" in err


def test_eval_reads_tags_followups_and_refusals_on_the_demo_grounding(tmp_path: Path) -> None:
    path = tmp_path / "dev2.jsonl"
    rows = [
        {"q": "describe statefulset postgres", "a": ["kubectl describe statefulset postgres "
                                                     "-n data"], "safety": ["safe"],
         "tag": "workload"},
        {"q": "pods in payments | grep fraud", "a": [""], "safety": ["forbidden"],
         "tag": "forbidden"},
        {"q": "and in payments?", "prev": "pods in shop", "prev_command":
         "kubectl get pods -n shop", "a": ["kubectl get pods -n payments"], "safety": ["safe"],
         "tag": "followup"},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    code, out, err = _run("eval", str(path), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert set(summary["by_tag"]) == {"workload", "forbidden", "followup"}
    # the demo grounding knows postgres is a StatefulSet in data
    assert summary["by_tag"]["workload"]["right"] == 1
    assert "reads_answered_by_writes" in summary
    code, out, _ = _run("eval", str(path), "--json", "--grounding", "none")
    assert code == 0
    assert json.loads(out)["by_tag"]["workload"]["right"] == 0


def test_any_provider_takes_its_declared_options(ollama_server: FakeLLMServer) -> None:
    ollama_server.answer("kubectl get nodes -o wide", "Lists nodes with their IPs.")
    code, out, err = _run("translate", "--json", "--provider", "ollama", "-O", "model=m",
                          "-O", f"host={ollama_server.url}", "-O", "retries=0",
                          "nodes with their IPs")
    assert code == 0, err
    assert json.loads(out)["provider"] == "ollama"
    assert ollama_server.received[0].body["model"] == "m"
    code, _, err = _run("translate", "--provider", "ollama", "-O", "model=m", "-O", "hots=x",
                        "list nodes")
    assert code == 2 and "no option 'hots'" in err and "did you mean host" in err
    code, _, err = _run("translate", "--provider", "ollama", "-O", "model=m", "-O",
                        "retries=many", "list nodes")
    assert code == 2 and "'retries' must be int" in err
    code, _, err = _run("translate", "-O", "nonsense", "list nodes")
    assert code == 2 and "NAME=VALUE" in err


@pytest.fixture
def choices_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Install the test plugin that refuses with choices (a real entry point)."""
    from tests.plugins.choices_translator import PLUGIN_ID, plugin_path

    monkeypatch.syspath_prepend(str(plugin_path(tmp_path)))
    return PLUGIN_ID


def test_translate_json_carries_a_refusals_choices_judged(choices_plugin: str) -> None:
    code, out, _ = _run("translate", "--json", "--provider", choices_plugin,
                        "please frobnicate the checkout deployment")
    assert code == 0
    record = json.loads(out)
    assert set(record) == KEYS and record["command"] is None
    # the forbidden reading (deleting kube-system) is left out; the others keep their order
    assert record["choices"] == [
        {"command": parse("kubectl rollout restart deployment checkout -n shop").render(),
         "level": "warning", "reasons": record["choices"][0]["reasons"],
         "why": "bounce: restart its pods"},
        {"command": parse("kubectl get pods -l app=checkout").render(), "level": "safe",
         "reasons": record["choices"][1]["reasons"], "why": "look: list its pods"},
    ]
    assert all(choice["reasons"] for choice in record["choices"])
    code, out, _ = _run("translate", "--json", "pods in namespace shop")
    assert json.loads(out)["choices"] == []


def test_translate_lists_the_choices_as_did_you_mean(choices_plugin: str) -> None:
    code, out, err = _run("translate", "--provider", choices_plugin,
                          "please frobnicate the checkout deployment")
    assert code == 1 and out == ""
    lines = err.splitlines()
    start = lines.index("did you mean:")
    assert lines[start + 1].split() == [
        *parse("kubectl rollout restart deployment checkout -n shop").render().split(),
        "(warning:", "bounce:", "restart", "its", "pods)"]
    assert lines[start + 2].strip().startswith("kubectl get pods")
    assert "kube-system" not in err
    assert "frobnicate" in err  # the explanation, as the error


def test_the_rules_translators_own_choices_are_judged() -> None:
    code, out, _ = _run("translate", "--json", "--grounding", "demo",
                        "please frobnicate the checkout deployment")
    assert code == 0
    record = json.loads(out)
    assert record["command"] is None and record["choices"], record
    for choice in record["choices"]:
        assert choice["level"] in ("safe", "warning", "dangerous") and choice["reasons"]
        assert parse(choice["command"]).render() == choice["command"] and choice["why"]
