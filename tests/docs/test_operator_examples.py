"""The operator guide's policy file example does what the guide says it does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kubechat_lab.policy import Level, classify, load_policy

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "operator-guide.md"


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory):
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(), re.S)
              if b.startswith("version: 1")]
    assert len(blocks) == 1, "the guide has one policy file example"
    path = tmp_path_factory.mktemp("policy") / "policy.yaml"
    path.write_text(blocks[0])
    return load_policy(path)


@pytest.mark.parametrize(("command", "level"), [
    ("kubectl rollout restart deployment/checkout -n shop", Level.DANGEROUS),  # the new rule
    ("kubectl rollout restart deployment/frontend -n shop", Level.WARNING),  # not matched by it
    ("kubectl scale deploy api -n payments --replicas=3", Level.DANGEROUS),  # now protected
    ("kubectl set image deployment/frontend frontend=docker.io/nginx:1.27 -n shop",
     Level.FORBIDDEN),  # outside the allowed registries
    ("kubectl set image deployment/frontend frontend=registry.example.com/web:2 -n shop",
     Level.WARNING),
    ("kubectl get certificatesigningrequests", Level.FORBIDDEN),  # denied resource
    ("kubectl get pods -n shop", Level.SAFE),
])
def test_the_example_policy(policy, command: str, level: Level) -> None:
    _, assessment = classify(command, policy=policy)
    assert assessment.level is level, assessment.reasons
