"""The one door from the report to the explain code: what a failed validation read, and how to fix it.

Everything the report shows per finding beyond the result itself (the fields the expression read with their values,
the remediation) comes through :func:`explain_finding`, so that moving the explain code elsewhere changes only this
module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykyverno.engine.results import RuleResult

from ..policysets.describe import REMEDIATION

#: At most this many fields per finding, each value at most this many characters: a report stays small.
MAX_FIELDS = 8
MAX_VALUE = 160


@dataclass(frozen=True)
class FieldRead:
    """A field the failed expression reads: its path, whether the object has it, and its value (as JSON text)."""

    path: str
    present: bool
    value: str

    def to_list(self) -> list[Any]:
        """Compact JSON form ``[path, present, value]``."""
        return [self.path, self.present, self.value]


def _variables(policy: Any) -> dict[str, str]:
    programs = getattr(getattr(policy, "variables", None), "programs", ()) or ()
    return {name: str(getattr(program, "source", "")) for name, program in programs}


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def remediation_of(policy: Any) -> str:
    """The remediation annotation of a compiled policy, in one line ("" when it has none)."""
    metadata = getattr(getattr(policy, "policy", None), "metadata", None)
    annotations: Mapping[str, str] = getattr(metadata, "annotations", None) or {}
    return " ".join(str(annotations.get(REMEDIATION) or "").split())


def explain_finding(policy: Any, result: RuleResult, obj: dict[str, Any], cache: dict[Any, Any]) -> list[FieldRead]:
    """The fields the failed (or erroring) validation of ``result`` reads in ``obj``, as explain_violation reports
    them. ``cache`` keeps the analysis of each (policy, expression) between calls."""
    if not result.expression:
        return []
    # Imported here: the MCP package imports the scanner, which records these explanations while it scans.
    from ..mcp import explain as analysis

    key = (id(policy), result.expression)
    found = cache.get(key)
    if found is None:
        found = analysis.analyze(result.expression, _variables(policy))
        cache[key] = found
    values = analysis.field_values(obj, found.reads)[:MAX_FIELDS]
    return [FieldRead(path, present, _text(value) if present else "") for path, present, value in values]
