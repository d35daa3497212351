"""Credential patterns in free text, masked wherever text leaves the process.

- URL user info: ``scheme://user:password@host`` -> ``scheme://<redacted>@host`` (a user name alone may be a token,
  as in ``https://ghp_…@github.com``, so the whole user info goes);
- credential query parameters: ``?token=…``, ``&access_token=…``, ``sig=…``, ``X-Amz-Signature=…`` and any parameter
  whose name :func:`~.names.is_credential_name` flags keep their name and lose their value;
- assignments ``NAME=value``, ``--name=value``, ``--name value`` and ``"name": "value"`` whose name is a credential
  name (``DB_PASS=…``, ``--password=…``, ``spring.datasource.password=…``), and ``name: value`` when the name holds
  a credential stem or is written as an identifier (``password: …``, ``DB_PASS: …`` inside a file; ``auth: bearer
  token`` stays prose); numbers and booleans are
  never masked (``pass: 3`` is a count);
- ``Authorization``-style values: ``Bearer <token>``, ``Basic <base64>``;
- JSON Web Tokens (``eyJ….eyJ….sig``, service-account tokens) and PEM private-key blocks.
"""

from __future__ import annotations

import re
import string

import ahocorasick

from .names import has_credential_stem, is_credential_name

REDACTED = "<redacted>"

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^\s/?#\"'<>`]*)@")
_QUERY = re.compile(r"([?&;])([A-Za-z0-9_.\-\[\]]+)=([^&#\s\"'<>`]*)")
_ASSIGNMENT = re.compile(r"(?<![\w.\-/])(-{1,2})?([A-Za-z_][\w.\-]*)([\"']?)([ \t]*[=:][ \t]*)([\"']?)")
_FLAG_VALUE = re.compile(r"(?<![\w.\-/])(-{1,2})([A-Za-z_][\w.\-]*)()([ \t]+)()(?=[^\s\-])")
_VALUE = re.compile(r"[^\s\"',;&}\]]+")
_LITERAL = re.compile(r"-?\d+(\.\d+)?|true|false|null|~|\{|\[|\|-?|>-?", re.I)
_AUTH_VALUE = re.compile(r"(?i)\b(bearer|basic)(\s+)([A-Za-z0-9._~+/\-]{8,}=*)")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{8,}")
_PEM_KEY = re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.S)
#: Query parameters that carry credentials although their names say little.
QUERY_CREDENTIALS = frozenset({"sig", "signature", "code", "x-amz-signature", "x-amz-credential",
                               "x-amz-security-token", "x-goog-signature", "x-goog-credential", "sv", "se"})
_TRIGGERS = ("@", "=", ":", "-", "earer", "asic", "eyJ", "PRIVATE KEY")


def _query(match: re.Match[str]) -> str:
    name, value = match.group(2), match.group(3)
    if value and value != REDACTED and (name.lower() in QUERY_CREDENTIALS or is_credential_name(name)):
        return f"{match.group(1)}{name}={REDACTED}"
    return match.group(0)


def _assignments(text: str, pattern: re.Pattern[str] = _ASSIGNMENT) -> str:
    """Mask the values of ``name=value`` / ``name: value`` assignments whose name is a credential name.

    Names are found one after the other (a value never hides the next assignment, as in ``args: --password=x``)."""
    out: list[str] = []
    done = 0
    for match in pattern.finditer(text):
        if match.start() < done:
            continue
        dashes, name, quote, sep, open_quote = match.groups()
        value = _VALUE.match(text, match.end())
        if value is None or not is_credential_name(name):
            continue
        secret = value.group(0)
        if secret.startswith(REDACTED) or secret.startswith("//") or _LITERAL.fullmatch(secret):
            continue  # masked already; a URL scheme (``url: https://…``, the URL rules apply); a count such as
            # ``pass: 3`` in a summary, a boolean or a YAML block opener
        prose_word = secret[:1].isupper() and secret[1:].islower()
        if ":" in sep and not (quote or open_quote or dashes) and (
                not (has_credential_stem(name) or _identifier(name)) or prose_word):
            continue  # prose such as "auth: bearer token", "Secret: Opaque" or "Token: Bound"
        out.append(text[done:match.end()])
        out.append(REDACTED)
        done = value.end()
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _identifier(name: str) -> bool:
    """A name written as an identifier (``DB_PASS``, ``db.pass``, ``API-KEY``), not a prose word (``auth``)."""
    return any(c in name for c in "_.-") or (name.isupper() and len(name) > 1)


#: Only a line holding one of these (ASCII case ignored) can hold a credential pattern; other lines are left alone,
#: which keeps masking a 20 MB JSON report fast (one Aho-Corasick pass finds the lines to check).
_TRIGGER_WORDS = ("pass", "pwd", "pw", "secret", "token", "cred", "key", "auth", "bearer", "basic", "dsn", "jwt", "pat",
                  "webhook", "url", "uri", "conn", "str", "sig", "code", "amz", "goog", "sv=", "se=", "://", "@", "eyj")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_triggers = ahocorasick.Automaton()
for _word in _TRIGGER_WORDS:
    _triggers.add_word(_word, len(_word))
_triggers.make_automaton()


def _candidate_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line of ``text`` that holds a trigger word, in order."""
    lines: dict[int, int] = {}
    for end, _ in _triggers.iter(text.translate(_ASCII_LOWER)):
        start = text.rfind("\n", 0, end) + 1
        if start not in lines:
            stop = text.find("\n", end)
            lines[start] = len(text) if stop < 0 else stop
    return sorted(lines.items())


def _mask_line(text: str) -> str:
    if "eyJ" in text:
        text = _JWT.sub(REDACTED, text)
    if "@" in text:
        text = _USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@" if m.group(2) else m.group(0), text)
    if "=" in text:
        text = _QUERY.sub(_query, text)
    if "=" in text or ":" in text:
        text = _assignments(text)
    if "-" in text:
        text = _assignments(text, _FLAG_VALUE)  # ``--password value``
    if "earer" in text or "asic" in text:
        text = _AUTH_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}"
                               if not m.group(3).isalpha() or m.group(1).lower() == "bearer" else m.group(0), text)
    return text


def mask_patterns(text: str) -> str:
    """``text`` with every credential pattern above masked (no remembered values; see :mod:`.ledger`)."""
    if not any(trigger in text for trigger in _TRIGGERS):
        return text
    if "PRIVATE KEY" in text:
        text = _PEM_KEY.sub(f"-----BEGIN \\1PRIVATE KEY-----{REDACTED}-----END \\1PRIVATE KEY-----", text)
    out, done = [], 0
    for start, end in _candidate_lines(text):
        out.append(text[done:start])
        out.append(_mask_line(text[start:end]))
        done = end
    out.append(text[done:])
    return "".join(out)


__all__ = ["QUERY_CREDENTIALS", "REDACTED", "mask_patterns"]
