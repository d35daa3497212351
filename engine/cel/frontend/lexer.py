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


_TOKEN = re.compile(
    "|".join((
        r"(?P<space>(?:[ \t\r\n\f]+|//[^\n]*)+)",
        r"(?P<quote>(?:[rR][bB]?|[bB][rR]?)?(?:'''|" + '"""' + r"""|'|"))""",
        r"(?P<hex>0[xX][0-9a-fA-F]+(?P<hexu>[uU])?)",
        r"(?P<double>[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|\.[0-9]+(?:[eE][+-]?[0-9]+)?)",
        r"(?P<int>[0-9]+(?P<intu>[uU])?)",
        r"(?P<ident>[_a-zA-Z][_a-zA-Z0-9]*|`[^`\n]*`)",
        r"(?P<op>==|!=|<=|>=|&&|\|\||[<>!+\-*/%?:.,()\[\]{}])",
    ))
)

#: Token kinds (and closing brackets) after which "." selects a member rather than starting a ".5" literal.
_ENDS_OPERAND = frozenset({"INT", "UINT", "DOUBLE", "STRING", "BYTES", "IDENT", ")", "]", "}"})


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
    previous = ""
    while position < length:
        match = _TOKEN.match(source, position)
        if match is None:
            raise SyntaxProblem(f"token recognition error at: '{source[position]}'", position)
        group = match.lastgroup
        end = match.end()
        if group == "space":
            position = end
            continue
        if group == "quote":
            token = _string_token(source, position, match)
        elif group == "double" and source[position] == "." and previous in _ENDS_OPERAND:
            token = Token("OP", ".", position, position + 1)
        elif group == "hex":
            token = Token("UINT" if match.group("hexu") else "INT", match.group(), position, end)
        elif group == "int":
            token = Token("UINT" if match.group("intu") else "INT", match.group(), position, end)
        else:
            kind = {"double": "DOUBLE", "ident": "IDENT", "op": "OP"}[str(group)]
            token = Token(kind, match.group(), position, end)
        tokens.append(token)
        previous = token.kind if token.kind != "OP" else token.text
        position = token.end
    tokens.append(Token("EOF", "", length, length))
    return tokens


def _string_token(source: str, position: int, match: re.Match[str]) -> Token:
    """A string or bytes literal; ``match`` covers its prefix letters and opening quote."""
    opening = match.group("quote")
    quote = opening.lstrip("rRbB")
    prefix = opening[: len(opening) - len(quote)].lower()
    end = _string_end(source, match.end(), quote, raw="r" in prefix)
    kind = "BYTES" if "b" in prefix else "STRING"
    return Token(kind, source[position:end], position, end)
