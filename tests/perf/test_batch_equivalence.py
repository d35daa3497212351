"""Scans evaluate batchable policies with one program per group (``engine/common/batch.py``): on a large generated
snapshot, with policies that fail, carry message expressions, are excused by exceptions, select by namespace or
object labels, have match conditions (false, true, erroring), make the batch program err, and are not batchable at
all, the scan gives exactly the results of evaluating every (object, policy) pair one by one, in the same order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.workload import NAMESPACES, generate_pods
from pykyverno.engine.common.batch import TypeBatch, batch_blocker, batch_source
from pykyverno.engine.common.validations import ValidatingPipeline
from pykyverno.engine.index import PolicyIndex
from pykyverno.engine.request import AdmissionContext
from pykyverno.server.core.policies import resolve_policies
from pykyverno.server.scan import Scanner, ScanRequest, SnapshotSource
from pykyverno.server.scan.runner import SCAN_OPTIONS

PODS = 2500


def _vpol(name: str, spec: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    constraints = {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                                      "resources": ["pods"]}]}
    spec = {"validationActions": ["Audit"], "matchConstraints": constraints, **spec}
    spec["matchConstraints"] = {**constraints, **spec["matchConstraints"]}
    return {"apiVersion": "policies.kyverno.io/v1", "kind": "ValidatingPolicy",
            "metadata": {"name": name, "annotations": annotations or {}}, "spec": spec}


def _check(expression: str, message: str = "", message_expression: str = "") -> dict[str, str]:
    check = {"expression": expression}
    if message:
        check["message"] = message
    if message_expression:
        check["messageExpression"] = message_expression
    return check


FIRST_PORT = "object.spec.containers[0].ports[0].containerPort > 0"

#: Extra policies, each with a shape the batch must get right.
EXTRA = [
    # Fails on many Pods, message from a messageExpression reading a variable; two validations (order kept).
    _vpol("images-pinned", {
        "variables": [{"name": "containers", "expression": "object.spec.containers"},
                      {"name": "unpinned", "expression": "variables.containers.filter(c, !c.image.contains('@'))"}],
        "validations": [
            _check("size(variables.containers) > 0", "no containers"),
            _check("size(variables.unpinned) == 0", message_expression="'unpinned: ' + "
                   "variables.unpinned.map(c, c.name).join(', ')"),
        ]}, {"policies.kyverno.io/severity": "low", "policies.kyverno.io/scored": "false"}),
    # A messageExpression that errs (falls back to the static message) and one that gives a blank string.
    _vpol("labels-required", {"validations": [
        _check("has(object.metadata.labels) && 'team' in object.metadata.labels", "team label missing",
               "object.metadata.nosuch.value"),
        _check("object.metadata.labels.size() < 50", message_expression="'  '")]}),
    # namespaceSelector (namespace labels) and objectSelector (object labels).
    _vpol("prod-only-readonly", {
        "matchConstraints": {"namespaceSelector": {"matchLabels": {"env": "prod"}},
                             "objectSelector": {"matchExpressions": [{"key": "team", "operator": "Exists"}]}},
        "validations": [_check("object.spec.containers.all(c, c.?securityContext.?readOnlyRootFilesystem"
                               ".orValue(false))", "root filesystem must be read-only")]}),
    # matchConditions: false for most Pods, true for some; the validation reads a variable the condition reads too.
    _vpol("monitoring-limits", {
        "variables": [{"name": "ns", "expression": "object.metadata.namespace"}],
        "matchConditions": [{"name": "monitoring", "expression": "variables.ns.startsWith('monitoring')"},
                            {"name": "has-spec", "expression": "has(object.spec)"}],
        "validations": [_check("object.spec.containers.all(c, has(c.resources.limits))", "limits required")]}),
    # A match condition that errs on some objects, under failurePolicy Ignore (no result) and Fail (an error).
    _vpol("ignore-erroring-condition", {
        "failurePolicy": "Ignore",
        "matchConditions": [{"name": "first-port", "expression": FIRST_PORT}],
        "validations": [_check("true")]}),
    _vpol("fail-erroring-condition", {
        "matchConditions": [{"name": "first-port", "expression": FIRST_PORT}],
        "validations": [_check("object.spec.containers.size() < 10")]}),
    # A validation that errs on Pods without ports (the whole batch program errs there) and one returning a string.
    _vpol("ports-named", {"validations": [
        _check("object.spec.containers.all(c, c.ports.all(p, p.name != ''))", "ports must be named")]}),
    _vpol("returns-string", {"validations": [_check("object.metadata.name")]}),
    # The stale-slot shape: a short-circuiting comprehension, then a variable first read afterwards.
    _vpol("stale-slot", {
        "variables": [{"name": "containers", "expression": "object.spec.containers"}],
        "validations": [_check("object.spec.volumes.all(v, !has(v.hostPath)) || size(variables.containers) > 0",
                               "never fails")]}),
    # Excused by a PolicyException for some Pods (not batchable while the exception exists).
    _vpol("no-latest", {"validations": [_check("object.spec.containers.all(c, !c.image.endsWith(':latest') && "
                                               "c.image.contains(':'))", "pin a tag")]}),
    # Not batchable: auditAnnotations; and a policy reading the clock.
    _vpol("annotated", {"auditAnnotations": [{"key": "containers", "valueExpression":
                                              "string(size(object.spec.containers))"}],
                        "validations": [_check("size(object.spec.containers) < 3", "too many containers")]}),
    _vpol("clock", {"validations": [_check("time.now() > timestamp('2020-01-01T00:00:00Z') && "
                                           "object.spec.containers.all(c, c.name.size() < 12)", "long name")]}),
]

EXCEPTION = {
    "apiVersion": "policies.kyverno.io/v1", "kind": "PolicyException",
    "metadata": {"name": "busybox-ok", "namespace": "kube-system"},
    "spec": {"policyRefs": [{"name": "no-latest", "kind": "ValidatingPolicy"}],
             "matchConditions": [{"name": "busybox", "expression":
                                  "object.spec.containers.exists(c, c.image.startsWith('busybox'))"}]},
}


def _namespaces() -> list[dict[str, Any]]:
    return [{"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": name, "labels": {"env": "prod" if i % 3 == 0 else "dev"}}}
            for i, name in enumerate(NAMESPACES)]


def _pods() -> list[dict[str, Any]]:
    pods = generate_pods(PODS, seed=11)
    for i, pod in enumerate(pods):
        if i % 7 == 0:
            pod["metadata"].setdefault("labels", {})["team"] = "a"
        if i % 11 == 0:
            pod["spec"]["containers"][0]["ports"] = [{"containerPort": 8080, "name": "" if i % 22 else "http"}]
        if i % 13 == 0:
            pod["spec"]["containers"][0]["image"] = "busybox:latest"
    return pods


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("batch")
    snapshot = directory / "snapshot.json"
    snapshot.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": _namespaces() + _pods()}))
    policy_file = directory / "policies.yaml"
    policy_file.write_text(yaml.safe_dump_all([*EXTRA, EXCEPTION], sort_keys=False))
    return snapshot, policy_file


def _per_pair(snapshot: Path, policy_files: list[str]) -> list[dict[str, Any]]:
    """Every object against every policy, one evaluation at a time, as the scanner ordered them before batches."""
    policies = resolve_policies(["pod-security-restricted"], policy_files)
    scanner = Scanner(policies.policies, policies.exceptions)
    items = json.loads(snapshot.read_text())["items"]
    namespaces = {o["metadata"]["name"]: o for o in items if o["kind"] == "Namespace"}
    index = PolicyIndex(scanner.policies)
    out = []
    for obj in items:
        if obj["kind"] != "Pod":
            continue
        ctx = AdmissionContext(operation="CREATE", object=obj, plural="pods",
                               namespace_object=namespaces.get(obj["metadata"]["namespace"]))
        for policy in index.for_type("", "v1", "pods"):
            result = policy.evaluate(ctx, policies.exceptions, SCAN_OPTIONS)
            if result is not None:
                out.append(result.to_report())
    return out


def test_batched_scan_gives_the_per_pair_results_in_order(setup: tuple[Path, Path]) -> None:
    snapshot, policy_file = setup
    policies = resolve_policies(["pod-security-restricted"], [str(policy_file)])
    scanner = Scanner(policies.policies, policies.exceptions)
    blocked = {p.name: batch_blocker(p, policies.exceptions) for p in scanner.policies}
    assert blocked["no-latest"] == "a PolicyException refers to it"
    assert blocked["annotated"] == "it has auditAnnotations"
    assert blocked["clock"] == "an expression may read the world outside the object"
    assert sum(not reason for reason in blocked.values()) == 17 + len(EXTRA) - 3  # the rest are batched
    report = scanner.scan([("s", lambda: SnapshotSource(snapshot))], ScanRequest(snapshot=str(snapshot)))
    results = [r.to_report() for r in report.clusters[0].results]
    expected = _per_pair(snapshot, [str(policy_file)])
    outcomes = {r["result"] for r in expected}
    assert {"pass", "fail", "warn", "error", "skip"} <= outcomes  # every path was taken
    messages = {r["message"] for r in expected if r["policy"] == "images-pinned"}
    assert any(m.startswith("unpinned: ") for m in messages)
    assert "team label missing" in {r["message"] for r in expected}
    assert {r["policy"] for r in expected} >= {"prod-only-readonly", "monitoring-limits", "fail-erroring-condition"}
    assert len(results) == len(expected)
    assert results == expected


def test_batches_of_only_batchable_policies_prune_the_object_and_give_the_per_pair_results(
    setup: tuple[Path, Path],
) -> None:
    snapshot, _ = setup
    policies = resolve_policies(["pod-security-restricted"], [])
    scanner = Scanner(policies.policies, policies.exceptions)
    pod_policies = PolicyIndex(scanner.policies).for_type("", "v1", "pods")
    fields = TypeBatch(pod_policies, []).fields
    validating = [p for p in pod_policies if isinstance(p, ValidatingPipeline)]
    source = batch_source(validating)  # one program, messages included, compiles for the whole set
    assert source is not None and "dyn([" in source
    validating[0].env.compile(source)
    assert fields is not None  # the activation holds pruned copies
    obj_fields, metadata = fields["object"], (fields["object"] or {}).get("metadata")
    assert obj_fields is not None and metadata is not None
    assert "status" not in obj_fields and "managedFields" not in metadata
    report = scanner.scan([("s", lambda: SnapshotSource(snapshot))], ScanRequest(snapshot=str(snapshot)))
    results = [r.to_report() for r in report.clusters[0].results]
    expected = _per_pair(snapshot, [])
    assert {r["result"] for r in expected} == {"pass", "fail"}
    assert results == expected
