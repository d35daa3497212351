"""Kyverno's ``hash`` library: ``sha1``, ``sha256`` and ``md5`` of a string, as lower-case hex.

Registered as global functions and, from library version 1.18, also under the ``hash.`` prefix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from ..decl import Function, Library, function, overload
from .kyverno_common import require_str


def _hasher(algorithm: str) -> Callable[[Any], str]:
    def digest(text: Any) -> str:
        return hashlib.new(algorithm, require_str(text, algorithm).encode("utf-8")).hexdigest()

    digest.__doc__ = f"Hex {algorithm} of the UTF-8 bytes of a string."
    return digest


def _functions() -> tuple[Function, ...]:
    functions = []
    for algorithm in ("sha1", "sha256", "md5"):
        impl = _hasher(algorithm)
        functions.append(function(algorithm, overload(f"kyverno_{algorithm}_string", ["string"], "string", impl)))
        functions.append(
            function(f"hash.{algorithm}", overload(f"kyverno_hash_{algorithm}_string", ["string"], "string", impl))
        )
    return tuple(functions)


LIBRARY = Library("kyverno.hash", _functions())
