"""allowed_registries: images from elsewhere make a pod template forbidden; empty allows any."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubechat_lab.policy import Level, PolicyContext, PolicyError, classify, load_policy
from kubechat_lab.policy._pods import image_allowed, normalize_image


@pytest.mark.parametrize(("image", "name"), [
    ("nginx", "docker.io/library/nginx"),
    ("nginx:1.27", "docker.io/library/nginx"),
    ("bitnami/redis@sha256:abc", "docker.io/bitnami/redis"),
    ("ghcr.io/acme/web:v2", "ghcr.io/acme/web"),
    ("localhost:5000/x", "localhost:5000/x"),
    ("Registry.Example.com/app", "registry.example.com/app"),
    ("bad image", None),
    ("", None),
])
def test_normalize_image(image: str, name: str | None) -> None:
    assert normalize_image(image) == name


@pytest.mark.parametrize(("image", "allowed"), [
    ("registry.example.com/web:1", True),
    ("ghcr.io/acme/tools/x:1", True),
    ("ghcr.io/acmecorp/x:1", False),           # a prefix of a path segment is not the path
    ("eu.gcr.io/p/x", True),
    ("gcr.io.evil.example/x", False),
    ("registry.example.com.evil.io/web", False),
    ("nginx", False),
    ("docker.io/library/busybox", True),
])
def test_image_allowed(image: str, allowed: bool) -> None:
    registries = ("registry.example.com", "ghcr.io/acme", "*.gcr.io", "docker.io/library/busybox")
    assert image_allowed(image, registries) is allowed
    assert image_allowed(image, ()) is True


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_images_outside_the_allow_list_are_forbidden(tmp_path: Path) -> None:
    policy = load_policy(_policy(tmp_path, "allowed_registries: [registry.example.com]\n"))
    outside = [
        "kubectl set image deploy/web app=evil.io/web:1 -n shop",
        "kubectl set image deployment web *=nginx -n shop",
        "kubectl create deployment web --image=quay.io/x/y -n shop",
        "kubectl patch deploy web -n shop --type=json -p "
        "'[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\","
        "\"value\":\"evil.io/x\"}]'",
    ]
    for line in outside:
        _, assessment = classify(line, policy=policy)
        assert assessment.level is Level.FORBIDDEN, (line, assessment)
        assert assessment.rule_ids[0] == "pod-image-registry"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"},
           "spec": {"initContainers": [{"name": "i", "image": "evil.io/init"}],
                    "containers": [{"name": "a", "image": "registry.example.com/a"}]}}
    _, assessment = classify("kubectl apply -f -", manifest=json.dumps(pod), policy=policy)
    assert assessment.rule_ids[0] == "pod-image-registry" and "evil.io/init" in \
        assessment.reasons[0]
    inside = "kubectl set image deploy/web app=registry.example.com/web:2 -n shop"
    assert classify(inside, policy=policy)[1].level is Level.WARNING
    # the default policy allows any registry
    assert classify(outside[0])[1].level is Level.WARNING


def test_a_bad_registry_entry_is_refused_with_the_field(tmp_path: Path) -> None:
    for text in ("allowed_registries: registry.example.com\n",
                 "allowed_registries: ['https://registry.example.com']\n"):
        with pytest.raises(PolicyError, match="allowed_registries"):
            load_policy(_policy(tmp_path, text))


def _running(*images: str) -> dict[str, object]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [
                {"name": f"c{i}", "image": image} for i, image in enumerate(images)]}}}}


@pytest.mark.parametrize(("running", "line", "level"), [
    (("nginx:1.25",), "kubectl set image deploy/web c0=nginx:1.27 -n shop", Level.WARNING),
    (("nginx:1.25",), "kubectl set image deploy/web c0=docker.io/library/nginx:1.27 -n shop",
     Level.WARNING),
    (("nginx:1.25",), "kubectl set image deploy/web c0=evil/nginx:1.27 -n shop",
     Level.DANGEROUS),
    (("nginx:1.25",), "kubectl set image deployment/web c0=evil.io/library/nginx -n shop",
     Level.DANGEROUS),
    (("ghcr.io/acme/web:1", "ghcr.io/acme/proxy:2"),
     "kubectl set image deploy/web c1=ghcr.io/acme/other:3 -n shop", Level.WARNING),
    (("ghcr.io/acme/web:1",), "kubectl set image deploy/web c0=ghcr.io/acmecorp/web:1 -n shop",
     Level.DANGEROUS),
    (("ghcr.io/acme/web:1",),
     "kubectl patch deploy web -n shop --type=json -p '[{\"op\":\"replace\",\"path\":"
     "\"/spec/template/spec/containers/0/image\",\"value\":\"quay.io/x/web:1\"}]'",
     Level.DANGEROUS),
])
def test_an_image_from_another_source_than_the_running_one_is_dangerous(
        running: tuple[str, ...], line: str, level: Level) -> None:
    seen: list[tuple[str, str | None, str]] = []

    def observe(resource: str, namespace: str | None, name: str) -> dict[str, object] | None:
        seen.append((resource, namespace, name))
        return _running(*running)

    context = PolicyContext(namespace="shop", observe=observe)
    _, assessment = classify(line, context=context)
    assert assessment.level is level, assessment
    assert ("image-source-change" in assessment.rule_ids) is (level is Level.DANGEROUS)
    assert seen == [("deployments", "shop", "web")]
    # without the live object nothing is compared
    assert "image-source-change" not in classify(line)[1].rule_ids


def test_a_new_workload_or_an_unreadable_one_is_not_compared() -> None:
    def observe(resource: str, namespace: str | None, name: str) -> None:
        return None

    context = PolicyContext(observe=observe)
    for line in ("kubectl set image deploy/web c0=evil/x -n shop",
                 "kubectl create deployment web --image=evil/x -n shop"):
        assert "image-source-change" not in classify(line, context=context)[1].rule_ids
