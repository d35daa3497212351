"""An expression whose value is or holds an optional fails with a CEL error: cel-expr-python reports an optional's
type as ERROR, raises converting one inside a list, and crashes the process converting a map that holds one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pykyverno.engine.cel import CelEvalError, environment_for
from pykyverno.engine.cel.frontend import may_hold_optional

OPTIONAL_RESULTS = [
    "optional.none()",
    "object.?a",
    "[optional.none(), 1]",
    "{'a': optional.of(1)}",
    "[{'a': optional.of(1)}]",
    "{'a': {'b': [object.?a]}}",
    "cel.bind(x, object.?a, {'k': x})",
]


@pytest.mark.parametrize("source", OPTIONAL_RESULTS)
def test_an_optional_result_is_a_cel_error(source: str) -> None:
    assert may_hold_optional(source)
    with pytest.raises(CelEvalError, match="has no plain form"):
        environment_for("vpol").compile(source).evaluate({"object": {"a": 1}})


def test_a_map_holding_an_optional_does_not_crash_the_process() -> None:
    code = (
        "from pykyverno.engine.cel import CelEvalError, environment_for\n"
        "try:\n"
        "    environment_for('vpol').compile(\"{'a': optional.of(1)}\").evaluate({'object': {}})\n"
        "except CelEvalError as exc:\n"
        "    print('error:', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "has no plain form" in done.stdout, done


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{'a': object.a, 'b': [1, 2]}", {"a": 1, "b": [1, 2]}),
        ("[object.?a.orValue(0), object.?b.orValue(2)]", [1, 2]),
        ("object.?a.hasValue()", True),
        ("[1, 2].map(x, {'v': x})", [{"v": 1}, {"v": 2}]),
    ],
)
def test_data_results_convert(source: str, expected: object) -> None:
    assert not may_hold_optional(source)
    assert environment_for("vpol").compile(source).evaluate({"object": {"a": 1}}) == expected
