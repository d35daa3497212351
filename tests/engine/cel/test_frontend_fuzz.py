"""Fuzzing the CEL front end (Hypothesis).

* No input crashes the lexer, the parser or ``prepare``: they answer with a tree, or with our documented syntax
  errors (:class:`SyntaxProblem` and its subclasses; :class:`CelError` from ``prepare``).
* Printing a parsed tree and parsing the text again gives the same tree, for generated valid expressions, both
  structurally printed and after the rewrites.

CI runs a few hundred examples per property (a few seconds). For a longer local run set the number of examples::

    PYKYVERNO_FUZZ_EXAMPLES=20000 python -m pytest -q -p no:cacheprovider tests/engine/cel/test_frontend_fuzz.py
"""

from __future__ import annotations

import contextlib
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykyverno.engine.cel import CelError
from pykyverno.engine.cel.frontend import prepare
from pykyverno.engine.cel.frontend.lexer import tokenize
from pykyverno.engine.cel.frontend.parser import parse
from pykyverno.engine.cel.frontend.printer import to_source
from pykyverno.engine.cel.frontend.rewrite import rewrite
from pykyverno.engine.cel.frontend.source import SyntaxProblem

EXAMPLES = int(os.environ.get("PYKYVERNO_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Pieces of CEL text, so that random sequences get past the lexer and exercise the parser.
TOKENS = [
    "object", "x", "y", "variables", "cel", "bind", "all", "exists", "map", "filter", "has", "size", "in",
    "true", "false", "null", "Object", "JSONPatch", "transformMap", "orValue", "optional", "none",
    "lists", "range", "sortBy", "transformList", "matches", "find",
    "0", "1", "-1", "2.5", "1u", "0x1F", "1e3", "9" * 30, "0x" + "f" * 30, "1" * 5000,
    "'a'", '"b"', "r'c'", "b'd'", "'''e'''",
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "?", ":", ".", ".?", ",",
    "(", ")", "[", "]", "[?", "{", "}", "{?", "`k`", "// c\n", "\n",
]


def _check_parse(text: str) -> None:
    with contextlib.suppress(SyntaxProblem):
        tokenize(text)
    try:
        tree = parse(text)
    except SyntaxProblem:
        return
    # What parses prints to text that parses to the same tree.
    printed = to_source(tree)
    assert to_source(parse(printed)) == printed


@FUZZ
@given(st.text(max_size=200))
def test_no_text_crashes_the_parser(text: str) -> None:
    _check_parse(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join))
def test_no_token_sequence_crashes_the_parser(text: str) -> None:
    _check_parse(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join))
def test_prepare_answers_with_text_or_a_cel_error(text: str) -> None:
    try:
        prepared = prepare(text)
    except CelError:
        return
    assert isinstance(prepared, str)


# -- generated valid expressions ------------------------------------------------------------------------------------

_NAMES = st.sampled_from(["object", "x", "y", "variables", "params", "request", "`a.b`"])
_LITERALS = st.sampled_from(
    ["0", "1", "-1", "42u", "0x1F", "2.5", "-0.5", "1e3", "true", "false", "null", "'a'", '"b c"', "r'\\d'",
     "b'x'", "'''t'''", "'\\n'", "-9223372036854775808"]
)
_BINARY = st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "in"])
_FIELDS = st.sampled_from(["a", "b", "spec", "metadata", "name"])
_MACROS = st.sampled_from(["all", "exists", "exists_one", "map", "filter"])


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, _BINARY, inner).map(lambda p: f"{p[0]} {p[1]} {p[2]}"),
        # CEL's then-branch is a conditional-or: a ternary there needs parentheses.
        st.tuples(inner, inner, inner).map(lambda p: f"{p[0]} ? ({p[1]}) : {p[2]}"),
        st.tuples(st.sampled_from(["!", "-"]), inner).map(lambda p: f"{p[0]}{p[1]}"),
        inner.map(lambda t: f"({t})"),
        st.tuples(inner, _FIELDS, st.booleans()).map(lambda p: f"{p[0]}.{'?' if p[2] else ''}{p[1]}"),
        st.tuples(inner, inner, st.booleans()).map(lambda p: f"{p[0]}[{'?' if p[2] else ''}{p[1]}]"),
        st.tuples(inner, _FIELDS, st.lists(inner, max_size=3)).map(lambda p: f"{p[0]}.{p[1]}({', '.join(p[2])})"),
        st.tuples(_FIELDS, st.lists(inner, max_size=3)).map(lambda p: f"{p[0]}({', '.join(p[1])})"),
        st.tuples(inner, _MACROS, inner).map(lambda p: f"{p[0]}.{p[1]}(v, {p[2]})"),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(inner, inner), max_size=3).map(
            lambda entries: "{" + ", ".join(f"{k}: {v}" for k, v in entries) + "}"
        ),
        st.lists(st.tuples(_FIELDS, inner), max_size=3).map(
            lambda fields: "Object.spec{" + ", ".join(f"{k}: {v}" for k, v in fields) + "}"
        ),
        st.tuples(inner, inner).map(lambda p: f"cel.bind(b, {p[0]}, {p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"{p[0]}.transformMap(k, v, {p[1]})"),
    )


EXPRESSIONS = st.recursive(st.one_of(_NAMES, _LITERALS), _compound, max_leaves=12)


@FUZZ
@given(EXPRESSIONS)
def test_printing_then_parsing_gives_the_same_tree(source: str) -> None:
    tree = parse(source)
    assert _shape(parse(to_source(tree, source))) == _shape(tree)  # verbatim printing
    printed = to_source(tree)
    reparsed = parse(printed)
    assert to_source(reparsed) == printed
    assert _shape(reparsed) == _shape(tree)


@FUZZ
@given(EXPRESSIONS)
def test_rewritten_trees_print_to_text_that_parses_back(source: str) -> None:
    tree = parse(source)
    for compat in (True, False):
        rewritten = rewrite(tree, compat=compat)
        printed = to_source(rewritten, source)
        assert _shape(parse(printed)) == _shape(rewritten)


def _shape(node: object) -> object:
    """The tree without source offsets (what two parses of equivalent text share)."""
    from dataclasses import fields, is_dataclass

    from pykyverno.engine.cel.frontend.nodes import Call, Ident

    if isinstance(node, tuple):
        return tuple(_shape(item) for item in node)
    if isinstance(node, Call) and isinstance(node.target, Ident):
        # ``ns.f(x)``: a namespaced global call and a member call on an identifier print (and mean) the same.
        return ("Call", None, f"{node.target.name}.{node.function}", _shape(node.args))
    if not is_dataclass(node):
        return node
    parts = tuple(_shape(getattr(node, f.name)) for f in fields(node) if f.name not in ("start", "end"))
    return (type(node).__name__, *parts)
