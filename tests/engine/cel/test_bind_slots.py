"""Bindings never read a value left over by an earlier comprehension (cel-cpp's lazy ``cel.bind`` slots, see
``engine/cel/frontend/binds.py``).

The differential property: Hypothesis builds expressions that mix comprehensions stopping early (``all``, ``exists``,
two-variable forms) with ``cel.bind``, ``optMap`` and ``optFlatMap`` in every position (siblings, bodies,
initialisers, loop bodies, the outermost chain), and the same expression without any binding (each bound name
replaced by its initialiser, ``optMap`` by its expansion with the value substituted). Both run through our environment
on generated objects; a binding that read a stale slot gives a different answer. Errors count as one outcome (both
sides must fail alike), so laziness is checked too: an initialiser that fails matters only when it is read.

For a longer local run set ``PYKYVERNO_FUZZ_EXAMPLES`` (as for ``test_frontend_fuzz.py``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykyverno.engine.cel import CelError, environment_for
from pykyverno.engine.cel.frontend import binds, prepare
from pykyverno.engine.cel.frontend.inline import inline_variables

EXAMPLES = int(os.environ.get("PYKYVERNO_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ENV = environment_for("vpol")

#: Value kinds of the generated expressions: booleans, ints, an element map ({"n": int, "g"?: int}), lists of
#: element maps and of ints, and optional ints.
KINDS = ("bool", "int", "elem", "elems", "ints", "opt")


@dataclass
class _Scope:
    """Names visible at a point: name -> (kind, text that replaces it in the reference expression)."""

    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    def with_name(self, name: str, kind: str, reference: str) -> _Scope:
        return _Scope({**self.names, name: (kind, reference)})

    def of_kind(self, kind: str) -> list[tuple[str, str]]:
        return [(name, ref) for name, (k, ref) in self.names.items() if k == kind]


class _Builder:
    """Draws an expression and its binding-free reference together (``(bound, reference)`` pairs)."""

    def __init__(self, draw: Callable[[Any], Any]) -> None:
        self.draw = draw
        self.counter = itertools.count()

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def choose(self, options: list[str]) -> str:
        return str(self.draw(st.sampled_from(options)))

    def expr(self, kind: str, scope: _Scope, depth: int) -> tuple[str, str]:
        leaf = depth <= 0
        options = ["leaf"] if leaf else ["leaf", "bind", "ternary", "compound", "compound"]
        if scope.of_kind(kind):
            options += ["name", "name"]
        choice = self.choose(options)
        if choice == "name":
            name, reference = self.draw(st.sampled_from(scope.of_kind(kind)))
            return name, reference
        if choice == "bind":
            return self.bind(kind, scope, depth)
        if choice == "ternary":
            cond = self.expr("bool", scope, depth - 1)
            then, other = self.expr(kind, scope, depth - 1), self.expr(kind, scope, depth - 1)
            return f"({cond[0]} ? {then[0]} : {other[0]})", f"({cond[1]} ? {then[1]} : {other[1]})"
        return getattr(self, kind)(scope, depth - 1, leaf or choice == "leaf")

    def bind(self, kind: str, scope: _Scope, depth: int) -> tuple[str, str]:
        name = self.fresh("b")
        init_kind = self.choose(list(KINDS))
        init = self.expr(init_kind, scope, depth - 1)
        body = self.expr(kind, scope.with_name(name, init_kind, f"({init[1]})"), depth - 1)
        return f"cel.bind({name}, {init[0]}, {body[0]})", body[1]

    def comprehension(self, scope: _Scope, depth: int) -> tuple[str, str]:
        macro = self.choose(["all", "exists", "exists", "all", "exists_one"])
        two = macro != "exists_one" and self.draw(st.booleans())
        over_elements = self.draw(st.booleans())
        target = self.expr("elems" if over_elements else "ints", scope, depth - 1)
        var = self.fresh("v")
        inner = scope.with_name(var, "elem" if over_elements else "int", var)
        variables = var
        if two:
            index = self.fresh("i")
            inner = inner.with_name(index, "int", index)
            variables = f"{index}, {var}"
        body = self.expr("bool", inner, depth - 1)
        return f"{target[0]}.{macro}({variables}, {body[0]})", f"{target[1]}.{macro}({variables}, {body[1]})"

    def bool(self, scope: _Scope, depth: int, leaf: bool) -> tuple[str, str]:
        if leaf:
            return (text := self.choose(["true", "false"])), text
        form = self.choose(["comprehension", "comprehension", "comprehension", "compare", "has", "and", "or", "not"])
        if form == "comprehension":
            return self.comprehension(scope, depth)
        if form == "compare":
            op = self.choose(["==", "<", "!="])
            left, right = self.expr("int", scope, depth), self.expr("int", scope, depth)
            return f"{left[0]} {op} {right[0]}", f"{left[1]} {op} {right[1]}"
        if form == "has":
            elem = self.expr("elem", scope, depth)
            return f"has({elem[0]}.g)", f"has({elem[1]}.g)"
        if form == "not":
            operand = self.expr("bool", scope, depth)
            return f"!({operand[0]})", f"!({operand[1]})"
        op = "&&" if form == "and" else "||"
        left, right = self.expr("bool", scope, depth), self.expr("bool", scope, depth)
        return f"({left[0]} {op} {right[0]})", f"({left[1]} {op} {right[1]})"

    def int(self, scope: _Scope, depth: int, leaf: bool) -> tuple[str, str]:
        if leaf:
            return (text := self.choose(["0", "1", "2", "3"])), text
        form = self.choose(["field", "field", "missing", "size", "plus", "or_value"])
        if form in ("field", "missing"):
            elem = self.expr("elem", scope, depth)
            key = "n" if form == "field" else "g"  # g is missing from some elements: an error when read
            return f"{elem[0]}.{key}", f"{elem[1]}.{key}"
        if form == "size":
            items = self.expr(self.choose(["elems", "ints"]), scope, depth)
            return f"size({items[0]})", f"size({items[1]})"
        if form == "or_value":
            opt, default = self.expr("opt", scope, depth), self.expr("int", scope, depth)
            return f"{opt[0]}.orValue({default[0]})", f"{opt[1]}.orValue({default[1]})"
        left, right = self.expr("int", scope, depth), self.expr("int", scope, depth)
        return f"({left[0]} + {right[0]})", f"({left[1]} + {right[1]})"

    def elem(self, scope: _Scope, depth: int, leaf: bool) -> tuple[str, str]:
        if leaf:
            return (text := self.choose(["object.L[0]", "object.L[1]", "{'n': 7}"])), text
        items = self.expr("elems", scope, depth)
        return f"{items[0]}[0]", f"{items[1]}[0]"

    def elems(self, scope: _Scope, depth: int, leaf: bool) -> tuple[str, str]:
        if leaf:
            return "object.L", "object.L"
        form = self.choose(["filter", "literal"])
        if form == "literal":
            first, second = self.expr("elem", scope, depth), self.expr("elem", scope, depth)
            return f"[{first[0]}, {second[0]}]", f"[{first[1]}, {second[1]}]"
        target = self.expr("elems", scope, depth)
        var = self.fresh("f")
        body = self.expr("bool", scope.with_name(var, "elem", var), depth)
        return f"{target[0]}.filter({var}, {body[0]})", f"{target[1]}.filter({var}, {body[1]})"

    def ints(self, scope: _Scope, depth: int, leaf: bool) -> tuple[str, str]:
        if leaf:
            return "object.N", "object.N"
        form = self.choose(["map", "map", "literal"])
        if form == "literal":
            first, second = self.expr("int", scope, depth), self.expr("int", scope, depth)
            return f"[{first[0]}, {second[0]}]", f"[{first[1]}, {second[1]}]"
        target = self.expr("elems", scope, depth)
        var = self.fresh("m")
        body = self.expr("int", scope.with_name(var, "elem", var), depth)
        return f"{target[0]}.map({var}, {body[0]})", f"{target[1]}.map({var}, {body[1]})"

    def opt(self, scope: _Scope, depth: int, leaf: bool) -> tuple[str, str]:
        if leaf:
            return (text := self.choose(["optional.none()", "optional.of(4)", "object.L[0].?g"])), text
        form = self.choose(["of", "select", "opt_map", "opt_flat_map"])
        if form == "of":
            value = self.expr("int", scope, depth)
            return f"optional.of({value[0]})", f"optional.of({value[1]})"
        if form == "select":
            elem = self.expr("elem", scope, depth)
            return f"{elem[0]}.?g", f"{elem[1]}.?g"
        target = self.expr("opt", scope, depth)
        var = self.fresh("o")
        inner = scope.with_name(var, "int", f"{target[1]}.value()")
        body = self.expr("int" if form == "opt_map" else "opt", inner, depth)
        method = "optMap" if form == "opt_map" else "optFlatMap"
        present = f"optional.of({body[1]})" if form == "opt_map" else body[1]
        return f"{target[0]}.{method}({var}, {body[0]})", f"({target[1]}.hasValue() ? {present} : optional.none())"


@st.composite
def _expressions(draw: Callable[[Any], Any]) -> tuple[str, str]:
    """A list of sibling expressions (so earlier siblings run before later ones), with its reference."""
    builder = _Builder(draw)
    parts = [builder.expr(draw(st.sampled_from(KINDS)), _Scope(), draw(st.integers(2, 5))) for _ in range(3)]
    if draw(st.booleans()):  # a loop around the siblings: later iterations run after earlier ones
        var = builder.fresh("r")
        bound = f"object.N.map({var}, [{', '.join(p[0] for p in parts)}])"
        return bound, f"object.N.map({var}, [{', '.join(p[1] for p in parts)}])"
    if draw(st.booleans()):  # one part alone: the outermost chain, when it is a binding
        return parts[0]
    return f"[{', '.join(p[0] for p in parts)}]", f"[{', '.join(p[1] for p in parts)}]"


_ELEMENT = st.fixed_dictionaries({"n": st.integers(0, 3)}, optional={"g": st.integers(0, 3)})
_OBJECTS = st.fixed_dictionaries({
    "L": st.lists(_ELEMENT, min_size=2, max_size=5),
    "N": st.lists(st.integers(0, 3), max_size=4),
})


def _outcome(source: str, data: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "value", ENV.compile(source).evaluate(data)
    except CelError:
        return "error", None


@FUZZ
@given(_expressions(), _OBJECTS)
def test_bindings_agree_with_their_substituted_reference(pair: tuple[str, str], obj: dict[str, Any]) -> None:
    bound, reference = pair
    assert "cel.bind" not in reference and "optMap" not in reference and "optFlatMap" not in reference
    expected = _outcome(reference, {"object": obj})
    assert _outcome(bound, {"object": obj}) == expected, (bound, prepare(bound), reference)


@st.composite
def _policies(draw: Callable[[Any], Any]) -> tuple[str, list[str], dict[str, str], str]:
    """An expression reading policy variables (which read each other), inlined as :mod:`.inline` does."""
    builder = _Builder(draw)
    definitions: dict[str, str] = {}
    references: dict[str, str] = {}
    scope = _Scope()
    for index in range(draw(st.integers(1, 4))):
        name = f"x{index}"
        kind = draw(st.sampled_from(KINDS))
        bound, reference = builder.expr(kind, scope, draw(st.integers(1, 4)))
        definitions[name] = bound
        references[name] = reference
        scope = scope.with_name(f"variables.{name}", kind, f"({reference})")
    parts = [builder.expr(draw(st.sampled_from(KINDS)), scope, draw(st.integers(2, 4))) for _ in range(2)]
    body, reference = f"[{parts[0][0]}, {parts[1][0]}]", f"[{parts[0][1]}, {parts[1][1]}]"
    return body, list(definitions), definitions, reference


@FUZZ
@given(_policies(), _OBJECTS)
def test_inlined_policy_variables_agree_with_their_substituted_reference(
    policy: tuple[str, list[str], dict[str, str], str], obj: dict[str, Any]
) -> None:
    body, order, definitions, reference = policy
    inlined = inline_variables(body, order, definitions)
    assert inlined is not None
    assert prepare(inlined).startswith("cel.bind(pkv_var_x0, "), "the outermost chain keeps cel-cpp's own bindings"
    assert _outcome(inlined, {"object": obj}) == _outcome(reference, {"object": obj}), (inlined, reference)


#: The shapes that read a stale slot in cel-cpp without guards (the issue's examples and their relatives).
STALE_CASES = [
    ("[object.L.all(v, !has(v.g)), cel.bind(b, object.N, b)]", [False, [5, 6]]),
    ("object.L.all(v, !has(v.g)) || cel.bind(b, object.N, size(b) == 2)", True),
    ("[object.L.exists(i, v, has(v.g)), cel.bind(b, 1, cel.bind(c, 2, [b, c]))]", [True, [1, 2]]),
    ("[object.L.exists(v, object.L.exists(w, has(w.g))), cel.bind(b, 1, cel.bind(c, 2, cel.bind(d, 3, [b, c, d])))]",
     [True, [1, 2, 3]]),
    ("object.N.map(r, [cel.bind(b, r, b), object.L.exists(v, has(v.g))])", [[5, True], [6, True]]),
    ("[object.L.exists(v, has(v.g)), optional.of(5).optMap(x, x + 1).value()]", [True, 6]),
    ("[object.L.exists(v, has(v.g)), optional.of(5).optFlatMap(x, optional.of(x + 1)).value()]", [True, 6]),
    ("[cel.bind(a, object.L.exists(v, has(v.g)), a), cel.bind(b, 1, cel.bind(c, 2, [b, c]))]", [True, [1, 2]]),
]
STALE_OBJECT = {"L": [{"n": 0}, {"n": 1, "g": 1}, {"n": 2}], "N": [5, 6]}


@pytest.mark.parametrize(("source", "expected"), STALE_CASES)
def test_stale_slot_shapes_give_the_right_answer(source: str, expected: Any) -> None:
    assert ENV.compile(source).evaluate({"object": STALE_OBJECT}) == expected


def test_without_guards_cel_cpp_reads_stale_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runtime bug the guards work around is real in the pinned cel-cpp (if this starts failing, an upgrade
    fixed it and the guards can go)."""
    monkeypatch.setattr(binds, "_entered_empty", lambda bind: bind)
    env = environment_for("vpol", ("unguarded_probe",))  # a distinct environment: its own compile cache
    wrong = [source for source, expected in STALE_CASES[:5]
             if env.compile(source).evaluate({"object": STALE_OBJECT}) != expected]
    assert len(wrong) == 5, wrong


def test_bindings_stay_lazy_as_in_cel_go() -> None:
    """cel-go initialises a binding on first use (its comprehensions' accumulators are lazy), so does cel-cpp: an
    initialiser that fails matters only when read, also behind a guard."""
    assert ENV.compile("[object.L.exists(v, has(v.g)), cel.bind(x, 1/0, 2)]").evaluate({"object": STALE_OBJECT}) == [
        True, 2]
    with pytest.raises(CelError, match="divide by zero"):
        ENV.compile("[object.L.exists(v, has(v.g)), cel.bind(x, 1/0, x)]").evaluate({"object": STALE_OBJECT})


def test_the_outermost_chain_is_not_guarded() -> None:
    assert prepare("cel.bind(a, object.L, cel.bind(b, a.size(), [a, b]))") == (
        "cel.bind(a, object.L, cel.bind(b, a.size(), [a, b]))"
    )
    assert prepare("[cel.bind(a, 1, a)]") == "[cel.bind(pkv_slot, true, true) ? cel.bind(a, 1, a) : dyn(null)]"


def test_the_or_value_compat_binding_is_guarded() -> None:
    """``variables.x.orValue(d)`` on a value the front end cannot classify binds it (see ``rewrite.py``)."""
    source = "[object.L.exists(v, has(v.g)), variables.x.orValue(3), variables.y.orValue(4)]"
    assert "cel.bind(pkv_slot, true, true) ? cel.bind(pkv_or_value" in prepare(source)
    data = {"object": STALE_OBJECT, "variables": {"x": 5, "y": [1]}}
    assert ENV.compile(source).evaluate(data) == [True, 5, [1]]
