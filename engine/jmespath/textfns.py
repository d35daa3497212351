"""Kyverno's string, regex, wildcard, encoding and hash functions (``pkg/engine/jmespath/functions.go``).

Regular expressions are Go's RE2 syntax, run with google-re2 on UTF-8 bytes so that positions, empty matches and
``$1``/``${name}`` expansion behave as Go's ``regexp`` package. Patterns longer than :data:`MAX_PATTERN` or needing
more than :data:`REGEX_MEMORY` bytes are refused, and ``random`` refuses patterns that could produce more than
:data:`MAX_RANDOM_LENGTH` characters, so that a hostile policy cannot exhaust memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import posixpath
from functools import lru_cache
from typing import Any

import re2

from ..cel.decl import CelFunctionError
from ..cel.libs import kyverno_random
from .errors import FunctionError, argument_type_error, function_error
from .gotext import go_float32_text, is_number
from .wildcard import wildcard_match

__all__ = ["MAX_PATTERN", "MAX_RANDOM_LENGTH", "REGEX_MEMORY", "compile_go_regex", "stringify_argument"]

MAX_PATTERN = 64 * 1024
REGEX_MEMORY = 16 * 1024 * 1024
MAX_RANDOM_LENGTH = 64 * 1024


def stringify_argument(function: str, position: int, value: Any, allow_bool: bool = False) -> str:
    """Kyverno's ``ifaceToString`` for a string-or-number argument (numbers at float32 precision)."""
    if isinstance(value, str):
        return value
    if is_number(value):
        return go_float32_text(float(value))
    if allow_bool and isinstance(value, bool):
        return "true" if value else "false"
    raise argument_type_error(function, position, "String or Real")


@lru_cache(maxsize=512)
def compile_go_regex(pattern: str) -> Any:
    """Compile a Go (RE2) regular expression for matching UTF-8 bytes; raise :class:`FunctionError`."""
    if len(pattern) > MAX_PATTERN:
        raise FunctionError(f"error parsing regexp: expression too large ({len(pattern)} characters)")
    options = re2.Options()
    options.log_errors = False
    options.max_mem = REGEX_MEMORY
    try:
        return re2.compile(pattern.encode("utf-8"), options)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise FunctionError(f"error parsing regexp: {detail}") from None


def regex_match(pattern: Any, source: Any) -> bool:
    """``regex_match(regex, string|number)``: whether the regex matches anywhere in the text."""
    text = stringify_argument("regex_match", 2, source)
    return compile_go_regex(pattern).search(text.encode("utf-8")) is not None


def _rune_width(data: bytes, position: int) -> int:
    if position >= len(data):
        return 0
    lead = data[position]
    for width, prefix, shift in ((2, 0b110, 5), (3, 0b1110, 4), (4, 0b11110, 3)):
        if lead >> shift == prefix:
            return min(width, len(data) - position)
    return 1


def _expand(template: bytes, data: bytes, match: Any, names: dict[bytes, int], groups: int) -> bytes:
    """Go's ``Regexp.Expand``: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``; unknown groups expand to nothing."""
    out = bytearray()
    rest = template
    while True:
        before, dollar, after = rest.partition(b"$")
        out += before
        if not dollar:
            return bytes(out)
        if after.startswith(b"$"):
            out += b"$"
            rest = after[1:]
            continue
        name, tail = _template_name(after)
        if name is None:
            out += b"$"
            rest = after
            continue
        rest = tail
        group = int(name) if name.isdigit() and (name == b"0" or not name.startswith(b"0")) else names.get(name, -1)
        if 0 <= group <= groups:
            start, end = match.span(group)
            if start >= 0:
                out += data[start:end]


def _template_name(text: bytes) -> tuple[bytes | None, bytes]:
    brace = text.startswith(b"{")
    body = text[1:] if brace else text
    decoded = body.decode("utf-8", "surrogateescape")
    i = 0
    while i < len(decoded) and (decoded[i].isalnum() or decoded[i] == "_"):
        i += 1
    if i == 0:
        return None, text
    name = decoded[:i].encode("utf-8", "surrogateescape")
    remainder = decoded[i:].encode("utf-8", "surrogateescape")
    if brace:
        if not remainder.startswith(b"}"):
            return None, text
        remainder = remainder[1:]
    return name, remainder


def _replace_all(function: str, pattern: Any, source: Any, replacement: Any, literal: bool) -> str:
    if not isinstance(pattern, str):
        raise argument_type_error(function, 1, "String")
    src = stringify_argument(function, 2, source, allow_bool=True).encode("utf-8")
    repl = stringify_argument(function, 3, replacement, allow_bool=True).encode("utf-8")
    regex = compile_go_regex(pattern)
    names = {name: index for name, index in regex.groupindex.items()}
    out = bytearray()
    last_end = search = 0
    while search <= len(src):
        match = regex.search(src, search)
        if match is None:
            break
        start, end = match.span()
        out += src[last_end:start]
        if end > last_end or start == 0:
            out += repl if literal else _expand(repl, src, match, names, regex.groups)
        last_end = end
        width = _rune_width(src, search)
        if search + width > end:
            search += width
        elif search + 1 > end:
            search += 1
        else:
            search = end
    out += src[last_end:]
    return out.decode("utf-8", "replace")


def regex_replace_all(pattern: Any, source: Any, replacement: Any) -> str:
    """``regex_replace_all(regex, src, repl)`` with ``$1``/``${name}`` expansion."""
    return _replace_all("regex_replace_all", pattern, source, replacement, literal=False)


def regex_replace_all_literal(pattern: Any, source: Any, replacement: Any) -> str:
    """``regex_replace_all_literal(regex, src, repl)``: the replacement is inserted as is."""
    return _replace_all("regex_replace_all_literal", pattern, source, replacement, literal=True)


def pattern_match(pattern: Any, source: Any) -> bool:
    """``pattern_match(pattern, string|number)``: wildcard match of the whole text."""
    return wildcard_match(pattern, stringify_argument("pattern_match", 2, source))


def _fold(char: str) -> str:
    lower = char.lower()
    return lower if len(lower) == 1 else char


def equal_fold(left: str, right: str) -> bool:
    """``equal_fold(a, b)``: Go's ``strings.EqualFold`` (per-character simple case folding)."""
    if len(left) != len(right):
        return False
    return all(a == b or _fold(a) == _fold(b) or a.upper() == b.upper() for a, b in zip(left, right, strict=True))


def compare(left: str, right: str) -> float:
    """``compare(a, b)``: -1, 0 or 1 by byte order."""
    a, b = left.encode("utf-8"), right.encode("utf-8")
    return float((a > b) - (a < b))


def replace(text: str, old: str, new: str, count: float) -> str:
    """``replace(s, old, new, n)``: the first ``n`` occurrences (all when ``n`` < 0)."""
    limit = int(count)
    return text.replace(old, new, limit if limit >= 0 else -1)


def _map_case(text: str, upper: bool) -> str:
    out = []
    for char in text:
        mapped = char.upper() if upper else char.lower()
        out.append(mapped if len(mapped) == 1 else char)
    return "".join(out)


def to_upper(text: str) -> str:
    """``to_upper(s)``."""
    return _map_case(text, upper=True)


def to_lower(text: str) -> str:
    """``to_lower(s)``."""
    return _map_case(text, upper=False)


def trim(text: str, cutset: str) -> str:
    """``trim(s, cutset)``: Go's ``strings.Trim``."""
    return text.strip(cutset) if cutset else text


def trim_prefix(text: str, prefix: str) -> str:
    """``trim_prefix(s, prefix)``."""
    return text[len(prefix):] if prefix and text.startswith(prefix) else text


def split(text: str, separator: str) -> list[str]:
    """``split(s, sep)``: Go's ``strings.Split`` (an empty separator splits into characters)."""
    if separator == "":
        return list(text)
    return text.split(separator)


def truncate(text: str, length: float) -> str:
    """``truncate(s, n)``: the first ``n`` characters (negative ``n`` counts as 0)."""
    limit = max(0, int(length))
    return text[:limit]


def base64_encode(text: str) -> str:
    """``base64_encode(s)``: standard alphabet with padding."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def base64_decode(text: str) -> str:
    """``base64_decode(s)``: standard alphabet, padding required."""
    try:
        decoded = base64.b64decode(text.encode("utf-8"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FunctionError(f"illegal base64 data: {exc}") from None
    return decoded.decode("utf-8", "replace")


def path_canonicalize(text: str) -> str:
    """``path_canonicalize(s)``: Go's ``filepath.Join(s)`` (``Clean``; the empty path stays empty)."""
    if not text:
        return ""
    cleaned = posixpath.normpath(text)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def to_boolean(text: str) -> bool:
    """``to_boolean(s)``: ``"true"``/``"false"`` in any case."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise function_error("to_boolean", f"lowercase argument must be 'true' or 'false' (provided: '{text}')")


def _hash(name: str) -> Any:
    def digest(text: str) -> str:
        return hashlib.new(name, text.encode("utf-8")).hexdigest()

    digest.__doc__ = f"``{name}(s)``: lowercase hex digest."
    return digest


sha256 = _hash("sha256")
sha1 = _hash("sha1")
md5 = _hash("md5")


def _max_length(node: Any) -> int:
    if node.kind == "chars":
        return 1
    if node.kind == "seq":
        return sum(_max_length(child) for child in node.children)
    if node.kind == "alt":
        return max((_max_length(child) for child in node.children), default=0)
    return int(node.high) * _max_length(node.children[0])


def random_string(pattern: str) -> str:
    """``random(regex)``: a random string the regex matches (bounded in length)."""
    if not pattern:
        raise FunctionError("no pattern provided")
    try:
        tree = kyverno_random._PatternParser(pattern).parse()
        if _max_length(tree) > MAX_RANDOM_LENGTH:
            raise function_error("random", f"pattern may produce more than {MAX_RANDOM_LENGTH} characters")
        return kyverno_random.random_pattern(pattern)
    except CelFunctionError as exc:
        raise function_error("random", str(exc)) from None
