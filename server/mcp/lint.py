"""Linting a policy: the engine's own loader and compiler (lint is compile), then positions, cost and advice.

Errors come from :func:`pykyverno.engine.loader.load_documents` as :class:`LoadIssue` messages; this module only
splits them into field path, line, column, message and caret snippet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pykyverno.engine.common.autogen import autogen_variants
from pykyverno.engine.diagnostics import Diagnostic
from pykyverno.engine.documents import Document, parse_documents
from pykyverno.engine.errors import LoadError
from pykyverno.engine.loader import load_documents
from pykyverno.engine.policyset import PolicySet

from ..policysets.describe import REMEDIATION, SEVERITY
from .models import CostEstimate, LintError, LintResult

_YAML_POS = re.compile(r"line (\d+), column (\d+)")
_MACRO = re.compile(r"\.\s*(all|exists|exists_one|existsOne|filter|map|sortBy|transformList)\s*\(")
_VALIDATING = ("ValidatingPolicy", "NamespacedValidatingPolicy", "ImageValidatingPolicy",
               "NamespacedImageValidatingPolicy")


def issue_errors(issue: Diagnostic) -> list[LintError]:
    """A load diagnostic as a positioned error."""
    snippet = "\n".join(line[3:] if line.startswith(" | ") else line for line in issue.snippet.splitlines())
    return [LintError(document=(issue.document or 0) + 1, policy=issue.name, kind=issue.kind, path=issue.path,
                      line=issue.expression_line, column=issue.expression_column,
                      message=" ".join(issue.message.split()), snippet=snippet)]


def _expressions(node: Any, path: str = "spec") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}"
            if isinstance(value, str) and key.lower().endswith("expression"):
                yield sub, value
            else:
                yield from _expressions(value, sub)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _expressions(item, f"{path}[{i}]")


def macro_depth(expression: str) -> int:
    """The deepest nesting of list macros (``all``/``exists``/``filter``/``map``...) in an expression."""
    depth = best = 0
    stack: list[bool] = []
    i = 0
    while i < len(expression):
        m = _MACRO.match(expression, i)
        if m:
            stack.append(True)
            depth += 1
            best = max(best, depth)
            i = m.end()
            continue
        ch = expression[i]
        if ch == "(":
            stack.append(False)
        elif ch == ")" and stack and stack.pop():
            depth -= 1
        i += 1
    return best


def estimate_cost(path: str, expression: str) -> CostEstimate:
    """The CEL front end's static estimate against the API server's limit, or a heuristic (list macro nesting,
    cluster lookups, regexes in loops) when the front end cannot estimate the expression."""
    try:
        from pykyverno.engine.cel import frontend

        estimator = getattr(frontend, "estimate_cost", None)
        limit = int(getattr(frontend, "DEFAULT_COST_LIMIT", 0)) or None
        if callable(estimator):
            cost = int(estimator(expression))
            share = cost / limit if limit else 0.0
            grade = "high" if share >= 0.25 else "medium" if share >= 0.01 else "low"
            reason = f"static estimate: {share:.2%} of the limit" if limit else "static estimate"
            if limit and cost > limit:
                reason = f"over the limit ({cost / limit:.1f}x): the API server would reject this expression"
            return CostEstimate(path=path, cost=cost, limit=limit, level=grade, reason=reason)
    except Exception:  # the estimator is optional and refuses unparsable expressions
        pass
    depth = macro_depth(expression)
    level = 0
    if depth >= 3:
        level, reasons = 2, [f"{depth} nested list macros: cost grows with the product of {depth} list sizes"]
    elif depth == 2:
        level, reasons = 1, ["2 nested list macros: cost grows with the product of two list sizes"]
    elif depth == 1:
        reasons = ["one list macro: linear in the list size"]
    else:
        reasons = ["no list iteration"]
    if re.search(r"\bresource\s*\.\s*(List|Get)\s*\(|\bhttp\s*\.\s*(Get|Post)\s*\(", expression):
        level = max(level, 1)
        reasons.append("calls out to the cluster or HTTP on every evaluation")
    if depth and re.search(r"\.\s*matches\s*\(|regex\.", expression):
        level = max(level, 1)
        reasons.append("regular expressions inside a loop")
    return CostEstimate(path=path, level=("low", "medium", "high")[level], reason="heuristic: " + "; ".join(reasons))


def _suggestions(doc: Document) -> list[str]:
    data = doc.data
    kind = str(data.get("kind") or "")
    name = str((data.get("metadata") or {}).get("name") or "")
    annotations = (data.get("metadata") or {}).get("annotations") or {}
    spec = data.get("spec") or {}
    label = f"{kind} {name!r}"
    out: list[str] = []
    if kind not in _VALIDATING or not isinstance(spec, dict):
        return out
    if SEVERITY not in annotations:
        out.append(f"{label}: add the annotation {SEVERITY} (low, medium, high or critical) so that reports and "
                   "scans rank its findings.")
    if REMEDIATION not in annotations:
        out.append(f"{label}: add the annotation {REMEDIATION} telling how to fix a violation; explain_violation "
                   "shows it to agents and users.")
    actions = [str(a) for a in spec.get("validationActions") or []]
    if {"Deny", "Warn"} <= set(actions):
        out.append(f"{label}: validationActions may not combine Deny and Warn; use [Deny] to block or [Warn] "
                   "(optionally with Audit) to inform.")
    if not actions:
        out.append(f"{label}: set spec.validationActions explicitly ([Audit] while rolling out, [Deny] to enforce).")
    constraints = spec.get("matchConstraints") or {}
    rules = constraints.get("resourceRules") or []
    if not rules:
        out.append(f"{label}: spec.matchConstraints.resourceRules is empty, so the policy matches nothing; name the "
                   "apiGroups, apiVersions, resources and operations it is for.")
    pod_rule = any("pods" in (r.get("resources") or []) for r in rules if isinstance(r, dict))
    if pod_rule and not autogen_variants(spec):
        controllers = ((spec.get("autogen") or {}).get("podControllers") or {}).get("controllers")
        why = ("autogen is turned off (autogen.podControllers.controllers is empty)" if controllers == []
               else "autogen does not apply (it needs exactly one resource rule on core v1 pods, without "
               "resourceNames, excludes or objectSelector)")
        out.append(f"{label}: the policy checks Pods but {why}, so Deployments, StatefulSets, Jobs and CronJobs "
                   "are only caught when their Pods are created; keep a single Pod rule to get autogen.")
    for i, validation in enumerate(spec.get("validations") or []):
        if isinstance(validation, dict) and not (validation.get("message") or validation.get("messageExpression")):
            out.append(f"{label}: spec.validations[{i}] has no message or messageExpression; the finding will only "
                       "show the expression.")
    background = ((spec.get("evaluation") or {}).get("background") or {}).get("enabled", True)
    if background is False:
        out.append(f"{label}: evaluation.background.enabled is false, so background scans (and scan_namespace) skip "
                   "it; it only runs at admission.")
    return out


def lint(text: str, source: str = "policy.yaml") -> LintResult:
    """Lint policy YAML: YAML, schema and CEL errors with positions, heuristic costs, suggestions."""
    try:
        documents = parse_documents(text, source)
    except LoadError as exc:
        pos = _YAML_POS.search(str(exc))
        error = LintError(document=(exc.document or 0) + 1, policy="", kind="", path="",
                          line=int(pos.group(1)) if pos else None, column=int(pos.group(2)) if pos else None,
                          message=str(exc).removeprefix(f"{source}: "))
        return LintResult(valid=False, policies=[], errors=[error], costs=[], suggestions=[
            "Fix the YAML syntax first (indentation, quoting of expressions that contain ': ' or start with '!')."])
    loaded: PolicySet = load_documents(documents)
    errors = [e for issue in loaded.issues for e in issue_errors(issue)]
    costs: list[CostEstimate] = []
    suggestions: list[str] = []
    for doc in documents:
        spec = doc.data.get("spec")
        name = str((doc.data.get("metadata") or {}).get("name") or "")
        prefix = f"{name}: " if len(documents) > 1 else ""
        for path, expression in _expressions(spec):
            cost = estimate_cost(path, expression)
            if cost.level != "low" or len(costs) < 30:
                costs.append(cost.model_copy(update={"path": prefix + path}))
        suggestions.extend(_suggestions(doc))
    if not documents:
        errors.append(LintError(document=1, policy="", kind="", path="", message="no YAML document found"))
    return LintResult(valid=not errors, policies=loaded.names(), errors=errors, costs=costs, suggestions=suggestions)
