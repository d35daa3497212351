"""Linting policy YAML: the engine's own loader and compiler (lint is compile), every problem in one pass.

A document reports, each as a :class:`~pykyverno.engine.diagnostics.Diagnostic` with its field path and its line and
column in the file:

- YAML that does not parse (and nothing else, since no document can be read);
- schema errors, every one of them (``Field required``, wrong types...), and unknown fields (a misspelt key);
- CEL errors of every expression, also in documents whose schema is broken (compiled in the kind's environment);
- advice from the kind's lint rules (``info`` and ``warning``).

Besides, every expression gets a static cost estimate and its list-macro depth from the CEL front end's analysis.
The CLI's ``lint`` and the MCP ``lint_policy`` tool both render the :class:`LintReport`; neither parses messages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pykyverno.engine.cel import CelError, cost_limit, environment_for
from pykyverno.engine.cel.frontend import DEFAULT_COST_LIMIT
from pykyverno.engine.cel.frontend.analysis import analyze
from pykyverno.engine.cel.names import REF
from pykyverno.engine.common.model import unknown_fields
from pykyverno.engine.diagnostics import Diagnostic
from pykyverno.engine.documents import Document, parse_documents
from pykyverno.engine.errors import LoadError
from pykyverno.engine.loader import load_documents
from pykyverno.engine.registry import REGISTRY

#: Costs listed per report besides the ones above "low".
MAX_LOW_COSTS = 30
#: Functions that read the cluster or the network on every evaluation.
_LOOKUPS = frozenset({"resource.Get", "resource.List", "http.Get", "http.Post", "globalContext.Get"})
_REGEX = frozenset({"matches", "find", "findAll", "regex.replace", "regex.extract", "regex.extractAll"})


@dataclass(frozen=True)
class CostEstimate:
    """The cost of one expression: the static estimate against the API server's limit, graded."""

    path: str
    level: str
    reason: str
    cost: int | None = None
    limit: int | None = None


@dataclass
class LintReport:
    """Everything lint found in one file or text."""

    source: str
    policies: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    costs: list[CostEstimate] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        """The problems that make the policy unusable."""
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def advice(self) -> list[Diagnostic]:
        """Warnings and suggestions."""
        return [d for d in self.diagnostics if d.severity != "error"]

    @property
    def valid(self) -> bool:
        """No error."""
        return not self.errors


def expressions(node: Any, path: str = "spec") -> Iterator[tuple[str, str]]:
    """Every CEL expression of a spec mapping with its field path (keys ending in ``expression``)."""
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}"
            if isinstance(value, str) and str(key).lower().endswith("expression"):
                yield sub, value
            else:
                yield from expressions(value, sub)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from expressions(item, f"{path}[{i}]")


def estimate_cost(path: str, expression: str, variables: dict[str, str] | None = None) -> CostEstimate:
    """The front end's static estimate, graded against the estimate limit in force (``--cel-cost-limit``) or else
    the API server's per-expression runtime limit, with what makes it grow."""
    found = analyze(expression, variables)
    limit = cost_limit() or DEFAULT_COST_LIMIT
    if found.cost is None:
        return CostEstimate(path, "low", "no estimate: the expression does not parse")
    share = found.cost / limit
    level = "high" if share >= 0.25 else "medium" if share >= 0.01 else "low"
    reasons = [f"static estimate: {share:.2%} of the limit"]
    if found.cost > limit:
        reasons = [f"over the limit ({share:.1f}x): the API server would reject this expression"]
    if found.macro_depth >= 2:
        reasons.append(f"{found.macro_depth} nested list macros: cost grows with the product of the list sizes")
    if found.calls & _LOOKUPS:
        level = "medium" if level == "low" else level
        reasons.append("calls out to the cluster or HTTP on every evaluation")
    if found.macro_depth and found.calls & _REGEX:
        reasons.append("regular expressions inside a loop")
    return CostEstimate(path, level, "; ".join(reasons), found.cost, limit)


def value_start(text_lines: list[str], line: int, column: int) -> tuple[int, int, bool] | None:
    """Where the scalar value of the key at (line, column) starts: (line, column, literal block), 1-based."""
    if not 0 < line <= len(text_lines):
        return None
    current = text_lines[line - 1]
    colon = current.find(":", column - 1)
    if colon < 0:
        return None
    rest = current[colon + 1 :]
    stripped = rest.lstrip()
    start = colon + 1 + (len(rest) - len(stripped))
    if stripped[:1] == "|":
        following = next((n for n in range(line, len(text_lines)) if text_lines[n].strip()), None)
        if following is None:
            return None
        body = text_lines[following]
        return following + 1, len(body) - len(body.lstrip()) + 1, True
    if stripped[:1] in ("'", '"'):
        start += 1
    return line, start + 1, False


def place_in_file(diagnostic: Diagnostic, text_lines: list[str]) -> Diagnostic:
    """A CEL diagnostic's line and column in the file: its position inside the expression placed after the key
    (plain and quoted one-line scalars, and literal blocks; otherwise the key's position stays)."""
    if diagnostic.line is None or diagnostic.column is None or diagnostic.expression_line is None:
        return diagnostic
    start = value_start(text_lines, diagnostic.line, diagnostic.column)
    if start is None:
        return diagnostic
    line, column, block = start
    inner_line, inner_column = diagnostic.expression_line, diagnostic.expression_column or 1
    if block:
        return dataclasses.replace(diagnostic, line=line + inner_line - 1, column=column + inner_column - 1)
    if inner_line != 1:
        return diagnostic
    return dataclasses.replace(diagnostic, line=line, column=column + inner_column - 1)


def _unloaded_cel_errors(doc: Document) -> list[Diagnostic]:
    """CEL errors of a document the loader rejected before compiling (a schema error): every expression is compiled
    in its kind's environment, so that all errors show in one pass."""
    spec = REGISTRY.for_kind(str(doc.data.get("kind") or ""))
    if spec is None:
        return []
    env = environment_for(spec.cel, extra_variables=(REF,))
    found: list[Diagnostic] = []
    for path, expression in expressions(doc.data.get("spec")):
        try:
            env.compile(expression, path)
        except CelError as exc:
            found.extend(exc.diagnostics())
    return found


def _unknown_fields(doc: Document) -> list[Diagnostic]:
    kind = str(doc.data.get("kind") or "")
    spec = REGISTRY.for_kind(kind)
    schema = spec.schemas.get(kind) if spec is not None else None
    raw = doc.data.get("spec")
    return unknown_fields(schema, raw, "spec") if schema is not None and isinstance(raw, dict) else []


def _costs(doc: Document, many: bool) -> list[CostEstimate]:
    spec = doc.data.get("spec")
    name = str((doc.data.get("metadata") or {}).get("name") or "")
    raw_variables = spec.get("variables") if isinstance(spec, dict) else None
    variables = {
        str(v.get("name")): str(v.get("expression"))
        for v in raw_variables or []
        if isinstance(v, dict) and isinstance(v.get("expression"), str)
    } if isinstance(raw_variables, list) else {}
    prefix = f"{name}: " if many else ""
    return [dataclasses.replace(estimate_cost(path, expression, variables), path=prefix + path)
            for path, expression in expressions(spec)]


def _advice(doc: Document) -> list[Diagnostic]:
    spec = REGISTRY.for_kind(str(doc.data.get("kind") or ""))
    return [found for rule in (spec.lint if spec is not None else ()) for found in rule(doc)]


def lint(text: str, source: str = "policy.yaml") -> LintReport:
    """Lint policy YAML text (``source`` names it in diagnostics)."""
    report = LintReport(source)
    try:
        documents = parse_documents(text, source)
    except LoadError as exc:
        report.diagnostics = exc.diagnostics()
        hint = "fix the YAML syntax first (indentation, quoting of expressions that contain ': ' or start with '!')"
        report.diagnostics.append(Diagnostic(hint, "info", file=source))
        return report
    if not documents:
        report.diagnostics.append(Diagnostic("no YAML document found", file=source))
        return report
    loaded = load_documents(documents)
    report.policies = loaded.names()
    found = list(loaded.issues) + _unsupported(loaded.policies, documents)
    lines = text.splitlines()
    for doc in documents:
        located_cel = any(d.document == doc.index and d.expression for d in loaded.issues)
        rejected = any(d.document == doc.index and d.severity == "error" for d in loaded.issues)
        extra = _unknown_fields(doc)
        if rejected and not located_cel:
            extra.extend(_unloaded_cel_errors(doc))
        found.extend(d.located(doc) for d in extra)
        found.extend(_advice(doc))
        report.costs.extend(_costs(doc, len(documents) > 1))
    report.diagnostics = _ordered([place_in_file(d, lines) for d in found])
    costly = [c for c in report.costs if c.level != "low"]
    report.costs = costly + [c for c in report.costs if c.level == "low"][: max(0, MAX_LOW_COSTS - len(costly))]
    return report


def _unsupported(policies: list[Any], documents: list[Document]) -> list[Diagnostic]:
    """An error for every rule that loads but that the engine cannot evaluate (a kind's compiled rule with an
    ``unsupported`` reason), placed at the rule: such a policy would give an ``error`` result for every resource."""
    found = []
    for policy in policies:
        reason = str(getattr(policy, "unsupported", "") or "")
        if not reason or policy.autogen:
            continue
        short_name = policy.name.rsplit("/", 1)[-1]
        doc = next((d for d in documents if d.data.get("kind") == policy.kind
                    and (d.data.get("metadata") or {}).get("name") == short_name), None)
        if doc is None:
            continue
        rule = str(getattr(policy, "rule_name", "") or "")
        rules = (doc.data.get("spec") or {}).get("rules")
        index = next((i for i, r in enumerate(rules) if isinstance(r, dict) and r.get("name") == rule), None) \
            if isinstance(rules, list) else None
        message = (f"rule {rule!r}: {reason} is not supported by pykyverno; every resource the rule matches would "
                   "get an error result")
        found.append(Diagnostic(message, "error", path=f"spec.rules[{index}]" if index is not None else "spec")
                     .located(doc))
    return found


def _ordered(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Distinct diagnostics, errors first, then by document and position."""
    unique = list(dict.fromkeys(diagnostics))
    rank = {"error": 0, "warning": 1, "info": 2}
    return sorted(unique, key=lambda d: (rank[d.severity], d.document or 0, d.line or 0, d.column or 0))
