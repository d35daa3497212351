"""The cel-go compatibility rewrites (orValue on plain values, null-safe `.?`) never reject or change valid CEL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.cel.kind_envs import environment_for

ENV = environment_for("vpol")


@pytest.mark.parametrize(
    ("source", "data", "expected"),
    [
        # orValue on a value that is not optional returns the value (Kyverno's compat macro).
        ("object.spec.containers[0].volumeMounts.orValue([])", {"spec": {"containers": [{"volumeMounts": [1]}]}}, [1]),
        # ... but a comprehension variable that does hold optionals keeps the real orValue.
        (
            "object.spec.containers.map(c, {'p': c.?securityContext.?privileged}).all(m, m.p.orValue(false) == false)",
            {"spec": {"containers": [{}, {"securityContext": {"privileged": False}}]}},
            True,
        ),
        # `.?` on null is none, whatever the receiver's root.
        ("object.metadata.?annotations[?'a'].orValue('')", {"metadata": None}, ""),
        ("cel.bind(d, object.data, d.?mode.orValue('safe'))", {"data": None}, "safe"),
        ("object.?spec.?x.orValue(3)", {"spec": {}}, 3),
    ],
)
def test_compat_rewrites(source: str, data: dict[str, Any], expected: Any) -> None:
    assert ENV.compile(source).evaluate({"object": data}) == expected


def test_null_safe_select_on_variables() -> None:
    program = ENV.compile("variables.d.?mode.orValue('safe') == 'safe'")
    assert program.evaluate({"object": {}, "variables": {"d": None}}) is True
