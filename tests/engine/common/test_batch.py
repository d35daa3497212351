"""Batches of policies (``engine/common/batch.py``): which policies may join, what a batch program answers, and that
its answers are those of per-pair evaluation, including the shape cel-cpp's stale-slot problem would break."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import yaml

from pykyverno.engine.common import batch
from pykyverno.engine.common.batch import (
    NOT_MATCHED,
    PASSED,
    SHARED_RESOURCE,
    TypeBatch,
    batch_blocker,
    batch_source,
)
from pykyverno.engine.common.expressions import BoundProgram
from pykyverno.engine.common.kind import CompiledPolicy
from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.common.validations import ValidatingPipeline
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import ResourceRef

RULES = [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}]


def vpol(name: str, spec: dict[str, Any], kind: str = "ValidatingPolicy") -> dict[str, Any]:
    spec = {"matchConstraints": {"resourceRules": RULES}, **spec}
    return {"apiVersion": "policies.kyverno.io/v1", "kind": kind, "metadata": {"name": name, "namespace": "ns"},
            "spec": spec}


def load(*documents: dict[str, Any]) -> PolicySet:
    loaded = load_documents(parse_documents(yaml.safe_dump_all(documents), "inline.yaml"))
    assert not loaded.issues, [str(i) for i in loaded.issues]
    return loaded


def one(document: dict[str, Any]) -> CompiledPolicy:
    return next(p for p in load(document).policies if not p.autogen)


CHECK = [{"expression": "object.spec.containers.size() > 0"}]


def test_a_plain_validating_policy_is_batchable() -> None:
    assert batch_blocker(one(vpol("plain", {"validations": CHECK}))) == ""
    namespaced = one(vpol("plain", {"validations": CHECK}, "NamespacedValidatingPolicy"))
    assert batch_blocker(namespaced) == ""


@pytest.mark.parametrize(("spec", "reason"), [
    ({"auditAnnotations": [{"key": "k", "valueExpression": "'v'"}]}, "it has auditAnnotations"),
    ({"variables": [{"name": "a", "expression": "1"}],
      "validations": [{"expression": "variables['a'] == 1"}, {"expression": "variables[object.kind] == 1"}]},
     "an expression reads variables dynamically"),
    ({"validations": [{"expression": "has(resource.Get('v1', 'pods', 'ns', 'x').metadata)"}]},
     "an expression may read the world outside the object"),
    ({"validations": [{"expression": "true", "messageExpression": "string(time.now())"}]},
     "an expression may read the world outside the object"),
    ({"variables": [{"name": "cm", "expression": "globalContext.Get('entry', '')"}]},
     "an expression may read the world outside the object"),
    ({"validations": [{"expression": "[1].all(pkv_b0, pkv_b0 > 0)"}]},
     "an expression uses an identifier starting with pkv_b"),
    ({"matchConstraints": {"resourceRules": [{**RULES[0], "resourceNames": ["web"]}]}},
     "its matchConstraints name resources or scopes"),
    ({"evaluation": {"mode": "JSON"}, "matchConstraints": None}, "it evaluates JSON/HTTP/Envoy payloads"),
])
def test_what_keeps_a_policy_out_of_batches(spec: dict[str, Any], reason: str) -> None:
    spec = {"validations": CHECK, **spec}
    if spec.get("matchConstraints", {}) is None:
        del spec["matchConstraints"]
        document = {"apiVersion": "policies.kyverno.io/v1", "kind": "ValidatingPolicy", "metadata": {"name": "p"},
                    "spec": spec}
    else:
        document = vpol("p", spec)
    assert batch_blocker(one(document)) == reason


GET = "('v1', 'configmaps', 'ns', 'allowed').data.ok == 'yes' || object.metadata.name == 'p'"


@pytest.mark.parametrize("expression", [
    "resource.Get" + GET,  # the plain form
    "resource.Get// the allow-list\n" + GET,  # a comment between the name and the parenthesis
    "resource// a\n.// b\nGet" + GET,
    "resource\n  .  Get\n\t" + GET,  # spacing and line breaks
    "resource.get" + GET,
])
def test_a_world_reading_call_keeps_the_policy_out_however_it_is_written(expression: str) -> None:
    policy = one(vpol("p", {"validations": [{"expression": expression}]}))
    assert batch_blocker(policy) == "an expression may read the world outside the object"


def test_a_world_function_name_in_a_string_or_comment_is_no_call() -> None:
    expression = "'resource.Get(' != object.metadata.name // resource.Get(\n"
    assert batch_blocker(one(vpol("p", {"validations": [{"expression": expression}]}))) == ""


def test_an_exception_that_refers_to_the_policy_keeps_it_out() -> None:
    exception = {"apiVersion": "policies.kyverno.io/v1", "kind": "PolicyException",
                 "metadata": {"name": "e", "namespace": "ns"},
                 "spec": {"policyRefs": [{"name": "p", "kind": "ValidatingPolicy"}],
                          "matchConditions": [{"name": "all", "expression": "true"}]}}
    loaded = load(vpol("p", {"validations": CHECK}), exception)
    policy = next(p for p in loaded.policies if not p.autogen)
    assert batch_blocker(policy, loaded.exceptions) == "a PolicyException refers to it"
    assert batch_blocker(policy) == ""


def test_other_kinds_are_evaluated_one_by_one() -> None:
    mutating = {"apiVersion": "policies.kyverno.io/v1", "kind": "MutatingPolicy", "metadata": {"name": "m"},
                "spec": {"matchConstraints": {"resourceRules": RULES},
                         "mutations": [{"patchType": "JSONPatch", "jsonPatch": {"expression": "[]"}}]}}
    assert batch_blocker(one(mutating)) == "MutatingPolicy policies are evaluated one by one"


def _verdicts(policies: list[CompiledPolicy], obj: dict[str, Any]) -> list[Any]:
    validating = [p for p in policies if isinstance(p, ValidatingPipeline)]
    source = batch_source(validating)
    assert source is not None
    program = validating[0].env.compile(source)
    ctx = AdmissionContext(operation="CREATE", object=obj, plural="pods")
    return list(program.evaluate(validating[0].shared_activation(ctx)))  # type: ignore[attr-defined]


STALE_SLOT_POD: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
                  "spec": {"volumes": [{"name": "a"}, {"name": "b", "hostPath": {}}, {"name": "c"}],
                           "containers": [{"name": "x"}, {"name": "y"}]}}


def test_a_variable_read_after_a_short_circuited_comprehension_gets_its_own_value() -> None:
    # cel-cpp 0.1.3 gives a binding entered after an `all` that stopped early the comprehension's slot value; the
    # batch binds every variable outermost, so the second policy sees its containers, not the volume "c".
    first = one(vpol("no-host-path", {"validations": [{"expression": "object.spec.volumes.all(v, !has(v.hostPath))"}]}))
    second = one(vpol("two-containers", {
        "variables": [{"name": "b", "expression": "object.spec.containers"}],
        "validations": [{"expression": "size(variables.b) == 2 && variables.b[0].name == 'x'"}]}))
    written = one(vpol("user-bind", {"validations": [{
        "expression": "object.spec.volumes.all(v, !has(v.hostPath)) || cel.bind(b, object.spec.containers, "
                      "size(b) == 2)"}]}))
    assert _verdicts([first, second, written], STALE_SLOT_POD) == [0, PASSED, PASSED]
    ctx = AdmissionContext(operation="CREATE", object=STALE_SLOT_POD, plural="pods")
    assert [p.evaluate(ctx).result for p in (first, second, written)] == ["fail", "pass", "pass"]  # type: ignore[union-attr]


def test_verdicts_keep_each_policys_order_and_match_conditions() -> None:
    policy = one(vpol("ordered", {
        "variables": [{"name": "names", "expression": "object.spec.containers.map(c, c.name)"}],
        "matchConditions": [{"name": "has-containers", "expression": "size(object.spec.containers) > 0"}],
        "validations": [{"expression": "'x' in variables.names"}, {"expression": "size(variables.names) == 1"},
                        {"expression": "1 / 0 == 1"}]}))
    assert _verdicts([policy], STALE_SLOT_POD) == [1]  # stops at the first false: the division is never reached
    empty = {**STALE_SLOT_POD, "spec": {"containers": []}}
    assert _verdicts([policy], empty) == [NOT_MATCHED]


def test_a_type_batch_gives_what_each_policy_gives() -> None:
    loaded = load(
        vpol("no-host-path", {"validations": [{"expression": "object.spec.volumes.all(v, !has(v.hostPath))",
                                               "messageExpression": "'host path in ' + object.metadata.name"}]}),
        vpol("errs", {"validations": [{"expression": "object.spec.nosuch.size() > 0"}]}),
        vpol("selected", {"matchConstraints": {"resourceRules": RULES,
                                               "objectSelector": {"matchLabels": {"app": "web"}}},
                          "validations": [{"expression": "false", "message": "selected"}]}),
        vpol("annotated", {"auditAnnotations": [{"key": "k", "valueExpression": "'v'"}], "validations": CHECK}),
    )
    policies = [p for p in loaded.policies if not p.autogen]
    type_batch = TypeBatch(policies, loaded.exceptions)
    assert len(type_batch.batchable) == 3
    options = EvaluationOptions(report_unanswered=True)
    for labels in ({}, {"app": "web"}):
        obj = {**STALE_SLOT_POD, "metadata": {**STALE_SLOT_POD["metadata"], "labels": labels}}
        ctx = AdmissionContext(operation="CREATE", object=obj, plural="pods")
        batched = [(p.name, r) for p, r in type_batch.evaluate(ctx, options)]
        plain_ctx = AdmissionContext(operation="CREATE", object=obj, plural="pods")
        plain = [(p.name, p.evaluate(plain_ctx, loaded.exceptions, options)) for p in policies]
        shared = [(name, r) for name, r in batched if r.resource is SHARED_RESOURCE]
        assert [r.result for _, r in shared] == ["pass"] * len(shared)
        batched = [(name, r if r.resource is not SHARED_RESOURCE else replace(r, resource=ResourceRef.of(obj)))
                   for name, r in batched]
        assert batched == [(name, r) for name, r in plain if r is not None]
        assert [r.result for _, r in batched][:2] == ["fail", "error"]


@pytest.mark.parametrize("program_sets", [1, 4])
def test_groups_beyond_the_program_sets_share_the_types_program(
    monkeypatch: pytest.MonkeyPatch, program_sets: int
) -> None:
    monkeypatch.setattr(batch, "MAX_PROGRAM_SETS", program_sets)
    documents = [vpol("cluster-wide", {"validations": [{"expression": "size(object.spec.containers) < 2",
                                                        "message": "one container"}]})]
    for namespace in ("a", "b", "c"):
        document = vpol(f"only-{namespace}", {"validations": [
            {"expression": f"object.metadata.name != 'bad-{namespace}'", "message": "bad"}]},
            "NamespacedValidatingPolicy")
        document["metadata"]["namespace"] = namespace
        documents.append(document)
    loaded = load(*documents)
    policies = [p for p in loaded.policies if not p.autogen]
    type_batch = TypeBatch(policies, [])
    assert len(type_batch.batchable) == 4
    options = EvaluationOptions(report_unanswered=True)
    for namespace in ("a", "b", "c", "d"):
        for name in ("ok", f"bad-{namespace}"):
            obj = {**STALE_SLOT_POD, "metadata": {"name": name, "namespace": namespace}}
            got = [(p.name, r.result) for p, r in type_batch.evaluate(
                AdmissionContext(operation="CREATE", object=obj, plural="pods"), options)]
            plain_ctx = AdmissionContext(operation="CREATE", object=obj, plural="pods")
            plain = [(p.name, p.evaluate(plain_ctx, [], options)) for p in policies]
            assert got == [(name, r.result) for name, r in plain if r is not None]
    assert len(type_batch._programs) == min(program_sets, 4) + (program_sets < 4)


def test_a_policy_whose_own_pipeline_reads_variables_as_written_stays_out() -> None:
    policy = one(vpol("p", {"variables": [{"name": "n", "expression": "object.metadata.name"}],
                            "validations": [{"expression": "variables.n != ''"}]}))
    assert isinstance(policy, ValidatingPipeline) and batch_blocker(policy) == ""
    [validation] = policy.validations
    assert isinstance(validation.program, BoundProgram)
    as_written = replace(validation, program=BoundProgram(validation.program.program, None))
    reason = batch_blocker(replace(policy, validations=(as_written,)))
    assert reason == "an expression reads its variables as written, not bound inline"


BAD_LABELS_POD: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod",
                                  "metadata": {"name": "p", "namespace": "ns", "labels": [1, 2]},
                                  "spec": {"containers": [{"name": "x"}]}}


@pytest.mark.parametrize(("selector", "obj", "namespace", "field"), [
    ("objectSelector", BAD_LABELS_POD, None, "the object: metadata.labels is not a map"),
    ("namespaceSelector", STALE_SLOT_POD, {"metadata": "ns"}, "namespace ns: metadata is not a map"),
    ("namespaceSelector", STALE_SLOT_POD, {"metadata": {"name": "ns", "labels": "env=prod"}},
     "namespace ns: metadata.labels is not a map"),
])
def test_labels_that_are_not_a_map_give_an_error_naming_the_field(
    selector: str, obj: dict[str, Any], namespace: dict[str, Any] | None, field: str
) -> None:
    loaded = load(
        vpol("selected", {"matchConstraints": {"resourceRules": RULES, selector: {"matchLabels": {"app": "web"}}},
                          "validations": [{"expression": "true"}]}),
        vpol("unselected", {"validations": [{"expression": "true"}]}),
    )
    policies = [p for p in loaded.policies if not p.autogen]
    type_batch = TypeBatch(policies, loaded.exceptions)
    assert len(type_batch.batchable) == 2
    options = EvaluationOptions()
    ctx = AdmissionContext(operation="CREATE", object=obj, plural="pods", namespace_object=namespace)
    batched = [(p.name, r.result, r.message) for p, r in type_batch.evaluate(ctx, options)]
    plain = [(p.name, r.result, r.message) for p in policies
             if (r := p.evaluate(ctx, loaded.exceptions, options)) is not None]
    expected = [("selected", "error", f"cannot match the policy's selectors: {field}"), ("unselected", "pass", "")]
    assert [(name, result) for name, result, _ in plain] == [(name, result) for name, result, _ in expected]
    assert plain[0] == expected[0]
    assert [(name, result) for name, result, _ in batched] == [(name, result) for name, result, _ in expected]
    assert batched[0] == expected[0]
