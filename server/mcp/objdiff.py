"""What a mutation changed: a unified diff of the object's YAML before and after, short enough for an answer."""

from __future__ import annotations

import difflib
from typing import Any

import yaml

#: Diff lines kept in an answer; the rest is counted.
MAX_DIFF_LINES = 60


def _lines(obj: dict[str, Any]) -> list[str]:
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False, allow_unicode=True).splitlines()


def object_diff(before: dict[str, Any], after: dict[str, Any], max_lines: int = MAX_DIFF_LINES) -> str:
    """A unified diff of ``before`` and ``after`` as YAML ("" when they are equal), cut to ``max_lines`` lines with
    a note of how many were left out."""
    if before == after:
        return ""
    diff = list(difflib.unified_diff(_lines(before), _lines(after), "before", "after", n=1, lineterm=""))
    if len(diff) > max_lines:
        diff = [*diff[:max_lines], f"... ({len(diff) - max_lines} more diff lines left out; the full object is in "
                                   "structuredContent.patched)"]
    return "\n".join(diff)


__all__ = ["object_diff"]
