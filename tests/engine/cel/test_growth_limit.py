"""The growth limit refuses values that repeat large input data, never legitimate shapes.

It counts how much input data a value can hold (``engine/cel/frontend/growth.py``): distinct fields are distinct
parts of one input (joining 100 of them is one copy at most), a field Kubernetes bounds counts its bound
(``metadata.name``: 253 bytes), and only data held many times over (doubling, repetition in a range) adds up.
Kyverno accepts every legitimate shape below; the bombs would build gigabytes.
"""

from __future__ import annotations

import json

import pytest

from pykyverno.engine.cel import CelCostError, environment_for
from pykyverno.engine.cel.frontend import growth
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents

WIDE_MESSAGE = "'fields: ' + " + " + ', ' + ".join(f"string(object.spec.field{i})" for i in range(100))
WIDE_METADATA = " + '/' + ".join(["object.metadata.name", "object.metadata.namespace"] * 40)
WIDE_FORMAT = "'" + " %s" * 80 + "'.format([" + ", ".join(f"object.spec.f{i}" for i in range(80)) + "])"

LEGITIMATE = [
    "lists.range(100).map(i, object.metadata.name)",
    "lists.range(100).map(i, object.metadata.labels['app'])",
    "lists.range(1000).map(i, object.metadata.name + '-' + string(i))",
    WIDE_MESSAGE,
    WIDE_METADATA,
    WIDE_FORMAT,
    "[" + ", ".join(f"object.spec.items[{i}]" for i in range(70)) + "]",
    "{" + ", ".join(f"'k{i}': object.data['k{i}']" for i in range(70)) + "}",
    "object.spec.containers.map(c, c.name + ':' + c.image)",
    "object.spec.containers.map(c, object.metadata.name + '/' + c.name + ' uses ' + c.image)",
    "object.spec.containers.map(c, {'name': c.name, 'image': c.image, 'ports': c.?ports.orValue([])})",
    "object.spec.containers.map(c, c.?env.orValue([]).map(e, c.name + '=' + e.name))",
    "(object.spec.containers + object.spec.?initContainers.orValue([])).map(c, [c.name, c.image, c.name])",
    "[object, oldObject, object.metadata, object.spec]",
    "object.spec.containers.map(c, c.name).join(', ') + ' in ' + object.metadata.namespace",
    "cel.bind(a, object.metadata.name, cel.bind(b, a + a, cel.bind(c, b + b, c + c + c + c)))",
]

BOMBS = [
    ("cel.bind(a, object.data.x, cel.bind(b, a + a, cel.bind(c, b + b, cel.bind(d, c + c, cel.bind(e, d + d,"
     " cel.bind(f, e + e, cel.bind(g, f + f, g + g)))))))", 128),
    ("lists.range(9000).map(i, object.data.text).join('')", 9000),
    ("lists.range(100).map(i, object.metadata.annotations)", 100),
    ("[" + ", ".join(["object.data.x"] * 65) + "]", 65),
    ("object.spec.containers.map(c, [" + ", ".join(["object"] * 65) + "])", 65),
    ("object.data.x.replace('a', object.data.x)", 65),
    ("lists.range(70).map(i, object.metadata.name + object.spec.text)", 71),
]


@pytest.mark.parametrize("source", LEGITIMATE)
def test_legitimate_shapes_compile(source: str) -> None:
    assert environment_for("vpol").compile(source, "spec.validations[0].messageExpression")


@pytest.mark.parametrize(("source", "copies"), BOMBS)
def test_bombs_are_refused(source: str, copies: int) -> None:
    with pytest.raises(CelCostError, match=f"holding {copies} copies of its input"):
        environment_for("vpol").compile(source)


def test_a_wide_message_evaluates() -> None:
    spec = {f"field{i}": i for i in range(100)}
    message = environment_for("vpol").compile(WIDE_MESSAGE).evaluate({"object": {"spec": spec}})
    assert message.startswith("fields: 0, 1, 2") and message.endswith(", 99")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({("object", "spec", "a"): 1, ("object", "spec", "b"): 1}, 1),  # distinct parts of one input
        ({("object",): 1, ("object", "spec"): 1}, 2),  # spec held inside object and once more
        ({("object", "metadata", "name"): 4096}, 1),  # 4096 names of at most 253 bytes: under 1 MiB
        ({("object", "metadata", "name"): 8192}, 2),
        ({("object", "spec", "containers", "*", "name"): 100}, 1),
        ({("object", "metadata", "labels", "app"): 100}, 1),
        ({("object", "metadata", "labels"): 2}, 2),  # the whole label map: its size is unknown
        ({("object", "kind"): 3, ("object", "data", "x"): 3}, 4),
    ],
)
def test_copies_count_repeated_data_by_its_size(content: dict[tuple[str, ...], int], expected: int) -> None:
    assert growth.copies(content) == expected


def _policy_issues(variables: dict[str, str], message: str) -> list[str]:
    spec = {
        "validationActions": ["Audit"],
        "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                                "operations": ["CREATE"], "resources": ["pods"]}]},
        "variables": [{"name": name, "expression": expression} for name, expression in variables.items()],
        "validations": [{"expression": "true", "messageExpression": message}],
    }
    text = json.dumps({"apiVersion": "policies.kyverno.io/v1", "kind": "ValidatingPolicy",
                       "metadata": {"name": "p"}, "spec": spec})
    return [issue.message for issue in load_documents(parse_documents(text, "p.json")).issues]


def test_a_variable_is_counted_by_what_it_holds() -> None:
    """Costed alone, ``variables.podName`` could be anything; with the policy's variables it is a name."""
    assert _policy_issues({"podName": "object.metadata.name"},
                          "lists.range(100).map(i, variables.podName).join(',')") == []
    issues = _policy_issues({"note": "object.metadata.annotations['note']"},
                            "lists.range(100).map(i, variables.note).join(',')")
    assert len(issues) == 1 and "holding 100 copies of its input" in issues[0], issues
