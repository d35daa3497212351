"""Credential patterns in free text, masked wherever text leaves the process.

- URL user info: ``scheme://user:password@host`` -> ``scheme://<redacted>@host`` (a user name alone may be a token,
  as in ``https://ghp_…@github.com``, so the whole user info goes);
- credential query parameters: ``?token=…``, ``&access_token=…``, ``sig=…``, ``X-Amz-Signature=…`` and any parameter
  whose name :func:`~.names.is_credential_name` flags keep their name and lose their value;
- assignments ``NAME=value``, ``--name=value``, ``--name value`` and ``"name": "value"`` (also with escaped quotes,
  ``\\"name\\": \\"value\\"``, as JSON inside a JSON string shows) whose name is a credential name (``DB_PASS=…``,
  ``--password=…``, ``spring.datasource.password=…``), and ``name: value`` when the name holds a credential stem or
  is written as an identifier (``password: …``, ``DB_PASS: …`` inside a file; ``auth: bearer token`` stays prose);
  numbers and booleans are never masked (``pass: 3`` is a count). A quoted value is masked up to its closing quote;
  an unquoted one up to a blank, a quote, ``, ; & } ]`` or an escaped quote or line break;
- ``Authorization``-style values: ``Bearer <token>``, ``Basic <base64>``;
- JSON Web Tokens (``eyJ….eyJ….sig``, service-account tokens) and PEM private-key blocks.

Every pattern is found by RE2 (linear in the length of the text, whatever the text is; over the text's bytes when it
is ASCII, without capture groups, which is fastest), run once over the whole text; each match is then read by the
same expression in Python's ``re``, anchored to the match, and checked with anchored, bounded steps, so a 50 MB line
costs a few passes of RE2.
What is found is a list of :class:`Finding` spans, replaced by :mod:`.spans` without breaking the syntax of the
text (JSON, YAML, tables).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

import re2

from .names import has_credential_stem, is_credential_name
from .spans import REDACTED, mask_spans

#: Query parameters that carry credentials although their names say little.
QUERY_CREDENTIALS = frozenset({"sig", "signature", "code", "x-amz-signature", "x-amz-credential",
                               "x-amz-security-token", "x-goog-signature", "x-goog-credential", "sv", "se"})
#: Pieces that every credential name holds (see :mod:`.names`): the assignment patterns only match names holding
#: one, so that ordinary keys (every ``"name":`` of a JSON document) are not even looked at.
_NAME_PIECES = "pass|secret|token|cred|key|pw|pat|dsn|jwt|auth|bearer|webhook|ur[il]|str"
_NAME = rf"((?:[A-Za-z_][\w.\-]*)?(?i:{_NAME_PIECES})[\w.\-]*)"
#: Blanks, as a character class's content (RE2's ``\s`` has no vertical tab, Python's has).
_BLANK = r"\t\n\v\f\r "


class _Pattern:
    """An expression found by RE2 (without its capture groups) and read by Python's ``re`` (with them)."""

    def __init__(self, source: str) -> None:
        self.finder = re2.compile(re.sub(r"(?<!\\)\((?!\?)", "(?:", source).replace(r"\Z", r"\z"))
        self.reader = re.compile(source, re.ASCII)

    def finditer(self, text: str, data: str | bytes) -> Iterator[re.Match[str]]:
        """The matches in ``text``; ``data`` is ``text`` itself or, when it is ASCII, its bytes (positions agree)."""
        for found in self.finder.finditer(data):
            match = self.reader.match(text, found.start(), found.end())
            if match is not None:
                yield match


#: ``(?:^|[^\w.\-/])`` stands for "not inside a longer word or path" (RE2 has no look-behind).
_ASSIGNMENT = _Pattern(rf"(?:^|[^\w.\-/])(-{{0,2}}){_NAME}((?:\\{{1,3}})?[\"']?)([ \t]*[=:][ \t]*)"
                       rf"((?:\\{{1,3}})?[\"']?)")
_FLAG_VALUE = _Pattern(rf"(?:^|[^\w.\-/])(-{{1,2}}){_NAME}([ \t]+)[^{_BLANK}\-]")
_USERINFO = _Pattern(rf"\b([A-Za-z][A-Za-z0-9+.\-]*://)([^{_BLANK}/?#\"'<>`\\\x00]*)@")
_QUERY = _Pattern(rf"([?&;])([A-Za-z0-9_.\-\[\]]+)=((?:[^&#{_BLANK}\"'<>`\\\x00]|\\\\|\\[^{_BLANK}\"'\\nrtu\x00])*)")
_AUTH_VALUE = _Pattern(r"(?i)\b(bearer|basic)([ \t]+)([A-Za-z0-9._~+/\-]{8,}=*)")
_JWT = _Pattern(r"\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{8,}")
_PEM_KEY = _Pattern(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----((?:[^\"'\\\x00]|\\[^\"'\x00])*?)"
                    r"(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\\?[\"'\x00]|\Z)")

#: Values (Python ``re``, anchored at the value's start; each is linear: no alternative can backtrack).
#: An unquoted value ends at a blank, a quote, ``, ; & } ]``, or an escape of a quote, a line break or a tab, or of
#: ``<``, ``>``, ``&`` (as JSON text shows them); other escapes (``\\\\``, ``\\u00e9``) are part of it.
_UNQUOTED_VALUE = re.compile(r"(?:[^\s\"',;&}\]\\\x00]|\\\\|\\u(?!00(?:[01][0-9a-fA-F]|2[267]|3[cCeE]))[0-9a-fA-F]{4}"
                             r"|\\[^\s\"'\\nrtbfu\x00])+")
_SINGLE_QUOTED = re.compile(r"(?:[^'\n\x00]|'')*")
#: Values that are not secrets: masked already (also as JSON or HTML shows it); unquoted, a number, a boolean,
#: null or a YAML block or flow opener; quoted, a number, a boolean or null (followed by the end of the value).
_MASKED = re.compile(r"(?:\\*u003c|<|&lt;)redacted")
_LITERAL = r"-?\d+(?:\.\d+)?|true|false|null"
_UNQUOTED_LITERAL = re.compile(rf"(?:{_LITERAL}|~|\{{|\[|\|-?|>-?)(?=[\s\"',;&}}\]\\\x00]|$)", re.I)
_QUOTED_LITERAL = re.compile(rf"(?:{_LITERAL})(?=\\*[\"'])", re.I)
#: Longest value read to decide that it is a prose word (``Secret: Opaque``).
_PROSE_WORD = 64


class Finding(NamedTuple):
    """A secret found in text: ``text[start:end]`` is to be masked; the match that found it began at ``context``
    (a name before a value), which a stream writer must not cut off from it."""

    context: int
    start: int
    end: int


def _identifier(name: str) -> bool:
    """A name written as an identifier (``DB_PASS``, ``db.pass``, ``API-KEY``), not a prose word (``auth``)."""
    return any(c in name for c in "_.-") or (name.isupper() and len(name) > 1)


def _quoted_end(text: str, start: int, quote: str, level: int) -> int:
    """Where a quoted value ends: before its closing quote, which the same number of backslashes escapes as the
    opening one (``level`` times escaped: 0 for ``"…"``, 1 for ``\\"…\\"``, 2 for ``\\\\\\"…\\\\\\"``...).
    Inside, a quote escaped once more is text (a quote preceded by ``n`` backslashes closes when
    ``n mod 2^(level+1)`` is ``2^level - 1``); a line break or the end of the text ends an unclosed value."""
    modulus, closing = 2 << level, (1 << level) - 1
    pos = start
    while True:
        found = text.find(quote, pos)
        limit = len(text) if found < 0 else found
        for stop in ("\n", "\x00"):
            at = text.find(stop, pos, limit)
            if at >= 0:
                limit = at
        if limit != found:
            return limit
        run = 0
        while found - run - 1 >= start and text[found - run - 1] == "\\":
            run += 1
        if run % modulus == closing:
            return found - closing
        pos = found + 1


def _value_end(text: str, start: int, open_quote: str) -> int:
    """Where the value starting at ``start`` ends (see the value patterns above)."""
    if open_quote == "'":
        match = _SINGLE_QUOTED.match(text, start)  # YAML doubles a quote inside
        return match.end() if match else start
    if open_quote:
        return _quoted_end(text, start, open_quote[-1], (len(open_quote) - 1).bit_length())
    match = _UNQUOTED_VALUE.match(text, start)
    return match.end() if match else start


def _assignments(text: str, data: str | bytes, pattern: _Pattern, out: list[Finding]) -> None:
    """Values of ``name=value`` / ``name: value`` / ``--name value`` whose name is a credential name. Names are found
    one after the other (a value never hides the next assignment, as in ``args: --password=x``)."""
    done = 0
    flag = pattern is _FLAG_VALUE
    for match in pattern.finditer(text, data):
        if match.start() < done:
            continue
        dashes, name = match.group(1), match.group(2)
        if flag:
            quote, sep, open_quote, start = "", match.group(3), "", match.end() - 1
        else:
            quote, sep, open_quote, start = match.group(3), match.group(4), match.group(5), match.end()
            if open_quote and open_quote[-1] not in "\"'":  # backslashes that open the value, not a quote
                open_quote, start = "", match.start(5)
        if not is_credential_name(name) or _MASKED.match(text, start):
            continue
        if (_QUOTED_LITERAL if open_quote else _UNQUOTED_LITERAL).match(text, start) or (
                not open_quote and text.startswith("//", start)):
            continue  # a count such as ``pass: 3``, a boolean or a YAML block opener; a URL scheme (``url:
            # https://…``: the URL rules apply)
        if ":" in sep and not (quote or open_quote or dashes):
            short = _UNQUOTED_VALUE.match(text, start, min(len(text), start + _PROSE_WORD + 1))
            word = short.group(0) if short else ""
            prose_word = len(word) <= _PROSE_WORD and word[:1].isupper() and word[1:].islower()
            if not (has_credential_stem(name) or _identifier(name)) or prose_word:
                continue  # prose such as "auth: bearer token", "Secret: Opaque" or "Token: Bound"
        end = _value_end(text, start, open_quote)
        if end > start:
            out.append(Finding(match.start(), start, end))
            done = end


def _query(text: str, data: str | bytes, out: list[Finding]) -> None:
    for match in _QUERY.finditer(text, data):
        name, value = match.group(2), match.group(3)
        if value and not value.startswith(REDACTED) and (name.lower() in QUERY_CREDENTIALS
                                                           or is_credential_name(name)):
            out.append(Finding(match.start(), match.start(3), match.end(3)))


def _auth_values(text: str, data: str | bytes, out: list[Finding]) -> None:
    for match in _AUTH_VALUE.finditer(text, data):
        if not match.group(3).isalpha() or match.group(1).lower() == "bearer":
            out.append(Finding(match.start(), match.start(3), match.end(3)))


def pattern_findings(text: str) -> list[Finding]:
    """Every credential pattern in ``text`` (unsorted; findings may overlap)."""
    out: list[Finding] = []
    data = text.encode("ascii") if text.isascii() else text
    if "eyJ" in text:
        out += (Finding(m.start(), m.start(), m.end()) for m in _JWT.finditer(text, data))
    if "PRIVATE KEY-----" in text:
        out += (Finding(m.start(), m.start(1), m.end(1)) for m in _PEM_KEY.finditer(text, data)
                if m.end(1) > m.start(1))
    if "://" in text:
        out += (Finding(m.start(), m.start(2), m.end(2)) for m in _USERINFO.finditer(text, data) if m.group(2))
    if "=" in text:
        _query(text, data, out)
    if "=" in text or ":" in text:
        _assignments(text, data, _ASSIGNMENT, out)
    if "-" in text:
        _assignments(text, data, _FLAG_VALUE, out)  # ``--password value``
    _auth_values(text, data, out)
    return out


def mask_patterns(text: str) -> str:
    """``text`` with every credential pattern above masked (no remembered values; see :mod:`.ledger`)."""
    if not text:
        return text
    return mask_spans(text, [(f.start, f.end) for f in pattern_findings(text)])


__all__ = ["QUERY_CREDENTIALS", "REDACTED", "Finding", "mask_patterns", "pattern_findings"]
