"""Size and time limits of the CEL front end: expressions longer than cel-go's limit are refused at once, and
policies of large expressions and variables compile in time linear in their size."""

from __future__ import annotations

import json
import time

import pytest

from pykyverno.engine.cel import CelCompileError, environment_for, frontend
from pykyverno.engine.cel.frontend.nodes import Binary, Ident, Select, Unary
from pykyverno.engine.cel.frontend.parser import MAX_EXPRESSION_LENGTH, parse
from pykyverno.engine.cel.frontend.printer import to_source
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents

UNIT = "object.?metadata.?labels.?app.orValue('') == 'x' || "


def _long_expression(length: int, unit: str = UNIT) -> str:
    return unit * (length // len(unit)) + "true"


def test_the_limit_is_cel_gos_default() -> None:
    assert MAX_EXPRESSION_LENGTH == 100_000


def test_an_oversized_expression_is_refused_at_once_with_a_short_message() -> None:
    source = "true || " * 12_500 + "true"  # 100,004 code points
    started = time.process_time()
    with pytest.raises(CelCompileError) as caught:
        environment_for("vpol").compile(source, "spec.validations[0].expression")
    assert time.process_time() - started < 0.2
    message = str(caught.value)
    assert "expression code point size exceeds limit: size: 100004, limit 100000" in message
    assert message.startswith("spec.validations[0].expression: ")
    assert len(message) < 300
    with pytest.raises(CelCompileError, match="size exceeds limit"):
        frontend.estimate_cost(source)


def test_code_points_not_bytes_are_counted() -> None:
    source = "'" + "é" * 99_990 + "' != ''"  # 99,997 code points, about 200,000 bytes
    assert frontend.prepare(source) == source


def test_printing_does_not_reread_the_text_of_every_operand(monkeypatch: pytest.MonkeyPatch) -> None:
    """The printer used to tokenize every verbatim operand again to find its parentheses."""
    from pykyverno.engine.cel.frontend import lexer, parser

    calls = 0
    real = lexer.tokenize

    def counting(source: str) -> list[lexer.Token]:
        nonlocal calls
        calls += 1
        return real(source)

    monkeypatch.setattr(parser, "tokenize", counting)
    frontend.prepare(_long_expression(20_000))
    assert calls <= 2  # the expression, and the rewritten text once


@pytest.mark.parametrize(
    "source",
    ["(a + b) * c", "-(1) < x", "((a || b)) && c", "(a ? b : c).f", "!(a) == b", "(x) + (y) * z", "-(-1)"],
)
def test_rewritten_trees_keep_the_meaning_of_parenthesised_operands(source: str) -> None:
    """A synthetic node around a parsed one prints the parsed text verbatim, adding parentheses only if needed."""
    for wrap in (lambda t: Unary("!", t), lambda t: Binary("*", t, Ident("k")), lambda t: Select(t, "f")):
        wrapped = wrap(parse(source))
        printed = to_source(wrapped, source)
        assert to_source(parse(printed)) == to_source(wrapped), printed


def _policy(variables: int, size: int) -> str:
    body = _long_expression(size)
    spec = {
        "validationActions": ["Audit"],
        "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                                "operations": ["CREATE"], "resources": ["pods"]}]},
        "variables": [
            {"name": f"v{i}", "expression": body + f" || object.x == {i}" + (f" || variables.v{i - 1}" if i else "")}
            for i in range(variables)
        ],
        "validations": [
            {"expression": f"variables.v{variables - 1} || object.y == {i}", "message": "m"} for i in range(variables)
        ],
    }
    return json.dumps({"apiVersion": "policies.kyverno.io/v1", "kind": "ValidatingPolicy",
                       "metadata": {"name": f"big-{variables}-{size}"}, "spec": spec})


def test_large_variables_compile_in_linear_time() -> None:
    """Each validation used to bind every variable inline and run the front end over the sum of their text:
    8 variables of 20 KB took about 60 s of CPU."""
    started = time.process_time()
    loaded = load_documents(parse_documents(_policy(8, 20_000), "policy.json"))
    elapsed = time.process_time() - started
    assert not loaded.issues, loaded.issues
    assert elapsed < 15, f"{elapsed:.1f} s"


@pytest.mark.parametrize(
    "source",
    [
        "lists.range(1" + "0" * 5000 + ")",
        "lists.range(0x" + "f" * 5000 + ")",
        "lists.range(99999999999999999999).map(a, lists.range(99999999999999999999).map(b, "
        "lists.range(99999999999999999999).map(c, lists.range(99999999999999999999).map(d, "
        "lists.range(99999999999999999999).map(e, lists.range(99999999999999999999).map(f, "
        "lists.range(99999999999999999999).map(g, lists.range(99999999999999999999).map(h, "
        "lists.range(99999999999999999999).map(i, lists.range(99999999999999999999).map(j, "
        "lists.range(99999999999999999999).map(k, lists.range(99999999999999999999).map(l, "
        "lists.range(99999999999999999999).map(m, lists.range(99999999999999999999).map(n, "
        "lists.range(99999999999999999999).map(o, lists.range(99999999999999999999).map(p, 1))))))))))))))))",
    ],
)
def test_huge_literal_sizes_are_a_cost_error_not_a_crash(source: str) -> None:
    """Integer literals past 4,300 digits made the estimator raise ValueError; huge products, OverflowError."""
    with pytest.raises(CelCompileError, match="costs at least"):
        frontend.prepare(source)
