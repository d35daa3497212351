"""The CEL front end: lexer, parser, printer, rewrites, depth limits and cost estimate."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cel import CelCompileError, CelCostError, CelEvalError, environment_for
from pykyverno.engine.cel.frontend import (
    DEFAULT_COST_LIMIT,
    MAX_EXPRESSION_DEPTH,
    CostModel,
    estimate_cost,
    prepare,
)
from pykyverno.engine.cel.frontend.lexer import tokenize
from pykyverno.engine.cel.frontend.nodes import (
    Binary,
    Call,
    Construct,
    Ident,
    Index,
    Literal,
    MapExpr,
    Select,
    Ternary,
    Unary,
)
from pykyverno.engine.cel.frontend.parser import parse
from pykyverno.engine.cel.frontend.printer import to_source
from pykyverno.engine.cel.frontend.source import SyntaxProblem, caret_message

POD: dict[str, Any] = {
    "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
    "spec": {
        "containers": [
            {"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}]},
            {"name": "sidecar", "image": "busybox", "securityContext": {"runAsNonRoot": False}},
        ],
    },
}


def evaluate(source: str, obj: Any = POD, kind: str = "mpol") -> Any:
    return environment_for(kind).compile(source).evaluate({"object": obj})


# -- lexer -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("42", "INT"), ("0x2A", "INT"), ("42u", "UINT"), ("0xFFU", "UINT"), ("1.5", "DOUBLE"), ("1e3", "DOUBLE"),
        (".5", "DOUBLE"), ("2.5e-3", "DOUBLE"), ("'a'", "STRING"), ('"a\\"b"', "STRING"), ("'''a'b'''", "STRING"),
        ('"""x"y"""', "STRING"), ("r'\\d+'", "STRING"), ("R\"raw\"", "STRING"), ("b'\\x00'", "BYTES"),
        ("rb'x'", "BYTES"), ("BR'x'", "BYTES"), ("name_1", "IDENT"), ("`a-b`", "IDENT"),
    ],
)
def test_lexer_literal_kinds(text: str, kind: str) -> None:
    tokens = tokenize(text)
    assert [(t.kind, t.text) for t in tokens[:-1]] == [(kind, text)]
    assert tokens[-1].kind == "EOF"


def test_lexer_skips_comments_and_keeps_offsets() -> None:
    tokens = tokenize("a // comment\n  >= 1")
    assert [(t.text, t.start) for t in tokens[:-1]] == [("a", 0), (">=", 15), ("1", 18)]


def test_lexer_dot_after_operand_is_selection() -> None:
    assert [t.text for t in tokenize("x.y[0].z")][:-1] == ["x", ".", "y", "[", "0", "]", ".", "z"]


def test_lexer_unterminated_string_is_reported() -> None:
    with pytest.raises(SyntaxProblem, match="unterminated"):
        tokenize("'abc")


# -- parser ----------------------------------------------------------------------------------------------------


def test_parser_precedence() -> None:
    tree = parse("a || b && c == 1 + 2 * 3")
    assert isinstance(tree, Binary) and tree.op == "||"
    assert isinstance(tree.right, Binary) and tree.right.op == "&&"
    relation = tree.right.right
    assert isinstance(relation, Binary) and relation.op == "=="
    assert isinstance(relation.right, Binary) and relation.right.op == "+"
    assert isinstance(relation.right.right, Binary) and relation.right.right.op == "*"


def test_parser_ternary_is_right_associative() -> None:
    tree = parse("a ? b : c ? d : e")
    assert isinstance(tree, Ternary) and isinstance(tree.otherwise, Ternary)


def test_parser_member_forms() -> None:
    tree = parse(".object.?spec[?'k'][0].f(x)")
    assert isinstance(tree, Call) and tree.function == "f"
    index = tree.target
    assert isinstance(index, Index) and not index.optional
    optional_index = index.operand
    assert isinstance(optional_index, Index) and optional_index.optional
    select = optional_index.operand
    assert isinstance(select, Select) and select.optional and select.field == "spec"
    assert isinstance(select.operand, Ident) and select.operand.name == ".object"


def test_parser_negative_literal_and_unary_runs() -> None:
    assert parse("-1") == Literal("int", "-1", 0, 2)
    assert isinstance(parse("-x"), Unary)
    assert isinstance(parse("!!x"), Ident)  # an even run cancels, as in cel-go
    assert isinstance(parse("!!!x"), Unary)


def test_parser_in_operator_and_literals() -> None:
    tree = parse("x in [1, 2u, 3.0, true, null, b'z']")
    assert isinstance(tree, Binary) and tree.op == "in"


def test_parser_message_construction() -> None:
    tree = parse("Object.spec{?a: 1, b: [2],}")
    assert isinstance(tree, Construct) and tree.type_name == "Object.spec"
    assert [(f.name, f.optional) for f in tree.fields] == [("a", True), ("b", False)]


def test_parser_balances_long_or_chains() -> None:
    tree = parse(" || ".join(f"x{i}" for i in range(1000)))
    depth = 0
    node: Any = tree
    while isinstance(node, Binary):
        node, depth = node.left, depth + 1
    assert depth <= 10


def test_parser_offsets_cover_parentheses() -> None:
    source = "(a + b) * c"
    tree = parse(source)
    assert isinstance(tree, Binary)
    assert source[tree.left.start: tree.left.end] == "(a + b)"


@pytest.mark.parametrize(
    "source", ["a +", "a ? b", "[1, 2", "{1: }", "a.", "f(,)", "1 2", "a ? b ? c : d : e", "x.?f()"],
)
def test_parser_rejects_invalid_syntax(source: str) -> None:
    with pytest.raises(SyntaxProblem):
        parse(source)


ROUND_TRIP = [
    "1 + 2 * 3",
    "(1 + 2) * 3",
    "1 - (2 - 3)",
    "10 / 2 % 3",
    "-(1 + 2)",
    "!(true && false)",
    "true ? 1 : 2",
    "(true ? 1 : 2) + 3",
    "'a' + \"b\" + '''c''' + r'\\d'",
    "b'ab' + b\"\\x00\"",
    "[1, 2, 3].map(x, x * 2)",
    "{'a': 1, 'b': [2u, 3u]}['b']",
    "object.spec.containers.exists(c, c.name == 'nginx')",
    "object.?spec.?nodeName.orValue('none')",
    "object.metadata.labels[?'app'].orValue('')",
    "[?optional.of(1), ?optional.none(), 2]",
    "{?'a': optional.of(1), 'b': 2}",
    "object.spec.containers.all(i, c, c.image != '')",
    "size(object.spec.containers) > 1 || has(object.spec.hostNetwork)",
    "cel.bind(n, object.metadata.name, n + '-' + n)",
    ".object.metadata.name",
    "'x' in object.metadata.labels || 'app' in object.metadata.labels",
    "0x10 + 1 == 17 && 1.5e1 == 15.0",
    "object.spec.containers.map(c, c.name).filter(n, n.startsWith('s'))",
    "'%s-%d'.format(['a', 1])",
    "-1 < 0 && -(-1) == 1",
]


@pytest.mark.parametrize("source", ROUND_TRIP)
def test_printer_round_trip(source: str) -> None:
    printed = to_source(parse(source))
    assert to_source(parse(printed)) == printed
    assert to_source(parse(source), source) == source  # verbatim when unchanged
    assert evaluate(printed) == evaluate(source)


def test_printer_parenthesises_rebuilt_nodes() -> None:
    tree = Binary("*", Binary("+", Ident("a"), Ident("b")), Unary("-", Literal("int", "-1")))
    assert to_source(tree) == "(a + b) * -(-1)"


# -- prepare: passthrough and errors ---------------------------------------------------------------------------


def test_prepare_leaves_plain_expressions_untouched() -> None:
    source = "object.spec.containers.all(c,\n  c.name != '')"
    assert prepare(source) is source


def test_prepare_hands_unparsable_plain_expressions_to_cel_cpp() -> None:
    assert prepare("object.x ==") == "object.x =="
    with pytest.raises(CelCompileError, match="Syntax error"):
        evaluate("object.x ==")


def test_prepare_reports_syntax_errors_in_rewritten_expressions_with_caret() -> None:
    with pytest.raises(CelCompileError) as caught:
        prepare("Object{spec: }", path="spec.mutations[0].applyConfiguration.expression")
    error = caught.value
    assert error.expression == "Object{spec: }"
    assert error.path == "spec.mutations[0].applyConfiguration.expression"
    assert error.message.splitlines() == [
        "ERROR: <input>:1:14: Syntax error: expected an expression, found '}'",
        " | Object{spec: }",
        " | .............^",
    ]


def test_caret_message_on_second_line() -> None:
    lines = caret_message("a &&\n  b +", 10, "boom").splitlines()
    assert lines == ["ERROR: <input>:2:6: boom", " |   b +", " | .....^"]


# -- rewrite: Object{} / JSONPatch{} ---------------------------------------------------------------------------


def test_object_construction_becomes_map_literal() -> None:
    source = 'Object{spec: Object.spec{containers: [Object.spec.containers{name: "x"}]}}'
    assert prepare(source) == 'dyn({"spec": {"containers": [{"name": "x"}]}})'
    assert evaluate(source) == {"spec": {"containers": [{"name": "x"}]}}


def test_jsonpatch_construction_becomes_map_literal() -> None:
    source = 'JSONPatch{op: "add", path: "/x", value: 1}'
    assert prepare(source) == 'dyn({"op": "add", "path": "/x", "value": 1})'
    assert evaluate(f"[{source}]") == [{"op": "add", "path": "/x", "value": 1}]


def test_optional_fields_in_construction() -> None:
    source = "Object{metadata: Object.metadata{?labels: optional.none(), ?name: object.metadata.?name}}"
    assert evaluate(source) == {"metadata": {"name": "web"}}


def test_seed_article_apply_configuration() -> None:
    source = """Object{
  spec: Object.spec{
    securityContext: Object.spec.securityContext{
      runAsNonRoot: has(object.spec.securityContext) && has(object.spec.securityContext.runAsNonRoot)
                   ? object.spec.securityContext.runAsNonRoot
                   : true
    }
  }
}"""
    expected = {"spec": {"securityContext": {"runAsNonRoot": True}}}
    assert evaluate(source) == expected
    secured = {"spec": {"securityContext": {"runAsNonRoot": False}}}
    assert evaluate(source, secured) == {"spec": {"securityContext": {"runAsNonRoot": False}}}
    assert environment_for("map").compile(source).evaluate({"object": POD}) == expected


def test_construction_inside_comprehension_and_ternary_with_null() -> None:
    source = (
        "object.spec.containers.map(c, !has(c.securityContext) ? "
        "JSONPatch{op: 'add', path: '/spec/containers/' + string(object.spec.containers.indexOf(c))"
        " + '/securityContext', value: dyn({})} : null).filter(p, p != null)"
    )
    assert evaluate(source) == [{"op": "add", "path": "/spec/containers/0/securityContext", "value": {}}]


def test_other_message_types_are_left_to_cel_cpp() -> None:
    assert prepare("google.protobuf.Duration{seconds: 1}") == "google.protobuf.Duration{seconds: 1}"


def test_object_inside_string_does_not_trigger_rewrite() -> None:
    source = "object.kind == 'Object{'"
    assert prepare(source) is source


# -- rewrite: transformMap / transformMapEntry -----------------------------------------------------------------


def test_transform_map_three_arguments() -> None:
    assert evaluate("object.metadata.labels.transformMap(k, v, v + '-' + k)") == {
        "app": "web-app", "tier": "front-tier",
    }


def test_transform_map_with_filter() -> None:
    assert evaluate("object.metadata.labels.transformMap(k, v, k != 'tier', v.upperAscii())") == {"app": "WEB"}


def test_transform_map_over_a_list_uses_indexes() -> None:
    assert evaluate("object.spec.containers.transformMap(i, c, c.name)") == {0: "nginx", 1: "sidecar"}


def test_transform_map_entry() -> None:
    assert evaluate("object.metadata.labels.transformMapEntry(k, v, {v: k})") == {"web": "app", "front": "tier"}


def test_transform_map_entry_with_filter() -> None:
    assert evaluate("object.metadata.labels.transformMapEntry(k, v, k == 'app', {v: k})") == {"web": "app"}


def test_transform_map_entry_duplicate_key_is_an_error() -> None:
    with pytest.raises(CelEvalError, match="already exists"):
        evaluate("object.metadata.labels.transformMapEntry(k, v, {'same': v})")


def test_nested_transform_map() -> None:
    source = "{'a': {'x': 1}}.transformMap(k, v, v.transformMap(k2, v2, v2 + 1))"
    assert evaluate(source) == {"a": {"x": 2}}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("object.metadata.labels.all(k, v, v != '')", True),
        ("object.metadata.labels.exists(k, v, k == 'app' && v == 'web')", True),
        ("object.metadata.labels.existsOne(k, v, v.startsWith('f'))", True),
        ("object.spec.containers.transformList(i, c, i)", [0, 1]),
        ("object.spec.containers.transformList(i, c, i > 0, c.name)", ["sidecar"]),
        ("[3, 1, 2].sortBy(x, x)", [1, 2, 3]),
    ],
)
def test_native_two_variable_comprehensions_pass_through(source: str, expected: Any) -> None:
    assert prepare(source) is source
    assert evaluate(source) == expected


# -- rewrite: cross-type numeric comparisons ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 < 1.5", True),
        ("1.5 >= 1", True),
        ("2u > 1.5", True),
        ("1u < 2", True),
        ("-1 < -0.5", True),
        ("size(object.spec.containers) > 1.5", True),
        ("object.spec.containers.size() >= 1.5", True),
        ("1 + 2 <= 3.0", True),
        ("2.5 > size(object.spec.containers)", True),
        ("int('3') < 3.5", True),
        ("double('1.5') > 1", True),
    ],
)
def test_cross_type_numeric_comparisons(source: str, expected: bool) -> None:
    assert "dyn(" in prepare(source)
    assert evaluate(source) is expected


@pytest.mark.parametrize("source", ["1 < 2", "1.5 == 1.5", "object.spec.replicas > 1.5", "dyn(1) == 1.0"])
def test_same_type_or_dynamic_comparisons_are_untouched(source: str) -> None:
    assert prepare(source) is source


@pytest.mark.parametrize("source", ["1 == 1.0", "1u != 1", "size(object.spec.containers) == 2.0"])
def test_cross_type_equality_stays_a_compile_error_as_in_cel_go(source: str) -> None:
    assert prepare(source) is source
    with pytest.raises(CelCompileError, match="no matching overload"):
        evaluate(source)


def test_null_opposite_a_map_literal_compiles() -> None:
    assert evaluate("has(object.spec.x) ? {'a': 1} : null") is None
    assert evaluate("true ? null : [1]") is None


# -- depth -----------------------------------------------------------------------------------------------------


def test_long_string_concatenation_is_rebalanced() -> None:
    source = " + ".join(f"'{i % 10}'" for i in range(80))
    assert evaluate(source) == "".join(str(i % 10) for i in range(80))


def test_long_concatenation_with_variables_keeps_order() -> None:
    source = " + ".join(["object.metadata.name", "'-'"] * 30)
    assert evaluate(source) == "web-" * 30


def test_very_long_chain_does_not_overflow_python() -> None:
    assert evaluate(" + ".join(["1"] * 3000)) == 3000


def test_long_or_chain_compiles() -> None:
    assert evaluate(" || ".join(["object.metadata.name == 'x'"] * 300) + " || true") is True


def test_short_expressions_keep_their_grouping() -> None:
    source = "'a' + object.metadata.name + 'b'"
    assert prepare(source) is source


def test_deep_selection_chain_is_refused_clearly() -> None:
    source = "object" + ".a" * 40
    with pytest.raises(CelCompileError) as caught:
        environment_for("vpol").compile(source, path="spec.validations[0].expression")
    error = caught.value
    assert f"limit is {MAX_EXPRESSION_DEPTH}" in error.message
    assert "41 levels deep" in error.message
    assert error.path == "spec.validations[0].expression"
    assert error.message.startswith("ERROR: <input>:1:")


def test_selection_chain_within_the_limit_compiles() -> None:
    assert prepare("object" + ".a" * 30) == "object" + ".a" * 30


def test_deep_parentheses_are_refused_clearly() -> None:
    with pytest.raises(CelCompileError, match="nest 40 levels deep; the CEL runtime's limit is 32"):
        prepare("(" * 40 + "1" + ")" * 40)


def test_extremely_deep_nesting_is_refused_without_recursion_error() -> None:
    with pytest.raises(CelCompileError, match="limit"):
        prepare("[" * 500 + "]" * 500)
    with pytest.raises(CelCompileError, match="nested 5001 levels deep; the CEL runtime's limit is 32"):
        prepare("object" + ".a" * 5000)


# -- cost ------------------------------------------------------------------------------------------------------

FOUR_LEVELS = (
    "object.spec.containers.all(a, object.spec.containers.all(b, object.spec.containers.all(c,"
    " object.spec.containers.all(d, d.name == a.name))))"
)
THREE_LEVELS_WITH_REGEX = (
    "object.spec.containers.all(a, a.ports.all(b, a.env.all(c,"
    " c.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'))))"
)


OPT_IN = CostModel(limit=DEFAULT_COST_LIMIT)


def test_nested_comprehensions_over_object_lists_compile_as_in_kyverno() -> None:
    """Neither Kyverno nor the API server (for admission policies) refuses an expression for its estimated cost:
    the work depends on the object, and the runtime limit stops what is too expensive for it."""
    assert estimate_cost(FOUR_LEVELS) > DEFAULT_COST_LIMIT
    assert prepare(FOUR_LEVELS) is FOUR_LEVELS
    assert environment_for("vpol").compile(FOUR_LEVELS).evaluate({"object": {"spec": {"containers": [{"name": "a"}]}}})


def test_the_opt_in_estimate_limit_refuses_pathological_nesting() -> None:
    with pytest.raises(CelCostError) as caught:
        prepare(FOUR_LEVELS, path="spec.validations[1].expression", cost_model=OPT_IN)
    error = caught.value
    assert "exceeds the budget of 1000000" in error.message
    assert error.expression == FOUR_LEVELS
    assert error.path == "spec.validations[1].expression"
    assert estimate_cost(THREE_LEVELS_WITH_REGEX) > DEFAULT_COST_LIMIT
    assert prepare(THREE_LEVELS_WITH_REGEX) is THREE_LEVELS_WITH_REGEX
    with pytest.raises(CelCostError):
        prepare(THREE_LEVELS_WITH_REGEX, cost_model=OPT_IN)


def test_what_no_input_lets_complete_is_refused() -> None:
    """The cost on the cheapest input (lists and strings of the object empty) is over the runtime limit."""
    source = "lists.range(2000).all(i, lists.range(2000).all(j, i + j >= 0))"
    with pytest.raises(CelCostError, match=r"costs at least .* the runtime cost limit of 1000000 per expression"):
        prepare(source)
    assert prepare("lists.range(100).all(i, lists.range(100).all(j, i + j >= 0))")


def test_ordinary_nested_comprehensions_are_accepted() -> None:
    source = "object.spec.containers.all(c, c.?ports.orValue([]).all(p, p.containerPort > 0))"
    assert estimate_cost(source) < DEFAULT_COST_LIMIT / 10
    assert evaluate(source) is True


def test_cost_grows_with_nesting_and_size() -> None:
    one = estimate_cost("object.items.all(x, x > 0)")
    two = estimate_cost("object.items.all(x, object.items.all(y, x > y))")
    assert two > one * 10
    assert estimate_cost("[1, 2, 3].all(x, x > 0)") < one


def test_string_work_scales_with_size() -> None:
    short = estimate_cost("'abc'.contains('b')")
    long = estimate_cost("'" + "a" * 5000 + "'.contains('b')")
    assert long > short + 400


def test_cost_model_is_configurable() -> None:
    source = "object.items.all(x, object.items.all(y, x == y))"
    assert prepare(source) is source
    with pytest.raises(CelCostError):
        prepare(source, cost_model=CostModel(limit=1000))
    small = CostModel(unknown_list_size=2)
    assert estimate_cost(source, small) < estimate_cost(source)


def test_cost_counts_rewritten_constructions() -> None:
    assert estimate_cost("Object{spec: Object.spec{x: 1}}") >= 60


def test_map_expr_nodes_after_rewrite() -> None:
    from pykyverno.engine.cel.frontend.rewrite import rewrite

    tree = rewrite(parse("JSONPatch{op: 'add'}"))
    assert isinstance(tree, Call) and tree.function == "dyn" and tree.start == -1
    assert isinstance(tree.args[0], MapExpr) and tree.args[0].start == -1
