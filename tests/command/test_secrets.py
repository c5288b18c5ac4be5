"""The one redaction (kubechat_lab/command/_secrets.py): every secret-writing form, generated."""

from __future__ import annotations

import base64
import json
import shlex

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kubechat_lab.command import REDACTED, parse, redact_command, redact_text, secret_spots
from kubechat_lab.command._secrets import redacted_manifest

# Values start with a marker no command word holds, so "not in" checks mean something.
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+/=@%:,!#^*~ "
values = st.builds(lambda tail: "Zq" + tail, st.text(_ALPHABET, min_size=4, max_size=24)).map(
    lambda v: v.rstrip() or "Zq0000")
keys = st.from_regex(r"[a-z][a-z0-9_.-]{0,10}", fullmatch=True)
names = st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True)
namespaces = st.sampled_from(["shop", "payments", "data", "kc-scratch"])
secret_maps = st.dictionaries(keys, values, min_size=1, max_size=3)


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def spellings(value: str) -> set[str]:
    return {value, b64(value), json.dumps(value)[1:-1]}


def recorded_forms(line: str, manifest: str | None, question: str) -> str:
    cmd = parse(line, manifest=manifest)
    forms = [cmd.redacted(), cmd.redact(question),
             redacted_manifest(cmd) or "", json.dumps(redact_command(cmd).to_dict())]
    # the redacted line is still a command: it parses and renders to itself
    again = parse(cmd.redacted(), manifest=redacted_manifest(cmd))
    assert again.render() == cmd.redacted()
    return "\n".join(forms)


def assert_hidden(data: dict[str, str], text: str) -> None:
    for value in data.values():
        for spelling in spellings(value):
            assert spelling not in text, (spelling, text)


@st.composite
def create_secret(draw: st.DrawFn) -> tuple[str, None, dict[str, str]]:
    data = draw(secret_maps)
    flags = []
    for key, value in data.items():
        form = draw(st.sampled_from(["eq", "space", "quoted-eq", "quoted-value"]))
        pair = shlex.quote(f"{key}={value}")
        flags.append({"eq": f"--from-literal={pair}", "space": f"--from-literal {pair}",
                      "quoted-eq": shlex.quote(f"--from-literal={key}={value}"),
                      "quoted-value": f'--from-literal="{key}={value}"'
                      if '"' not in value and "\\" not in value else f"--from-literal={pair}"
                      }[form])
    flags.append(f"-n {draw(namespaces)}")
    flags += draw(st.lists(st.sampled_from(["--type=Opaque", "--dry-run=server",
                                            "--append-hash"]), unique=True, max_size=2))
    flags = draw(st.permutations(flags))
    prefix = draw(st.sampled_from(["kubectl ", ""]))
    return f"{prefix}create secret generic {draw(names)} {' '.join(flags)}", None, data


def patch_body(draw: st.DrawFn, data: dict[str, str]) -> tuple[object, str | None]:
    """A patch of the Secret's values in one of the forms the API server reads."""
    form = draw(st.sampled_from(["merge-data", "merge-string", "json-key", "json-map",
                                 "json-root", "json-lenient", "json-annotation"]))
    if form == "merge-data":
        return {"data": {k: b64(v) for k, v in data.items()}}, draw(
            st.sampled_from([None, "merge", "strategic"]))
    if form == "merge-string":
        return {"stringData": data, "metadata": {"labels": {"team": "shop"}}}, draw(
            st.sampled_from([None, "merge", "strategic"]))
    op = draw(st.sampled_from(["add", "replace"]))
    field = draw(st.sampled_from(["data", "stringData"]))
    enc = (lambda v: b64(v)) if field == "data" else (lambda v: v)
    if form == "json-key":
        ops = [{"op": op, "path": f"/{field}/{k}", "value": enc(v)} for k, v in data.items()]
    elif form == "json-map":
        ops = [{"op": op, "path": f"/{field}", "value": {k: enc(v) for k, v in data.items()}}]
    elif form == "json-root":
        ops = [{"op": "replace", "path": "", "value": {
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"},
            field: {k: enc(v) for k, v in data.items()}}}]
    elif form == "json-lenient":
        ops = [{"op": op, "path": f"{field}/{k}", "value": enc(v)} for k, v in data.items()]
    else:
        applied = json.dumps({"kind": "Secret", "stringData": data})
        ops = [{"op": "add", "path": "/metadata/annotations/kubectl.kubernetes.io~1last-applied"
                "-configuration", "value": applied}]
    return ops, "json"


@st.composite
def patch_secret(draw: st.DrawFn) -> tuple[str, None, dict[str, str]]:
    data = draw(secret_maps)
    body, kind = patch_body(draw, data)
    text = draw(st.sampled_from(["json", "yaml"])) if isinstance(body, dict) else "json"
    rendered = json.dumps(body) if text == "json" else yaml.safe_dump(
        body, default_flow_style=True, width=1 << 20)
    target = draw(st.sampled_from(["secret {n}", "secrets {n}", "secret/{n}"])).format(
        n=draw(names))
    flags = [draw(st.sampled_from(["-p {}", "--patch {}", "--patch={}"])).format(
        shlex.quote(rendered.strip())), f"-n {draw(namespaces)}"]
    if kind is not None:
        flags.append(draw(st.sampled_from(["--type={}", "--type {}"])).format(kind))
    flags = draw(st.permutations(flags))
    return f"kubectl patch {target} {' '.join(flags)}", None, data


@st.composite
def manifest_write(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    data = draw(secret_maps)
    secrets = []
    for i, (key, value) in enumerate(data.items()):
        field = draw(st.sampled_from(["data", "stringData"]))
        secrets.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                        "metadata": {"name": f"s{i}", "labels": {"app": "x"}},
                        field: {key: b64(value) if field == "data" else value}})
    others = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
               "data": {"mode": "fast"}}]
    shape = draw(st.sampled_from(["docs", "list", "one-list-per-doc"]))
    objects = draw(st.permutations(secrets + others))
    if shape == "list":
        documents: list[object] = [{"apiVersion": "v1", "kind": "List", "items": objects}]
    elif shape == "one-list-per-doc":
        documents = [{"apiVersion": "v1", "kind": "SecretList", "items": [o]} for o in objects]
    else:
        documents = list(objects)
    if draw(st.booleans()):
        text = "\n---\n".join(yaml.safe_dump(d, default_flow_style=draw(st.booleans()))
                              for d in documents)
    else:
        text = "\n".join(json.dumps(d) for d in documents) if len(documents) == 1 else (
            "\n---\n".join(json.dumps(d) for d in documents))
    verb = draw(st.sampled_from(["apply", "create", "replace", "apply --server-side"]))
    return f"kubectl {verb} -n {draw(namespaces)} -f -", text, data


writes = st.one_of(create_secret(), patch_secret(), manifest_write())


@settings(max_examples=400, deadline=None)
@given(writes, st.sampled_from(["", "please {line}", "make it with {kv} now", "set {k} to {v}"]))
def test_no_secret_value_survives_redaction(write: tuple[str, str | None, dict[str, str]],
                                            asked: str) -> None:
    line, manifest, data = write
    key, value = next(iter(data.items()))
    question = asked.format(line=line, kv=f"{key}={value}", k=key, v=value)
    text = recorded_forms(line, manifest, question)
    assert_hidden(data, text)
    cmd = parse(line, manifest=manifest)
    spots = secret_spots(cmd)
    found = {s.value for s in spots}
    for value in data.values():  # each value is found where it was written (any spelling)
        assert any(value in f or b64(value) in f or json.dumps(value)[1:-1] in f
                   for f in found), (value, spots)
    assert all(value not in s.where for s in spots for value in data.values())
    for key in data:  # keys are kept: the record says what was written
        assert key in cmd.redacted() + (redacted_manifest(cmd) or "") or key in text


@settings(max_examples=200, deadline=None)
@given(keys, values, st.sampled_from([
    "create a secret db in shop with {k}={v}",
    "store password={v} in secret db",
    "the token is {v}, save it",
    "kubectl create secret generic db --from-literal {k}={v}",
    "kubectl create secret generic db --from-literal='{k}={v}'",
    "create secret docker-registry reg --docker-password={v} --docker-username=bob",
    "create secret docker-registry reg --docker-password {v}",
    'patch secret db -p \'{{"stringData":{{"{k}":"{v}"}}}}\'',
    "apply this: {{data: {{{k}: {v}}}}}",
    "api_key: {v}",
]))
def test_questions_lose_values_even_without_a_command(key: str, value: str,
                                                      template: str) -> None:
    """The translator may drop the value (or refuse the line): the stored question has none."""
    value = value.replace(",", "").replace("'", "").replace('"', "").replace("}", "")
    if " " in value and "{v}" in template and "'" not in template and '"' not in template:
        value = value.replace(" ", "")
    question = template.format(k=key, v=value)
    assert value not in redact_text(question), (question, redact_text(question))


def test_redacted_forms_keep_keys_and_structure() -> None:
    cmd = parse("""kubectl patch secret db -n shop --type=json -p '[{"op":"add","path":"""
                """"/data/pw","value":"aHVudGVyMg=="},{"op":"add","path":"/metadata/labels/a","""
                """"value":"keep"}]'""")
    assert cmd.redacted() == (
        """kubectl patch secrets db -n shop --patch='[{"op":"add","path":"/data/pw","value":"""
        f""""{REDACTED}"}},{{"op":"add","path":"/metadata/labels/a","value":"keep"}}]' """
        "--type=json")
    assert set(cmd.secret_values) == {"aHVudGVyMg==", "hunter2"}
    configmap = parse("create configmap app -n shop --from-literal=mode=fast")
    assert configmap.secret_values == () and configmap.redacted() == configmap.render()
    plain = parse("kubectl patch deployment web -n shop -p '{\"data\":{\"a\":\"b\"}}'")
    assert plain.redacted() == plain.render()


def test_an_anchored_body_never_becomes_a_command() -> None:
    """The one bounded loader refuses anchors before anything reads the body, so there is no
    command (and no audit row) to hold the value, and the refusal does not quote it."""
    import pytest

    from kubechat_lab.errors import CommandError

    manifest = ("apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n"
                "stringData: &v {pw: Zqhunter2}\n")
    with pytest.raises(CommandError) as err:
        parse("kubectl apply -n shop -f -", manifest=manifest)
    assert err.value.reason == "yaml-alias"
    assert "Zqhunter2" not in str(err.value)


def test_a_command_rebuilt_from_a_record_is_refused() -> None:
    """A follow-up of a redacted conversation turn cannot write the placeholder as a value."""
    import pytest

    from kubechat_lab.errors import CommandError
    from kubechat_lab.pipeline import Limits, Target, make_plan
    from kubechat_lab.policy import default_policy

    cmd = parse("create secret generic db -n shop --from-literal=pw=Zqhunter2")
    target = Target(context=None, cluster=None, namespace="shop", user="u")
    with pytest.raises(CommandError) as err:
        make_plan(redact_command(cmd), target, policy=default_policy(), limits=Limits())
    assert err.value.reason == "redacted-value"


def _encode(value: str, encoding: list[str]) -> str:
    for step in encoding:
        value = b64(value) if step == "base64" else json.dumps(value)
    return value


@settings(max_examples=300, deadline=None)
@given(writes)
def test_the_runbook_template_puts_the_values_back(
        write: tuple[str, str | None, dict[str, str]]) -> None:
    """What a runbook builds from the template and the typed values is the command it saved."""
    from kubechat_lab.command import secret_template

    line, manifest, data = write
    cmd = parse(line, manifest=manifest)
    template = secret_template(cmd)
    assert template is not None
    assert_hidden(data, json.dumps(template))
    if template["args"] is None:  # only a last-applied annotation cannot be put back
        assert "last-applied" in line
        return
    spots = secret_spots(cmd)
    typed = [base64.b64decode(s.value).decode() if "base64" in s.encoding else s.value
             for s in spots]

    def build(parts: list[str | int]) -> str:
        return "".join(p if isinstance(p, str) else _encode(typed[p], template["params"][p][
            "encoding"]) for p in parts)

    rebuilt = parse("kubectl " + shlex.join(build(a) for a in template["args"]),
                    manifest=build(template["manifest"]) if template["manifest"] else None)
    assert [s.value for s in secret_spots(rebuilt)] == [s.value for s in spots]
    assert rebuilt.redacted() == cmd.redacted()


def test_an_annotation_that_copies_the_secret_is_redacted() -> None:
    applied = json.dumps({"kind": "Secret", "data": {"pw": b64("Zqhunter22")}})
    cmd = parse("kubectl annotate secret db -n shop x=keep "
                + shlex.quote(f"kubectl.kubernetes.io/last-applied-configuration={applied}"))
    assert b64("Zqhunter22") not in cmd.redacted() and "x=keep" in cmd.redacted()
    assert '\\"pw\\":\\"<redacted>\\"' in json.dumps(cmd.redacted())
    assert "Zqhunter22" in cmd.secret_values
