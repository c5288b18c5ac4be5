"""Properties: every spelling of a write is judged by the object it leaves behind.

- any JSON-patch pointer is refused, or judged as the API server reads it (the same as the
  merge patch of the fields it names);
- any order of ``label`` changes gets one verdict, the same as the merge patch and the JSON
  patch of those changes; two changes of one key are refused;
- a whole-value write of a Namespace's labels (JSON patch of ``/metadata/labels`` or
  ``/metadata``, ``$patch: replace``, ``replace -f -``, ``apply -f -``) is judged by what it
  leaves: without the enforce label it is a removal (forbidden);
- every write that deletes a namespace is judged as its delete;
- a dry run of a write is safe unless the write is forbidden.

Each case is classified with ``classify`` and with ``kubechat classify --jsonl`` (the CLI).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubechat_lab.cli import main
from kubechat_lab.command import CommandError, is_index_token, pointer_tokens
from kubechat_lab.policy import Level, classify

SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
ENFORCE = "pod-security.kubernetes.io/enforce"
WARN = "pod-security.kubernetes.io/warn"
PROTECTED = ("kube-system", "kube-public", "kube-node-lease")

Case = tuple[str, str | None]


def _judge(cases: list[Case]) -> list[tuple[Level, frozenset[str]]]:
    """Level and rule ids of each case, by ``classify``; the CLI must give the same levels."""
    out = []
    for command, manifest in cases:
        _, assessment = classify(command, manifest=manifest)
        out.append((assessment.level, frozenset(assessment.rule_ids)))
    lines = "".join(json.dumps({"command": c, "manifest": m}) + "\n" for c, m in cases)
    done = CliRunner().invoke(main, ["classify", "--jsonl", "-"], input=lines)
    assert done.exit_code == 0, done.output
    cli = [Level(json.loads(line)["level"]) for line in done.stdout.splitlines()]
    assert cli == [level for level, _ in out], cases
    return out


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _namespace(labels: dict[str, str] | None, name: str = "shop") -> str:
    meta: dict[str, object] = {"name": name}
    if labels is not None:
        meta["labels"] = labels
    return _json({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})


# -- any pointer form ------------------------------------------------------------------------

_SEGMENTS = ["metadata", "labels", _escape(ENFORCE), "pod-security.kubernetes.io~2enforce",
             "spec", "replicas", "template", "hostPID", "x", "", "~", "-1", "01", "0", "-"]
_TARGETS = ["ns shop", "deploy web -n shop"]


@st.composite
def pointer_patch(draw: st.DrawFn) -> tuple[str, str, object]:
    segments = draw(st.lists(st.sampled_from(_SEGMENTS), min_size=1, max_size=5))
    path = ("/" if draw(st.booleans()) else "") + "/".join(segments)
    value = draw(st.sampled_from(["privileged", 0, True]))
    op = draw(st.sampled_from(["add", "replace"]))
    return draw(st.sampled_from(_TARGETS)), _json([{"op": op, "path": path, "value": value}]), \
        value


@SETTINGS
@given(pointer_patch())
def test_any_pointer_is_refused_or_judged_as_the_server_reads_it(
        case: tuple[str, str, object]) -> None:
    target, patch, value = case
    path = json.loads(patch)[0]["path"]
    as_json = f"kubectl patch {target} --type=json -p '{patch}'"
    try:
        tokens = pointer_tokens(path)
    except CommandError:
        [(level, rules)] = _judge([(as_json, None)])
        assert level is Level.FORBIDDEN and "unreadable-write" in rules
        return
    if not tokens or any(is_index_token(t) for t in tokens):
        return  # the whole object, or an array element: no merge patch says the same
    merge: object = value
    for token in reversed(tokens):
        merge = {token: merge}
    as_merge = f"kubectl patch {target} --type=merge -p '{_json(merge)}'"
    json_verdict, merge_verdict = _judge([(as_json, None), (as_merge, None)])
    assert json_verdict[0] == merge_verdict[0], (as_json, as_merge)


# -- any label operation order ---------------------------------------------------------------

_KEYS = ["team", "tier", ENFORCE, WARN]
_VALUES = ["privileged", "restricted", "baseline", "shop"]
_change = st.tuples(st.sampled_from(_KEYS), st.one_of(st.none(), st.sampled_from(_VALUES)))


def _spell(key: str, value: str | None) -> str:
    return f"{key}-" if value is None else f"{key}={value}"


@SETTINGS
@given(st.lists(_change, min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_label_changes_get_one_verdict_in_any_order_and_any_form(
        changes: list[tuple[str, str | None]], rng: object) -> None:
    spelled = [_spell(k, v) for k, v in changes]
    by_key: dict[str, set[str]] = {}
    for (key, _), word in zip(changes, spelled, strict=True):
        by_key.setdefault(key, set()).add(word)
    line = f"kubectl label ns shop {' '.join(spelled)}"
    if any(len(words) > 1 for words in by_key.values()):
        command, assessment = classify(line)
        assert command is None and assessment.level is Level.FORBIDDEN
        assert assessment.rule_ids == ("parse:conflicting-changes",)
        return
    unique = dict(changes)
    shuffled = list(dict.fromkeys(spelled))
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    merge = _json({"metadata": {"labels": unique}})
    ops = [{"op": "remove", "path": f"/metadata/labels/{_escape(k)}"} if v is None else
           {"op": "add", "path": f"/metadata/labels/{_escape(k)}", "value": v}
           for k, v in unique.items()]
    verdicts = _judge([
        (line, None),
        (f"kubectl label namespace/shop {' '.join(shuffled)} --overwrite", None),
        (f"kubectl patch ns shop --type=merge -p '{merge}'", None),
        (f"kubectl patch ns shop -p '{merge}'", None),
        (f"kubectl patch ns shop --type=json -p '{_json(ops)}'", None),
        (f"kubectl patch ns shop --type=json -p '{_json(ops[::-1])}'", None),
    ])
    assert len({level for level, _ in verdicts}) == 1, verdicts
    enforce = unique.get(ENFORCE, "absent")
    weakens = ENFORCE in unique and enforce in (None, "privileged")
    assert (verdicts[0][0] is Level.FORBIDDEN) == weakens, verdicts


# -- whole-value writes of a Namespace's labels ----------------------------------------------

_labels = st.dictionaries(st.sampled_from(_KEYS), st.sampled_from(_VALUES), max_size=4)


@SETTINGS
@given(_labels)
def test_a_whole_value_write_is_judged_by_what_it_leaves(labels: dict[str, str]) -> None:
    strategic = _json({"metadata": {"labels": {"$patch": "replace", **labels}}})
    verdicts = _judge([
        ("kubectl patch ns shop --type=json -p "
         f"'{_json([{'op': 'replace', 'path': '/metadata/labels', 'value': labels}])}'", None),
        ("kubectl patch ns shop --type=json -p "
         f"'{_json([{'op': 'add', 'path': '/metadata', 'value': {'labels': labels}}])}'",
         None),
        ("kubectl patch ns shop --type=json -p '"
         + _json([{"op": "replace", "path": "", "value": json.loads(_namespace(labels))}])
         + "'", None),
        (f"kubectl patch ns shop -p '{strategic}'", None),
        ("kubectl replace -f -", _namespace(labels)),
        ("kubectl apply -f -", _namespace(labels)),
        ("kubectl apply --server-side -f -", _namespace(labels)),
    ])
    left = labels.get(ENFORCE)
    want = Level.FORBIDDEN if left in (None, "privileged") else Level.DANGEROUS
    assert all(level is want for level, _ in verdicts), (labels, verdicts)
    if want is Level.FORBIDDEN:
        assert all("security-weakening" in rules for _, rules in verdicts)
    # a new namespace removes nothing: only what it sets counts
    [(created, _)] = _judge([("kubectl create -f -", _namespace(labels, "team-z"))])
    if left == "privileged":
        assert created is Level.FORBIDDEN
    elif any(key.startswith("pod-security.kubernetes.io/") for key in labels):
        assert created is Level.DANGEROUS
    else:
        assert created is Level.WARNING


# -- writes that delete ----------------------------------------------------------------------

@pytest.mark.parametrize("name", [*PROTECTED, "shop", "team-a"])
def test_every_write_that_deletes_a_namespace_is_judged_as_its_delete(name: str) -> None:
    kept = {ENFORCE: "restricted"}  # so that only the delete decides
    verdicts = _judge([
        (f"kubectl delete namespace {name}", None),
        (f"kubectl delete ns/{name} --wait=false", None),
        ("kubectl delete -f -", _namespace(None, name)),
        ("kubectl replace --force -f -", _namespace(kept, name)),
        ("kubectl replace -f - --force --grace-period=0", _namespace(kept, name)),
    ])
    want = Level.FORBIDDEN if name in PROTECTED else Level.DANGEROUS
    assert [level for level, _ in verdicts] == [want] * len(verdicts), verdicts
    rule = "delete-protected-namespace" if name in PROTECTED else "delete"
    assert all(rule in rules for _, rules in verdicts), verdicts


@pytest.mark.parametrize("scope", ["--all", "-l app=web", "--field-selector=status.phase=Failed",
                                   "-l app!=web --field-selector=metadata.name!=x"])
@pytest.mark.parametrize("resource", ["pods", "deploy", "cm", "secrets", "pvc"])
def test_a_bulk_delete_across_every_namespace_is_forbidden(scope: str, resource: str) -> None:
    verdicts = _judge([(f"kubectl delete {resource} {scope} -A", None),
                       (f"kubectl delete {resource} {scope} --all-namespaces --wait=false",
                        None)])
    assert all(level is Level.FORBIDDEN and "delete-all-namespaces" in rules
               for level, rules in verdicts), verdicts
    [(one_namespace, _)] = _judge([(f"kubectl delete {resource} {scope} -n shop", None)])
    assert one_namespace is Level.DANGEROUS


# -- dry runs --------------------------------------------------------------------------------

_EFFECTS = Path(__file__).parent / "data" / "effects.jsonl"
_WRITES = [row for row in (json.loads(line) for line in _EFFECTS.read_text().splitlines()
                           if line.strip())
           if "--dry-run" not in row["command"]]


def test_a_dry_run_of_a_write_is_judged_as_the_write() -> None:
    cases: list[Case] = []
    wanted: list[Level] = []
    for row in _WRITES:
        command, assessment = classify(row["command"], manifest=row.get("manifest"))
        if command is None or not command.is_write:
            continue
        head, dashes, tail = str(row["command"]).partition(" -- ")  # before a container command
        cases.append((f"{head} --dry-run=server{dashes}{tail}", row.get("manifest")))
        wanted.append(assessment.level)
    assert len(cases) >= 100 and Level.DANGEROUS in wanted and Level.FORBIDDEN in wanted
    verdicts = _judge(cases)
    assert [level for level, _ in verdicts] == wanted
