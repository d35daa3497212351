"""The one door from the report to the explain code: what a failed validation read, and how to fix it.

Everything the report shows per finding beyond the result itself (the fields the expression read with their values,
the remediation) comes through :func:`explain_finding`, so that moving the explain code elsewhere changes only this
module.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from pykyverno.engine.results import RuleResult

from ..policysets.describe import REMEDIATION
from ..redaction import mask_text

#: At most this many fields per finding, each value at most this many characters: a report stays small.
MAX_FIELDS = 8
MAX_VALUE = 160


#: A field the failed expression reads: (path, whether the object has it, its value as JSON text or "").
FieldRead = tuple[str, bool, str]


def _variables(policy: Any) -> dict[str, str]:
    programs = getattr(getattr(policy, "variables", None), "programs", ()) or ()
    return {name: str(getattr(program, "source", "")) for name, program in programs}


def _text(value: Any) -> str:
    """The value as shown: JSON text, credentials masked before it is cut (a cut could split a pattern)."""
    text = mask_text(value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str))
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def remediation_of(policy: Any) -> str:
    """The remediation annotation of a compiled policy, in one line ("" when it has none)."""
    metadata = getattr(getattr(policy, "policy", None), "metadata", None)
    annotations: Mapping[str, str] = getattr(metadata, "annotations", None) or {}
    return " ".join(str(annotations.get(REMEDIATION) or "").split())


@functools.lru_cache(maxsize=8192)
def _path_text(path: tuple[str | int, ...]) -> str:
    from ..mcp import explain as analysis  # see explain_finding

    return analysis.format_path(path)


def explain_finding(policy: Any, result: RuleResult, obj: dict[str, Any], cache: dict[Any, Any]) -> list[FieldRead]:
    """The fields the failed (or erroring) validation of ``result`` reads in ``obj``, with their values, as
    explain_violation reports them (the first :data:`MAX_FIELDS`). ``cache`` keeps the analysis of each
    (policy, expression) between calls: a scan explains thousands of results of the same few expressions."""
    if not result.expression:
        return []
    # Imported here: the MCP package imports the scanner, which records these explanations while it scans.
    from ..mcp import explain as analysis

    key = (id(policy), result.expression)
    found = cache.get(key)
    if found is None:
        found = cache[key] = analysis.analyze(result.expression, _variables(policy))
    fields: list[FieldRead] = []
    seen: set[str] = set()
    for pattern in found.reads:
        for path, present, value in analysis.expand(obj, pattern):
            text = _path_text(path)
            if text in seen:
                continue
            seen.add(text)
            fields.append((text, present, _text(value) if present else ""))
            if len(fields) >= MAX_FIELDS:
                return fields
    return fields
