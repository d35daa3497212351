"""Extra check on real policies: every JMESPath expression in ``../shared/conformance-legacy`` parses, calls only
functions the table has, and every condition operator is known. Reads the shared suite in place (no copies)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykyverno.engine.cpol.condition_operators import OPERATORS
from pykyverno.engine.jmespath import JMESPathError, compile_query, function_names

SUITE = next((p for p in (Path(__file__).resolve().parents[3].parent / "shared" / "conformance-legacy",)
              if p.is_dir()), None)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_VARIABLE = re.compile(r"(?:^|[^\\])\{\{((?:\{[^{}]*\}|[^{}])*)\}\}")

pytestmark = pytest.mark.skipif(SUITE is None, reason="../shared/conformance-legacy is not beside the checkout")


def _policies() -> Iterator[tuple[str, dict[str, Any]]]:
    assert SUITE is not None
    for path in sorted(SUITE.rglob("*.yaml")):
        try:
            documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        for document in documents:
            if isinstance(document, dict) and document.get("kind") in ("ClusterPolicy", "Policy"):
                yield str(path.relative_to(SUITE)), document


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from _strings(k, "")
            yield from _strings(item, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)


def _variables(text: str) -> Iterator[str]:
    """The expressions of every ``{{ }}``, inner ones first; resolved ones are replaced by a placeholder, as
    Kyverno's repeated passes would replace them by their value."""
    for _ in range(10):
        matches = list(_VARIABLE.finditer(text))
        if not matches:
            return
        for match in matches:
            yield match.group(1).strip().removeprefix("-").strip()
        text = _VARIABLE.sub(lambda m: ("" if m.group(0).startswith("{{") else m.group(0)[0]) + "x", text)


def _expressions(policy: dict[str, Any]) -> Iterator[str]:
    for key, text in _strings(policy.get("spec")):
        if key in ("jmesPath", "list") and "{{" not in text:  # with variables, they are substituted first
            yield text
        yield from _variables(text)


def _functions(tree: Any) -> Iterator[str]:
    if isinstance(tree, dict):
        if tree.get("type") == "function_expression":
            yield tree["value"]
        for child in tree.get("children", []):
            yield from _functions(child)


def _conditions(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "operator" in value and "key" in value:
            yield str(value["operator"])
        for item in value.values():
            yield from _conditions(item)
    elif isinstance(value, list):
        for item in value:
            yield from _conditions(item)


def test_every_expression_parses_and_calls_known_functions() -> None:
    known = set(function_names())
    checked = 0
    problems: list[str] = []
    for where, policy in _policies():
        for expression in _expressions(policy):
            if not expression or expression == "@":
                continue
            try:
                query = compile_query(expression)
            except JMESPathError as exc:
                problems.append(f"{where}: {expression!r}: {exc}")
                continue
            checked += 1
            unknown = set(_functions(query.tree)) - known
            if unknown:
                problems.append(f"{where}: {expression!r} calls {sorted(unknown)}")
    assert checked > 150
    assert not problems, "\n".join(problems)


def test_every_condition_operator_is_known() -> None:
    operators = {op for _, policy in _policies() for op in _conditions(policy.get("spec"))}
    assert {"Equals", "NotEquals", "AnyIn", "AnyNotIn", "In", "GreaterThan"} <= operators
    # pattern-anchor operators such as nodeAffinity's "Lt" are resource fields, not conditions: only keep rules'
    unknown = {op for op in operators if op.lower() not in OPERATORS and op not in ("Lt", "Gt", "Exists")}
    assert not unknown
