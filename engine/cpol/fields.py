"""Lint of kyverno.io/v1 policies written by hand: unknown fields (a misspelt ``exlude:``, ``namespace:`` for
``namespaces:``) unknown condition operators and unknown JMESPath functions, as errors placed at their field.

The typed model (:mod:`.model`) reads only what pykyverno evaluates and ignores other keys, so the known keys of
Kyverno's v1 schema are listed here for the blocks written most often.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from ..diagnostics import Diagnostic
from ..documents import Document
from ..jmespath import unknown_functions
from .condition_operators import OPERATORS
from .variables import variable_expressions

_SPEC = {"rules", "validationFailureAction", "validationFailureActionOverrides", "background", "admission",
         "schemaValidation", "failurePolicy", "webhookTimeoutSeconds", "mutateExistingOnPolicyUpdate",
         "generateExisting", "generateExistingOnPolicyUpdate", "useServerSideApply", "applyRules",
         "webhookConfiguration", "emitWarning"}
_RULE = {"name", "match", "exclude", "context", "preconditions", "celPreconditions", "validate", "mutate",
         "generate", "verifyImages", "imageExtractors", "skipBackgroundRequests", "reportProperties"}
_MATCH = {"any", "all", "resources", "subjects", "roles", "clusterRoles"}
_FILTER = {"resources", "subjects", "roles", "clusterRoles"}
_RESOURCES = {"kinds", "name", "names", "namespaces", "annotations", "selector", "namespaceSelector", "operations"}
_VALIDATE = {"message", "pattern", "anyPattern", "deny", "foreach", "podSecurity", "cel", "manifests", "assert",
             "failureAction", "failureActionOverrides", "allowExistingViolations"}
_DENY = {"conditions"}
_CONTEXT = {"name", "variable", "configMap", "apiCall", "globalReference", "imageRegistry"}


def _unknown(data: Any, known: set[str], path: str) -> Iterator[Diagnostic]:
    if not isinstance(data, Mapping):
        return
    for key in data:
        if str(key) not in known:
            close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.7)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            yield Diagnostic(f"unknown field {key!r}{hint}", path=f"{path}.{key}")


def _match_block(block: Any, path: str) -> Iterator[Diagnostic]:
    yield from _unknown(block, _MATCH, path)
    if not isinstance(block, Mapping):
        return
    yield from _unknown(block.get("resources"), _RESOURCES, f"{path}.resources")
    for group in ("any", "all"):
        filters = block.get(group)
        for index, item in enumerate(filters if isinstance(filters, list) else []):
            yield from _unknown(item, _FILTER, f"{path}.{group}[{index}]")
            if isinstance(item, Mapping):
                yield from _unknown(item.get("resources"), _RESOURCES, f"{path}.{group}[{index}].resources")


def _conditions(block: Any, path: str) -> Iterator[Diagnostic]:
    """Unknown operators of a ``conditions`` block (``any``/``all`` lists, or the older plain list)."""
    groups = [(f"{path}.{g}", block.get(g)) for g in ("any", "all")] if isinstance(block, Mapping) else [(path, block)]
    for group_path, conditions in groups:
        for index, condition in enumerate(conditions if isinstance(conditions, list) else []):
            operator = condition.get("operator") if isinstance(condition, Mapping) else None
            if isinstance(operator, str) and operator.lower() not in OPERATORS:
                yield Diagnostic(f"unknown operator {operator!r}", path=f"{group_path}[{index}].operator")


def _rule(rule: Mapping[str, Any], path: str) -> Iterator[Diagnostic]:
    yield from _unknown(rule, _RULE, path)
    for block in ("match", "exclude"):
        yield from _match_block(rule.get(block), f"{path}.{block}")
    entries = rule.get("context")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        yield from _unknown(entry, _CONTEXT, f"{path}.context[{index}]")
    yield from _conditions(rule.get("preconditions"), f"{path}.preconditions")
    validate = rule.get("validate")
    yield from _unknown(validate, _VALIDATE, f"{path}.validate")
    deny = validate.get("deny") if isinstance(validate, Mapping) else None
    yield from _unknown(deny, _DENY, f"{path}.validate.deny")
    if isinstance(deny, Mapping):
        yield from _conditions(deny.get("conditions"), f"{path}.validate.deny.conditions")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _functions(rule: Mapping[str, Any], path: str) -> Iterator[Diagnostic]:
    """Calls of JMESPath functions Kyverno does not have, in ``{{ }}`` variables and context ``jmesPath`` fields."""
    for where, text in _strings(rule, path):
        expressions = [text] if where.endswith(".jmesPath") else variable_expressions(text) if "{{" in text else []
        for expression in expressions:
            for name in unknown_functions(expression):
                yield Diagnostic(f"unknown JMESPath function {name}() in {expression!r}", path=where)


def field_problems(doc: Document) -> list[Diagnostic]:
    """Unknown fields and operators of a ClusterPolicy / Policy document, as errors located in the document."""
    spec = doc.data.get("spec")
    if not isinstance(spec, Mapping) or not str(doc.data.get("apiVersion") or "").startswith("kyverno.io/"):
        return []  # another API group's Policy kind
    found = list(_unknown(spec, _SPEC, "spec"))
    rules = spec.get("rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, Mapping):
            found.extend(_rule(rule, f"spec.rules[{index}]"))
            found.extend(_functions(rule, f"spec.rules[{index}]"))
    return [d.located(doc) for d in found]
