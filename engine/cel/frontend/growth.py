"""What input data a value can hold, and how often: the growth limit's measure (see :mod:`.cost` and :mod:`.budget`).

A value's *content* maps the input locations it may hold (paths from an input variable: ``object.metadata.name`` is
``("object", "metadata", "name")``; a dynamic index or a list element is ``*``) to how many times it may hold each.
From it, :func:`copies` gives how much data the value can hold, in copies of an input value of unknown size:

* distinct locations are distinct parts of one input, whose sizes add up to at most one input: 65 fields joined into a
  message are one copy at most, not 65;
* a location held ``n`` times (directly or inside a larger held value: ``[object, object.spec]`` holds ``spec`` twice)
  counts ``n`` copies when its size is unknown;
* a location whose size Kubernetes bounds (``metadata.name``: 253 characters, a label value: 63, ...) counts its bound
  in bytes, against :data:`UNKNOWN_VALUE_BYTES` for a copy: ``lists.range(100).map(i, object.metadata.name)`` holds
  about 25 KB, not 100 copies of the input. Doubling it through variables still grows past any limit.

Paths of a comprehension's iteration variable carry a tag (``#N``) while its body is costed, so that what each
iteration takes from its own element is not multiplied by the number of elements (see :func:`leave_loop`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

Path = tuple[str, ...]
Content = Mapping[Path, int]

EMPTY: Content = MappingProxyType({})
WILDCARD = "*"
TAG_PREFIX = "#"
#: The bytes one input value of unknown size counts as: about the most Kubernetes stores in one object (etcd's limit is
#: 1.5 MiB; one annotation set 256 KiB).
UNKNOWN_VALUE_BYTES = 1 << 20

#: Locations whose size Kubernetes validation bounds: path suffix (``*`` matches any step) -> bytes.
_BOUNDED_SUFFIXES: dict[Path, int] = {
    ("metadata", "name"): 253,
    ("metadata", "generateName"): 253,
    ("metadata", "namespace"): 63,
    ("metadata", "uid"): 36,
    ("metadata", "resourceVersion"): 64,
    ("metadata", "generation"): 20,
    ("metadata", "creationTimestamp"): 32,
    ("metadata", "labels", WILDCARD): 63,
    ("containers", WILDCARD, "name"): 63,
    ("initContainers", WILDCARD, "name"): 63,
    ("ephemeralContainers", WILDCARD, "name"): 63,
    ("volumes", WILDCARD, "name"): 63,
    ("ports", WILDCARD, "name"): 15,
}
#: Locations right under an input variable whose size is bounded (``object.kind``, ``object.apiVersion``).
_BOUNDED_TOP_LEVEL = {"kind": 63, "apiVersion": 317}


def reference(name: str) -> Content:
    """The content of an input variable read whole."""
    return MappingProxyType({(name,): 1})


def select(content: Content, step: str) -> Content:
    """The content of a field, key or element (``step``; :data:`WILDCARD` when dynamic) of a value."""
    if not content:
        return EMPTY
    return {(*path, step): count for path, count in content.items()}


def add(contents: Iterable[Content]) -> Content:
    """A value built from all of ``contents`` (a list, a concatenation): counts add up."""
    total: dict[Path, int] = {}
    for content in contents:
        for path, count in content.items():
            total[path] = total.get(path, 0) + count
    return total if total else EMPTY


def either(contents: Iterable[Content]) -> Content:
    """A value that is one of ``contents`` or derived from one (a ternary, a function of its arguments)."""
    most: dict[Path, int] = {}
    for content in contents:
        for path, count in content.items():
            if count > most.get(path, 0):
                most[path] = count
    return most if most else EMPTY


def times(content: Content, factor: int) -> Content:
    """``content`` repeated ``factor`` times."""
    if factor == 1 or not content:
        return content
    return {path: count * factor for path, count in content.items()}


def enter_loop(element: Content, tag: str) -> Content:
    """The content of an iteration variable whose elements hold ``element``, tagged for :func:`leave_loop` (tags
    lead a path: the innermost loop's first)."""
    return {(tag, *path): count for path, count in element.items()}


def leave_loop(body: Content, tag: str, count: int) -> Content:
    """What a comprehension building one value per element (``count`` elements) holds: what each iteration took
    from its own element once (every element is a different one), everything else ``count`` times."""
    result: dict[Path, int] = {}
    for path, number in body.items():
        if tag in path:
            path = tuple(step for step in path if step != tag)  # it leads, after inner loops' tags (left already)
        else:
            number *= count
        result[path] = result.get(path, 0) + number
    return result if result else EMPTY


def copies(content: Content) -> int:
    """How much data a value with ``content`` can hold, in copies of an input value of unknown size (rounded up)."""
    if not content:
        return 0
    plain: dict[Path, int] = {}
    for path, count in content.items():
        start = 0
        while path[start].startswith(TAG_PREFIX):  # tags lead a path (see enter_loop)
            start += 1
        key = path[start:] if start else path
        plain[key] = plain.get(key, 0) + count
    unbounded = 0
    bounded_bytes = 0
    for path, count in plain.items():
        held = count + sum(plain.get(path[:end], 0) for end in range(1, len(path)))
        bound = _bound(path)
        if bound is None:
            unbounded = max(unbounded, held)
        else:
            bounded_bytes += held * bound
    return unbounded + -(-bounded_bytes // UNKNOWN_VALUE_BYTES)


#: Steps at least one of which a bounded path holds (a quick test before matching the suffixes).
_BOUNDED_STEPS = frozenset(step for suffix in _BOUNDED_SUFFIXES for step in suffix if step != WILDCARD) | frozenset(
    _BOUNDED_TOP_LEVEL
)


@lru_cache(maxsize=65536)
def _bound(path: Path) -> int | None:
    """The size bound of the value at ``path`` (the bound of its shortest bounded prefix), or None."""
    if _BOUNDED_STEPS.isdisjoint(path):
        return None
    for end in range(2, len(path) + 1):
        prefix = path[:end]
        if end == 2 and prefix[1] in _BOUNDED_TOP_LEVEL:
            return _BOUNDED_TOP_LEVEL[prefix[1]]
        for suffix, bound in _BOUNDED_SUFFIXES.items():
            if len(suffix) < end and all(
                want in (WILDCARD, step) for want, step in zip(suffix, prefix[end - len(suffix):], strict=True)
            ):
                return bound
    return None
