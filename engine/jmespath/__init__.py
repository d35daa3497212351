"""Kyverno's JMESPath dialect on the ``jmespath`` library: pure, shared by every policy kind that needs it.

Public surface:

- :func:`search` (``expression``, ``data``) and :func:`compile_query` (parsed once, cached) evaluate a query with
  Kyverno's semantics (:mod:`.interpreter`: unknown keys are errors, Go comparisons) and function table
  (:mod:`.functions`: the built-ins plus Kyverno's string, regex, arithmetic, time, parsing and image functions);
- errors: :class:`JMESPathError` and its subclasses :class:`QuerySyntaxError`, :class:`NotFoundError`,
  :class:`FunctionError`;
- helpers other Kyverno semantics share: :func:`wildcard_match`, Go durations (:mod:`.duration`), Kubernetes
  quantities (:mod:`.quantity`), Go text formatting (:mod:`.gotext`), semver (:mod:`.semver`), image references
  (:mod:`.images`);
- :func:`using_jmespath_providers` injects host resolution and a clock.

May import ``engine/cel`` (shared value helpers) and the engine's root modules; never a kind package.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jmespath import exceptions as jp_exceptions
from jmespath import parser as jp_parser

from .errors import FunctionError, JMESPathError, NotFoundError, QuerySyntaxError
from .functions import function_names
from .interpreter import KyvernoInterpreter, go_deep_equal
from .providers import JMESPathProviders, using_jmespath_providers
from .wildcard import has_wildcard, wildcard_match

__all__ = [
    "FunctionError",
    "JMESPathError",
    "JMESPathProviders",
    "NotFoundError",
    "Query",
    "QuerySyntaxError",
    "compile_query",
    "function_names",
    "go_deep_equal",
    "has_wildcard",
    "search",
    "unknown_functions",
    "using_jmespath_providers",
    "wildcard_match",
]

_INTERPRETER = KyvernoInterpreter()


@dataclass(frozen=True)
class Query:
    """A parsed expression."""

    expression: str
    tree: Any

    def search(self, data: Any) -> Any:
        """Evaluate on ``data``; raise :class:`JMESPathError` (or a subclass) on failure."""
        try:
            return _INTERPRETER.visit(self.tree, data)
        except JMESPathError:
            raise
        except jp_exceptions.JMESPathError as exc:
            raise FunctionError(str(exc)) from None
        except RecursionError:
            raise JMESPathError(f"expression or data nested too deeply: {self.expression}") from None


@lru_cache(maxsize=4096)
def compile_query(expression: str) -> Query:
    """Parse ``expression``; raise :class:`QuerySyntaxError` with the parser's message."""
    try:
        parsed = jp_parser.Parser().parse(expression)
    except jp_exceptions.JMESPathError as exc:
        raise QuerySyntaxError(str(exc).replace("\n", " ")) from None
    except RecursionError:
        raise QuerySyntaxError(f"expression nested too deeply: {expression[:80]}") from None
    return Query(expression, parsed.parsed)


def search(expression: str, data: Any) -> Any:
    """Evaluate a JMESPath ``expression`` on ``data`` with Kyverno's semantics."""
    return compile_query(expression).search(data)


def unknown_functions(expression: str) -> list[str]:
    """The names of functions ``expression`` calls that the function table does not answer (empty when it does not
    parse: :func:`compile_query` reports that)."""
    try:
        tree = compile_query(expression).tree
    except QuerySyntaxError:
        return []
    known = set(function_names())
    found: list[str] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") == "function_expression" and str(node.get("value")) not in known:
            found.append(str(node.get("value")))
        pending.extend(child for child in node.get("children") or [] if isinstance(child, dict))
    return sorted(set(found))
