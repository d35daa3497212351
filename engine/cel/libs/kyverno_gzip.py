"""Kyverno's ``gzip`` library: ``gzip.compress(dyn) -> bytes`` and ``gzip.decompress(bytes) -> string``."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

from ..decl import CelFunctionError, Library, function, overload


def compress(data: Any) -> bytearray:
    """Gzip a string (its UTF-8 bytes) or bytes.

    Returned as ``bytearray``: cel-expr-python 0.1.3 truncates a returned ``bytes`` at its first NUL byte.
    """
    if isinstance(data, str):
        raw = data.encode("utf-8")
    elif isinstance(data, bytes | bytearray):
        raw = bytes(data)
    else:
        raise CelFunctionError(f"gzip.compress: expected string or bytes, got {type(data).__name__}")
    return bytearray(gzip.compress(raw, mtime=0))


def decompress(data: Any) -> str:
    """Gunzip bytes (or a string's bytes) and return the text."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        return gzip.decompress(raw).decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise CelFunctionError(f"gzip.decompress: {exc}") from None


LIBRARY = Library(
    "kyverno.gzip",
    (
        function(
            "gzip.compress",
            overload("kyverno_gzip_compress_string", ["string"], "bytes", compress),
            overload("kyverno_gzip_compress_bytes", ["bytes"], "bytes", compress),
        ),
        function(
            "gzip.decompress",
            overload("kyverno_gzip_decompress_bytes", ["bytes"], "string", decompress),
            overload("kyverno_gzip_decompress_string", ["string"], "string", decompress),
        ),
    ),
)
