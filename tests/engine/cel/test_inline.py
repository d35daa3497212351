"""Variables bound inline with cel.bind give the same values as Kyverno's variables, on a shared activation."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cel.frontend.inline import inline_variables
from tests.engine.cel.kind_envs import environment_for

DEFINITIONS = {
    "containers": "object.spec.containers + object.spec.?initContainers.orValue([])",
    "names": "variables.containers.map(c, c.name)",
    "first": "variables['names'][0]",
}
POD: dict[str, Any] = {"spec": {"containers": [{"name": "a"}], "initContainers": [{"name": "init"}]}}


@pytest.mark.parametrize(
    ("source", "needed", "expected"),
    [
        ("size(variables.containers)", ["containers"], 2),
        ("variables.names", ["containers", "names"], ["a", "init"]),
        ("variables.first + '-' + variables['names'][1]", ["containers", "names", "first"], "a-init"),
        ("'variables.containers' + string(size(variables.containers))", ["containers"], "variables.containers2"),
    ],
)
def test_inlined_expression_evaluates_like_variables(source: str, needed: list[str], expected: Any) -> None:
    inlined = inline_variables(source, needed, DEFINITIONS)
    assert inlined is not None and "variables" not in inlined.replace("'variables.containers'", "")
    assert environment_for("vpol").compile(inlined).evaluate({"object": POD}) == expected


def test_dynamic_variable_access_is_not_inlined() -> None:
    assert inline_variables("variables[object.kind]", ["containers"], DEFINITIONS) is None


def test_unparsable_expression_is_not_inlined() -> None:
    assert inline_variables("variables.containers.all(c,", ["containers"], DEFINITIONS) is None
