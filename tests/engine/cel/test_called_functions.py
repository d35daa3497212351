"""The functions an expression calls, read from its syntax tree."""

from __future__ import annotations

import pytest

from pykyverno.engine.cel.frontend.calls import called_functions


@pytest.mark.parametrize(("source", "expected"), [
    ("resource.Get('v1', 'pods', '', 'x')", {"Get", "resource.Get"}),
    ("resource.Get// comment\n('v1', 'pods', '', 'x')", {"Get", "resource.Get"}),
    ("resource // a\n . // b\n Get \n ('v1')", {"Get", "resource.Get"}),
    (".resource.Get('v1')", {"Get", "resource.Get"}),
    ("a.b.f(1) && g(2)", {"f", "a.b.f", "g"}),
    ("object.spec.containers.all(c, c.image.startsWith('x'))", {"all", "object.spec.containers.all", "startsWith",
                                                                 "c.image.startsWith"}),
    ("http.Client(object).Get('u')", {"Client", "http.Client", "Get"}),
    ("'resource.Get(' == object.x // resource.Get(", set()),
])
def test_calls_are_named_with_their_qualifiers(source: str, expected: set[str]) -> None:
    assert called_functions(source) == frozenset(expected)


@pytest.mark.parametrize("source", ["resource.Get(", "a +", "'unterminated"])
def test_an_expression_that_does_not_parse_gives_none(source: str) -> None:
    assert called_functions(source) is None
