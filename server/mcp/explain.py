"""Explaining a failed validation: which fields of the object its expression reads, their values, and a JSON patch
suggestion where one can be derived from the expression's shape.

This is a textual analysis of CEL (no evaluation): accessor chains rooted at ``object`` are read directly; chains
rooted at a macro variable (``c`` in ``object.spec.containers.all(c, ...)``) or at ``variables.x`` are followed to
the lists they range over. Two expression shapes give patches:

- ``<field>[.orValue(d)] == true|false`` (or ``!=``): a boolean field that must hold a value. Inside ``filter`` and
  ``exists`` bodies the requirement is inverted (those macros usually find the violators).
- ``metadata.labels[<key>]`` / ``'<key>' in metadata.labels`` (and annotations): a key that must be present.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Segment = str | int
Pattern = tuple[Segment, ...]  # "*" stands for every element of a list

WILDCARD = "*"
MAX_FIELDS = 40
MAX_VALUE_CHARS = 300
PLACEHOLDER = "<value>"
_MACROS = ("all", "exists", "exists_one", "existsOne", "filter", "map")
_INVERTING = frozenset({"exists", "exists_one", "existsOne", "filter"})
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Chain:
    """An accessor chain ``root.a.?b['k'][0]`` in an expression (``method``: a call right after it)."""

    root: str
    segments: list[Segment]
    start: int
    end: int
    method: str = ""
    after: int = 0  # index just past the chain and its method call, if any


@dataclass
class Binding:
    """A macro variable: the list patterns it ranges over and the macro."""

    ranges: list[Pattern]
    macro: str


@dataclass
class Requirement:
    """A field pattern that must hold ``value`` (``None``: must be present)."""

    pattern: Pattern
    value: Any
    present_only: bool = False


@dataclass
class Analysis:
    """What an expression (with its variables) reads and requires."""

    reads: list[Pattern] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)


def _mask_strings(source: str) -> str:
    """The source with string literal contents blanked (quotes kept), so identifiers inside strings are ignored."""
    return _STRING.sub(lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1], source)


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _close_paren(masked: str, i: int) -> int:
    """Index just past the parenthesis group opening at ``i``."""
    depth = 0
    for j in range(i, len(masked)):
        if masked[j] == "(":
            depth += 1
        elif masked[j] == ")":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(masked)


def find_chains(source: str) -> list[Chain]:
    """Every accessor chain in ``source`` (identifiers inside string literals are skipped)."""
    masked = _mask_strings(source)
    chains: list[Chain] = []
    for m in _IDENT.finditer(masked):
        start = m.start()
        before = masked[:start].rstrip().removesuffix("?").rstrip()
        if before.endswith(".") or (start > 0 and (masked[start - 1].isalnum() or masked[start - 1] in "_'\"")):
            continue
        i = m.end()
        if masked[_skip_ws(masked, i):_skip_ws(masked, i) + 1] == "(":
            continue  # a function call such as has(...), size(...)
        segments: list[Segment] = []
        method = ""
        after = i
        while True:
            j = _skip_ws(masked, i)
            if j < len(masked) and masked[j] == ".":
                k = _skip_ws(masked, j + 1)
                if k < len(masked) and masked[k] == "?":
                    k = _skip_ws(masked, k + 1)
                ident = _IDENT.match(masked, k)
                if not ident:
                    break
                nxt = _skip_ws(masked, ident.end())
                if nxt < len(masked) and masked[nxt] == "(":
                    method = ident.group(0)
                    after = _close_paren(masked, nxt)
                    break
                segments.append(ident.group(0))
                i = after = ident.end()
                continue
            if j < len(masked) and masked[j] == "[":
                k = _skip_ws(masked, j + 1)
                if k < len(masked) and masked[k] == "?":
                    k = _skip_ws(masked, k + 1)
                lit = _STRING.match(source, k)
                num = re.compile(r"\d+").match(masked, k)
                if lit:
                    end = _skip_ws(masked, lit.end())
                    if end < len(masked) and masked[end] == "]":
                        segments.append(_unquote(lit.group(0)))
                        i = after = end + 1
                        continue
                elif num:
                    end = _skip_ws(masked, num.end())
                    if end < len(masked) and masked[end] == "]":
                        segments.append(int(num.group(0)))
                        i = after = end + 1
                        continue
            break
        chains.append(Chain(m.group(0), segments, start, i, method, after))
    return chains


class _Analyzer:
    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables = dict(variables)
        self._value_cache: dict[str, list[Pattern]] = {}
        self._visiting: set[str] = set()
        self.result = Analysis()
        self._analyzed: set[str] = set()

    def variable_values(self, name: str) -> list[Pattern]:
        """Patterns a variable's value comes from (its chains outside macro bodies, roughly)."""
        if name in self._value_cache:
            return self._value_cache[name]
        if name in self._visiting or name not in self.variables:
            return []
        self._visiting.add(name)
        source = self.variables[name]
        bindings = self._bindings(source, find_chains(source))
        out: list[Pattern] = []
        for chain in find_chains(source):
            if chain.root in bindings:
                continue
            out.extend(self._resolve(chain, bindings))
        self._visiting.discard(name)
        self._value_cache[name] = out
        return out

    def _resolve(self, chain: Chain, bindings: Mapping[str, Binding]) -> list[Pattern]:
        segs = tuple(chain.segments)
        if chain.root == "object":
            return [segs]
        if chain.root in bindings:
            return [(*r, WILDCARD, *segs) for r in bindings[chain.root].ranges]
        if chain.root == "variables" and segs and isinstance(segs[0], str):
            return [(*v, *segs[1:]) for v in self.variable_values(segs[0])]
        return []

    def _bindings(self, source: str, chains: list[Chain]) -> dict[str, Binding]:
        masked = _mask_strings(source)
        bindings: dict[str, Binding] = {}
        macro = re.compile(r"\s*\.\s*(" + "|".join(_MACROS) + r")\s*\(\s*([A-Za-z_]\w*)\s*,")
        for chain in sorted(chains, key=lambda c: c.start):
            if not chain.method or chain.method not in _MACROS:
                continue
            m = macro.match(masked, chain.end)
            if not m:
                continue
            ranges = self._resolve(chain, bindings)
            if ranges:
                bindings[m.group(2)] = Binding(ranges, m.group(1))
        return bindings

    def analyze(self, source: str) -> None:
        if source in self._analyzed:
            return
        self._analyzed.add(source)
        chains = find_chains(source)
        bindings = self._bindings(source, chains)
        masked = _mask_strings(source)
        for chain in chains:
            if chain.root == "variables" and chain.segments and isinstance(chain.segments[0], str):
                name = chain.segments[0]
                if name in self.variables:
                    self.analyze(self.variables[name])
            patterns = self._resolve(chain, bindings)
            self.result.reads.extend(patterns)
            tail = masked[chain.after if chain.method in ("", "orValue") else chain.end:]
            if chain.method not in ("", "orValue"):
                continue
            cmp = re.match(r"\s*(==|!=)\s*(true|false)\b", tail)
            if cmp:
                value = cmp.group(2) == "true"
                if cmp.group(1) == "!=":
                    value = not value
                binding = bindings.get(chain.root)
                if binding is not None and binding.macro in _INVERTING:
                    value = not value
                self.result.requirements.extend(Requirement(p, value) for p in patterns)
            for p in patterns:
                if len(p) >= 3 and p[-3] == "metadata" and p[-2] in ("labels", "annotations") \
                        and isinstance(p[-1], str):
                    self.result.requirements.append(Requirement(p, None, present_only=True))
        for m in re.finditer(r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\s+in\s+", source):
            after = m.end()
            target = next((c for c in chains if c.start == after), None)
            if target is None:
                continue
            for p in self._resolve(target, bindings):
                if len(p) >= 2 and p[-2] == "metadata" and p[-1] in ("labels", "annotations"):
                    self.result.requirements.append(Requirement((*p, _unquote(m.group(1))), None, present_only=True))


def analyze(expression: str, variables: Mapping[str, str] | None = None) -> Analysis:
    """The field patterns ``expression`` reads (through its variables) and the requirements it states."""
    analyzer = _Analyzer(variables or {})
    analyzer.analyze(expression)
    reads = list(dict.fromkeys(analyzer.result.reads))
    pruned = [p for p in reads if not any(len(o) > len(p) and o[: len(p)] == p for o in reads)]
    seen: set[tuple[Pattern, str]] = set()
    reqs = []
    for r in analyzer.result.requirements:
        key = (r.pattern, repr(r.value))
        if key not in seen:
            seen.add(key)
            reqs.append(r)
    return Analysis(pruned, reqs)


# ----------------------------------------------------------------------------- reading values
def format_path(segments: tuple[Segment, ...]) -> str:
    """``spec.containers[0].securityContext`` / ``metadata.labels['app.kubernetes.io/name']``."""
    out = ""
    for seg in segments:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", seg):
            out += f".{seg}" if out else seg
        else:
            out += f"[{seg!r}]"
    return out


def pointer(segments: tuple[Segment, ...]) -> str:
    """The RFC 6901 JSON pointer of a concrete path."""
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in segments)


def expand(obj: Any, pattern: Pattern) -> Iterator[tuple[tuple[Segment, ...], bool, Any]]:
    """Concrete paths of ``pattern`` in ``obj``: (path, present, value). A missing step ends that branch, reported
    at the first missing segment."""

    def walk(node: Any, i: int, path: tuple[Segment, ...]) -> Iterator[tuple[tuple[Segment, ...], bool, Any]]:
        if i == len(pattern):
            yield path, True, node
            return
        seg = pattern[i]
        if seg == WILDCARD:
            if isinstance(node, list):
                for idx, item in enumerate(node):
                    yield from walk(item, i + 1, (*path, idx))
            return
        if isinstance(seg, int):
            if isinstance(node, list) and 0 <= seg < len(node):
                yield from walk(node[seg], i + 1, (*path, seg))
            else:
                yield (*path, seg), False, None
            return
        if isinstance(node, dict) and seg in node:
            yield from walk(node[seg], i + 1, (*path, seg))
        else:
            yield (*path, seg), False, None

    yield from walk(obj, 0, ())


def compact(value: Any) -> Any:
    """The value, or a truncated JSON string when it is large."""
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)[:MAX_VALUE_CHARS]
    if len(text) <= MAX_VALUE_CHARS:
        return value
    return text[: MAX_VALUE_CHARS - 1] + "…"


def field_values(obj: dict[str, Any], patterns: list[Pattern]) -> list[tuple[str, bool, Any]]:
    """(path, present, value) for each pattern, at most :data:`MAX_FIELDS`."""
    out: list[tuple[str, bool, Any]] = []
    seen: set[str] = set()
    for pattern in patterns:
        for path, present, value in expand(obj, pattern):
            text = format_path(path)
            if text in seen:
                continue
            seen.add(text)
            out.append((text, present, compact(value) if present else None))
            if len(out) >= MAX_FIELDS:
                return out
    return out


# ----------------------------------------------------------------------------- patches
def _nested(rest: tuple[Segment, ...], value: Any) -> Any:
    for seg in reversed(rest):
        value = {seg: value}
    return value


def patch_for(obj: dict[str, Any], requirements: list[Requirement]) -> list[dict[str, Any]]:
    """JSON patch operations that make ``obj`` meet the requirements (only where it does not already)."""
    ops: dict[str, dict[str, Any]] = {}
    for req in requirements:
        target = PLACEHOLDER if req.present_only else req.value
        for op in _ops(obj, req.pattern, target, req.present_only):
            known = ops.get(op["path"])
            if known is None:
                ops[op["path"]] = op
            elif isinstance(known.get("value"), dict) and isinstance(op.get("value"), dict):
                known["value"] = _merge(known["value"], op["value"])
    return list(ops.values())


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        out[key] = _merge(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else \
            out.get(key, value)
    return out


def _ops(obj: Any, pattern: Pattern, value: Any, present_only: bool) -> Iterator[dict[str, Any]]:
    def walk(node: Any, i: int, path: tuple[Segment, ...]) -> Iterator[dict[str, Any]]:
        if i == len(pattern):
            return
        seg = pattern[i]
        if seg == WILDCARD:
            if isinstance(node, list):
                for idx, item in enumerate(node):
                    yield from walk(item, i + 1, (*path, idx))
            return
        if isinstance(seg, int) or not isinstance(node, dict):
            return
        rest = pattern[i + 1:]
        if seg not in node or node[seg] is None:
            if any(s == WILDCARD or isinstance(s, int) for s in rest):
                return
            yield {"op": "add", "path": pointer((*path, seg)), "value": _nested(rest, value)}
            return
        if not rest:
            if not present_only and node[seg] != value:
                yield {"op": "replace", "path": pointer((*path, seg)), "value": value}
            return
        yield from walk(node[seg], i + 1, (*path, seg))

    yield from walk(obj, 0, ())


def patch_note(ops: list[dict[str, Any]]) -> str:
    """A sentence about how to use the suggested patch."""
    if not ops:
        return ""
    note = "Suggested from the expression's shape; review it, apply it to the manifest (or kubectl patch --type json)"
    if any(op.get("value") == PLACEHOLDER or PLACEHOLDER in json.dumps(op.get("value"), default=str) for op in ops):
        note += f", and replace {PLACEHOLDER} with a real value"
    return note + ", then run explain_violation or evaluate_policy again to confirm."
