"""A size cap on every tool answer: the official MCP client refuses a message over 1 MiB (its SSE event limit).

:func:`cap_answer` leaves an answer under :data:`MAX_ANSWER_BYTES` alone. A larger one is shortened where it is
largest: the biggest lists of the structured content lose their last items and the biggest strings their tail
(both stay valid against the tool's output schema), and the markdown is cut at a line. What was left out, and how
to get it, is stated in an ``answerTruncated`` object of the structured content and in a note at the top of the
text, which is what many clients show the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

#: The encoded size (UTF-8 JSON of the text plus the structured content) an answer may have; well below the
#: client's 1 MiB so that the JSON-RPC envelope and SSE framing fit too.
MAX_ANSWER_BYTES = 768 * 1024
#: Share of the budget the markdown keeps when the structured content must shrink too.
TEXT_SHARE = 0.25
#: Strings shorter than this are never shortened.
MIN_STRING = 200

#: How to get what was left out, per output model (class name).
HINTS = {
    "ScanResult": "pass a smaller `limit` and page with `cursor` (nextCursor); narrow the scan (namespaces, "
                  "exclude_namespaces, policy_sets) to shorten its tables",
    "EvaluateResult": "evaluate fewer resources per call (split resources_yaml into several calls)",
    "LintResult": "lint fewer policies per call",
    "PolicyReportsResult": "narrow with namespace or policy, or lower `limit`",
}
DEFAULT_HINT = "ask for less per call (narrower arguments, a smaller `limit`, fewer documents)"
#: Lists shortened only when nothing else is left to shorten (they are what a cursor pages through).
PAGED = {"ScanResult": ("results",)}


def encoded_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (what goes on the wire)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode())


@dataclass
class _Cut:
    path: str
    kept: int
    total: int
    unit: str

    def describe(self) -> str:
        return f"{self.path}: {self.kept} of {self.total} {self.unit}"


def cap_answer(markdown: str, structured: dict[str, Any], model: str = "",
               limit: int = MAX_ANSWER_BYTES) -> tuple[str, dict[str, Any]]:
    """``(markdown, structured)`` shortened to fit ``limit`` bytes together, with notes on what was left out."""
    text_size, data_size = encoded_size(markdown), encoded_size(structured)
    if text_size + data_size <= limit:
        return markdown, structured
    hint = HINTS.get(model, DEFAULT_HINT)
    reserve = 2048  # the notes themselves
    text_budget = min(text_size, int(limit * TEXT_SHARE)) if data_size > limit - text_size else text_size
    cuts: list[_Cut] = []
    if data_size + text_budget + reserve > limit:
        structured, cuts = _shrink(structured, limit - text_budget - reserve, PAGED.get(model, ()))
    if cuts:
        structured["answerTruncated"] = {
            "leftOut": [c.describe() for c in cuts],
            "howToGetMore": hint,
            "limitBytes": limit,
        }
    room = limit - encoded_size(structured) - reserve
    note = ""
    if cuts:
        note = ("> Answer shortened to fit the MCP message size limit; left out of the structured content: "
                + "; ".join(c.describe() for c in cuts[:8]) + f". To get the rest: {hint}.\n\n")
    if encoded_size(note + markdown) > room:
        markdown, dropped = _cut_text(markdown, room - encoded_size(note) - 400)
        note += ("> Text shortened to fit the MCP message size limit" + (f" ({dropped} characters left out)")
                 + (f"; to get the rest: {hint}" if not cuts else "") + ".\n\n")
    return note + markdown, structured


def _shrink(data: dict[str, Any], budget: int, paged: tuple[str, ...]) -> tuple[dict[str, Any], list[_Cut]]:
    """Shorten the largest lists and strings of ``data`` (a copy) until it encodes within ``budget`` bytes."""
    data = json.loads(json.dumps(data, default=str))
    cuts: dict[str, _Cut] = {}
    for _ in range(64):  # each round shrinks the largest part; a handful of rounds is the norm
        size = encoded_size(data)
        if size <= budget:
            break
        candidates = [c for c in _parts(data, "") if c[3] > 2]
        if not candidates:
            break
        preferred = [c for c in candidates if c[0] not in paged] or candidates
        path, parent, key, part_size = max(preferred, key=lambda c: c[3])
        value = parent[key]
        excess = size - budget
        if isinstance(value, list):
            total = cuts[path].total if path in cuts else len(value)
            keep = max(0, min(len(value) - 1, int(len(value) * (part_size - excess) / part_size)))
            parent[key] = value[:keep]
            cuts[path] = _Cut(path, keep, total, "items")
        else:
            total = cuts[path].total if path in cuts else len(value)
            keep = max(0, min(len(value) - MIN_STRING // 2, len(value) - excess - 64))
            parent[key] = value[:keep] + f"…[{total - keep} characters left out]"
            cuts[path] = _Cut(path, keep, total, "characters")
    return data, list(cuts.values())


def _parts(value: Any, path: str) -> list[tuple[str, Any, Any, int]]:
    """(path, parent, key, encoded size) of the lists and long strings under ``value`` that may be shortened.

    A list is offered whole, unless one item holds most of it: then what can be shortened inside the items is
    offered instead (one huge field value should lose its tail, not take its neighbours with it).
    """
    out: list[tuple[str, Any, Any, int]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        child_path = (f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]").lstrip(".")
        if isinstance(child, list) and child:
            sizes = [encoded_size(item) for item in child]
            total = sum(sizes) + len(sizes) + 1
            inner = _parts(child, child_path) if max(sizes) * 2 > total else []
            out.extend(inner or [(child_path, value, key, total)])
        elif isinstance(child, dict):
            out.extend(_parts(child, child_path))
        elif isinstance(child, str) and len(child) >= MIN_STRING:
            out.append((child_path, value, key, encoded_size(child)))
    return out


def _cut_text(text: str, budget: int) -> tuple[str, int]:
    """``text`` cut at a line boundary to about ``budget`` encoded bytes, and how many characters were dropped."""
    budget = max(0, budget)
    # JSON escaping can only grow the text; shrink until the escaped form fits.
    cut = min(len(text), budget)
    while cut > 0 and encoded_size(text[:cut]) > budget:
        cut = int(cut * budget / encoded_size(text[:cut])) - 1
    head = text[:max(0, cut)]
    if "\n" in head:
        head = head[: head.rfind("\n")]
    return head + "\n\n…", len(text) - len(head)


__all__ = ["MAX_ANSWER_BYTES", "cap_answer", "encoded_size"]
