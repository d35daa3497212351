"""CEL lexer: source text -> tokens with offsets.

Token kinds: ``INT``, ``UINT``, ``DOUBLE``, ``STRING``, ``BYTES``, ``IDENT``, ``OP`` (punctuation and operators,
the text says which), ``EOF``. Literal tokens keep their exact source text so the printer can re-emit them verbatim.
Comments (``// ...``) and whitespace are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .source import SyntaxProblem


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind, its exact source text, and its [start, end) offsets in the source."""

    kind: str
    text: str
    start: int
    end: int


# Longest operators first so that "<=" wins over "<".
_OPERATORS = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",",
              "(", ")", "[", "]", "{", "}")

_WHITESPACE = re.compile(r"(?:[ \t\r\n\f]+|//[^\n]*)+")
_IDENT = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_BACKQUOTED = re.compile(r"`[^`\n]*`")
_HEX_INT = re.compile(r"0[xX][0-9a-fA-F]+([uU])?")
_DOUBLE = re.compile(r"(?:[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|\.[0-9]+(?:[eE][+-]?[0-9]+)?)")
_DEC_INT = re.compile(r"[0-9]+([uU])?")
_STRING_PREFIX = re.compile(r"(?:[rR][bB]?|[bB][rR]?)?(?=['\"])")

#: Token kinds after which a "." starts a member selection rather than a ".5" double literal.
_ENDS_OPERAND = frozenset({"INT", "UINT", "DOUBLE", "STRING", "BYTES", "IDENT"})


def _string_end(source: str, start: int, quote: str, raw: bool) -> int:
    """Offset just past the closing quote of a string body starting at ``start`` (after the opening quote)."""
    position = start
    triple = len(quote) == 3
    while position < len(source):
        char = source[position]
        if not raw and char == "\\":
            position += 2
            continue
        if source.startswith(quote, position):
            return position + len(quote)
        if char == "\n" and not triple:
            break
        position += 1
    raise SyntaxProblem("unterminated string literal", start - len(quote))


def tokenize(source: str) -> list[Token]:
    """Split CEL ``source`` into tokens; raise :class:`SyntaxProblem` at the first character that fits nothing."""
    tokens: list[Token] = []
    position = 0
    length = len(source)
    while True:
        skipped = _WHITESPACE.match(source, position)
        if skipped:
            position = skipped.end()
        if position >= length:
            tokens.append(Token("EOF", "", length, length))
            return tokens
        token = _next_token(source, position, tokens[-1].kind if tokens else "")
        tokens.append(token)
        position = token.end


def _next_token(source: str, position: int, previous_kind: str) -> Token:
    """The token starting at ``position``."""
    char = source[position]
    prefix = _STRING_PREFIX.match(source, position)
    if prefix is not None:
        return _string_token(source, position, prefix.end())
    if char.isdigit() or (char == "." and previous_kind not in _ENDS_OPERAND and source[position + 1: position + 2].isdigit()):
        return _number_token(source, position)
    ident = _IDENT.match(source, position)
    if ident:
        return Token("IDENT", ident.group(), position, ident.end())
    quoted = _BACKQUOTED.match(source, position)
    if quoted:
        return Token("IDENT", quoted.group(), position, quoted.end())
    for operator in _OPERATORS:
        if source.startswith(operator, position):
            return Token("OP", operator, position, position + len(operator))
    raise SyntaxProblem(f"token recognition error at: '{char}'", position)


def _string_token(source: str, position: int, quote_start: int) -> Token:
    """A string or bytes literal whose prefix letters end at ``quote_start``."""
    prefix = source[position:quote_start].lower()
    quote_char = source[quote_start]
    quote = quote_char * 3 if source.startswith(quote_char * 3, quote_start) else quote_char
    end = _string_end(source, quote_start + len(quote), quote, raw="r" in prefix)
    kind = "BYTES" if "b" in prefix else "STRING"
    return Token(kind, source[position:end], position, end)


def _number_token(source: str, position: int) -> Token:
    """An int, uint or double literal."""
    hex_match = _HEX_INT.match(source, position)
    if hex_match:
        kind = "UINT" if hex_match.group(1) else "INT"
        return Token(kind, hex_match.group(), position, hex_match.end())
    double = _DOUBLE.match(source, position)
    if double:
        return Token("DOUBLE", double.group(), position, double.end())
    integer = _DEC_INT.match(source, position)
    assert integer is not None  # the caller saw a digit
    kind = "UINT" if integer.group(1) else "INT"
    return Token(kind, integer.group(), position, integer.end())
