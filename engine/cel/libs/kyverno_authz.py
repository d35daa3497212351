"""Authorization responses for ValidatingPolicies in ``HTTP`` and ``Envoy`` evaluation modes (kyverno-authz).

In these modes ``object`` is a request payload and validations return a response instead of a bool:
``envoy.Allowed().Response()``, ``envoy.Denied(403).Response()``, ``http.Denied("reason").Response()``,
``http.Allowed().Response()``, or ``null`` to let the next validation decide. ``jwt.Decode(token, key)`` verifies an
HS256/HS384/HS512 token and exposes ``Valid``, ``Claims`` and ``Header``.

Responses are tagged maps (``@type: pykyverno.AuthzResponse``) since the runtime cannot carry opaque values.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from ..decl import CelFunctionError, Library, function, overload

RESPONSE_TYPE = "pykyverno.AuthzResponse"
_BUILDER_TYPE = "pykyverno.AuthzBuilder"


def _builder(allowed: bool, status: int, reason: str) -> dict[str, Any]:
    return {"@type": _BUILDER_TYPE, "allowed": allowed, "status": status, "reason": reason}


def _response(builder: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(builder, dict) or builder.get("@type") != _BUILDER_TYPE:
        raise CelFunctionError("Response() applies to envoy.Allowed()/Denied() or http.Allowed()/Denied()")
    return {**builder, "@type": RESPONSE_TYPE}


def is_response(value: Any) -> bool:
    """Whether a validation returned an authorization response."""
    return isinstance(value, dict) and value.get("@type") == RESPONSE_TYPE


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def decode_jwt(token: str, key: str) -> dict[str, Any]:
    """Decode a JWT; ``Valid`` is true when the HMAC signature and the exp/nbf times check out."""
    parts = token.split(".")
    if len(parts) != 3:
        raise CelFunctionError("jwt.Decode: token is not three dot-separated parts")
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the decoder follows
        raise CelFunctionError(f"jwt.Decode: malformed token: {exc}") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise CelFunctionError("jwt.Decode: malformed token: its header and claims must be JSON objects")
    digest = _HASHES.get(str(header.get("alg", "")))
    valid = False
    if digest is not None:
        expected = hmac.new(key.encode(), f"{parts[0]}.{parts[1]}".encode(), digest).digest()
        valid = hmac.compare_digest(expected, signature)
    now = time.time()
    if valid and isinstance(claims.get("exp"), int | float) and now >= claims["exp"]:
        valid = False
    if valid and isinstance(claims.get("nbf"), int | float) and now < claims["nbf"]:
        valid = False
    return {"Valid": valid, "Claims": claims, "Header": header}


LIBRARY = Library(
    "kyverno-authz",
    (
        function("envoy.Allowed", overload("envoy_allowed", (), "map", lambda: _builder(True, 200, ""))),
        function("envoy.Denied", overload("envoy_denied_int", ("int",), "map", lambda code: _builder(False, code, ""))),
        function("http.Allowed", overload("http_allowed", (), "map", lambda: _builder(True, 200, ""))),
        function(
            "http.Denied", overload("http_denied_string", ("string",), "map", lambda why: _builder(False, 403, why))
        ),
        function("Response", overload("authz_response", ("map",), "map", _response, member=True)),
        function("jwt.Decode", overload("jwt_decode", ("string", "string"), "map", decode_jwt)),
    ),
)
