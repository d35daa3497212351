"""Compact JSON schemas for ``tools/list``: every agent session pays for the tool list in tokens, so what is
advertised keeps what a model or a client needs and drops what pydantic adds for humans.

- Input schemas keep names, types, constraints, descriptions and defaults; they lose the ``title`` of every
  property and the ``anyOf [..., null]`` of optional parameters (an optional parameter is simply not required).
- Output schemas keep the top level (each field's name and JSON type, and which are required); nested models are
  described as ``object`` or ``array``. Structured content is still validated against the full pydantic model by
  the server before it is sent, and it conforms to the compact schema too (which is only less precise).
"""

from __future__ import annotations

from typing import Any


def _drop_null(variants: list[Any]) -> list[Any]:
    return [v for v in variants if not (isinstance(v, dict) and v.get("type") == "null")]


def compact_input(schema: Any) -> Any:
    """``schema`` without titles, and with optional values described by their non-null type."""
    if isinstance(schema, list):
        return [compact_input(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and value is None:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: compact_input(prop) for name, prop in value.items()}
            continue
        out[key] = compact_input(value)
    variants = out.get("anyOf")
    if isinstance(variants, list):
        rest = _drop_null(variants)
        if len(rest) == 1 and isinstance(rest[0], dict):
            del out["anyOf"]
            out = {**rest[0], **out}
    return out


def _json_type(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON type of one output field, one level deep."""
    if "$ref" in schema:
        return {"type": "object"}
    variants = schema.get("anyOf")
    if isinstance(variants, list):
        types: list[str] = []
        for variant in variants:
            kind = _json_type(variant).get("type") if isinstance(variant, dict) else None
            if isinstance(kind, str) and kind not in types:
                types.append(kind)
            elif kind is None:
                return {}
        return {"type": types[0] if len(types) == 1 else types}
    kind = schema.get("type")
    return {"type": kind} if isinstance(kind, str) else {}


def compact_output(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """The top level of an output schema: field names, JSON types and required fields."""
    if schema is None:
        return None
    properties = schema.get("properties") or {}
    out: dict[str, Any] = {"type": "object",
                           "properties": {name: _json_type(prop) for name, prop in properties.items()}}
    if schema.get("required"):
        out["required"] = list(schema["required"])
    return out


__all__ = ["compact_input", "compact_output"]
