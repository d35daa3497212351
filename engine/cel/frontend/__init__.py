"""CEL front end: our own parser and rewrites, run on every expression before cel-cpp compiles it.

:func:`prepare` parses the expression and

1. rewrites what cel-cpp lacks (``Object{...}`` / ``JSONPatch{...}`` construction, ``transformMap`` /
   ``transformMapEntry``, comparisons across numeric types) -- see :mod:`.rewrite` -- and guards cel-cpp's lazily
   initialised bindings (``cel.bind``, ``optMap``, ``optFlatMap``) against stale slots -- see :mod:`.binds`;
2. regroups long ``+`` / ``*`` chains, then refuses, with a clear message, an expression deeper than cel-cpp's
   parser limits -- see :mod:`.depth`;
3. refuses an expression that no evaluation could complete within Kubernetes' and Kyverno's runtime cost limit, or
   that builds too many copies of its input -- see :mod:`.cost` and :mod:`.budget`.

An expression that needs none of this comes back unchanged (so cel-cpp's error positions stay exact). If our parser
cannot read an expression that needs no rewrite, it is handed to cel-cpp as is, so cel-cpp's own message shows.
:mod:`.analysis` reads what an expression does (fields, requirements, macro depth, calls, cost) for explain and lint.

May import ``engine/cel/errors`` only.
"""

from __future__ import annotations

from ..errors import CelCompileError
from . import budget
from .binds import guard_binds
from .budget import PolicyBudget
from .cost import DEFAULT_COST_LIMIT, DEFAULT_COST_MODEL, DEFAULT_POLICY_COST_LIMIT, CostModel
from .cost import estimate_cost as estimate_ast_cost
from .depth import MAX_EXPRESSION_DEPTH, MAX_NESTING, deepest_node, expression_depth, rebalance
from .lexer import tokenize
from .nodes import Expr
from .optionality import holds_only_data
from .parser import MAX_EXPRESSION_LENGTH, MAX_PARSE_NESTING, NestingProblem, SizeProblem, parse_with_nesting
from .printer import to_source
from .rewrite import parsed_and_rewritten, rewrite
from .source import SyntaxProblem, caret_message

#: Identifiers whose presence means the expression cannot compile without our rewrites.
_REWRITE_IDENTIFIERS = frozenset(
    {"Object", "JSONPatch", "transformMap", "transformMapEntry", "bind", "optMap", "optFlatMap"}
)


def prepare(source: str, path: str = "", *, cost_model: CostModel = DEFAULT_COST_MODEL, compat: bool = True) -> str:
    """Return the CEL text cel-cpp should compile for ``source``.

    Raises :class:`CelCompileError` (syntax the rewrites need, or cel-cpp's depth limits) and :class:`CelCostError`
    (a limit of ``cost_model``, see :mod:`.budget`), both carrying ``expression=source`` and ``path``.
    """
    try:
        tree, nesting = parse_with_nesting(source)
    except NestingProblem as problem:
        raise _depth_error(source, path, problem.offset, f"{problem.message}; the limit is {MAX_NESTING}") from None
    except SizeProblem as problem:
        # No caret line: it would repeat the whole oversized expression.
        raise CelCompileError(f"ERROR: <input>:1:1: {problem.message}", expression=source, path=path) from None
    except SyntaxProblem as problem:
        if _needs_rewrite(source):
            raise CelCompileError(
                caret_message(source, problem.offset, problem.message), expression=source, path=path
            ) from None
        return source
    except RecursionError:
        raise _depth_error(source, path, 0, _too_deep(MAX_PARSE_NESTING)) from None
    try:
        return _prepare_tree(source, path, tree, nesting, cost_model, compat)
    except SyntaxProblem as problem:
        raise CelCompileError(
            caret_message(source, problem.offset, problem.message), expression=source, path=path
        ) from None
    except RecursionError:
        raise _depth_error(source, path, 0, _too_deep(expression_depth(tree))) from None


def estimate_cost(source: str, cost_model: CostModel = DEFAULT_COST_MODEL) -> int:
    """Estimated cost of ``source`` after the front end's rewrites (raise :class:`CelCompileError` if unparsable)."""
    try:
        tree = parsed_and_rewritten(source)
    except SizeProblem as problem:
        raise CelCompileError(f"ERROR: <input>:1:1: {problem.message}", expression=source) from None
    except SyntaxProblem as problem:
        raise CelCompileError(caret_message(source, problem.offset, problem.message), expression=source) from None
    return estimate_ast_cost(tree, cost_model)


def may_hold_optional(source: str) -> bool:
    """False when the value of ``source`` certainly holds no optional at any depth (see :mod:`.optionality`); True
    when it may, or when the front end cannot read it."""
    try:
        tree = parsed_and_rewritten(source)
    except (SyntaxProblem, RecursionError):
        return True
    return not holds_only_data(tree)


def _prepare_tree(source: str, path: str, tree: Expr, nesting: int, cost_model: CostModel, compat: bool = True) -> str:
    # Regroup long chains before rewriting (the rewrites recurse) and again after (they may add levels).
    depth = expression_depth(tree)
    rewritten = rebalance(tree) if depth > MAX_EXPRESSION_DEPTH else tree
    regrouped = rewritten
    rewritten = rewrite(rewritten, compat=compat)
    costed = rewritten
    rewritten = guard_binds(rewritten)
    if rewritten is not tree:
        depth = expression_depth(rewritten)
        if depth > MAX_EXPRESSION_DEPTH and rewritten is not regrouped:
            rewritten = rebalance(rewritten)
            depth = expression_depth(rewritten)
    if depth > MAX_EXPRESSION_DEPTH:
        where = deepest_node(rewritten).start
        raise _depth_error(source, path, max(where, 0), _too_deep(depth))
    budget.check(source, path, costed, cost_model)
    prepared = source if rewritten is tree else to_source(rewritten, source)
    if prepared is not source:
        _, nesting = parse_with_nesting(prepared, limit_length=False)
    if nesting > MAX_NESTING:
        raise _depth_error(
            source,
            path,
            0,
            f"parentheses, brackets and call arguments nest {nesting} levels deep; the CEL runtime's limit is"
            f" {MAX_NESTING}",
        )
    return prepared


def _needs_rewrite(source: str) -> bool:
    """True if ``source`` names something only the front end can make compile (tokens, not string contents)."""
    try:
        tokens = tokenize(source)
    except SyntaxProblem:
        return False
    return any(token.kind == "IDENT" and token.text in _REWRITE_IDENTIFIERS for token in tokens)


def _too_deep(depth: int) -> str:
    return (
        f"expression is nested {depth} levels deep; the CEL runtime's limit is {MAX_EXPRESSION_DEPTH}"
        " (long selection or call chains cannot be regrouped: split the expression with variables)"
    )


def _depth_error(source: str, path: str, offset: int, message: str) -> CelCompileError:
    return CelCompileError(caret_message(source, offset, message), expression=source, path=path)


__all__ = [
    "DEFAULT_COST_LIMIT",
    "DEFAULT_COST_MODEL",
    "DEFAULT_POLICY_COST_LIMIT",
    "MAX_EXPRESSION_DEPTH",
    "MAX_EXPRESSION_LENGTH",
    "MAX_NESTING",
    "CostModel",
    "PolicyBudget",
    "estimate_cost",
    "may_hold_optional",
    "prepare",
]
