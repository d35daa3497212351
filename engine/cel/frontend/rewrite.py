"""Source rewrites that give cel-cpp the CEL features Kubernetes and Kyverno policies use but cel-cpp lacks.

* ``Object{spec: Object.spec{...}}`` / ``JSONPatch{op: ...}`` message construction -> ``dyn()`` of a map literal with
  string keys (``?field: value`` becomes the optional entry ``?"field": value``). cel-go types a construction by its
  message type (``Object``, ``Object.spec``, ``JSONPatch``), whatever fields it sets, so constructions of different
  shapes meet in ternaries, list literals, ``+`` and comprehension results; a bare map literal would carry its
  structural type (``map(string, map(string, bool))``) and fail to unify there. ``dyn`` unifies with everything. A
  construction that is a field value of another (directly or inside list and map literals there) is not wrapped:
  the outer ``dyn`` already hides its type, and the nesting stays within cel-cpp's parser limit.
* ``m.transformMap(k, v, [filter,] expr)`` -> ``pykyverno.pairsToMap(m.transformList(k, v, [filter,] [k, expr]))``
  and ``m.transformMapEntry(k, v, [filter,] entry)`` -> ``pykyverno.mergeEntries(m.transformList(...))``: cel-cpp
  compiles these macros but has no runtime ``cel.@mapInsert``. The helpers live in ``libs/frontend_helpers.py``.
* ``lists.range(n)`` -> ``lists.range(pykyverno.rangeLength(n))`` unless ``n`` is a literal (which the cost estimate
  counts): the helper refuses a length over ``MAX_LIST_LENGTH`` (``lists.range(int('100000000'))`` built 3 GB).
* ``c ? {...} : null`` (and ``c ? f(x) : null``): cel-go accepts ``null`` opposite a message (``JSONPatch{...}``,
  Kyverno's typed results), cel-cpp rejects it opposite a map: the non-null branch is wrapped in ``dyn(...)``.
* Ordering comparisons between operands of statically different numeric types (``1 < 1.5``, ``size(x) > 2.5``),
  which Kubernetes allows (CrossTypeNumericComparisons) and cel-cpp's checker rejects: the literal side (else the
  right side) is wrapped in ``dyn(...)``, deferring to the runtime's heterogeneous numeric comparison. Equality
  across types (``1 == 1.0``) is left alone: cel-go's checker rejects it too.

* ``x.orValue(y)`` on a value that is not optional: Kyverno registers a compat macro that accepts every receiver and
  keeps cel-go v0.27's behaviour there (the value itself; an error stays an error), while cel-cpp only has
  ``optional.orValue``. :mod:`.optionality` classifies the receiver: a certain optional keeps the native call, certain
  data (object fields, literals, library results, comprehension variables over data) becomes the receiver, and
  anything else is decided when evaluated: ``cel.bind(v, dyn(x), type(v) == optional_type ? v.orValue(y) : v)``.
* ``x.?f`` / ``x[?k]`` when ``x`` is null: cel-go yields ``optional.none()`` (manifests often carry ``metadata:``
  with no value), cel-cpp has no overload. A plain-chain receiver is guarded:
  ``(x == null ? optional.none() : x.?f)``.

Rewritten nodes carry no source offsets (``start == -1``) so the printer prints them structurally.
"""

from __future__ import annotations

from functools import lru_cache

from .nodes import (
    NUMERIC_KINDS,
    Binary,
    Call,
    Construct,
    Expr,
    Ident,
    Index,
    ListElement,
    ListExpr,
    Literal,
    MapEntry,
    MapExpr,
    Select,
    Ternary,
    Unary,
    map_children,
)
from .optionality import DATA, OPTIONAL, Scope, classify, inner_scopes
from .parser import parse
from .source import SyntaxProblem

#: First segment of the type names whose construction becomes a map literal.
MAP_CONSTRUCTED_TYPES = frozenset({"Object", "JSONPatch"})
#: Helper functions (declared in ``libs/frontend_helpers.py``) the rewrites call.
PAIRS_TO_MAP = "pykyverno.pairsToMap"
MERGE_ENTRIES = "pykyverno.mergeEntries"
#: ``lists.range(n)`` is native in cel-cpp and builds any length it is given: ``n`` passes through this check first.
RANGE_LENGTH = "pykyverno.rangeLength"

#: Kubernetes' CrossTypeNumericComparisons adds cross-type *ordering* overloads to cel-go's checker; equality across
#: numeric types (``1 == 1.0``) stays a compile error there (it is heterogeneous only at runtime, through dyn).
_COMPARISONS = frozenset({"<", "<=", ">", ">="})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})
#: Functions whose result type is a known number whatever their arguments (global or member style).
_INT_FUNCTIONS = frozenset(
    {
        "size",
        "int",
        "indexOf",
        "lastIndexOf",
        "getFullYear",
        "getMonth",
        "getDate",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
    }
)
_TYPED_FUNCTIONS = {"uint": "uint", "double": "double"}


#: The name the runtime form of ``orValue`` binds its receiver to.
OR_VALUE_RECEIVER = "pkv_or_value"


def is_map_constructed(type_name: str) -> bool:
    """True for ``Object``, ``Object.spec.x``, ``JSONPatch`` (optionally with a leading dot)."""
    return type_name.lstrip(".").split(".")[0] in MAP_CONSTRUCTED_TYPES


def _plain_chain_root(node: Expr) -> Ident | None:
    """The root identifier of ``a.b[c].d`` when no step is optional, else None."""
    while isinstance(node, Select | Index):
        if node.optional:
            return None
        node = node.operand
    return node if isinstance(node, Ident) else None


def rewrite(node: Expr, *, compat: bool = True) -> Expr:
    """Apply every rewrite, bottom-up. Returns ``node`` itself when nothing changed.

    ``compat=False`` leaves out the two cel-go compatibility rewrites (``orValue`` on plain values, null-safe ``.?``):
    the runtime compiles that variant when the full one does not type-check (a plain chain that does hold optionals).
    """
    return _Rewriter(compat).visit(node, {})


@lru_cache(maxsize=32)
def parsed_and_rewritten(source: str) -> Expr:
    """``rewrite(parse(source))``, once per text (the cost checks and the optionals check read it again, one after
    the other; trees are immutable). Raises :class:`SyntaxProblem` as :func:`parse` does."""
    return rewrite(parse(source))


def numeric_type(node: Expr) -> str | None:
    """The static numeric type (``int``, ``uint``, ``double``) cel-cpp's checker gives ``node``, when obvious."""
    if isinstance(node, Literal):
        return node.kind if node.kind in NUMERIC_KINDS else None
    if isinstance(node, Unary) and node.op == "-":
        return numeric_type(node.operand)
    if isinstance(node, Binary) and node.op in _ARITHMETIC:
        left = numeric_type(node.left)
        return left if left is not None and left == numeric_type(node.right) else None
    if isinstance(node, Ternary):
        then = numeric_type(node.then)
        return then if then is not None and then == numeric_type(node.otherwise) else None
    if isinstance(node, Call):
        if node.function in _INT_FUNCTIONS:
            return "int"
        if node.target is None and len(node.args) == 1:
            return _TYPED_FUNCTIONS.get(node.function)
    return None


def _string_key(name: str) -> Literal:
    return Literal("string", '"' + name.strip("`") + '"')


class _Rewriter:
    """Bottom-up rewrite; a node is copied only when one of its children changed."""

    def __init__(self, compat: bool = True) -> None:
        self.compat = compat

    def visit(self, node: Expr, scope: Scope) -> Expr:
        scopes = inner_scopes(node, scope) if isinstance(node, Call) else {}
        rebuilt = map_children(node, lambda child: self.visit(child, scopes.get(id(child), scope)))
        if (
            self.compat
            and isinstance(rebuilt, Call)
            and rebuilt.function == "orValue"
            and rebuilt.target is not None
            and len(rebuilt.args) == 1
        ):
            return self.or_value(rebuilt, rebuilt.target, scope)
        if (
            self.compat
            and isinstance(rebuilt, Select | Index)
            and rebuilt.optional
            and _plain_chain_root(rebuilt.operand) is not None
        ):
            none = Call(Ident("optional"), "none", ())
            is_null = Binary("==", rebuilt.operand, Literal("null", "null"))
            return Ternary(is_null, none, rebuilt)
        if isinstance(rebuilt, Construct) and is_map_constructed(rebuilt.type_name):
            entries = tuple(MapEntry(_string_key(f.name), _unwrapped(f.value), f.optional) for f in rebuilt.fields)
            return Call(None, "dyn", (MapExpr(entries),))
        if isinstance(rebuilt, Call) and rebuilt.function in ("transformMap", "transformMapEntry"):
            return self.transform_map(rebuilt, node)
        if _is_unbounded_range(rebuilt):
            assert isinstance(rebuilt, Call)
            return Call(rebuilt.target, rebuilt.function, (Call(None, RANGE_LENGTH, rebuilt.args),))
        if isinstance(rebuilt, Binary) and rebuilt.op in _COMPARISONS:
            return self.cross_numeric(rebuilt)
        if isinstance(rebuilt, Ternary):
            return self.null_branch(rebuilt)
        return rebuilt

    def or_value(self, call: Call, receiver: Expr, scope: Scope) -> Expr:
        """Kyverno's ``orValue`` compat: native on an optional, the receiver on data, else decided at run time."""
        kind = classify(receiver, scope)
        if kind == OPTIONAL:
            return call
        if kind == DATA:
            return receiver
        bound = Ident(OR_VALUE_RECEIVER)
        is_optional = Binary("==", Call(None, "type", (bound,)), Ident("optional_type"))
        choice = Ternary(is_optional, Call(bound, "orValue", call.args), bound)
        return Call(Ident("cel"), "bind", (bound, Call(None, "dyn", (receiver,)), choice))

    def transform_map(self, call: Call, original: Expr) -> Expr:
        """``m.transformMap(k, v, [filter,] e)`` / ``transformMapEntry`` -> a helper over ``transformList``."""
        if call.target is None or len(call.args) not in (3, 4):
            return call
        key_var, value_var = call.args[0], call.args[1]
        if not isinstance(key_var, Ident) or not isinstance(value_var, Ident):
            raise SyntaxProblem(f"{call.function}() variable names must be simple identifiers", original.start)
        body = call.args[-1]
        if call.function == "transformMap":
            body = ListExpr((ListElement(key_var), ListElement(body)))
            helper = PAIRS_TO_MAP
        else:
            helper = MERGE_ENTRIES
        listed = Call(call.target, "transformList", (*call.args[:-1], body))
        return Call(None, helper, (listed,))

    def cross_numeric(self, node: Binary) -> Expr:
        """Wrap one side of a comparison of statically different numeric types in ``dyn()``."""
        left, right = numeric_type(node.left), numeric_type(node.right)
        if left is None or right is None or left == right:
            return node
        if isinstance(node.left, Literal) and not isinstance(node.right, Literal):
            return Binary(node.op, Call(None, "dyn", (node.left,)), node.right)
        return Binary(node.op, node.left, Call(None, "dyn", (node.right,)))

    def null_branch(self, node: Ternary) -> Expr:
        """``c ? X : null`` with X a map/list literal or a call -> ``c ? dyn(X) : null`` (and mirrored)."""
        then_null, otherwise_null = _is_null(node.then), _is_null(node.otherwise)
        if then_null == otherwise_null:
            return node
        if otherwise_null and _needs_dyn(node.then):
            return Ternary(node.condition, Call(None, "dyn", (node.then,)), node.otherwise)
        if then_null and _needs_dyn(node.otherwise):
            return Ternary(node.condition, node.then, Call(None, "dyn", (node.otherwise,)))
        return node


def _is_constructed(node: Expr) -> bool:
    """A construction as :meth:`_Rewriter.visit` rewrites it: ``dyn({...})``, both nodes synthetic."""
    return (
        isinstance(node, Call)
        and node.target is None
        and node.function == "dyn"
        and node.start == -1
        and len(node.args) == 1
        and isinstance(node.args[0], MapExpr)
        and node.args[0].start == -1
    )


def _unwrapped(node: Expr) -> Expr:
    """A field value of a construction without the ``dyn()`` of constructions in it (through list and map literals)."""
    if _is_constructed(node):
        assert isinstance(node, Call)
        return node.args[0]
    if isinstance(node, ListExpr):
        elements = tuple(ListElement(_unwrapped(e.value), e.optional) for e in node.elements)
        if all(new.value is old.value for new, old in zip(elements, node.elements, strict=True)):
            return node
        return ListExpr(elements)
    if isinstance(node, MapExpr):
        entries = tuple(MapEntry(e.key, _unwrapped(e.value), e.optional) for e in node.entries)
        if all(new.value is old.value for new, old in zip(entries, node.entries, strict=True)):
            return node
        return MapExpr(entries)
    return node


def _is_unbounded_range(node: Expr) -> bool:
    """``lists.range(n)`` whose ``n`` is not a literal (a literal length is costed statically, as elements)."""
    if not (
        isinstance(node, Call)
        and node.function == "range"
        and isinstance(node.target, Ident)
        and node.target.name.lstrip(".") == "lists"
        and len(node.args) == 1
    ):
        return False
    length = node.args[0]
    if isinstance(length, Literal):
        return False
    return not (isinstance(length, Call) and length.function == RANGE_LENGTH)


def _is_null(node: Expr) -> bool:
    return isinstance(node, Literal) and node.kind == "null"


def _needs_dyn(node: Expr) -> bool:
    """A branch whose static type cel-cpp knows (a literal aggregate or a call result), unless already ``dyn()``."""
    if isinstance(node, Call):
        return not (node.target is None and node.function == "dyn")
    return isinstance(node, MapExpr | ListExpr)
