"""Size limits of the values CEL library functions build (no ``LIBRARY`` here, so discovery skips this module).

Kubernetes bounds every string in an object by its maximum request size (3 MiB); a library function that would
build a larger string, decompress more, or parse a larger document fails with a CEL error naming the limit, so a
tiny expression cannot make the evaluation hold gigabytes (``gzip`` inside ``gzip``, ``random('a{50000000}')``,
``lists.range(int('100000000'))``). The limits are generous for real policies.
"""

from __future__ import annotations

from ..decl import CelFunctionError

#: Kubernetes' maximum request size: the largest string, decompressed text or parsed document a function handles.
MAX_VALUE_BYTES = 3 * 1024 * 1024
#: The most elements ``lists.range`` builds (cel-cpp iterates at most 10,000 elements per evaluation anyway).
MAX_LIST_LENGTH = 100_000
#: The longest string ``random(pattern)`` generates.
MAX_RANDOM_LENGTH = 65_536


def check_text_size(function: str, text: str | bytes | bytearray, what: str = "input") -> None:
    """Raise a CEL error when ``text`` is over :data:`MAX_VALUE_BYTES` (strings count their UTF-8 bytes)."""
    if isinstance(text, str) and len(text) * 4 > MAX_VALUE_BYTES:  # short strings cannot be over: skip encoding
        size = len(text.encode("utf-8", "surrogatepass"))
    else:
        size = len(text)
    if size > MAX_VALUE_BYTES:
        raise too_large(function, what, size, MAX_VALUE_BYTES)


def too_large(function: str, what: str, size: int | None, limit: int, unit: str = "bytes") -> CelFunctionError:
    """The CEL error for a value over its limit (``size`` None when it was not built to the end)."""
    measured = f" ({size} {unit})" if size is not None else ""
    return CelFunctionError(f"{function}: the {what}{measured} exceeds the limit of {limit} {unit}")
