"""``mutate.patchesJson6902`` of kyverno.io/v1 rules: RFC 6902 operations written as a YAML (or JSON) string.

The operations themselves are the project's one RFC 6902 implementation (imported here only, so that moving it
is a one-line change). Kyverno applies them with three options of its JSON-patch library, reproduced here:
``add`` creates the missing objects and arrays on its path (an array when the next token is an index or ``-``,
padding arrays with nulls), ``remove`` of a missing path does nothing, and negative indices count from the end.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..common.jsonpatch import JsonPatchError, apply_operation, json_equal, parse_pointer
from ..errors import LoadError
from ..reader import load_yaml

__all__ = ["JsonPatchError", "apply_json6902", "json_equal", "parse_operations"]


def parse_operations(text: Any) -> list[Mapping[str, Any]]:
    """The operations of a ``patchesJson6902`` value (a YAML/JSON string, or an already decoded list)."""
    if isinstance(text, str):
        try:
            decoded = load_yaml(text, "patchesJson6902", unique_keys=False)
        except LoadError as exc:
            raise JsonPatchError(f"failed to decode patches: {exc}") from None
    else:
        decoded = text
    if decoded is None:
        return []
    if not isinstance(decoded, list) or not all(isinstance(op, Mapping) for op in decoded):
        raise JsonPatchError("failed to decode patches: expected a list of operations")
    return decoded


def apply_json6902(resource: Any, text: Any) -> Any:
    """A patched copy of ``resource``; raises :class:`JsonPatchError` naming the operation that cannot apply."""
    document = copy.deepcopy(resource)
    for operation in parse_operations(text):
        op = operation.get("op")
        path = operation.get("path")
        if op == "remove" and isinstance(path, str) and not _exists(document, path):
            continue
        if op == "add" and isinstance(path, str):
            _ensure_parents(document, path)
        if isinstance(path, str):
            operation = {**operation, "path": _positive_indices(document, path, appending=op == "add")}
        document = apply_operation(document, operation)
    return document


def _index(token: str, length: int) -> int | None:
    if not token.lstrip("-").isdigit():
        return None
    index = int(token)
    return index + length if index < 0 else index


def _positive_indices(document: Any, pointer: str, *, appending: bool) -> str:
    """``pointer`` with negative array indices made positive: ``-1`` is the last item, or (for the last token of an
    ``add``) the position after it, as Kyverno's JSON-patch library does with negative indices enabled."""
    tokens = parse_pointer(pointer)
    current = document
    for position, token in enumerate(tokens):
        last = position == len(tokens) - 1
        if isinstance(current, list) and token.startswith("-") and token[1:].isdigit():
            index = int(token) + len(current) + (1 if last and appending else 0)
            if index >= 0:
                tokens[position] = str(index)
        if last:
            break
        current = _step(current, tokens[position])
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def _step(current: Any, token: str) -> Any:
    if isinstance(current, dict):
        return current.get(token)
    if isinstance(current, list) and token.isdigit() and int(token) < len(current):
        return current[int(token)]
    return None


def _exists(document: Any, pointer: str) -> bool:
    current = document
    for token in parse_pointer(pointer):
        if isinstance(current, dict):
            if token not in current:
                return False
            current = current[token]
        elif isinstance(current, list):
            index = _index(token, len(current))
            if index is None or not 0 <= index < len(current):
                return False
            current = current[index]
        else:
            return False
    return True


def _ensure_parents(document: Any, pointer: str) -> None:
    """Create the missing containers on the way to ``pointer``'s parent (``EnsurePathExistsOnAdd``)."""
    tokens = parse_pointer(pointer)
    current = document
    for position, token in enumerate(tokens[:-1]):
        following = tokens[position + 1]
        fresh: Any = {}
        if following == "-" or following.lstrip("-").isdigit():
            fresh = [None] * max(int(following), 0) if following != "-" else []
        if isinstance(current, dict):
            if current.get(token) is None:
                current[token] = fresh
            current = current[token]
        elif isinstance(current, list):
            index = len(current) if token == "-" else _index(token, len(current))
            if index is not None and index < 0:  # nothing there yet: created where an add would put it
                index += 1
            if index is None or index < 0:
                return
            while len(current) < index:
                current.append(None)
            if index == len(current):
                current.append(fresh)
            elif current[index] is None:
                current[index] = fresh
            current = current[index]
        else:
            return
