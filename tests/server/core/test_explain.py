"""What explain_violation shows: the fields an expression reads (the front end's analysis), their values, patches."""

from __future__ import annotations

from pykyverno.engine.cel.frontend.analysis import analyze
from pykyverno.server.core.explain import field_values, patch_for, pointer

CONTAINERS = {"allContainers": "object.spec.containers + object.spec.?initContainers.orValue([])"}


def test_reads_skip_strings_and_functions() -> None:
    found = analyze("has(object.metadata.labels) && 'object.fake' != object.metadata.?labels[?'a.b/c'].orValue('')")
    assert found.reads == [("metadata", "labels", "a.b/c")]
    assert found.calls == {"has", "orValue"} and found.macro_depth == 0 and found.cost is not None


def test_macro_depth_and_cluster_calls() -> None:
    found = analyze("object.spec.containers.all(c, c.ports.exists(p, p.hostPort == 0)) && "
                    "resource.List('v1', 'pods', '').items.size() > 0")
    assert found.macro_depth == 2 and "resource.List" in found.calls
    assert analyze("object.spec.containers.all(c, ").reads == []  # does not parse: no analysis


def test_macro_variables_follow_their_lists_through_variables() -> None:
    found = analyze("variables.allContainers.all(c, c.?securityContext.?privileged.orValue(false) == false)",
                    CONTAINERS)
    assert found.reads == [("spec", "containers", "*", "securityContext", "privileged"),
                           ("spec", "initContainers", "*", "securityContext", "privileged")]
    assert {(r.pattern[1], r.value) for r in found.requirements} == {("containers", False), ("initContainers", False)}


def test_filter_bodies_invert_the_requirement() -> None:
    variables = {**CONTAINERS, "writable": "variables.allContainers.filter(c, "
                 "c.?securityContext.?readOnlyRootFilesystem.orValue(false) != true).map(c, c.name)"}
    found = analyze("size(variables.writable) == 0", variables)
    assert {r.value for r in found.requirements} == {True}


def test_values_and_missing_fields() -> None:
    pod = {"spec": {"containers": [{"name": "a", "securityContext": {"privileged": True}}, {"name": "b"}]}}
    found = analyze("object.spec.containers.all(c, c.?securityContext.?privileged.orValue(false) == false)")
    assert field_values(pod, found.reads) == [
        ("spec.containers[0].securityContext.privileged", True, True),
        ("spec.containers[1].securityContext", False, None),
    ]
    assert patch_for(pod, found.requirements) == [
        {"op": "replace", "path": "/spec/containers/0/securityContext/privileged", "value": False},
        {"op": "add", "path": "/spec/containers/1/securityContext", "value": {"privileged": False}},
    ]


def test_label_requirements() -> None:
    found = analyze("'team' in object.metadata.labels && object.metadata.?labels[?'app.kubernetes.io/name'] != ''")
    assert patch_for({"metadata": {"labels": {"team": "x"}}}, found.requirements) == [
        {"op": "add", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "<value>"}]
    assert patch_for({"metadata": {}}, found.requirements) == [
        {"op": "add", "path": "/metadata/labels", "value": {"app.kubernetes.io/name": "<value>", "team": "<value>"}}]


def test_no_patch_when_already_compliant_or_underivable() -> None:
    found = analyze("object.spec.?hostNetwork.orValue(false) == false")
    assert patch_for({"spec": {"hostNetwork": False}}, found.requirements) == []
    assert analyze("object.spec.replicas > 1").requirements == []
    assert pointer(("a/b", "c~d", 0)) == "/a~1b/c~0d/0"


def test_large_values_are_truncated() -> None:
    obj = {"data": {"blob": "x" * 1000}}
    [(path, present, value)] = field_values(obj, analyze("size(object.data.blob) < 10").reads)
    assert path == "data.blob" and present and isinstance(value, str) and len(value) <= 300
