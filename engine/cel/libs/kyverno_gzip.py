"""Kyverno's ``gzip`` library: ``gzip.compress(dyn) -> bytes`` and ``gzip.decompress(bytes) -> string``."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from ._limits import MAX_VALUE_BYTES, too_large
from .kyverno_common import KYVERNO_KINDS

KINDS = KYVERNO_KINDS


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
    """Gunzip bytes (or a string's bytes; several gzip members are read one after the other, as Go's reader does)
    and return the text; refuse output over the size limit without inflating it first."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        return _inflate(raw).decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise CelFunctionError(f"gzip.decompress: {exc}") from None


def _inflate(raw: bytes) -> bytes:
    out = bytearray()
    remaining = raw
    while True:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        out += inflater.decompress(remaining, MAX_VALUE_BYTES + 1 - len(out))
        if len(out) > MAX_VALUE_BYTES:
            raise too_large("gzip.decompress", "decompressed data", None, MAX_VALUE_BYTES)
        if not inflater.eof:
            raise EOFError("compressed file ended before the end-of-stream marker was reached")
        remaining = inflater.unused_data
        if not remaining.strip(b"\0"):
            return bytes(out)


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
