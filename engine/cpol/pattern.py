"""``validate.pattern`` matching of kyverno.io/v1 rules (Kyverno's ``pkg/engine/validate`` and anchor handlers).

:func:`match_pattern` walks a pattern against a resource the way Kyverno's ``MatchPattern`` does and returns None
(the resource satisfies the pattern) or a :class:`PatternError` holding Kyverno's message, the resource path where
the walk failed (``/spec/containers/0/image/``) and whether the failure only means "the rule does not apply"
(a condition or global anchor was not met: Kyverno reports the rule as skipped).

The walk, in Kyverno's order:

* a map pattern needs a map; wildcard keys under ``metadata.labels``/``metadata.annotations`` are first replaced
  by the resource key they match; anchor keys (condition ``()``, equality ``=()``, existence ``^()``, negation
  ``X()``) are handled first, sorted by key, then the other keys (global ``<()`` keys and keys whose subtree holds
  anchors first, so that a condition that is not met stops the walk before anything else fails);
* a list pattern whose first item is a map applies that map to every resource item (items skipped by a condition
  are ignored; when every item was skipped the list is skipped); a first item that is a scalar applies to every
  resource item; other lists compare item by item;
* a scalar pattern applies to the value, or to every item of a list value (see :mod:`.operators`).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .anchors import Anchor, parse_anchor, with_key
from .gotext import format_value, type_name
from .match import wildcard_match
from .operators import value_matches

PLAIN = "plain"
CONDITION = "condition"
GLOBAL = "global"
NEGATION = "negation"

_PREFIXES = {
    CONDITION: "conditional anchor mismatch",
    GLOBAL: "global anchor mismatch",
    NEGATION: "negation anchor matched in resource",
}
_SKIPPING = (CONDITION, GLOBAL)
_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class PatternError:
    """Why a resource does not satisfy a pattern.

    ``skip``: a condition or global anchor was not met (the rule does not apply). Otherwise the pattern failed:
    at ``path`` when it is set, else the failure is an evaluation error (Kyverno reports it as ``error``).
    """

    message: str
    path: str
    skip: bool = False


@dataclass(frozen=True)
class _Mismatch:
    """An error of the walk, with the kind of anchor that raised it (``plain`` for ordinary mismatches)."""

    message: str
    kind: str = PLAIN

    @property
    def skips(self) -> bool:
        # Kyverno types anchor errors; an untyped error counts when its text carries an anchor prefix.
        return self.kind in _SKIPPING or (self.kind == PLAIN and any(_PREFIXES[k] in self.message for k in _SKIPPING))

    @property
    def negation(self) -> bool:
        return self.kind == NEGATION or (self.kind == PLAIN and _PREFIXES[NEGATION] in self.message)


def _anchor_error(kind: str, message: str) -> _Mismatch:
    return _Mismatch(f"{_PREFIXES[kind]}: {message}", kind)


def _combine(errors: list[_Mismatch]) -> _Mismatch:
    return _Mismatch("; ".join(e.message for e in errors), errors[0].kind)


_Result = tuple[str, _Mismatch | None]
_OK: _Result = ("", None)


class _AnchorPresence:
    """Which condition/existence anchor keys of the pattern were found in some resource map on the way."""

    def __init__(self) -> None:
        self.found: dict[str, bool] = {}

    def check(self, pattern: Mapping[str, Any], resource: Mapping[str, Any]) -> None:
        for key in pattern:
            anchor = parse_anchor(key)
            if anchor is None or not (anchor.is_condition or anchor.is_existence):
                continue
            if self.found.get(key):
                continue
            self.found[key] = anchor.key in resource

    def keys_are_missing(self) -> bool:
        return not all(self.found.values())


def match_pattern(resource: Any, pattern: Any) -> PatternError | None:
    """Match ``resource`` against ``pattern`` as Kyverno's ``MatchPattern`` does; None when it matches."""
    presence = _AnchorPresence()
    path, error = _element(resource, pattern, "/", presence)
    if error is None:
        return None
    if error.skips:
        return PatternError(error.message, "", skip=True)
    if error.negation:
        return PatternError(error.message, path)
    if presence.keys_are_missing():
        return PatternError(error.message, "")
    return PatternError(error.message, path)


def _element(resource: Any, pattern: Any, path: str, presence: _AnchorPresence) -> _Result:
    if isinstance(pattern, dict):
        if not isinstance(resource, dict):
            message = (
                f"pattern and resource have different structures. Path: {path}. "
                f"Expected {type_name(pattern)}, found {type_name(resource)}"
            )
            return path, _Mismatch(message)
        presence.check(pattern, resource)
        return _map(resource, pattern, path, presence)
    if isinstance(pattern, list):
        if not isinstance(resource, list):
            message = f"validation rule failed at path {path}, resource does not satisfy the expected overlay pattern"
            return path, _Mismatch(message)
        return _array(resource, pattern, path, presence)
    if isinstance(pattern, _SCALARS):
        values = resource if isinstance(resource, list) else [resource]
        for value in values:
            if not value_matches(value, pattern):
                message = (
                    f"resource value '{format_value(resource)}' does not match '{format_value(pattern)}' at path {path}"
                )
                return path, _Mismatch(message)
        return _OK
    return path, _Mismatch(f"failed at '{path}', pattern contains unknown type")


def _map(resource: Mapping[str, Any], pattern: Mapping[str, Any], path: str, presence: _AnchorPresence) -> _Result:
    pattern = expand_metadata_wildcards(pattern, resource)
    anchor_keys, plain_keys = _layout(pattern)
    skipped: list[_Mismatch] = []
    for key in anchor_keys:
        error_path, error = _handle(key, pattern[key], resource, path, presence)
        if error is None:
            continue
        if error.skips:
            skipped.append(error)
            continue
        if skipped:  # conditions sort first: a condition that failed makes the whole map not apply
            break
        return error_path, error
    if skipped:
        return path, _combine(skipped)
    for key in plain_keys:
        error_path, error = _handle(key, pattern[key], resource, path, presence)
        if error is not None:
            return error_path, error
    return _OK


_LAYOUT_CACHE_SIZE = 2048
_layouts: OrderedDict[int, tuple[Mapping[str, Any], tuple[list[str], list[str]]]] = OrderedDict()


def _layout(pattern: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The anchor keys of a pattern map in evaluation order, then its other keys in evaluation order.

    Patterns are evaluated against many resources: the layout is kept per pattern object (the cache holds the
    object, so its id cannot be reused while cached; patterns are never modified)."""
    cached = _layouts.get(id(pattern))
    if cached is not None and cached[0] is pattern:
        _layouts.move_to_end(id(pattern))
        return cached[1]
    anchors = sorted(k for k in pattern if (a := parse_anchor(k)) is not None and a.is_validate_anchor)
    plain = _plain_key_order({k: v for k, v in pattern.items() if k not in anchors})
    layout = (anchors, plain)
    _layouts[id(pattern)] = (pattern, layout)
    if len(_layouts) > _LAYOUT_CACHE_SIZE:
        _layouts.popitem(last=False)
    return layout


def _plain_key_order(plain: Mapping[str, Any]) -> list[str]:
    """Global anchors and keys whose subtree holds anchors first (``getSortedNestedAnchorResource``)."""
    order: deque[str] = deque()
    for key in sorted(plain):
        value = plain[key]
        anchor = parse_anchor(key)
        if anchor is not None and anchor.is_global:
            order.appendleft(key)
        elif isinstance(value, str):
            order.append(key)
        elif _has_nested_anchors(value):
            order.appendleft(key)
        else:
            order.append(key)
    return list(order)


def _has_nested_anchors(value: Any) -> bool:
    if isinstance(value, dict):
        return any(parse_anchor(k) is not None or _has_nested_anchors(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nested_anchors(item) for item in value)
    return False


def _handle(key: str, pattern: Any, resource: Mapping[str, Any], path: str, presence: _AnchorPresence) -> _Result:
    """Kyverno's ``CreateElementHandler(key).Handle``: one pattern key against the resource map."""
    anchor = parse_anchor(key)
    if anchor is None or anchor.is_add_if_not_present:
        return _plain(key, pattern, resource, path, presence)
    current = path + anchor.key + "/"
    present = anchor.key in resource
    if anchor.is_negation:
        if present:
            return current, _anchor_error(NEGATION, f"{current} is not allowed")
        return _OK
    if anchor.is_existence:
        return _existence(anchor, pattern, resource, current, presence) if present else _OK
    if not present:
        if anchor.is_condition:
            return current, _anchor_error(CONDITION, "conditional anchor key doesn't exist in the resource")
        return _OK
    error_path, error = _element(resource[anchor.key], pattern, current, presence)
    if error is None:
        return _OK
    if anchor.is_condition:
        return error_path, _anchor_error(CONDITION, error.message)
    if anchor.is_global:
        return error_path, _anchor_error(GLOBAL, error.message)
    return error_path, error


def _plain(key: str, pattern: Any, resource: Mapping[str, Any], path: str, presence: _AnchorPresence) -> _Result:
    value = resource.get(key)
    if pattern == "*" and isinstance(pattern, str):
        if value is not None:
            return _OK
        return path, _Mismatch(f"{path}/{key} not found")
    return _element(value, pattern, path + key + "/", presence)


def _existence(
    anchor: Anchor, pattern: Any, resource: Mapping[str, Any], path: str, presence: _AnchorPresence
) -> _Result:
    value = resource[anchor.key]
    if not isinstance(value, list):
        message = (
            f"invalid resource type {type_name(value)}: Existence ^ () anchor can be used only on list/array type "
            "resource"
        )
        return path, _Mismatch(message)
    if not isinstance(pattern, list):
        message = f"invalid pattern type {type_name(pattern)}: Pattern has to be of list to compare against resource"
        return path, _Mismatch(message)
    for item in pattern:
        if not isinstance(item, dict):
            message = (
                f"invalid pattern type {type_name(pattern)}: Pattern has to be of type map to compare against items "
                "in resource"
            )
            return path, _Mismatch(message)
        if not any(_element(element, item, f"{path}{i}/", presence)[1] is None for i, element in enumerate(value)):
            return path, _Mismatch(f"existence anchor validation failed at path {path}")
    return _OK


def _array(resource: list[Any], pattern: list[Any], path: str, presence: _AnchorPresence) -> _Result:
    if not pattern:
        return path, _Mismatch("pattern Array empty")
    first = pattern[0]
    if isinstance(first, dict):
        return _array_of_maps(resource, first, path, presence)
    if isinstance(first, _SCALARS):
        return _element(resource, first, path, presence)
    if len(resource) < len(pattern):
        message = (
            f"validate Array failed, array length mismatch, resource Array len is {len(resource)} and pattern Array "
            f"len is {len(pattern)}"
        )
        return "", _Mismatch(message)
    for i, item in enumerate(pattern):
        error_path, error = _element(resource[i], item, f"{path}{i}/", presence)
        if error is not None:
            return error_path, error
    return _OK


def _array_of_maps(resource: list[Any], pattern: Mapping[str, Any], path: str, presence: _AnchorPresence) -> _Result:
    applied = 0
    skipped: list[_Mismatch] = []
    for i, element in enumerate(resource):
        error_path, error = _element(element, pattern, f"{path}{i}/", presence)
        if error is not None:
            if error.skips:
                skipped.append(error)
                continue
            return error_path, error
        applied += 1
    if applied == 0 and skipped:
        return path, _combine(skipped)
    return _OK


def expand_metadata_wildcards(pattern: Mapping[str, Any], resource: Mapping[str, Any]) -> Mapping[str, Any]:
    """Replace wildcard keys of ``metadata.labels``/``metadata.annotations`` in a pattern map by the first resource
    key they match (anchors kept), as Kyverno's ``ExpandInMetadata`` does; other keys and values are unchanged."""
    metadata_key = _key_naming(pattern, "metadata")
    resource_metadata = resource.get("metadata")
    if metadata_key is None or not isinstance(pattern[metadata_key], Mapping):
        return pattern
    if not isinstance(resource_metadata, Mapping):
        return pattern
    metadata = dict(pattern[metadata_key])
    changed = False
    for tag in ("labels", "annotations"):
        tag_key = _key_naming(metadata, tag)
        resource_tags = resource_metadata.get(tag)
        if tag_key is None or not isinstance(metadata[tag_key], Mapping) or not isinstance(resource_tags, Mapping):
            continue
        expanded: dict[str, Any] = {}
        for key, value in metadata[tag_key].items():
            expanded[_expand_key(key, resource_tags) if "*" in key or "?" in key else key] = value
        metadata[tag_key] = expanded
        changed = True
    if not changed:
        return pattern
    out = dict(pattern)
    out[metadata_key] = metadata
    return out


def _key_naming(pattern: Mapping[str, Any], name: str) -> str | None:
    for key in pattern:
        anchor = parse_anchor(key)
        if (anchor.key if anchor is not None else key) == name:
            return str(key)
    return None


def _expand_key(key: str, resource_tags: Mapping[str, Any]) -> str:
    anchor = parse_anchor(key)
    bare = anchor.key if anchor is not None else key
    for candidate in resource_tags:
        if wildcard_match(bare, str(candidate)):
            return with_key(anchor, str(candidate))
    return key
