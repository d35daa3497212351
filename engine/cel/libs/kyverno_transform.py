"""Kyverno's ``transform`` library: ``listObjToMap(keys, values, keyField, valueField) -> map``.

Pairs the i-th object of ``keys`` with the i-th object of ``values``: the result maps ``keys[i][keyField]`` to
``values[i][valueField]``. Both lists must have the same length. Also registered as ``transform.listObjToMap``.
"""

from __future__ import annotations

from typing import Any

from ..decl import CelFunctionError, Library, function, overload


def list_obj_to_map(keys: Any, values: Any, key_field: Any, value_field: Any) -> dict[Any, Any]:
    """Build a map from two parallel lists of objects."""
    if not isinstance(keys, list) or not isinstance(values, list):
        raise CelFunctionError("listObjToMap: the first two arguments must be lists")
    if len(keys) != len(values):
        raise CelFunctionError(f"listObjToMap: lists must have the same length ({len(keys)} != {len(values)})")
    result: dict[Any, Any] = {}
    for index, (key_obj, value_obj) in enumerate(zip(keys, values, strict=True)):
        if not isinstance(key_obj, dict) or not isinstance(value_obj, dict):
            raise CelFunctionError(f"listObjToMap: element {index} is not an object")
        if key_field not in key_obj:
            raise CelFunctionError(f"listObjToMap: element {index} of the first list has no field {key_field!r}")
        if value_field not in value_obj:
            raise CelFunctionError(f"listObjToMap: element {index} of the second list has no field {value_field!r}")
        key = key_obj[key_field]
        if isinstance(key, dict | list):
            raise CelFunctionError(f"listObjToMap: key at element {index} is not a scalar")
        result[key] = value_obj[value_field]
    return result


_SIGNATURE = ["list", "list", "string", "string"]

LIBRARY = Library(
    "kyverno.transform",
    (
        function("listObjToMap", overload("kyverno_listObjToMap", _SIGNATURE, "map", list_obj_to_map)),
        function(
            "transform.listObjToMap", overload("kyverno_transform_listObjToMap", _SIGNATURE, "map", list_obj_to_map)
        ),
    ),
)
