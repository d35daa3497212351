"""ImageValidatingPolicy offline: image extraction, matchImageReferences, image data, registry-bound checks."""

from __future__ import annotations

from typing import Any

from pykyverno.engine.cel import Providers, using_providers
from pykyverno.engine.cel.offline import OfflineImageData
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.ivpol.imageverify import REGISTRY_NEEDED
from pykyverno.engine.loader import load_documents
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import RuleResult

POLICY = """
apiVersion: policies.kyverno.io/v1beta1
kind: ImageValidatingPolicy
metadata: {name: registries}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  matchImageReferences:
  - glob: "ghcr.io/*"
  - expression: "ref.startsWith('registry.example.com/')"
  validations:
  - expression: "images.containers.all(i, i.contains(':') && !i.endsWith(':latest'))"
    message: images must be pinned
"""


def load(text: str) -> PolicySet:
    policies = load_documents(parse_documents(text))
    assert not policies.issues, policies.issues
    return policies


def pod(*images: str) -> dict[str, Any]:
    containers = [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": containers}}


def deployment(*images: str) -> dict[str, Any]:
    template = pod(*images)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "default"},
            "spec": {"template": {"metadata": {}, "spec": template["spec"]}}}


def evaluate(policies: PolicySet, obj: dict[str, Any]) -> list[RuleResult]:
    ctx = AdmissionContext(object=obj)
    return [r for r in (p.evaluate(ctx) for p in policies.policies) if r is not None]


def test_only_matching_images_are_validated() -> None:
    policies = load(POLICY)
    [ok] = evaluate(policies, pod("ghcr.io/org/app:1.0", "docker.io/nginx:latest"))
    assert ok.result == "pass" and ok.policy_kind == "ImageValidatingPolicy"
    [bad] = evaluate(policies, pod("registry.example.com/app:latest"))
    assert (bad.result, bad.message) == ("fail", "images must be pinned")
    assert evaluate(policies, pod("docker.io/nginx:latest")) == []


def test_autogen_applies_to_pod_controllers() -> None:
    [result] = evaluate(load(POLICY), deployment("ghcr.io/org/app:latest"))
    assert result.result == "fail"


SIGNED = """
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: {name: signed}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  attestors:
  - name: notary
    notary: {certs: {value: "-----BEGIN CERTIFICATE-----"}}
  validations:
  - expression: "images.containers.map(i, verifyImageSignatures(i, [attestors.notary])).all(n, n > 0) || true"
"""


def test_signature_checks_report_an_error_offline_even_when_absorbed() -> None:
    [result] = evaluate(load(SIGNED), pod("ghcr.io/org/app:1.0"))
    assert result.result == "error" and REGISTRY_NEEDED in result.message


EXTRACTORS = """
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: {name: data}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  images:
  - {name: all, expression: "object.spec.containers.map(c, c.image)"}
  validations:
  - expression: "images.all.all(i, getImageData(i).config.config.User != 'root')"
    message: images must not run as root
"""


def test_image_data_from_the_context() -> None:
    policies = load(EXTRACTORS)
    data = OfflineImageData([{"image": "ghcr.io/org/app:1.0", "config": {"config": {"User": "root"}}},
                             {"image": "ghcr.io/org/ok:1.0", "config": {"config": {"User": "1000"}}}])
    with using_providers(Providers(image_data=data)):
        [bad] = evaluate(policies, pod("ghcr.io/org/app:1.0"))
        [good] = evaluate(policies, pod("ghcr.io/org/ok:1.0"))
        [unknown] = evaluate(policies, pod("ghcr.io/org/other:1.0"))
    assert bad.result == "fail" and good.result == "pass" and unknown.result == "error"


def test_reference_needs_glob_or_expression() -> None:
    policies = load_documents(parse_documents(POLICY.replace('- glob: "ghcr.io/*"', "- {}")))
    assert policies.policies == [] and policies.issues[0].path == "spec.matchImageReferences[0]"
