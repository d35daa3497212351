"""``mutate.patchStrategicMerge`` of kyverno.io/v1 rules: anchor pre-processing, then a strategic merge.

Kyverno first rewrites the overlay against the resource (``pkg/engine/mutate/patch/strategicPreprocessing.go``):

* ``+(key): v`` is kept as ``key: v`` when the resource has no ``key`` there, and dropped when it has;
* ``(key): P`` (condition) and ``<(key): P`` (global condition) are checked with validate-pattern semantics
  against the resource value at ``key`` (a missing key fails). In a map, a failed condition drops the *whole*
  overlay (nothing is patched). In a list of maps, an element with anchors is tried against every resource item:
  items for which a condition fails are left alone; for each item that passes, a copy of the element (anchors
  removed, the item's ``name`` added) is appended so that the merge targets that item; a global condition that
  no item satisfies (or a missing list) drops the whole overlay;
* anchor keys never reach the merge: condition keys are removed, list elements that held conditions are replaced
  by their copies, and maps or lists left empty by the removal are dropped.

The merge then follows kustomize's kyaml ``merge2`` (the library Kyverno uses): maps merge key by key, ``null``
removes a key, ``$patch: delete`` removes a map or list item and ``$patch: replace`` replaces a map or (as a list
item ``{$patch: replace}``) a list; a list of maps whose items all carry one of the keys ``mountPath``,
``devicePath``, ``ip``, ``type``, ``topologyKey``, ``name``, ``containerPort`` (the first such key) merges item by
item on that key, new items appended; any other list is replaced.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .anchors import ADD_IF_NOT_PRESENT, CONDITION, GLOBAL, has_anchors, parse_anchor
from .pattern import match_pattern

#: kyaml's ``AssociativeSequenceKeys``, in the order it tries them.
ASSOCIATIVE_KEYS = ("mountPath", "devicePath", "ip", "type", "topologyKey", "name", "containerPort")
DIRECTIVE = "$patch"


class PatchError(ValueError):
    """The overlay cannot be applied (bad directive, conflicting list merge keys, wrong structure)."""


class ConditionNotMet(Exception):
    """A condition anchor of the overlay is not satisfied by the resource (the overlay is dropped)."""

    def __init__(self, message: str, *, is_global: bool = False) -> None:
        super().__init__(message)
        self.is_global = is_global


_DELETE: Any = object()
_MISSING: Any = object()


# ---------------------------------------------------------------------------------------------------------------
# Pre-processing
# ---------------------------------------------------------------------------------------------------------------


def preprocess_overlay(overlay: Mapping[str, Any], resource: Any) -> dict[str, Any]:
    """The overlay Kyverno merges into ``resource``: anchors resolved, or ``{}`` when a condition is not met."""
    pattern = copy.deepcopy(dict(overlay))
    try:
        _walk(pattern, resource)
    except ConditionNotMet:
        return {}
    cleaned, _ = _delete_anchors(pattern, in_list=False)
    return dict(cleaned)


def _walk(pattern: Any, resource: Any) -> None:
    if isinstance(pattern, dict):
        _walk_map(pattern, resource)
    elif isinstance(pattern, list):
        _walk_list(pattern, resource)


def _walk_map(pattern: dict[str, Any], resource: Any) -> None:
    _add_if_not_present(pattern, resource)
    _check_conditions(pattern, resource, GLOBAL)
    _check_conditions(pattern, resource, CONDITION)
    for key, value in list(pattern.items()):
        anchor = parse_anchor(key)
        if anchor is not None and (anchor.is_conditional or anchor.is_add_if_not_present):
            continue
        _walk(value, resource.get(key) if isinstance(resource, Mapping) else None)


def _add_if_not_present(pattern: dict[str, Any], resource: Any) -> None:
    for key in list(pattern):
        anchor = parse_anchor(key)
        if anchor is None or anchor.modifier != ADD_IF_NOT_PRESENT:
            continue
        value = pattern.pop(key)
        if not (isinstance(resource, Mapping) and anchor.key in resource):
            pattern[anchor.key] = value


def _check_conditions(pattern: Mapping[str, Any], resource: Any, modifier: str) -> None:
    for key, expected in pattern.items():
        anchor = parse_anchor(key)
        if anchor is None or anchor.modifier != modifier:
            continue
        is_global = modifier == GLOBAL
        if not isinstance(resource, Mapping) or anchor.key not in resource:
            raise ConditionNotMet(f'could not found "{anchor.key}" key in the resource', is_global=is_global)
        error = match_pattern(resource[anchor.key], expected)
        if error is not None:
            raise ConditionNotMet(error.message, is_global=is_global)


def _walk_list(pattern: list[Any], resource: Any) -> None:
    if not pattern or not isinstance(pattern[0], Mapping):
        return
    if resource is None:
        items: list[Any] = []
    elif isinstance(resource, list):
        items = resource
    else:
        raise PatchError(f"the overlay has a list where the resource has {type(resource).__name__}")
    for element in list(pattern):
        if not isinstance(element, dict) or not has_anchors(element):
            continue
        if not has_anchors(element, kinds=(CONDITION, GLOBAL)):
            _walk(element, _item_with_same_key(element, items))
            continue
        _expand_conditional_element(pattern, element, items)


def _expand_conditional_element(pattern: list[Any], element: dict[str, Any], items: list[Any]) -> None:
    """Try ``element`` on every resource item; append a named copy for each item it applies to."""
    is_global = has_anchors(element, kinds=(GLOBAL,))
    global_passed = False
    global_failure: ConditionNotMet | None = None
    for item in items:
        attempt = copy.deepcopy(element)
        try:
            _walk(attempt, item)
        except ConditionNotMet as failure:
            if failure.is_global:
                global_failure = failure
            continue
        if is_global:
            global_passed = True
        else:
            _append_named_copy(pattern, attempt, item)
    if is_global and not global_passed:  # also when the resource has no item at all
        raise global_failure or ConditionNotMet("no list item satisfies the global condition", is_global=True)


def _append_named_copy(pattern: list[Any], attempt: dict[str, Any], item: Any) -> None:
    if "name" in attempt:
        return
    name = item.get("name") if isinstance(item, Mapping) else None
    if name is None:
        return
    cleaned, empty = _delete_anchors(attempt, in_list=False)
    if empty or not cleaned:
        return
    pattern.append({**cleaned, "name": name})


def _item_with_same_key(element: Mapping[str, Any], items: list[Any]) -> Any:
    """The resource item the merge will pair ``element`` with (same associative key value), if any."""
    for key in ASSOCIATIVE_KEYS:
        if key in element:
            for item in items:
                if isinstance(item, Mapping) and item.get(key) == element[key]:
                    return item
            return None
    return None


def _delete_anchors(node: Any, *, in_list: bool) -> tuple[Any, bool]:
    """``node`` without condition anchors, and whether it must be dropped (emptied by the removal)."""
    if isinstance(node, dict):
        conditional = [k for k in node if (a := parse_anchor(k)) is not None and a.is_conditional]
        if in_list and conditional:
            return node, True
        removed = bool(conditional)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in conditional:
                continue
            cleaned, drop = _delete_anchors(value, in_list=False)
            if drop:
                removed = True
                continue
            out[key] = cleaned
        return out, removed and not out
    if isinstance(node, list):
        kept = []
        for item in node:
            cleaned, drop = _delete_anchors(item, in_list=True)
            if not drop:
                kept.append(cleaned)
        return kept, bool(node) and not kept
    return node, False


# ---------------------------------------------------------------------------------------------------------------
# The merge
# ---------------------------------------------------------------------------------------------------------------


def strategic_merge(resource: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``patch`` into a copy of ``resource`` the way kyaml's ``merge2`` does."""
    merged = _merge(dict(resource), patch, "")
    if merged is _DELETE:
        return {}
    if not isinstance(merged, dict):  # pragma: no cover - a map patch over a map gives a map
        raise PatchError("the patch did not produce an object")
    return merged


def patch_strategic_merge(resource: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Kyverno's ``patchStrategicMerge``: pre-process ``overlay`` against ``resource``, then merge it."""
    if not isinstance(overlay, Mapping):
        raise PatchError(f"patchStrategicMerge must be an object, not {type(overlay).__name__}")
    return strategic_merge(resource, preprocess_overlay(overlay, resource))


def _directive(patch: Mapping[str, Any], path: str) -> str:
    value = patch.get(DIRECTIVE, "merge")
    if value not in ("merge", "replace", "delete"):
        raise PatchError(f"unknown patch strategy '{value}' at {path or '/'}")
    return str(value)


def _merge(base: Any, patch: Any, path: str) -> Any:
    if isinstance(patch, Mapping):
        strategy = _directive(patch, path)
        if strategy == "delete":
            return _DELETE
        if strategy == "replace" or not isinstance(base, Mapping):
            return _clean(patch, path)
        out = copy.deepcopy(dict(base))
        for key, value in patch.items():
            if key == DIRECTIVE:
                continue
            merged = _DELETE if value is None else _merge(out.get(key, _MISSING), value, f"{path}/{key}")
            if merged is _DELETE:
                out.pop(key, None)
            else:
                out[key] = merged
        return out
    if isinstance(patch, list):
        return _merge_list(base, patch, path)
    return copy.deepcopy(patch)


def _clean(value: Any, path: str) -> Any:
    """A patch value added where the resource has nothing: directives applied, ``null`` fields dropped."""
    if isinstance(value, Mapping):
        if _directive(value, path) == "delete":
            return _DELETE
        out = {}
        for key, item in value.items():
            if key == DIRECTIVE or item is None:
                continue
            cleaned = _clean(item, f"{path}/{key}")
            if cleaned is not _DELETE:
                out[key] = cleaned
        return out
    if isinstance(value, list):
        items = [item for item in value if not _is_list_directive(item)]
        cleaned_items = [_clean(item, f"{path}/{i}") for i, item in enumerate(items)]
        return [item for item in cleaned_items if item is not _DELETE]
    return copy.deepcopy(value)


def _is_list_directive(item: Any) -> bool:
    return isinstance(item, Mapping) and len(item) == 1 and DIRECTIVE in item


def _associative_key(items: list[Any]) -> str:
    """kyaml's ``GetAssociativeKey``: the first associative key every item has ("" when none)."""
    if not items or not all(isinstance(item, Mapping) for item in items):
        return ""
    for key in ASSOCIATIVE_KEYS:
        if all(key in item for item in items):
            return key
    return ""


def _merge_list(base: Any, patch: list[Any], path: str) -> Any:
    directives = [item for item in patch if _is_list_directive(item)]
    items = [item for item in patch if not _is_list_directive(item)]
    strategy = _directive(directives[0], path) if directives else "merge"
    if strategy == "delete":
        return _DELETE
    base_items = base if isinstance(base, list) else []
    key = _associative_key(base_items)
    if items:  # kyaml takes the key of the last non-empty list, and refuses to change it
        patch_key = _associative_key(items)
        if key and base_items and patch_key != key:
            raise PatchError(f"conflicting merge keys [{key},{patch_key}] for field {path.strip('/')}")
        key = patch_key
    if strategy == "replace" or not isinstance(base, list) or not key:
        return _clean(items, path)
    out = copy.deepcopy(base_items)
    for index, item in enumerate(items):
        target = _position(out, key, item.get(key))
        where = f"{path}/{index}"
        if target is None:
            cleaned = _clean(item, where)
            if cleaned is not _DELETE:
                out.append(cleaned)
            continue
        merged = _merge(out[target], item, where)
        if merged is _DELETE:
            del out[target]
        else:
            out[target] = merged
    return out


def _position(items: list[Any], key: str, value: Any) -> int | None:
    for index, existing in enumerate(items):
        if isinstance(existing, Mapping) and key in existing and existing[key] == value:
            return index
    return None
