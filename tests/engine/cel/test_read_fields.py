"""The proof of which fields of ``object`` / ``oldObject`` expressions can read, and that a pruned object gives the
same values and errors as the whole one."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cel import CelEvalError
from pykyverno.engine.cel.frontend.fields import prune as prune_fields
from pykyverno.engine.cel.frontend.fields import read_fields
from pykyverno.engine.cel.runtime import environment

ROOTS = ("object", "oldObject")


def fields(*sources: str) -> dict[str, Any]:
    return read_fields(sources, ROOTS)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("object.spec.containers.all(c, c.name != '')", {"spec": {"containers": None}}),
        ("object.spec.containers[0].name == 'a'", {"spec": {"containers": None}}),
        ("has(object.status)", {"status": None}),
        ("has(object.spec.hostPID)", {"spec": {"hostPID": None}}),
        ("object.?metadata.?labels.orValue({}).size() > 0", {"metadata": {"labels": None}}),
        ("object[?'metadata'][?'name'].hasValue()", {"metadata": {"name": None}}),
        ("object['kind'] == 'Pod' && object[\"apiVersion\"] == 'v1'", {"kind": None, "apiVersion": None}),
        ("object.spec[name] == 1", {"spec": None}),  # dynamic below spec: spec whole
        ("object.spec.all(k, k != '')", {"spec": None}),  # a macro over spec iterates it whole
        ("size(object.metadata) > 0", {"metadata": None}),
        ("object.spec.a.b.c.d == 1", {"spec": {"a": None}}),  # below two levels everything is kept
        ("'object.status' == ''", {}),  # a word in a string is no read
    ],
)
def test_constant_selections_are_proven(source: str, expected: dict[str, Any]) -> None:
    assert fields(source) == {"object": expected, "oldObject": {}}


@pytest.mark.parametrize(
    "source",
    [
        "size(object) > 0",  # passed whole to a function
        "object == {}",  # compared
        "object[name] == 1",  # a computed key
        "object[0] == 1",  # not a string key
        "object.all(k, k != '')",  # iterated
        "cel.bind(o, object, o.spec.x)",  # aliased
        "[1].all(object, object.x == 1)",  # a macro variable shadowing it: kept whole, conservatively
        "string(object).size() > 0",
        "object.spec.x ==",  # does not parse
    ],
)
def test_any_other_use_needs_the_whole_object(source: str) -> None:
    assert fields(source)["object"] is None


def test_old_object_and_union_of_sources() -> None:
    got = fields("oldObject.metadata.labels == object.metadata.labels", "object.spec.hostPID == true")
    assert got == {"object": {"metadata": {"labels": None}, "spec": {"hostPID": None}},
                   "oldObject": {"metadata": {"labels": None}}}
    assert fields("oldObject == null || oldObject.spec.x == 1")["oldObject"] is None
    # A field read whole in one source and below in another is kept whole.
    assert fields("object.spec.a.b == 1", "has(object.spec)")["object"] == {"spec": None}


def test_prune_copies_only_the_maps_along_the_paths() -> None:
    containers = [{"name": "a"}]
    obj = {"kind": "Pod", "spec": {"containers": containers, "nodeName": "n"}, "status": {"phase": "Running"}}
    pruned = prune_fields(obj, {"spec": {"containers": None, "hostPID": None}, "kind": None})
    assert pruned == {"kind": "Pod", "spec": {"containers": containers}}
    assert pruned["spec"]["containers"] is containers
    assert prune_fields(obj, None) is obj
    assert prune_fields(None, {"spec": None}) is None
    assert prune_fields({"spec": [1]}, {"spec": {"x": None}}) == {"spec": [1]}  # not a map: kept as it is


EXPRESSIONS = [
    "object.spec.containers.all(c, c.name != '')",
    "object.spec.hostPID",  # absent: the same "no such key"
    "object.spec.nodeName == 'n'",
    "has(object.spec.hostPID) || has(object.status)",
    "object.?spec.?hostNetwork.orValue(false)",
    "object.metadata.labels['app']",
    "object.metadata.labels['missing']",
    "object.spec.volumes[0].name",
    "object.kind + 1",
]


def test_a_pruned_object_gives_the_same_values_and_errors() -> None:
    env = environment(["object", "oldObject"])
    obj = {
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"app": "x"}, "managedFields": [{"manager": "m"}]},
        "spec": {"containers": [{"name": "a"}], "nodeName": "n", "volumes": []},
        "status": {"phase": "Running"},
    }
    tree = read_fields(EXPRESSIONS, ROOTS)
    obj_fields = tree["object"]
    assert obj_fields is not None and obj_fields["metadata"] is not None
    assert "managedFields" not in obj_fields["metadata"]
    whole = env.activation({"object": obj, "oldObject": None})
    pruned = env.activation({"object": prune_fields(obj, tree["object"]), "oldObject": None})
    kinds = set()
    for source in EXPRESSIONS:
        program = env.compile(source)
        outcomes: list[tuple[str, Any]] = []
        for activation in (whole, pruned):
            try:
                outcomes.append(("value", program.evaluate(activation)))
            except CelEvalError as exc:
                outcomes.append(("error", exc.message))
        assert outcomes[0] == outcomes[1], source
        kinds.add(outcomes[0][0])
    assert kinds == {"value", "error"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("object.data.?`config.yaml`.orValue('') == ''", {"data": {"config.yaml": None}}),  # backticks are quoting
        ("has(object.metadata.`app.kubernetes.io/name`)", {"metadata": {"app.kubernetes.io/name": None}}),
        ("object.data[?'debug?'].orValue('') == ''", {"data": {"debug?": None}}),
        ("object.data[r'a.b'] == ''", {"data": {"a.b": None}}),
        ("object.data['''a'''] == ''", {"data": {"a": None}}),
    ],
)
def test_quoted_names_read_the_key_they_name(source: str, expected: dict[str, Any]) -> None:
    assert fields(source) == {"object": expected, "oldObject": {}}


@pytest.mark.parametrize(
    "source",
    [
        "object.data[?'debug\\?'].orValue('no') != 'yes'",  # CEL's escapes are not Python's: no guessing
        "object.data['\\x61'] == ''",
        "object.data[r'a\\?'] == ''",
        "object.data[b'a'] == ''",  # bytes: not a map key of a JSON object
        'object.data["a\\"b"] == ""',
    ],
)
def test_a_key_not_known_for_certain_keeps_what_is_above_it_whole(source: str) -> None:
    assert fields(source) == {"object": {"data": None}, "oldObject": {}}


@pytest.mark.parametrize(
    ("source", "obj"),
    [
        ("!object.data.?`config.yaml`.orValue('').contains('debug: true')", {"data": {"config.yaml": "debug: true"}}),
        ("object.data[?'debug\\?'].orValue('no') != 'yes'", {"data": {"debug?": "yes"}}),
        ("object.data[?'a\\`b'].orValue('no') != 'yes'", {"data": {"a`b": "yes"}}),
    ],
)
def test_a_pruned_object_keeps_keys_written_with_quoting_or_escapes(source: str, obj: dict[str, Any]) -> None:
    env = environment(["object", "oldObject"])
    program = env.compile(source)
    pruned = prune_fields({**obj, "other": 1}, read_fields([source], ROOTS)["object"])
    whole_value = program.evaluate(env.activation({"object": obj, "oldObject": None}))
    assert whole_value is False
    assert program.evaluate(env.activation({"object": pruned, "oldObject": None})) is whole_value
