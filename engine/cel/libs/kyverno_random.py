"""Kyverno's ``random`` library: ``random()`` and ``random(pattern)``.

``random()`` returns 8 characters from ``[0-9a-z]``. ``random(pattern)`` returns a string the regular expression
``pattern`` matches (Kyverno uses goregen). Supported syntax: literals and escapes, ``.``, classes (``[a-z0-9_]``,
negated ``[^...]``, ``\\d \\w \\s`` and their negations), groups (``(...)``, ``(?:...)``, named), alternation, and
the quantifiers ``* + ? {n} {n,} {n,m}`` (lazy/possessive suffixes accepted); anchors are ignored. Unbounded
repeats produce at most 10 extra items. Also registered as ``random.random``.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from ._limits import MAX_RANDOM_LENGTH, too_large
from .k8s_regex import compile_regex
from .kyverno_common import KYVERNO_KINDS, require_str

KINDS = KYVERNO_KINDS

DEFAULT_ALPHABET = string.digits + string.ascii_lowercase
DEFAULT_LENGTH = 8
MAX_UNBOUNDED_REPEAT = 10
_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
_CLASS_ESCAPES = {
    "d": string.digits,
    "w": string.ascii_letters + string.digits + "_",
    "s": " \t\n\r\f\v",
}
_CHAR_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "0": "\0"}


@dataclass
class _Node:
    kind: str  # "chars" | "seq" | "alt" | "repeat"
    chars: str = ""
    children: tuple[_Node, ...] = ()
    low: int = 0
    high: int = 0


class _PatternParser:
    """A small recursive-descent parser from a regex to a generation tree."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0

    def fail(self, message: str) -> CelFunctionError:
        return CelFunctionError(f"random: invalid pattern {self.pattern!r} at {self.pos}: {message}")

    def peek(self) -> str:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else ""

    def take(self) -> str:
        char = self.peek()
        if not char:
            raise self.fail("unexpected end")
        self.pos += 1
        return char

    def parse(self) -> _Node:
        node = self.alternation()
        if self.pos != len(self.pattern):
            raise self.fail(f"unexpected {self.peek()!r}")
        return node

    def alternation(self) -> _Node:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else _Node("alt", children=tuple(branches))

    def sequence(self) -> _Node:
        items: list[_Node] = []
        while self.peek() and self.peek() not in "|)":
            atom = self.atom()
            if atom is not None:
                items.append(self.quantified(atom))
        return _Node("seq", children=tuple(items))

    def atom(self) -> _Node | None:
        char = self.take()
        if char in "^$":
            return None
        if char == "(":
            if self.pattern.startswith("?:", self.pos):
                self.pos += 2
            elif self.pattern.startswith("?P<", self.pos) or self.pattern.startswith("?<", self.pos):
                end = self.pattern.find(">", self.pos)
                if end < 0:
                    raise self.fail("unterminated group name")
                self.pos = end + 1
            node = self.alternation()
            if self.take() != ")":
                raise self.fail("missing )")
            return node
        if char == "[":
            return _Node("chars", chars=self.char_class())
        if char == ".":
            return _Node("chars", chars=_PRINTABLE)
        if char == "\\":
            return _Node("chars", chars=self.escape())
        if char in "*+?{" and not (char == "{" and not self._looks_like_repeat(self.pos - 1)):
            raise self.fail(f"nothing to repeat before {char!r}")
        return _Node("chars", chars=char)

    def _looks_like_repeat(self, brace: int) -> bool:
        end = self.pattern.find("}", brace)
        body = self.pattern[brace + 1 : end] if end >= 0 else ""
        return bool(body) and all(c.isdigit() or c == "," for c in body) and body[0].isdigit()

    def escape(self) -> str:
        char = self.take()
        if char.lower() in _CLASS_ESCAPES:
            chars = _CLASS_ESCAPES[char.lower()]
            return chars if char.islower() else "".join(c for c in _PRINTABLE if c not in chars)
        return _CHAR_ESCAPES.get(char, char)

    def char_class(self) -> str:
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        members: list[str] = []
        first = True
        while True:
            char = self.take()
            if char == "]" and not first:
                break
            first = False
            if char == "[" and self.pattern.startswith(":", self.pos):
                end = self.pattern.find(":]", self.pos)
                name = self.pattern[self.pos + 1 : end] if end >= 0 else ""
                posix = {"alpha": string.ascii_letters, "digit": string.digits, "alnum": string.ascii_letters
                         + string.digits, "lower": string.ascii_lowercase, "upper": string.ascii_uppercase}
                if name not in posix:
                    raise self.fail(f"unknown class [:{name}:]")
                members.append(posix[name])
                self.pos = end + 2
                continue
            low = self.escape() if char == "\\" else char
            if len(low) == 1 and self.peek() == "-" and self.pattern[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                high_char = self.take()
                high = self.escape() if high_char == "\\" else high_char
                if len(high) != 1 or ord(high) < ord(low):
                    raise self.fail("invalid range")
                members.append("".join(chr(c) for c in range(ord(low), ord(high) + 1)))
            else:
                members.append(low)
        chars = "".join(dict.fromkeys("".join(members)))
        if negate:
            chars = "".join(c for c in _PRINTABLE if c not in chars)
        if not chars:
            raise self.fail("empty character class")
        return chars

    def quantified(self, node: _Node) -> _Node:
        while True:
            char = self.peek()
            if char == "*":
                low, high = 0, -1
            elif char == "+":
                low, high = 1, -1
            elif char == "?":
                low, high = 0, 1
            elif char == "{" and self._looks_like_repeat(self.pos):
                end = self.pattern.index("}", self.pos)
                body = self.pattern[self.pos + 1 : end]
                self.pos = end
                low_text, comma, high_text = body.partition(",")
                low = int(low_text)
                high = (int(high_text) if high_text else -1) if comma else low
                if high != -1 and high < low:
                    raise self.fail("invalid repeat range")
            else:
                return node
            self.pos += 1
            if self.peek() in ("?", "+"):
                self.pos += 1
            if high == -1:
                high = low + MAX_UNBOUNDED_REPEAT
            node = _Node("repeat", children=(node,), low=low, high=high)


def _generate(node: _Node, out: list[str]) -> None:
    if node.kind == "chars":
        out.append(secrets.choice(node.chars))
    elif node.kind == "seq":
        for child in node.children:
            _generate(child, out)
    elif node.kind == "alt":
        _generate(secrets.choice(node.children), out)
    else:
        for _ in range(node.low + secrets.randbelow(node.high - node.low + 1)):
            _generate(node.children[0], out)


def random_default() -> str:
    """Eight random characters from ``[0-9a-z]``."""
    return "".join(secrets.choice(DEFAULT_ALPHABET) for _ in range(DEFAULT_LENGTH))


def _longest(node: _Node) -> int:
    """The length of the longest string ``node`` can generate."""
    if node.kind == "chars":
        return 1
    if node.kind == "seq":
        return sum(_longest(child) for child in node.children)
    if node.kind == "alt":
        return max(_longest(child) for child in node.children)
    return node.high * _longest(node.children[0])


def random_pattern(pattern: Any) -> str:
    """A random string matched by the regular expression ``pattern``.

    The pattern must be valid Go/RE2 syntax (Kyverno parses it with Go's ``regexp/syntax``, which limits repeat
    counts to 1,000, nested ones included), and the longest string it can generate may not pass
    :data:`MAX_RANDOM_LENGTH` characters.
    """
    text = require_str(pattern, "random")
    try:
        compile_regex(text)
    except CelFunctionError as exc:
        raise CelFunctionError(f"random: {exc}") from None
    tree = _PatternParser(text).parse()
    longest = _longest(tree)
    if longest > MAX_RANDOM_LENGTH:
        raise too_large("random", "longest string the pattern generates", longest, MAX_RANDOM_LENGTH, "characters")
    out: list[str] = []
    _generate(tree, out)
    return "".join(out)


LIBRARY = Library(
    "kyverno.random",
    (
        function(
            "random",
            overload("kyverno_random", [], "string", random_default),
            overload("kyverno_random_string", ["string"], "string", random_pattern),
        ),
        function(
            "random.random",
            overload("kyverno_random_random", [], "string", random_default),
            overload("kyverno_random_random_string", ["string"], "string", random_pattern),
        ),
    ),
)
