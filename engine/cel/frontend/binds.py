"""Keeping cel-cpp's lazily initialised bindings from reading a value left over by an earlier comprehension.

cel-expr-python 0.1.3 (cel-cpp) evaluates ``cel.bind(x, init, body)`` lazily, as cel-go does since its comprehensions
initialise their accumulator on first use: ``init`` runs when ``body`` first reads ``x``, if ever. cel-cpp keeps
``x`` in a *slot*, numbered by nesting when the expression is planned (a binding takes one slot, a comprehension two,
a two-variable one three; siblings reuse the same numbers), and a read of ``x`` evaluates ``init`` only while the slot
is empty. A comprehension that stops early (``all`` / ``exists`` deciding before the end of its range) leaves its
iteration variable in its slot; a binding planned at the same number and entered later in the same evaluation
(a sibling, or the next iteration of an enclosing loop) then reads that element instead of its own value::

    [object.volumes.all(v, !has(v.hostPath)), cel.bind(b, object.containers, b)]    # b: the volume after the first
                                                                                    # one with a hostPath

``x.optMap(v, e)`` and ``x.optFlatMap(v, e)`` expand to such a binding (``cel.bind(v, x.value(), e)``) and are hit
the same way. Nothing else in cel-cpp reads a slot it has not written in the same step: comprehension variables are
assigned before their body runs, and ``&&``, ``||``, ``?:`` and optional selection jump without slots.

:func:`guard_binds` therefore enters every binding through a *guard*,
``cel.bind(pkv_slot, true, true) ? B : dyn(null)``: the guard is an unused binding planned at the same slot number
as ``B`` (a ternary takes no slot), and leaving a binding empties its slot, so ``B`` starts from an empty slot and
stays lazy. The cost is about 0.02 µs per entry.
``optMap`` / ``optFlatMap`` are expanded as cel-go's macros are (``x.hasValue() ? optional.of(cel.bind(v,
x.value(), e)) : optional.none()``) with the binding guarded. The guard types as ``dyn``, which only widens what the
checker accepts around a binding.

Bindings that form the expression's *outermost chain* (the root and, while it is a binding, each body: what
:mod:`.inline` builds for a policy's variables) need no guard: nothing has run before the chain is entered, and cel-cpp
plans each binding's initialiser and body above the slots of the bindings before it, so within the chain only a
binding's own initialiser writes its slot. ``tests/engine/cel/test_bind_slots.py`` checks this against references
evaluated without bindings.
"""

from __future__ import annotations

from .nodes import Call, Expr, Ident, Literal, Ternary, map_children
from .optionality import is_bind

#: The name of the guard's unused binding.
SLOT_GUARD = "pkv_slot"
#: Optional macros that cel-cpp expands to a lazily initialised binding.
OPTIONAL_MAPS = frozenset({"optMap", "optFlatMap"})


def guard_binds(tree: Expr) -> Expr:
    """``tree`` with every binding outside its outermost chain guarded and ``optMap`` / ``optFlatMap`` expanded
    with a guarded binding. Returns ``tree`` itself when it holds none."""
    return _guard(tree, chain=True)


def needs_guard(tree: Expr) -> bool:
    """True if :func:`guard_binds` would change ``tree``."""
    return guard_binds(tree) is not tree


def _guard(node: Expr, chain: bool) -> Expr:
    if isinstance(node, Call) and is_bind(node):
        name, init, body = node.args
        guarded_init, guarded_body = _guard(init, False), _guard(body, chain)
        if guarded_init is not init or guarded_body is not body:
            node = Call(node.target, node.function, (name, guarded_init, guarded_body))
        return node if chain else _entered_empty(node)
    if _is_optional_map(node):
        assert isinstance(node, Call) and node.target is not None
        return _expand_optional_map(node, _guard(node.target, False), _guard(node.args[1], False))
    return map_children(node, lambda child: _guard(child, False))


def _is_optional_map(node: Expr) -> bool:
    return (
        isinstance(node, Call)
        and node.target is not None
        and node.function in OPTIONAL_MAPS
        and len(node.args) == 2
        and isinstance(node.args[0], Ident)
    )


def _entered_empty(bind: Call) -> Expr:
    """``cel.bind(pkv_slot, true, true) ? bind : dyn(null)``."""
    true = Literal("bool", "true")
    clear = Call(Ident("cel"), "bind", (Ident(SLOT_GUARD), true, true))
    return Ternary(clear, bind, Call(None, "dyn", (Literal("null", "null"),)))


def _expand_optional_map(node: Call, target: Expr, body: Expr) -> Expr:
    """cel-go's expansion of ``target.optMap(v, body)`` / ``optFlatMap``, with the binding guarded."""
    variable = node.args[0]
    bound = _entered_empty(Call(Ident("cel"), "bind", (variable, Call(target, "value", ()), body)))
    present = Call(Ident("optional"), "of", (bound,)) if node.function == "optMap" else bound
    return Ternary(Call(target, "hasValue", ()), present, Call(Ident("optional"), "none", ()))
