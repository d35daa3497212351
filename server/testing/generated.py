"""Comparing generated resources with a Test's ``generatedResource(s)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pykyverno.engine.documents import expand_lists, read_documents
from pykyverno.engine.errors import EngineError
from pykyverno.engine.results import RuleResult


def compare_generated(expected_files: list[Path], results: list[RuleResult]) -> str:
    """Return "" when every expected generated resource was produced, else a reason."""
    produced: list[dict[str, Any]] = [g for r in results for g in r.generated]
    for file in expected_files:
        try:
            expected = [d.data for d in expand_lists(read_documents(file))]
        except EngineError as exc:
            return f"cannot read generated resources: {exc}"
        for item in expected:
            if item not in produced:
                meta = item.get("metadata") or {}
                return f"expected generated {item.get('kind')}/{meta.get('name')} was not produced"
    return ""
