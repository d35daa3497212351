"""Pattern matching of kyverno.io/v1 validate rules (engine/cpol/pattern.py), from Kyverno's validate semantics."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cpol.pattern import PatternError, expand_metadata_wildcards, match_pattern

PASS = None


def pod(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"app": "web", "team": "a"}},
        "spec": {"containers": list(containers), **spec},
    }


NGINX = {"name": "nginx", "image": "nginx:1.25"}
LATEST = {"name": "side", "image": "busybox:latest"}


def outcome(error: PatternError | None) -> tuple[str, str] | None:
    """(kind, path) of an error: kind is skip, fail (with a path) or error (no path)."""
    if error is None:
        return None
    if error.skip:
        return ("skip", "")
    return ("fail" if error.path else "error", error.path)


CASES: list[tuple[str, Any, Any, tuple[str, str] | None]] = [
    # plain keys and paths
    ("plain value", pod(NGINX), {"spec": {"containers": [{"image": "nginx:*"}]}}, PASS),
    ("plain mismatch path", pod(NGINX, LATEST), {"spec": {"containers": [{"image": "nginx:*"}]}},
     ("fail", "/spec/containers/1/image/")),
    ("missing key compared with null", pod(NGINX), {"spec": {"hostNetwork": None}}, PASS),
    ("missing key vs false", pod(NGINX), {"spec": {"hostNetwork": False}}, ("fail", "/spec/hostNetwork/")),
    ("missing key vs ?*", pod(NGINX), {"spec": {"containers": [{"imagePullPolicy": "?*"}]}},
     ("fail", "/spec/containers/0/imagePullPolicy/")),
    ("star needs a non-null value", pod(NGINX), {"metadata": {"labels": {"app": "*"}}}, PASS),
    ("star on a missing key fails at the parent", pod(NGINX), {"metadata": {"labels": {"owner": "*"}}},
     ("fail", "/metadata/labels/")),
    ("map pattern against a scalar", pod(NGINX), {"metadata": {"name": {"x": 1}}}, ("fail", "/metadata/name/")),
    ("map pattern against a missing map", pod(NGINX), {"spec": {"securityContext": {"runAsNonRoot": True}}},
     ("fail", "/spec/securityContext/")),
    ("list pattern against a scalar", pod(NGINX), {"metadata": {"name": ["p"]}}, ("fail", "/metadata/name/")),
    ("empty list pattern", pod(NGINX), {"spec": {"containers": []}}, ("fail", "/spec/containers/")),
    ("scalar pattern against every item", {"a": ["x1", "x2"]}, {"a": "x?"}, PASS),
    ("scalar pattern fails on one item", {"a": ["x1", "y2"]}, {"a": "x?"}, ("fail", "/a/")),
    ("scalar pattern against an empty list", {"a": []}, {"a": "x?"}, PASS),
    ("list of scalars applies the first to all", {"a": ["x1", "x2"]}, {"a": ["x*", "nomatch"]}, PASS),
    ("list of lists compares element-wise", {"a": [["x"], ["y"]]}, {"a": [["x"], ["y"]]}, PASS),
    ("list of lists too short is an error", {"a": [["x"]]}, {"a": [["x"], ["y"]]}, ("error", "")),
    ("empty resource list passes a map item", pod(), {"spec": {"containers": [{"image": "nginx"}]}}, PASS),
    # equality anchor
    ("equality absent passes", pod(NGINX), {"spec": {"=(hostNetwork)": False}}, PASS),
    ("equality present must match", pod(NGINX, hostNetwork=True), {"spec": {"=(hostNetwork)": False}},
     ("fail", "/spec/hostNetwork/")),
    ("nested equality", pod(NGINX), {"spec": {"=(securityContext)": {"=(runAsNonRoot)": True}}}, PASS),
    ("nested equality mismatch", pod(NGINX, securityContext={"runAsNonRoot": False}),
     {"spec": {"=(securityContext)": {"=(runAsNonRoot)": True}}}, ("fail", "/spec/securityContext/runAsNonRoot/")),
    # negation anchor
    ("negation absent passes", pod(NGINX, volumes=[{"name": "v", "emptyDir": {}}]),
     {"spec": {"=(volumes)": [{"X(hostPath)": "null"}]}}, PASS),
    ("negation present fails", pod(NGINX, volumes=[{"name": "v", "hostPath": {"path": "/"}}]),
     {"spec": {"=(volumes)": [{"X(hostPath)": "null"}]}}, ("fail", "/spec/volumes/0/hostPath/")),
    # condition anchor
    ("condition met then checked", pod(LATEST),
     {"spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "Always"}]}},
     ("fail", "/spec/containers/0/imagePullPolicy/")),
    ("condition met and satisfied", pod({**LATEST, "imagePullPolicy": "Always"}, NGINX),
     {"spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "Always"}]}}, PASS),
    ("condition not met anywhere skips", pod(NGINX),
     {"spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "Always"}]}}, ("skip", "")),
    ("condition key missing skips", {"spec": {}}, {"spec": {"(hostNetwork)": True, "hostPID": True}}, ("skip", "")),
    ("condition on a map level", pod(NGINX), {"metadata": {"labels": {"(app)": "db", "tier": "?*"}}}, ("skip", "")),
    ("condition met on a map level", pod(NGINX), {"metadata": {"labels": {"(app)": "web", "tier": "?*"}}},
     ("fail", "/metadata/labels/tier/")),
    ("failed condition wins over a failed sibling anchor", pod(NGINX, hostNetwork=True),
     {"spec": {"(hostPID)": True, "=(hostNetwork)": False}}, ("skip", "")),
    ("skip stops the walk before plain siblings", pod(NGINX),
     {"spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "Always"}], "hostNetwork": True}},
     ("skip", "")),
    # global anchor
    ("global not met skips", pod(NGINX), {"spec": {"containers": [{"<(image)": "corp/*"}], "imagePullSecrets": [
        {"name": "regcred"}]}}, ("skip", "")),
    ("global met requires the rest", pod({"name": "c", "image": "corp/app"}),
     {"spec": {"containers": [{"<(image)": "corp/*"}], "imagePullSecrets": [{"name": "regcred"}]}},
     ("fail", "/spec/imagePullSecrets/")),
    ("global key absent has no effect", pod(NGINX), {"spec": {"<(hostNetwork)": True, "containers": [{"name": "?*"}]}},
     PASS),
    # existence anchor
    ("existence one item matches", pod(NGINX, LATEST), {"spec": {"^(containers)": [{"image": "busybox:*"}]}}, PASS),
    ("existence no item matches", pod(NGINX), {"spec": {"^(containers)": [{"image": "busybox:*"}]}},
     ("fail", "/spec/containers/")),
    ("existence absent passes", {"spec": {}}, {"spec": {"^(containers)": [{"image": "busybox:*"}]}}, PASS),
    ("existence on a non-list", {"spec": {"containers": "x"}}, {"spec": {"^(containers)": [{"image": "b"}]}},
     ("fail", "/spec/containers/")),
    # a plain failure while a condition or existence key was never found in the resource is an evaluation error
    ("missing existence key turns a fail into an error", pod(NGINX),
     {"spec": {"^(volumes)": [{"name": "?*"}], "hostNetwork": False}}, ("error", "")),
    ("a condition key found once counts as present", pod({"name": "b"}, {"name": "a", "image": "x"}),
     {"spec": {"containers": [{"(image)": "x", "imagePullPolicy": "Always"}]}},
     ("fail", "/spec/containers/1/imagePullPolicy/")),
    # wildcard keys under metadata.labels / annotations
    ("wildcard label key", pod(NGINX), {"metadata": {"labels": {"ap*": "web"}}}, PASS),
    ("wildcard label key value mismatch", pod(NGINX), {"metadata": {"labels": {"ap*": "db"}}},
     ("fail", "/metadata/labels/app/")),
    ("wildcard key that matches nothing is compared as missing", pod(NGINX),
     {"metadata": {"labels": {"owner*": "?*"}}}, ("fail", "/metadata/labels/owner*/")),
    ("anchored wildcard key", pod(NGINX), {"metadata": {"labels": {"=(te*)": "b"}}},
     ("fail", "/metadata/labels/team/")),
    # numbers, quantities
    ("quantity limit", pod({"name": "c", "resources": {"limits": {"memory": "2Gi"}}}),
     {"spec": {"containers": [{"resources": {"limits": {"memory": "<=1Gi"}}}]}},
     ("fail", "/spec/containers/0/resources/limits/memory/")),
    ("number range", {"spec": {"replicas": 3.0}}, {"spec": {"replicas": "1-5"}}, PASS),
]


@pytest.mark.parametrize(("name", "resource", "pattern", "expected"), CASES, ids=[c[0] for c in CASES])
def test_match_pattern(name: str, resource: Any, pattern: Any, expected: tuple[str, str] | None) -> None:
    assert outcome(match_pattern(resource, pattern)) == expected


def test_messages() -> None:
    error = match_pattern(pod(LATEST), {"spec": {"containers": [{"image": "nginx:*"}]}})
    assert error == PatternError(
        "resource value 'busybox:latest' does not match 'nginx:*' at path /spec/containers/0/image/",
        "/spec/containers/0/image/",
    )
    skipped = match_pattern(pod(NGINX), {"spec": {"(hostNetwork)": True}})
    assert skipped is not None
    assert skipped.message == "conditional anchor mismatch: conditional anchor key doesn't exist in the resource"
    condition = match_pattern(pod(NGINX), {"spec": {"containers": [{"(image)": "*:latest", "x": 1}]}})
    assert condition is not None
    assert condition.message == (
        "conditional anchor mismatch: resource value 'nginx:1.25' does not match '*:latest' at path "
        "/spec/containers/0/image/"
    )
    negation = match_pattern(pod(NGINX, hostPID=True), {"spec": {"X(hostPID)": None}})
    message = "negation anchor matched in resource: /spec/hostPID/ is not allowed"
    assert negation == PatternError(message, "/spec/hostPID/")
    star = match_pattern(pod(NGINX), {"metadata": {"labels": {"owner": "*"}}})
    assert star is not None
    assert star.message == "/metadata/labels//owner not found"
    structure = match_pattern(pod(NGINX), {"spec": {"securityContext": {"a": 1}}})
    assert structure is not None
    assert structure.message == (
        "pattern and resource have different structures. Path: /spec/securityContext/. "
        "Expected map[string]interface {}, found <nil>"
    )


def test_pattern_is_not_modified() -> None:
    pattern = {"metadata": {"labels": {"ap*": "web"}}}
    match_pattern(pod(NGINX), pattern)
    assert pattern == {"metadata": {"labels": {"ap*": "web"}}}


def test_expand_metadata_wildcards_keeps_other_keys() -> None:
    pattern = {"metadata": {"labels": {"ap*": "x", "plain": "y"}, "name": "n"}, "spec": {}}
    expanded = expand_metadata_wildcards(pattern, pod(NGINX))
    assert expanded == {"metadata": {"labels": {"app": "x", "plain": "y"}, "name": "n"}, "spec": {}}
