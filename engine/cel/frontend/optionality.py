"""What an expression's value can be, as far as optionals go, without running it.

Kyverno keeps cel-go's old behaviour for ``x.orValue(y)`` when ``x`` is not an optional (the value of ``x``), through a
compatibility macro that accepts every receiver. cel-cpp only has ``optional.orValue``. To rewrite each call to the
cheapest form that behaves like Kyverno's, the front end classifies the receiver:

* :data:`OPTIONAL` -- certainly an optional (``x.?f``, ``m[?k]``, ``optional.of(v)``, ``a.or(b)``, ...): native call;
* :data:`DATA` -- certainly not an optional, nor holding one where plain selection reaches (object fields, literals,
  results of library functions, which cannot return optionals, comprehension variables over such data): the
  receiver itself;
* :data:`UNKNOWN` -- anything else (``variables``, a ``cel.bind`` name or comprehension variable over values the
  expression built, ...): decided when evaluated.

A scope maps names bound inside the expression (``cel.bind``, comprehension variables) to the class of their value;
free identifiers are the environment's variables, whose values are decoded data, except ``variables``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .nodes import Binary, Call, Construct, Expr, Ident, Index, ListExpr, Literal, MapExpr, Select, Ternary, Unary

DATA = "data"
OPTIONAL = "optional"
UNKNOWN = "unknown"

Scope = Mapping[str, str]

#: Free identifiers whose members may hold optionals (a policy variable may be ``object.?spec``).
MAYBE_OPTIONAL_ROOTS = frozenset({"variables"})
#: Calls that return an optional: qualified global names and member names.
_OPTIONAL_FUNCTIONS = frozenset({"optional.of", "optional.ofNonZeroValue", "optional.none", "regex.extract"})
_OPTIONAL_MEMBERS = frozenset({"or", "first", "last", "optMap", "optFlatMap"})
#: Functions returning their argument or elements of it (a list of optionals stays one).
_PRESERVING = frozenset({"dyn", "min", "max", "sort", "distinct", "flatten", "slice", "reverse", "filter", "sortBy"})
#: Macros binding iteration variables (two-variable forms are told by argument count in :func:`macro_variables`).
_MACROS = frozenset({
    "all", "exists", "exists_one", "existsOne", "map", "filter", "sortBy",
    "transformList", "transformMap", "transformMapEntry", "optMap", "optFlatMap",
})
_TWO_VARIABLE_COUNTS = {"all": 3, "exists": 3, "exists_one": 3, "existsOne": 3}
_TRANSFORMS = frozenset({"transformList", "transformMap", "transformMapEntry"})
_BOOLEAN_MACROS = frozenset({"all", "exists", "exists_one", "existsOne"})


def qualified_call(node: Call) -> str:
    """``optional.of`` for ``optional.of(x)`` (a namespaced global), else the plain function name."""
    if isinstance(node.target, Ident):
        return f"{node.target.name.lstrip('.')}.{node.function}"
    return node.function


def is_bind(node: Expr) -> bool:
    """``cel.bind(name, value, body)``."""
    return (
        isinstance(node, Call)
        and node.function == "bind"
        and qualified_call(node) == "cel.bind"
        and len(node.args) == 3
        and isinstance(node.args[0], Ident)
    )


def macro_variables(node: Call) -> tuple[Ident, ...]:
    """The iteration variables a macro call binds (empty when ``node`` is not a macro call)."""
    if node.target is None or node.function not in _MACROS or not node.args:
        return ()
    two = (node.function in _TRANSFORMS and len(node.args) >= 3) or _TWO_VARIABLE_COUNTS.get(node.function) == len(
        node.args
    )
    count = 2 if two else 1
    variables = node.args[:count]
    if len(node.args) <= count or not all(isinstance(v, Ident) for v in variables):
        return ()
    return tuple(v for v in variables if isinstance(v, Ident))


def classify(node: Expr, scope: Scope) -> str:
    """:data:`DATA`, :data:`OPTIONAL` or :data:`UNKNOWN` for the value of ``node``."""
    if isinstance(node, Literal):
        return DATA
    if isinstance(node, Ident):
        name = node.name.lstrip(".")
        if name in scope:
            return scope[name]
        return UNKNOWN if name in MAYBE_OPTIONAL_ROOTS else DATA
    if isinstance(node, Select | Index):
        return OPTIONAL if node.optional else classify(node.operand, scope)
    if isinstance(node, ListExpr):
        return _all_data(payload(e.value, scope) if e.optional else classify(e.value, scope) for e in node.elements)
    if isinstance(node, MapExpr):
        values = (payload(e.value, scope) if e.optional else classify(e.value, scope) for e in node.entries)
        return _all_data(values)
    if isinstance(node, Construct):
        return _all_data(payload(f.value, scope) if f.optional else classify(f.value, scope) for f in node.fields)
    if isinstance(node, Unary):
        return DATA
    if isinstance(node, Binary):
        if node.op == "+":
            return _all_data((classify(node.left, scope), classify(node.right, scope)))
        return DATA
    if isinstance(node, Ternary):
        then, otherwise = classify(node.then, scope), classify(node.otherwise, scope)
        return then if then == otherwise else UNKNOWN
    return _classify_call(node, scope)


def holds_only_data(node: Expr) -> bool:
    """True when the value of ``node`` (a whole expression) certainly neither is nor holds an optional."""
    return classify(node, {}) == DATA


def payload(node: Expr, scope: Scope) -> str:
    """The class of the value inside ``node`` when it is an optional (of ``node`` itself otherwise)."""
    if isinstance(node, Select | Index):
        inner = payload(node.operand, scope)
        return DATA if inner == DATA else UNKNOWN
    if isinstance(node, Ternary):
        return _all_data((payload(node.then, scope), payload(node.otherwise, scope)))
    if isinstance(node, Call):
        name = qualified_call(node)
        if name == "optional.none":
            return DATA
        if name in ("optional.of", "optional.ofNonZeroValue") and len(node.args) == 1:
            return _all_data((classify(node.args[0], scope),))
        if node.function == "or" and node.target is not None and len(node.args) == 1:
            return _all_data((payload(node.target, scope), payload(node.args[0], scope)))
    kind = classify(node, scope)
    return DATA if kind == DATA else UNKNOWN


def inner_scopes(node: Call, scope: Scope) -> dict[int, Scope]:
    """Scopes for the arguments of ``node`` that see names it binds, keyed by ``id(argument)``."""
    if is_bind(node):
        name = node.args[0]
        assert isinstance(name, Ident)
        return {id(node.args[2]): {**scope, name.name: classify(node.args[1], scope)}}
    variables = macro_variables(node)
    if not variables:
        return {}
    assert node.target is not None
    if node.function in ("optMap", "optFlatMap"):
        element = payload(node.target, scope)
    else:
        element = DATA if classify(node.target, scope) == DATA else UNKNOWN
    inner = {**scope, **{v.name: element for v in variables}}
    return {id(arg): inner for arg in node.args[len(variables):]}


def _classify_call(node: Call, scope: Scope) -> str:
    name = qualified_call(node)
    if name in _OPTIONAL_FUNCTIONS or (node.target is not None and node.function in _OPTIONAL_MEMBERS):
        return OPTIONAL
    if node.target is not None and node.function == "orValue" and len(node.args) == 1:
        return _all_data((payload(node.target, scope), classify(node.args[0], scope)))
    if node.target is not None and node.function == "value" and not node.args:
        return payload(node.target, scope)
    scopes = inner_scopes(node, scope)
    if is_bind(node):
        return classify(node.args[2], scopes[id(node.args[2])])
    if macro_variables(node) and node.function not in ("filter", "sortBy"):
        if node.function in _BOOLEAN_MACROS:
            return DATA
        body = node.args[-1]
        return _all_data((classify(body, scopes[id(body)]),))
    if node.function in _PRESERVING:
        subject = node.target if node.target is not None else (node.args[0] if node.args else None)
        return DATA if subject is None else classify(subject, scope)
    return DATA


def _all_data(kinds: Iterable[str]) -> str:
    return DATA if all(kind == DATA for kind in kinds) else UNKNOWN
