"""Kubernetes' CEL JSONPatch library (k8s.io/apiserver/pkg/cel/library/jsonpatch.go): ``jsonpatch.escapeKey``."""

from __future__ import annotations

from ..decl import Library, function, overload


def escape_key(key: str) -> str:
    """Escape a key for a JSON Pointer path segment (RFC 6901): ``~`` -> ``~0``, then ``/`` -> ``~1``."""
    return key.replace("~", "~0").replace("/", "~1")


LIBRARY = Library(
    "k8s_jsonpatch",
    (function("jsonpatch.escapeKey", overload("k8s_jsonpatch_escape_key", ("string",), "string", escape_key)),),
)
