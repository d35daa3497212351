"""ImageValidatingPolicy, everything that needs no registry (issue 14, class 6), written from Kyverno's documentation
of the kind: image references in validations, ``matchImageReferences`` (globs and ``ref`` expressions), the default
and custom image extractors, attestor and attestation declarations, image data from a Context file (through a Test
file, as ``kyverno test`` reads it), PolicyExceptions with ``images``, and the registry-bound functions that must
report an error offline, never a pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.ivpol.imageverify import REGISTRY_NEEDED
from pykyverno.engine.loader import load_documents
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import RuleResult
from pykyverno.server.testrunner import parse_test_file, run_test

DIGEST = "sha256:" + "ab" * 32


def policy(name: str, body: str, header: str = "") -> str:
    return f"""
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: {{name: {name}}}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - {{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}}
{header}{body}"""


def load(text: str) -> PolicySet:
    policies = load_documents(parse_documents(text))
    assert not policies.issues, [str(i) for i in policies.issues]
    return policies


def pod(*images: str, init: tuple[str, ...] = ()) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]}
    if init:
        spec["initContainers"] = [{"name": f"i{i}", "image": image} for i, image in enumerate(init)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}, "spec": spec}


def evaluate(policies: PolicySet, obj: dict[str, Any]) -> list[RuleResult]:
    ctx = AdmissionContext(object=obj)
    options = EvaluationOptions()
    results = (p.evaluate(ctx, policies.exceptions, options) for p in policies.policies if not p.autogen)
    return [r for r in results if r is not None]


def verdict(policies: PolicySet, obj: dict[str, Any]) -> str:
    results = evaluate(policies, obj)
    return "none" if not results else results[0].result


# -- image references in validations -----------------------------------------------------------------------------

PINNED = policy("pinned", """  validations:
  - expression: >
      images.containers.all(i, parseImageReference(i).containsDigest() &&
        parseImageReference(i).registry() in ['ghcr.io', 'registry.example.com:5000'])
    message: images must come from an allowed registry, pinned by digest
""")


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (f"ghcr.io/org/app@{DIGEST}", "pass"),
        (f"ghcr.io/org/app:1.0@{DIGEST}", "pass"),
        (f"registry.example.com:5000/team/app@{DIGEST}", "pass"),
        ("ghcr.io/org/app:1.0", "fail"),
        (f"nginx@{DIGEST}", "fail"),  # docker.io by default
        (f"docker.io/library/nginx@{DIGEST}", "fail"),
    ],
)
def test_image_references_in_validations(image: str, expected: str) -> None:
    assert verdict(load(PINNED), pod(image)) == expected


# -- matchImageReferences -----------------------------------------------------------------------------------------

MATCHED = policy("matched", """  matchImageReferences:
  - glob: "ghcr.io/org/*"
  - expression: "ref.startsWith('registry.example.com/') && ref.endsWith(':latest')"
  validations:
  - expression: "images.containers.all(i, !i.endsWith(':latest')) && images.initContainers.all(i, i.contains(':'))"
    message: no latest tags
""")


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (pod("ghcr.io/org/app:1.0"), "pass"),
        (pod("ghcr.io/org/team/app:latest"), "fail"),  # a glob's * crosses path separators
        (pod("registry.example.com/app:latest"), "fail"),  # selected by the expression
        (pod("registry.example.com/app:1.0"), "none"),  # selected by neither: the policy does not apply
        (pod("docker.io/nginx:latest"), "none"),
        (pod("docker.io/nginx:latest", "ghcr.io/org/app:1.0"), "pass"),  # only selected images are validated
        (pod("ghcr.io/org/app:1.0", init=("ghcr.io/org/init",)), "fail"),  # init containers too
    ],
)
def test_match_image_references_select_the_images(obj: dict[str, Any], expected: str) -> None:
    assert verdict(load(MATCHED), obj) == expected


def test_images_a_validation_sees_are_the_selected_ones() -> None:
    text = policy("sizes", """  matchImageReferences:
  - glob: "ghcr.io/*"
  validations:
  - expression: "size(images.containers) == 1 && images.containers[0] == 'ghcr.io/a/b:1'"
""")
    assert verdict(load(text), pod("docker.io/x:1", "ghcr.io/a/b:1", "quay.io/y:2")) == "pass"


# -- custom image extractors --------------------------------------------------------------------------------------

EXTRACTED = """
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: {name: task-images}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [ci.example.com], apiVersions: [v1], operations: [CREATE], resources: [tasks]}
  images:
  - {name: steps, expression: "object.spec.steps.map(s, s.image)"}
  - {name: runner, expression: "object.spec.runner"}
  validations:
  - expression: "(images.steps + images.runner).all(i, parseImageReference(i).registry() == 'ghcr.io')"
"""


def task(runner: str, *steps: str) -> dict[str, Any]:
    return {"apiVersion": "ci.example.com/v1", "kind": "Task", "metadata": {"name": "t", "namespace": "ci"},
            "spec": {"runner": runner, "steps": [{"image": s} for s in steps]}}


def test_custom_extractors_name_lists_of_images() -> None:
    policies = load(EXTRACTED)
    assert verdict(policies, task("ghcr.io/ci/runner:1", "ghcr.io/ci/build:1", "ghcr.io/ci/test:1")) == "pass"
    assert verdict(policies, task("ghcr.io/ci/runner:1", "docker.io/library/alpine:3")) == "fail"
    assert verdict(policies, task("quay.io/runner:1")) == "fail"  # a single string is a list of one


def test_an_extractor_that_fails_is_an_error() -> None:
    [result] = evaluate(load(EXTRACTED), {**task("ghcr.io/r:1"), "spec": {"runner": "ghcr.io/r:1"}})
    assert result.result == "error" and "extracting images" in result.message


# -- attestors and attestations -----------------------------------------------------------------------------------

DECLARED = policy("declared", """  attestors:
  - name: cosign
    cosign:
      key: {data: "-----BEGIN PUBLIC KEY-----"}
  - name: notary
    notary: {certs: {value: "-----BEGIN CERTIFICATE-----"}}
  attestations:
  - name: sbom
    referrer: {type: "sbom/cyclone-dx"}
  - name: provenance
    intoto: {type: "https://slsa.dev/provenance/v0.2"}
  validations:
  - expression: >
      attestors.cosign.name == 'cosign' && has(attestors.cosign.cosign.key) && has(attestors.notary.notary) &&
      attestations.sbom.referrer.type == 'sbom/cyclone-dx' && attestations.provenance.intoto.type.startsWith('https://')
""")


def test_attestor_and_attestation_declarations_are_readable_by_name() -> None:
    assert verdict(load(DECLARED), pod("ghcr.io/org/app:1.0")) == "pass"


@pytest.mark.parametrize(
    "call",
    [
        "verifyImageSignatures(i, [attestors.cosign])",
        "verifyAttestationSignatures(i, attestations.sbom, [attestors.cosign])",
        "size(extractPayload(i, attestations.sbom))",
    ],
)
def test_registry_bound_checks_are_errors_offline(call: str) -> None:
    head = "  validations:\n  - expression: >\n"
    text = DECLARED.replace(head, f"{head}      images.containers.all(i, {call} > 0) ||\n", 1)
    [result] = evaluate(load(text), pod("ghcr.io/org/app:1.0"))
    assert result.result == "error" and REGISTRY_NEEDED in result.message


# -- exceptions with images ---------------------------------------------------------------------------------------

EXCEPTED = policy("signed-or-excepted", """  attestors:
  - name: notary
    notary: {certs: {value: "-----BEGIN CERTIFICATE-----"}}
  validations:
  - expression: "images.containers.all(i, i in exceptions.allowedImages)"
    message: unsigned image
""") + """
---
apiVersion: policies.kyverno.io/v1
kind: PolicyException
metadata: {name: legacy-images, namespace: default}
spec:
  policyRefs:
  - {name: signed-or-excepted, kind: ImageValidatingPolicy}
  images: ["ghcr.io/org/legacy:1.0"]
"""


def test_exception_images_are_exposed_as_allowed_images() -> None:
    policies = load(EXCEPTED)
    assert verdict(policies, pod("ghcr.io/org/legacy:1.0")) == "pass"
    assert verdict(policies, pod("ghcr.io/org/legacy:1.0", "ghcr.io/org/new:2.0")) == "fail"


# -- image data from a Context file, through a Test file ----------------------------------------------------------

IMAGE_DATA = policy("no-root-images", """  validations:
  - expression: >
      images.containers.all(i, image.GetMetadata(i).config.config.User != 'root' &&
        getImageData(i).resolvedImage.contains('@sha256:'))
    message: images must not run as root
""")


def test_image_data_from_a_test_context_file(tmp_path: Path) -> None:
    context = {
        "apiVersion": "cli.kyverno.io/v1alpha1",
        "kind": "Context",
        "metadata": {"name": "images"},
        "spec": {"images": [
            {"image": "ghcr.io/org/app:1.0", "resolvedImage": f"ghcr.io/org/app:1.0@{DIGEST}",
             "config": {"config": {"User": "1000"}}},
            {"image": "ghcr.io/org/root:1.0", "resolvedImage": f"ghcr.io/org/root@{DIGEST}",
             "config": {"config": {"User": "root"}}},
        ]},
    }
    pods = [pod("ghcr.io/org/app:1.0"), pod("ghcr.io/org/root:1.0"), pod("ghcr.io/org/unknown:1.0")]
    for obj, name in zip(pods, ("good", "root", "unknown"), strict=True):
        obj["metadata"]["name"] = name
    test = {
        "apiVersion": "cli.kyverno.io/v1alpha1",
        "kind": "Test",
        "metadata": {"name": "image-data"},
        "policies": ["policy.yaml"],
        "resources": ["pods.yaml"],
        "context": "context.yaml",
        "results": [
            {"policy": "no-root-images", "kind": "Pod", "resources": ["good"], "result": "pass",
             "isImageValidatingPolicy": True},
            {"policy": "no-root-images", "kind": "Pod", "resources": ["root"], "result": "fail"},
            {"policy": "no-root-images", "kind": "Pod", "resources": ["unknown"], "result": "error"},
        ],
    }
    (tmp_path / "policy.yaml").write_text(IMAGE_DATA)
    (tmp_path / "pods.yaml").write_text(yaml.safe_dump_all(pods))
    (tmp_path / "context.yaml").write_text(yaml.safe_dump(context))
    (tmp_path / "kyverno-test.yaml").write_text(yaml.safe_dump(test))
    [run] = [run_test(t) for t in parse_test_file(tmp_path / "kyverno-test.yaml")]
    assert not run.issues
    assert [(o.resource, o.actual, o.passed) for o in run.outcomes] == [
        ("good", "pass", True), ("root", "fail", True), ("unknown", "error", True),
    ]
    assert {o.policy_kind for o in run.outcomes} == {"ImageValidatingPolicy"}
