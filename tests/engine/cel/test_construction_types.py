"""``Object{...}`` and ``JSONPatch{...}`` type as cel-go types them: by their message type, whatever fields they set.

In Kubernetes' and Kyverno's MutatingPolicy environments, ``Object``, ``Object.spec``, ... and ``JSONPatch`` are
message types (every ``Object`` field is ``dyn``). Two constructions of the same type unify wherever values meet --
ternary branches, list literal elements, ``+`` operands, comprehension results, ``==`` -- however different the
fields they set. A bare map literal would carry its structural type and make cel-cpp refuse the overload.
"""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cel import environment_for
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents
from pykyverno.engine.request import AdmissionContext

JOB = {"kind": "Job", "spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}}}
CRONJOB = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}}
POD = {"kind": "Pod", "spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}}

PER_KIND = (
    'object.kind == "Job"'
    " ? Object{spec: Object.spec{template: Object.spec.template{metadata: Object.spec.template.metadata{"
    'labels: {"team": "a"}}}}}'
    " : Object{spec: Object.spec{jobTemplate: Object.spec.jobTemplate{spec: Object.spec.jobTemplate.spec{"
    "suspend: true}}}}"
)
PER_KIND_PLAIN_MAPS = (
    'object.kind == "Job"'
    ' ? Object{spec: Object.spec{template: {"metadata": {"labels": {"team": "a"}}}}}'
    ' : Object{spec: Object.spec{jobTemplate: {"spec": {"suspend": true}}}}'
)
JOB_TEMPLATE = {"spec": {"template": {"metadata": {"labels": {"team": "a"}}}}}
CRONJOB_TEMPLATE = {"spec": {"jobTemplate": {"spec": {"suspend": True}}}}

# (expression, object, expected)
CASES: list[tuple[str, dict[str, Any], Any]] = [
    # the issue's example, and the same with plain map literals inside the apply configuration
    (PER_KIND, JOB, JOB_TEMPLATE),
    (PER_KIND, CRONJOB, CRONJOB_TEMPLATE),
    (PER_KIND_PLAIN_MAPS, JOB, JOB_TEMPLATE),
    (PER_KIND_PLAIN_MAPS, CRONJOB, CRONJOB_TEMPLATE),
    # a ternary inside a construction
    (
        'Object{spec: object.kind == "Job" ? Object.spec{template: Object.spec.template{metadata: '
        'Object.spec.template.metadata{labels: {"team": "a"}}}} : Object.spec{suspend: true}}',
        CRONJOB,
        {"spec": {"suspend": True}},
    ),
    # list literals and `+` of JSONPatch values of different shapes
    (
        '[JSONPatch{op: "add", path: "/a", value: 1}, JSONPatch{op: "add", path: "/b", value: {"c": true}}]',
        POD,
        [{"op": "add", "path": "/a", "value": 1}, {"op": "add", "path": "/b", "value": {"c": True}}],
    ),
    (
        '[JSONPatch{op: "add", path: "/a", value: 1}] + [JSONPatch{op: "add", path: "/b", value: {"c": ["d"]}}]',
        POD,
        [{"op": "add", "path": "/a", "value": 1}, {"op": "add", "path": "/b", "value": {"c": ["d"]}}],
    ),
    (
        '[JSONPatch{op: "remove", path: "/metadata/labels/x"}] + [JSONPatch{op: "add", path: "/y", value: [1]}]',
        POD,
        [{"op": "remove", "path": "/metadata/labels/x"}, {"op": "add", "path": "/y", "value": [1]}],
    ),
    # a JSONPatch list concatenated with a mapped list (the shape of the cost issue's expression)
    (
        '[JSONPatch{op: "add", path: "/metadata/annotations", value: {}}]'
        " + object.spec.containers.map(c, JSONPatch{op: \"add\","
        ' path: "/spec/containers/" + string(object.spec.containers.indexOf(c)) + "/env", value: [{"name": c.name}]})',
        POD,
        [
            {"op": "add", "path": "/metadata/annotations", "value": {}},
            {"op": "add", "path": "/spec/containers/0/env", "value": [{"name": "a"}]},
            {"op": "add", "path": "/spec/containers/1/env", "value": [{"name": "b"}]},
        ],
    ),
    (
        '[Object.spec.containers{name: "z"}] + [Object.spec.containers{securityContext:'
        " Object.spec.containers.securityContext{runAsNonRoot: true}}]",
        POD,
        [{"name": "z"}, {"securityContext": {"runAsNonRoot": True}}],
    ),
    (
        "object.spec.containers.map(c, Object.spec.containers{securityContext:"
        ' Object.spec.containers.securityContext{privileged: false}}) + [Object.spec.containers{name: "z"}]',
        POD,
        [{"securityContext": {"privileged": False}}] * 2 + [{"name": "z"}],
    ),
    # comprehension bodies choosing between constructions
    (
        'object.spec.containers.map(c, c.name == "a"'
        " ? Object.spec.containers{securityContext: Object.spec.containers.securityContext{privileged: false}}"
        ' : Object.spec.containers{resources: Object.spec.containers.resources{limits: {"cpu": "1"}}})',
        POD,
        [{"securityContext": {"privileged": False}}, {"resources": {"limits": {"cpu": "1"}}}],
    ),
    (
        'object.spec.containers.map(c, c.name == "a" ? JSONPatch{op: "remove", path: "/x"}'
        ' : JSONPatch{op: "add", path: "/y", value: {"n": c.name}})',
        POD,
        [{"op": "remove", "path": "/x"}, {"op": "add", "path": "/y", "value": {"n": "b"}}],
    ),
    (
        "object.spec.containers.map(c, Object.spec.containers{name: c.name})"
        ' + [Object.spec.containers{name: "z", securityContext: Object.spec.containers.securityContext{'
        "runAsNonRoot: true}}]",
        POD,
        [{"name": "a"}, {"name": "b"}, {"name": "z", "securityContext": {"runAsNonRoot": True}}],
    ),
    # cel.bind, optional list elements, equality
    (
        'cel.bind(p, JSONPatch{op: "add", path: "/a", value: 1}, [p] + [JSONPatch{op: "test", path: "/b",'
        ' value: "s"}])',
        POD,
        [{"op": "add", "path": "/a", "value": 1}, {"op": "test", "path": "/b", "value": "s"}],
    ),
    (
        '[?optional.of(JSONPatch{op: "add", path: "/a", value: 1}), JSONPatch{op: "add", path: "/b", value: "x"}]',
        POD,
        [{"op": "add", "path": "/a", "value": 1}, {"op": "add", "path": "/b", "value": "x"}],
    ),
    ("Object{spec: Object.spec{a: 1}} == Object{spec: Object.spec{b: 'x'}}", POD, False),
    ('Object{metadata: Object.metadata{labels: {"a": "b"}}} == Object{metadata: {"labels": {"a": "b"}}}', POD, True),
]


@pytest.mark.parametrize(("source", "obj", "expected"), CASES)
def test_constructions_unify_like_message_types(source: str, obj: dict[str, Any], expected: Any) -> None:
    assert environment_for("mpol").compile(source).evaluate({"object": obj}) == expected


MUTATING_POLICY = """
apiVersion: policies.kyverno.io/v1alpha1
kind: MutatingPolicy
metadata: {name: label-job-templates}
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [batch]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [jobs, cronjobs]
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >-
        object.kind == "Job"
        ? Object{spec: Object.spec{template: Object.spec.template{metadata: Object.spec.template.metadata{
            labels: {"team": "a"}}}}}
        : Object{spec: Object.spec{jobTemplate: Object.spec.jobTemplate{spec:
            Object.spec.jobTemplate.spec{ttlSecondsAfterFinished: 100}}}}
"""


@pytest.mark.parametrize("kind", ["Job", "CronJob"])
def test_mutating_policy_with_per_kind_apply_configuration(kind: str) -> None:
    policies = load_documents(parse_documents(MUTATING_POLICY))
    assert not policies.issues, [str(issue) for issue in policies.issues]
    template = {"spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}}
    spec: dict[str, Any] = {"template": template}
    if kind == "CronJob":
        spec = {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}
    obj = {"apiVersion": "batch/v1", "kind": kind, "metadata": {"name": "j", "namespace": "default"}, "spec": spec}
    [result] = [r for r in (p.evaluate(AdmissionContext(operation="CREATE", object=obj)) for p in policies.policies)
                if r is not None]
    assert result.result == "pass", result
    if kind == "Job":
        assert result.patched["spec"]["template"]["metadata"] == {"labels": {"team": "a"}}
    else:
        assert result.patched["spec"]["jobTemplate"]["spec"]["ttlSecondsAfterFinished"] == 100
        assert result.patched["spec"]["jobTemplate"]["spec"]["template"] == template
