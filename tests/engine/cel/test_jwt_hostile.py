"""``jwt.Decode`` on hostile tokens: a CEL error naming the problem, never a Python exception out of the library."""

from __future__ import annotations

import base64

import pytest

from pykyverno.engine.cel.decl import CelFunctionError
from pykyverno.engine.cel.libs.kyverno_authz import decode_jwt


def part(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


HEADER = part(b'{"alg": "HS256"}')


@pytest.mark.parametrize(("header", "claims", "problem"), [
    (HEADER, part(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"), "recursion"),
    (part(b"[1]"), part(b"{}"), "JSON objects"),
    (HEADER, part(b'"just a string"'), "JSON objects"),
    (HEADER, part(b"\xff\xfe"), "malformed token"),
], ids=["deep-claims", "list-header", "string-claims", "not-utf8"])
def test_hostile_tokens_are_cel_errors(header: str, claims: str, problem: str) -> None:
    with pytest.raises(CelFunctionError, match=problem):
        decode_jwt(f"{header}.{claims}.{part(b'sig')}", "key")


def test_a_well_formed_token_still_decodes() -> None:
    claims = part(b'{"sub": "me"}')
    decoded = decode_jwt(f"{HEADER}.{claims}.{part(b'sig')}", "key")
    assert decoded["Claims"] == {"sub": "me"} and decoded["Valid"] is False
