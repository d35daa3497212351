"""patchStrategicMerge (engine/cpol/strategic_merge.py), patchesJson6902 (engine/cpol/json6902.py) and the
mutation outcome (engine/cpol/mutation.py), from Kyverno's mutate semantics."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cpol.json6902 import JsonPatchError, apply_json6902, parse_operations
from pykyverno.engine.cpol.mutation import apply_patch
from pykyverno.engine.cpol.strategic_merge import (
    PatchError,
    patch_strategic_merge,
    preprocess_overlay,
    strategic_merge,
)


def pod(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns", "labels": {"app": "web"}},
        "spec": {"containers": list(containers), **spec},
    }


A = {"name": "a", "image": "nginx:latest"}
B = {"name": "b", "image": "busybox:1.36"}

MERGES: list[tuple[str, Any, Any, Any]] = [
    ("maps merge", {"a": {"x": 1}}, {"a": {"y": 2}}, {"a": {"x": 1, "y": 2}}),
    ("scalars override", {"a": 1}, {"a": 2}, {"a": 2}),
    ("null removes", {"a": 1, "b": 2}, {"a": None}, {"b": 2}),
    ("null of a missing key", {"b": 2}, {"a": None}, {"b": 2}),
    ("new subtree drops nulls", {}, {"a": {"b": None, "c": 1}}, {"a": {"c": 1}}),
    ("map replace directive", {"a": {"x": 1, "y": 2}}, {"a": {"$patch": "replace", "z": 3}}, {"a": {"z": 3}}),
    ("map delete directive", {"a": {"x": 1}, "b": 1}, {"a": {"$patch": "delete"}}, {"b": 1}),
    ("named lists merge by name", {"c": [{"name": "a", "x": 1}, {"name": "b"}]},
     {"c": [{"name": "b", "y": 2}, {"name": "n"}]},
     {"c": [{"name": "a", "x": 1}, {"name": "b", "y": 2}, {"name": "n"}]}),
    ("list item delete directive", {"c": [{"name": "a"}, {"name": "b"}]}, {"c": [{"name": "a", "$patch": "delete"}]},
     {"c": [{"name": "b"}]}),
    ("list replace directive", {"c": [{"name": "a"}, {"name": "b"}]}, {"c": [{"$patch": "replace"}, {"name": "z"}]},
     {"c": [{"name": "z"}]}),
    ("mountPath is a merge key", {"m": [{"mountPath": "/a", "name": "x"}]}, {"m": [{"mountPath": "/b", "name": "y"}]},
     {"m": [{"mountPath": "/a", "name": "x"}, {"mountPath": "/b", "name": "y"}]}),
    ("scalar lists are replaced", {"args": ["a", "b"]}, {"args": ["c"]}, {"args": ["c"]}),
    ("lists without a merge key are replaced", {"t": [{"key": "a"}]}, {"t": [{"key": "b"}]}, {"t": [{"key": "b"}]}),
    ("empty patch list keeps a keyed list", {"c": [{"name": "a"}]}, {"c": []}, {"c": [{"name": "a"}]}),
    ("type change overrides", {"a": "x"}, {"a": {"b": 1}}, {"a": {"b": 1}}),
]


@pytest.mark.parametrize(("name", "base", "patch", "expected"), MERGES, ids=[m[0] for m in MERGES])
def test_strategic_merge(name: str, base: Any, patch: Any, expected: Any) -> None:
    assert strategic_merge(base, patch) == expected


def test_merge_errors() -> None:
    with pytest.raises(PatchError, match="conflicting merge keys"):
        strategic_merge({"c": [{"name": "a"}]}, {"c": [{"image": "x"}]})
    with pytest.raises(PatchError, match="unknown patch strategy"):
        strategic_merge({"a": {}}, {"a": {"$patch": "bogus"}})


def test_add_if_not_present() -> None:
    overlay = {"metadata": {"labels": {"+(app)": "db", "+(tier)": "front"}}}
    assert preprocess_overlay(overlay, pod(A)) == {"metadata": {"labels": {"tier": "front"}}}
    out = patch_strategic_merge(pod(A), overlay)
    assert out["metadata"]["labels"] == {"app": "web", "tier": "front"}
    nested = {"spec": {"securityContext": {"+(runAsNonRoot)": True, "+(fsGroup)": 2000}}}
    out = patch_strategic_merge(pod(A, securityContext={"fsGroup": 1}), nested)
    assert out["spec"]["securityContext"] == {"fsGroup": 1, "runAsNonRoot": True}
    assert patch_strategic_merge(pod(A), nested)["spec"]["securityContext"] == {"runAsNonRoot": True, "fsGroup": 2000}


def test_condition_on_a_list_targets_matching_items() -> None:
    overlay = {"spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "IfNotPresent"}]}}
    assert preprocess_overlay(overlay, pod(A, B)) == {
        "spec": {"containers": [{"imagePullPolicy": "IfNotPresent", "name": "a"}]}
    }
    out = patch_strategic_merge(pod(A, B), overlay)
    assert out["spec"]["containers"] == [{**A, "imagePullPolicy": "IfNotPresent"}, B]
    assert patch_strategic_merge(pod(B), overlay) == pod(B)


def test_condition_with_nested_add_if_not_present_is_per_item() -> None:
    overlay = {"spec": {"containers": [{"(name)": "?*", "securityContext": {"+(runAsNonRoot)": True}}]}}
    first = {**A, "securityContext": {"runAsNonRoot": False}}
    out = patch_strategic_merge(pod(first, B), overlay)
    assert out["spec"]["containers"] == [first, {**B, "securityContext": {"runAsNonRoot": True}}]


def test_condition_in_a_map_gates_the_whole_overlay() -> None:
    overlay = {"metadata": {"labels": {"(app)": "web", "seen": "yes"}}, "spec": {"hostNetwork": False}}
    out = patch_strategic_merge(pod(A), overlay)
    assert out["metadata"]["labels"] == {"app": "web", "seen": "yes"}
    assert out["spec"]["hostNetwork"] is False
    other = {"metadata": {"labels": {"(app)": "db", "seen": "yes"}}, "spec": {"hostNetwork": False}}
    assert preprocess_overlay(other, pod(A)) == {}
    missing = {"metadata": {"annotations": {"(owner)": "*"}}, "spec": {"hostNetwork": False}}
    assert preprocess_overlay(missing, pod(A)) == {}


def test_global_anchor() -> None:
    overlay = {
        "metadata": {"annotations": {"+(safe-to-evict)": "true"}},
        "spec": {"volumes": [{"<(emptyDir)": {}}]},
    }
    with_empty_dir = pod(A, volumes=[{"name": "cache", "emptyDir": {}}, {"name": "cm", "configMap": {"name": "x"}}])
    out = patch_strategic_merge(with_empty_dir, overlay)
    assert out["metadata"]["annotations"] == {"safe-to-evict": "true"}
    assert out["spec"]["volumes"] == with_empty_dir["spec"]["volumes"]
    without = pod(A, volumes=[{"name": "cm", "configMap": {"name": "x"}}])
    assert patch_strategic_merge(without, overlay) == without
    assert patch_strategic_merge(pod(A), overlay) == pod(A)


def test_global_anchor_in_a_map() -> None:
    overlay = {"spec": {"<(hostNetwork)": True, "dnsPolicy": "ClusterFirstWithHostNet"}}
    assert patch_strategic_merge(pod(A), overlay) == pod(A)
    out = patch_strategic_merge(pod(A, hostNetwork=True), overlay)
    assert out["spec"]["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert "<(hostNetwork)" not in out["spec"]


def test_json6902() -> None:
    text = """
- op: add
  path: /spec/containers/0/securityContext/capabilities/add/-
  value: SETFCAP
- op: remove
  path: /metadata/annotations/missing
- op: replace
  path: /metadata/labels/app
  value: api
"""
    out = apply_json6902(pod(A), text)
    assert out["spec"]["containers"][0]["securityContext"] == {"capabilities": {"add": ["SETFCAP"]}}
    assert out["metadata"]["labels"] == {"app": "api"}
    padded = apply_json6902({"a": {}}, [{"op": "add", "path": "/a/list/2", "value": "x"}])
    assert padded == {"a": {"list": [None, None, "x"]}}
    assert apply_json6902({"l": [1, 2, 3]}, [{"op": "remove", "path": "/l/-1"}]) == {"l": [1, 2]}
    with pytest.raises(JsonPatchError, match="missing"):
        apply_json6902(pod(A), [{"op": "replace", "path": "/metadata/annotations/x", "value": "1"}])
    with pytest.raises(JsonPatchError, match="failed to decode"):
        parse_operations("op: add")
    assert parse_operations("") == []


def test_mutation_outcomes() -> None:
    changed = apply_patch(pod(A), patch_strategic_merge_overlay={"metadata": {"labels": {"color": "orange"}}})
    assert (changed.status, changed.message) == ("pass", "mutated Pod/p in namespace ns")
    assert changed.resource["metadata"]["labels"] == {"app": "web", "color": "orange"}
    same = apply_patch(pod(A), patch_strategic_merge_overlay={"metadata": {"labels": {"app": "web"}}})
    assert (same.status, same.message) == ("skip", "no patches applied")
    failed = apply_patch(pod(A), patches_json6902=[{"op": "remove", "path": "/spec/containers/9"}])
    assert failed.status == "pass" or failed.status == "skip"
    error = apply_patch(pod(A), patches_json6902=[{"op": "replace", "path": "/nope/x", "value": 1}])
    assert error.status == "error"
    assert error.message.startswith("failed to patch resource: ")
    typed = apply_patch({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": 1}},
                        patches_json6902=[{"op": "replace", "path": "/data/a", "value": True}])
    assert (typed.status, typed.message) == ("pass", "mutated ConfigMap/c")
    assert apply_patch(pod(A)).status == "error"


def test_json6902_negative_indices_create_and_append() -> None:
    path = "/spec/affinity/nodeAffinity/terms/-1/matchExpressions/-1"
    out = apply_json6902({"spec": {}}, [{"op": "add", "path": path, "value": {"key": "zone"}}])
    assert out == {"spec": {"affinity": {"nodeAffinity": {"terms": [{"matchExpressions": [{"key": "zone"}]}]}}}}
    appended = apply_json6902({"l": [1, 2]}, [{"op": "add", "path": "/l/-1", "value": 3}])
    assert appended == {"l": [1, 2, 3]}
    into_last = apply_json6902({"l": [{"a": 1}]}, [{"op": "add", "path": "/l/-1/b", "value": 2}])
    assert into_last == {"l": [{"a": 1, "b": 2}]}


def test_mutation_substitutes_the_patch_first() -> None:
    def substitute(value: Any) -> Any:
        return value.replace("{{ request.object.metadata.name }}", "p") if isinstance(value, str) else value

    text = "- op: add\n  path: /metadata/labels/owner\n  value: '{{ request.object.metadata.name }}'\n"
    outcome = apply_patch(pod(A), patches_json6902=text, substitute=substitute)
    assert outcome.resource["metadata"]["labels"]["owner"] == "p"

    def failing(value: Any) -> Any:
        raise ValueError("Unknown key")

    failed = apply_patch(pod(A), patches_json6902=text, substitute=failing)
    assert (failed.status, failed.message) == ("error", "variable substitution failed: Unknown key")


def test_add_if_not_present_in_a_keyed_list_item_looks_at_the_item_with_that_key() -> None:
    overlay = {"spec": {"containers": [{"name": "a", "+(imagePullPolicy)": "Always"}]}}
    already = {**A, "imagePullPolicy": "Never"}
    assert patch_strategic_merge(pod(already, B), overlay) == pod(already, B)
    out = patch_strategic_merge(pod(A, B), overlay)
    assert out["spec"]["containers"] == [{**A, "imagePullPolicy": "Always"}, B]


def test_overlay_list_against_a_resource_map_is_an_error() -> None:
    with pytest.raises(PatchError, match="the overlay has a list"):
        patch_strategic_merge({"spec": {"containers": {"a": 1}}}, {"spec": {"containers": [{"(name)": "x"}]}})
    outcome = apply_patch({"spec": {"containers": {"a": 1}}}, patch_strategic_merge_overlay={
        "spec": {"containers": [{"(name)": "x"}]}})
    assert outcome.status == "error"
