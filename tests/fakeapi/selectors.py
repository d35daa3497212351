"""Label and field selector parsing for the fake API server (the subset the apiserver accepts).

Label selectors: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k``, ``!k``, comma-joined.
Field selectors: ``a.b.c=v``, ``==``, ``!=`` on any dotted path (missing fields compare as ``""``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]


class SelectorError(ValueError):
    """A selector that does not parse (the server answers 400 BadRequest)."""


def _split_top_level(s: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise SelectorError(f"unbalanced parenthesis in {s!r}")
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if depth:
        raise SelectorError(f"unbalanced parenthesis in {s!r}")
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_SET_RE = re.compile(rf"^({_KEY})\s+(in|notin)\s*\(([^)]*)\)$")
_EQ_RE = re.compile(rf"^({_KEY})\s*(==|!=|=)\s*([-A-Za-z0-9_.]*)$")
_EXISTS_RE = re.compile(rf"^(!?)\s*({_KEY})$")


def _label_requirement(req: str) -> Callable[[Mapping[str, str]], bool]:
    m = _SET_RE.match(req)
    if m:
        key, op, raw = m.groups()
        values = {v.strip() for v in raw.split(",") if v.strip()}
        if op == "in":
            return lambda labels: key in labels and labels[key] in values
        return lambda labels: key not in labels or labels[key] not in values
    m = _EQ_RE.match(req)
    if m:
        key, op, value = m.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: key in labels and labels[key] == value
    m = _EXISTS_RE.match(req)
    if m:
        neg, key = m.groups()
        if neg:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise SelectorError(f"unable to parse requirement: {req!r}")


def parse_label_selector(selector: str) -> Predicate:
    """Compile a label selector into a predicate over objects."""
    reqs = [_label_requirement(r) for r in _split_top_level(selector)]

    def match(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(r(labels) for r in reqs)

    return match


def _field_value(obj: Any, path: str) -> str:
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return ""
        cur = cur[part]
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


_FIELD_RE = re.compile(r"^([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*)$")


def parse_field_selector(selector: str) -> Predicate:
    """Compile a field selector into a predicate over objects."""
    reqs: list[tuple[str, bool, str]] = []
    for part in _split_top_level(selector):
        m = _FIELD_RE.match(part)
        if not m:
            raise SelectorError(f"invalid field selector: {part!r}")
        path, op, value = m.groups()
        reqs.append((path, op == "!=", value.strip()))

    def match(obj: dict[str, Any]) -> bool:
        return all((_field_value(obj, path) == value) != negate for path, negate, value in reqs)

    return match
