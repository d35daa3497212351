"""cel-cpp's nesting limits, measured on our AST, and the rebalancing that keeps long chains under them.

Measured on cel-expr-python 0.1.3 (cel-cpp's parser defaults, far tighter than cel-go's):

* **expression depth**: the number of AST nodes on the longest root-to-leaf path may not exceed 32
  (``m.a.a...`` with 32 selections, 32 nested calls or list literals, ``1 + 1 + ... + 1`` with 33 terms are refused
  with "Exceeded max recursion depth of 32 when parsing"). ``||`` / ``&&`` chains are balanced by the parser and an
  even run of ``!`` / ``-`` cancels, so those stay shallow.
* **nesting**: sub-expressions opened inside one another (parentheses, list elements, map entries, call arguments,
  indexes, the else-branch of ``?:``) may not nest more than 32 deep ("Expression recursion limit exceeded").

A left-leaning chain of one associative operator (``'a' + b + 'c' + ...``, ``x * y * z``) can be regrouped into a
balanced tree with the same operand order, which is what :func:`rebalance` does when the depth limit is exceeded.
"""

from __future__ import annotations

from .nodes import Binary, Expr, children, map_children
from .parser import balanced

#: cel-cpp's parser recursion limit on AST depth (nodes from the root to the deepest leaf, both included).
MAX_EXPRESSION_DEPTH = 32
#: cel-cpp's limit on nested sub-expressions (parentheses, brackets, arguments).
MAX_NESTING = 32
#: Operators whose left-leaning chains :func:`rebalance` regroups (order of operands preserved).
REBALANCED_OPERATORS = frozenset({"+", "*"})


def expression_depth(node: Expr) -> int:
    """Number of nodes on the longest root-to-leaf path of ``node`` (iterative: safe on very deep trees)."""
    deepest = 0
    stack: list[tuple[Expr, int]] = [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children(current))
    return deepest


def deepest_node(node: Expr) -> Expr:
    """A node at the bottom of the longest path (where an error caret should point); the root if unknown."""
    best, best_level = node, 0
    stack: list[tuple[Expr, int]] = [(node, 1)]
    while stack:
        current, level = stack.pop()
        if level > best_level and current.start >= 0:
            best, best_level = current, level
        stack.extend((child, level + 1) for child in children(current))
    return best


def chain_operands(node: Binary) -> list[Expr]:
    """The operands of the left-leaning chain of ``node.op`` rooted at ``node``, in source order."""
    operands: list[Expr] = []
    current: Expr = node
    while isinstance(current, Binary) and current.op == node.op:
        operands.append(current.right)
        current = current.left
    operands.append(current)
    operands.reverse()
    return operands


def rebalance(node: Expr) -> Expr:
    """Regroup every chain of ``+`` / ``*`` with three or more operands into a balanced tree (same order).

    Returns ``node`` itself when there was nothing to regroup.
    """
    if isinstance(node, Binary) and node.op in REBALANCED_OPERATORS:
        operands = chain_operands(node)
        regrouped = [rebalance(operand) for operand in operands]
        if len(operands) < 3 and all(a is b for a, b in zip(regrouped, operands, strict=True)):
            return node
        if len(operands) < 3:
            return Binary(node.op, regrouped[0], regrouped[1])
        return balanced(node.op, regrouped, keep_offsets=False)
    return map_children(node, rebalance)
