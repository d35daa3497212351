"""RFC 6902 JSON Patch (engine/common/jsonpatch.py)."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.common.jsonpatch import JsonPatchError, apply_patch, escape_key, json_equal, parse_pointer


def doc() -> dict[str, Any]:
    return {"metadata": {"labels": {"a": "1"}}, "spec": {"list": [1, 2, 3]}}


def test_add_to_map_and_replace_existing_member() -> None:
    out = apply_patch(doc(), [{"op": "add", "path": "/metadata/labels/b", "value": "2"}])
    assert out["metadata"]["labels"] == {"a": "1", "b": "2"}
    out = apply_patch(doc(), [{"op": "add", "path": "/metadata/labels/a", "value": "x"}])
    assert out["metadata"]["labels"] == {"a": "x"}


def test_add_to_array_inserts_and_dash_appends() -> None:
    operations = [{"op": "add", "path": "/spec/list/0", "value": 0}, {"op": "add", "path": "/spec/list/-", "value": 4}]
    out = apply_patch(doc(), operations)
    assert out["spec"]["list"] == [0, 1, 2, 3, 4]
    out = apply_patch(doc(), [{"op": "add", "path": "/spec/list/3", "value": 9}])
    assert out["spec"]["list"] == [1, 2, 3, 9]


def test_add_needs_the_parent() -> None:
    with pytest.raises(JsonPatchError, match="missing path"):
        apply_patch(doc(), [{"op": "add", "path": "/metadata/annotations/x", "value": "1"}])


def test_add_index_out_of_bounds() -> None:
    with pytest.raises(JsonPatchError, match="out of bounds"):
        apply_patch(doc(), [{"op": "add", "path": "/spec/list/5", "value": 1}])


def test_remove_and_missing_remove() -> None:
    out = apply_patch(doc(), [{"op": "remove", "path": "/spec/list/1"}, {"op": "remove", "path": "/metadata/labels/a"}])
    assert out == {"metadata": {"labels": {}}, "spec": {"list": [1, 3]}}
    with pytest.raises(JsonPatchError, match="missing path"):
        apply_patch(doc(), [{"op": "remove", "path": "/metadata/labels/zz"}])


def test_replace_needs_an_existing_target() -> None:
    out = apply_patch(doc(), [{"op": "replace", "path": "/spec/list/0", "value": 7}])
    assert out["spec"]["list"] == [7, 2, 3]
    with pytest.raises(JsonPatchError, match="missing key"):
        apply_patch(doc(), [{"op": "replace", "path": "/metadata/labels/zz", "value": "1"}])


def test_move_and_copy() -> None:
    out = apply_patch(doc(), [{"op": "move", "from": "/metadata/labels/a", "path": "/metadata/labels/b"}])
    assert out["metadata"]["labels"] == {"b": "1"}
    out = apply_patch(doc(), [{"op": "copy", "from": "/spec/list", "path": "/spec/copy"}])
    assert out["spec"]["copy"] == [1, 2, 3]
    out["spec"]["copy"].append(4)
    assert out["spec"]["list"] == [1, 2, 3], "copy must not alias"


def test_move_into_own_child_is_refused() -> None:
    with pytest.raises(JsonPatchError, match="own child"):
        apply_patch(doc(), [{"op": "move", "from": "/spec", "path": "/spec/inner"}])


def test_test_operation() -> None:
    assert apply_patch(doc(), [{"op": "test", "path": "/spec/list/0", "value": 1.0}]) == doc()
    with pytest.raises(JsonPatchError, match="test failed"):
        apply_patch(doc(), [{"op": "test", "path": "/metadata/labels/a", "value": "2"}])


def test_escaped_keys() -> None:
    key = "karpenter.sh/do-not-evict"
    out = apply_patch(doc(), [{"op": "add", "path": "/metadata/labels/" + escape_key(key), "value": "true"}])
    assert out["metadata"]["labels"][key] == "true"
    assert parse_pointer("/a~1b/c~0d/~01") == ["a/b", "c~d", "~1"]


def test_whole_document_replacement_and_original_untouched() -> None:
    original = doc()
    assert apply_patch(original, [{"op": "replace", "path": "", "value": {"x": 1}}]) == {"x": 1}
    apply_patch(original, [{"op": "add", "path": "/new", "value": 1}])
    assert original == doc()


def test_invalid_operations() -> None:
    with pytest.raises(JsonPatchError, match="unsupported"):
        apply_patch(doc(), [{"op": "merge", "path": "/x"}])
    with pytest.raises(JsonPatchError, match='starts with "/"'):
        apply_patch(doc(), [{"op": "add", "path": "x", "value": 1}])
    with pytest.raises(JsonPatchError, match="missing value"):
        apply_patch(doc(), [{"op": "add", "path": "/x"}])
    with pytest.raises(JsonPatchError, match="invalid array index"):
        apply_patch(doc(), [{"op": "add", "path": "/spec/list/01", "value": 1}])


def test_json_equal_distinguishes_booleans_from_numbers() -> None:
    assert json_equal({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not json_equal(True, 1)
    assert not json_equal({"a": 1}, {"a": 1, "b": 2})
