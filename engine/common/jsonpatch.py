"""RFC 6902 JSON Patch (add, remove, replace, move, copy, test) over plain JSON values, with RFC 6901 pointers.

Behaves like the library the API server uses for ``JSONPatch`` mutations: an ``add`` needs its parent to exist,
``remove`` and ``replace`` need their target to exist, ``-`` appends to an array, array indices must be in range
(negative indices count from the end), ``~1`` and ``~0`` unescape to ``/`` and ``~``. Numbers compare by value in
``test`` (``1 == 1.0``) but booleans are not numbers.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import EvaluationError

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")


class JsonPatchError(EvaluationError):
    """An operation cannot apply; the message says which and why."""


def parse_pointer(pointer: str) -> list[str]:
    """Split a JSON pointer into unescaped reference tokens (``""`` is the whole document)."""
    if not isinstance(pointer, str):
        raise JsonPatchError(f"path must be a string, not {type(pointer).__name__}")
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise JsonPatchError(f'invalid path "{pointer}": a JSON pointer starts with "/"')
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def json_equal(a: Any, b: Any) -> bool:
    """Deep equality of JSON values: numbers by value, booleans distinct from numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _index(token: str, length: int, *, allow_end: bool, op: str, pointer: str) -> int:
    if token == "-" and allow_end:
        return length
    try:
        if token.startswith("+") or (token.startswith("0") and token != "0") or not token.lstrip("-").isdigit():
            raise ValueError(token)
        index = int(token)
    except ValueError:
        message = f'{op} operation does not apply: invalid array index "{token}" in path "{pointer}"'
        raise JsonPatchError(message) from None
    if index < 0:
        index += length
    upper = length if allow_end else length - 1
    if index < 0 or index > upper:
        raise JsonPatchError(f'{op} operation does not apply: index out of bounds in path "{pointer}"')
    return index


def _walk(doc: Any, tokens: list[str], op: str, pointer: str) -> Any:
    """The value at ``tokens``, or an error naming the missing path."""
    current = doc
    for token in tokens:
        if isinstance(current, dict) and token in current:
            current = current[token]
        elif isinstance(current, list):
            current = current[_index(token, len(current), allow_end=False, op=op, pointer=pointer)]
        else:
            raise JsonPatchError(f'{op} operation does not apply: doc is missing path: "{pointer}"')
    return current


def _container(doc: Any, tokens: list[str], op: str, pointer: str) -> Any:
    """The value holding the last token (the parent), or an error naming the missing path."""
    current = _walk(doc, tokens[:-1], op, pointer)
    if not isinstance(current, dict | list):
        raise JsonPatchError(f'{op} operation does not apply: doc is missing path: "{pointer}"')
    return current


def _get(doc: Any, pointer: str, op: str) -> Any:
    return _walk(doc, parse_pointer(pointer), op, pointer)


def _add(doc: Any, pointer: str, value: Any, op: str = "add") -> Any:
    tokens = parse_pointer(pointer)
    if not tokens:
        return value
    parent = _container(doc, tokens, op, pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    else:
        parent.insert(_index(last, len(parent), allow_end=True, op=op, pointer=pointer), value)
    return doc


def _remove(doc: Any, pointer: str, op: str = "remove") -> tuple[Any, Any]:
    tokens = parse_pointer(pointer)
    if not tokens:
        raise JsonPatchError(f"{op} operation does not apply: cannot remove the whole document")
    parent = _container(doc, tokens, op, pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise JsonPatchError(f'{op} operation does not apply: doc is missing path: "{pointer}"')
        return doc, parent.pop(last)
    return doc, parent.pop(_index(last, len(parent), allow_end=False, op=op, pointer=pointer))


def _replace(doc: Any, pointer: str, value: Any) -> Any:
    tokens = parse_pointer(pointer)
    if not tokens:
        return value
    parent = _container(doc, tokens, "replace", pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise JsonPatchError(f'replace operation does not apply: doc is missing key: "{pointer}"')
        parent[last] = value
    else:
        parent[_index(last, len(parent), allow_end=False, op="replace", pointer=pointer)] = value
    return doc


def apply_operation(doc: Any, operation: Mapping[str, Any]) -> Any:
    """Apply one operation to ``doc`` (modified in place when possible) and return the new document."""
    op = operation.get("op")
    if op not in OPERATIONS:
        raise JsonPatchError(f"unsupported JSON Patch operation {op!r}; expected one of {', '.join(OPERATIONS)}")
    path = operation.get("path")
    if path is None:
        raise JsonPatchError(f"{op} operation: missing path")
    if op in ("add", "replace", "test") and "value" not in operation:
        raise JsonPatchError(f'{op} operation: missing value for path "{path}"')
    value = copy.deepcopy(operation.get("value"))
    if op == "add":
        return _add(doc, path, value)
    if op == "remove":
        return _remove(doc, path)[0]
    if op == "replace":
        return _replace(doc, path, value)
    if op == "test":
        actual = _get(doc, path, "test")
        if not json_equal(actual, value):
            raise JsonPatchError(f'testing value "{path}" failed: test failed')
        return doc
    source = operation.get("from")
    if not isinstance(source, str):
        raise JsonPatchError(f'{op} operation: missing from for path "{path}"')
    if op == "copy":
        return _add(doc, path, copy.deepcopy(_get(doc, source, "copy")), "copy")
    if path == source:
        return doc
    if path.startswith(source + "/"):
        raise JsonPatchError(f'move operation does not apply: cannot move "{source}" into its own child "{path}"')
    doc, moved = _remove(doc, source, "move")
    return _add(doc, path, moved, "move")


def apply_patch(doc: Any, operations: Sequence[Mapping[str, Any]]) -> Any:
    """Apply ``operations`` in order to a deep copy of ``doc``; the first failing operation raises."""
    result = copy.deepcopy(doc)
    for operation in operations:
        if not isinstance(operation, Mapping):
            raise JsonPatchError(f"a JSON Patch operation must be an object, not {type(operation).__name__}")
        result = apply_operation(result, operation)
    return result


def escape_key(key: str) -> str:
    """Escape a map key for use as one pointer token: ``~`` -> ``~0``, ``/`` -> ``~1``."""
    return key.replace("~", "~0").replace("/", "~1")
