"""Kyverno's ``generator`` library (GeneratingPolicy only): ``generator.Apply(namespace, objects) -> bool``.

Each element of ``objects`` is an object to create in ``namespace``; a list object (one with ``items``) stands for
its items, as Kyverno expands ``unstructured`` lists. The objects go to the generator sink; the call returns true.
Alias ``generator.apply``.
"""

from __future__ import annotations

from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from ..providers import current_providers
from .kyverno_common import require_str


def expand_objects(objects: Any) -> list[dict[str, Any]]:
    """Flatten ``objects`` (a list of objects or list objects) into the objects to create."""
    if not isinstance(objects, list):
        raise CelFunctionError("generator.Apply: objects must be a list")
    flat: list[dict[str, Any]] = []
    for index, item in enumerate(objects):
        if not isinstance(item, dict):
            raise CelFunctionError(f"generator.Apply: element {index} is not an object")
        if isinstance(item.get("items"), list):
            for inner in item["items"]:
                if not isinstance(inner, dict):
                    raise CelFunctionError(f"generator.Apply: element {index} has an item that is not an object")
                flat.append(inner)
        else:
            flat.append(item)
    return flat


def apply(namespace: Any, objects: Any) -> bool:
    """Hand the objects to the generator sink; true on success."""
    target = require_str(namespace, "generator.Apply", "namespace")
    flat = expand_objects(objects)
    sink = current_providers().generator
    if sink is None:
        raise CelFunctionError("generator.Apply: no generator sink is configured")
    sink.apply(target, flat)
    return True


LIBRARY = Library(
    "kyverno.generator",
    tuple(
        function(f"generator.{name}", overload(f"kyverno_generator_{name}_string_list", ["string", "list"], "bool",
                                                apply))
        for name in ("Apply", "apply")
    ),
)
