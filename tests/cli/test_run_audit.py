"""``kubechat run`` records every step to the real audit chain, shaped like the server's events."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from kubechat_lab.audit import AuditRecord, AuditStore
from kubechat_lab.cli import main
from kubechat_lab.command import parse
from kubechat_lab.pipeline import Pipeline
from kubechat_lab.policy import load_policy
from kubechat_lab.server._audit_log import AuditLog
from kubechat_lab.server._clusters import ClusterPool
from kubechat_lab.server._conversations import ConversationStore
from kubechat_lab.server._metrics import Metrics
from kubechat_lab.server._proposals import MemoryProposalStore, Principal
from kubechat_lab.server._service import KubechatService
from tests.plugins.postgres import AuditDb
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl, scratch_namespace

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres]


def invoke(sandbox: SandboxInfo, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["run", *args, "--kubeconfig", str(sandbox.kubeconfig)])
    return result.exit_code, result.stdout, result.stderr


def chain(db: AuditDb) -> list[AuditRecord]:
    with AuditStore(db.app_dsn) as store:
        return store.records(limit=1000)


def verify(db: AuditDb) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "verify", "--dsn", db.app_dsn])
    return result.exit_code, result.output


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


@pytest.fixture
def space(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-audit") as name:
        kubectl(sandbox, "create", "configmap", "target", "-n", name, "--from-literal=a=1")
        yield name


def labels(sandbox: SandboxInfo, space: str) -> dict[str, str]:
    found: dict[str, str] = (
        kjson(sandbox, "get", "cm", "target", "-n", space)["metadata"].get("labels") or {}
    )
    return found


def test_safe_get_appends_the_server_sequence_and_verifies(
    sandbox: SandboxInfo, audit_db: AuditDb, space: str
) -> None:
    code, out, err = invoke(sandbox, f"get configmaps -n {space}", "--audit-dsn", audit_db.app_dsn)
    assert code == 0, err
    assert "target" in out
    events = [r.event for r in chain(audit_db)]
    assert [e["type"] for e in events] == ["proposed", "approved", "executing", "executed"]
    command = parse(f"get configmaps -n {space}").render()
    for event in events:
        assert event["user"] == getpass.getuser()
        assert (event["via"], event["origin"]) == ("cli", "cli")
        assert event["command"] == command and event["namespace"] == space
        assert event["cluster"] == sandbox.server
        assert event["proposal"] == events[0]["proposal"]
    proposed, approved, executing, executed = events
    assert proposed["level"] == "safe" and proposed["reasons"] and proposed["source"] == "propose"
    assert approved["approver"] == executing["approver"] == "policy:auto-safe"
    assert approved["decision"] == "approved"
    assert executed["status"] == "ok"
    assert executed["rows"] == len(kjson(sandbox, "get", "cm", "-n", space)["items"])  # + root CA
    assert str(executed["result_digest"]).startswith("sha256:")
    code, report = verify(audit_db)
    assert code == 0, report
    assert "intact" in report


def test_approved_write_is_audited_before_it_runs(
    sandbox: SandboxInfo, audit_db: AuditDb, space: str
) -> None:
    code, _, err = invoke(
        sandbox, f"label configmap target -n {space} audited=yes", "--audit-dsn", audit_db.app_dsn
    )
    assert code == 3 and "--yes" in err
    assert "audited" not in labels(sandbox, space)
    rejected = chain(audit_db)
    assert [r.event["type"] for r in rejected] == ["proposed", "rejected"]
    assert rejected[1].event["decision"] == "rejected"
    assert "--yes" in str(rejected[1].event["reason"])

    code, _, err = invoke(
        sandbox,
        f"label configmap target -n {space} audited=yes",
        "--yes",
        "--audit-dsn",
        audit_db.app_dsn,
    )
    assert code == 0, err
    assert labels(sandbox, space) == {"audited": "yes"}
    events = [r.event for r in chain(audit_db)[2:]]
    assert [e["type"] for e in events] == ["proposed", "approved", "executing", "executed"]
    assert events[0]["level"] == "warning"
    assert events[1]["approver"] == getpass.getuser()
    assert events[3]["status"] == "changed"
    assert verify(audit_db)[0] == 0


def test_refused_command_appends_the_refusal_and_never_runs(
    sandbox: SandboxInfo, audit_db: AuditDb, space: str
) -> None:
    code, _, err = invoke(
        sandbox,
        f"label configmap target -n {space} leaked=no --token=s3cr3t",
        "--yes",
        "--audit-dsn",
        audit_db.app_dsn,
    )
    assert code == 3 and "forbidden" in err
    assert "leaked" not in labels(sandbox, space)
    records = chain(audit_db)
    assert [r.event["type"] for r in records] == ["proposed"]
    event = records[0].event
    assert (event["level"], event["outcome"], event["error_reason"]) == (
        "forbidden",
        "invalid",
        "credential-flag",
    )
    assert "command" not in event  # the raw line may hold a credential, as on the server
    assert b"s3cr3t" not in records[0].payload
    assert verify(audit_db)[0] == 0


def test_unreachable_audit_store_fails_closed(sandbox: SandboxInfo, space: str) -> None:
    dsn = f"host=127.0.0.1 port={closed_port()} dbname=kubechat user=kubechat_app"
    code, _, err = invoke(
        sandbox, f"label configmap target -n {space} unaudited=yes", "--yes", "--audit-dsn", dsn
    )
    assert code == 1
    assert "fail closed" in err and "nothing was run" in err
    assert "unaudited" not in labels(sandbox, space)


def test_env_default_and_no_audit(
    sandbox: SandboxInfo, audit_db: AuditDb, space: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECHAT_AUDIT_DSN", audit_db.app_dsn)
    code, _, err = invoke(sandbox, f"get configmaps -n {space}")
    assert code == 0, err
    assert len(chain(audit_db)) == 4
    code, _, err = invoke(sandbox, f"get configmaps -n {space}", "--no-audit")
    assert code == 0
    assert "NOT recorded" in err
    assert len(chain(audit_db)) == 4
    code, _, err = invoke(sandbox, "get pods", "--no-audit", "--audit-dsn", audit_db.app_dsn)
    assert code == 2 and "exclude each other" in err


def test_events_have_the_same_fields_as_the_servers(
    sandbox: SandboxInfo, audit_db: AuditDb, space: str
) -> None:
    audit = AuditLog(audit_db.app_dsn)
    clusters = ClusterPool(
        kubeconfig=str(sandbox.kubeconfig),
        default_context=None,
        contexts=(),
        identity_for=lambda user: (None, ()),
        request_timeout=30.0,
    )
    pipeline = Pipeline(
        policy=load_policy(None),
        clients=clusters,
        sink=lambda event: audit.append(event.to_dict()).seq,
    )
    service = KubechatService(
        pipeline=pipeline,
        proposals=MemoryProposalStore(ttl=60.0),
        clusters=clusters,
        metrics=Metrics(),
        conversations=ConversationStore(),
        identity_for=lambda user: (None, ()),
    )
    try:
        proposal = service.propose(Principal("alice", "browser"), f"get configmaps -n {space}")
        service.execute(Principal("alice", "browser"), proposal.id)
    finally:
        clusters.close()
        audit.close()
    code, _, err = invoke(sandbox, f"get configmaps -n {space}", "--audit-dsn", audit_db.app_dsn)
    assert code == 0, err
    events = [r.event for r in chain(audit_db)]
    server, cli = events[:4], events[4:]
    assert [e["type"] for e in server] == [e["type"] for e in cli]
    for theirs, ours in zip(server, cli, strict=True):
        assert set(theirs) <= set(ours), theirs["type"]
        # one typed definition per kind: the server's events carry everything the CLI's do
        # (the API server URL too), the CLI adds only its origin
        assert set(ours) - set(theirs) == {"origin"}, theirs["type"]
        for key in ("command", "level", "approver", "decision", "status", "namespace",
                    "cluster", "context"):
            assert ours.get(key) == theirs.get(key), (theirs["type"], key)
    assert cli[0]["via"] == "cli" and server[0]["via"] == "browser"
    assert verify(audit_db)[0] == 0


def test_a_secret_written_from_the_cli_keeps_its_values_out_of_the_chain(
    sandbox: SandboxInfo, audit_db: AuditDb, space: str
) -> None:
    """``kubechat run`` records through the same redaction as the server: keys, no values."""
    import base64
    import json
    import secrets

    value = "Sv" + secrets.token_hex(8)
    code, _, err = invoke(
        sandbox, f"create secret generic cli-db -n {space} --from-literal pw={value}", "--yes",
        "--audit-dsn", audit_db.app_dsn)
    assert code == 0, err
    written = kjson(sandbox, "get", "secret", "cli-db", "-n", space)["data"]["pw"]
    assert base64.b64decode(written).decode() == value
    patched = "Sv" + secrets.token_hex(8)
    body = json.dumps({"stringData": {"pw": patched}})
    code, _, err = invoke(sandbox, f"patch secret cli-db -n {space} -p '{body}'", "--yes",
                          "--audit-dsn", audit_db.app_dsn)
    assert code == 0, err
    events = json.dumps([r.event for r in chain(audit_db)])
    assert "pw=<redacted>" in events and '\\"pw\\":\\"<redacted>\\"' in events
    for secret in (value, patched):
        for spelling in (secret, base64.b64encode(secret.encode()).decode()):
            assert spelling not in events
