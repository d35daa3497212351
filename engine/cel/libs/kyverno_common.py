"""Helpers shared by Kyverno's CEL libraries (this module defines no ``LIBRARY``).

Holds Go ``encoding/json`` compatible marshalling (Kyverno's libraries round-trip values through Go's JSON, which
turns every number into a float64), and small argument checks.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..decl import CelFunctionError

TYPE_KEY = "@type"


def tagged(type_name: str, **fields: Any) -> dict[str, Any]:
    """A tagged map standing for an opaque Kyverno type (``{"@type": type_name, ...fields}``)."""
    return {TYPE_KEY: type_name, **fields}


def require_tagged(value: Any, type_name: str, function: str) -> dict[str, Any]:
    """Return ``value`` if it is a tagged map of ``type_name``; raise a CEL ``no such overload`` error otherwise."""
    if isinstance(value, dict) and value.get(TYPE_KEY) == type_name:
        return value
    raise CelFunctionError(f"no such overload: {function} expects a {type_name}")


def require_str(value: Any, function: str, what: str = "argument") -> str:
    """Return ``value`` if it is a string; raise a CEL error naming the function otherwise."""
    if isinstance(value, str):
        return value
    raise CelFunctionError(f"{function}: {what} must be a string, got {type(value).__name__}")


def string_map(value: Any, function: str, what: str = "headers") -> dict[str, str]:
    """Convert a CEL map to ``map<string,string>`` (as Go's ConvertToNative does); raise a CEL error if it is not."""
    if not isinstance(value, dict):
        raise CelFunctionError(f"{function}: {what} must be a map, got {type(value).__name__}")
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise CelFunctionError(f"{function}: {what} must be a map(string, string)")
        result[key] = item
    return result


# --- Go encoding/json compatibility -------------------------------------------------------------------------------

_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


def _go_float(value: float) -> str:
    """Format a float64 as Go's encoding/json does (shortest digits; 'f' form between 1e-6 and 1e21, else 'e')."""
    if math.isnan(value) or math.isinf(value):
        raise CelFunctionError(f"json: unsupported value: {value}")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    shortest = Decimal(repr(value))
    if 1e-6 <= abs(value) < 1e21:
        text = format(shortest, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    sign, digits, exponent = shortest.normalize().as_tuple()
    assert isinstance(exponent, int)
    mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
    power = exponent + len(digits) - 1
    exp_text = f"-{-power}" if power < 0 else f"+{power:02d}"
    return f"{'-' if sign else ''}{mantissa}e{exp_text}"


def _go_time(value: datetime) -> str:
    """RFC 3339 with nanosecond precision trimmed, as Go's time.Time MarshalJSON produces."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.isoformat()
    if "." in text:
        head, _, rest = text.partition(".")
        fraction = rest[:6].rstrip("0")
        text = f"{head}.{fraction}{rest[6:]}" if fraction else f"{head}{rest[6:]}"
    return text.replace("+00:00", "Z")


def go_json_encode(value: Any) -> str:
    """Encode ``value`` exactly as Go's ``json.Marshal`` would encode the equivalent Go ``any`` value.

    Map keys are sorted, there is no whitespace, ``<``, ``>`` and ``&`` are escaped, bytes become base64 strings,
    timestamps RFC 3339 strings and durations integer nanoseconds.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, bytes | bytearray):
        return _go_string(base64.b64encode(bytes(value)).decode("ascii"))
    if isinstance(value, datetime):
        return _go_string(_go_time(value))
    if isinstance(value, timedelta):
        return str((value.days * 86400 + value.seconds) * 1_000_000_000 + value.microseconds * 1000)
    if isinstance(value, dict):
        items = []
        for key in sorted(value, key=str):
            if key == TYPE_KEY:
                continue
            items.append(f"{_go_string(str(key))}:{go_json_encode(value[key])}")
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(go_json_encode(item) for item in value) + "]"
    raise CelFunctionError(f"json: unsupported type: {type(value).__name__}")


def _go_string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    for char, escape in _HTML_ESCAPES.items():
        encoded = encoded.replace(char, escape)
    return encoded


def yaml_key_text(key: Any) -> str:
    """A scalar map key as the string Kubernetes' YAML-to-JSON conversion makes of it (``true``, ``null``, ``1``)."""
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    return str(key)


def go_json_numbers(value: Any) -> Any:
    """Return ``value`` as Go's ``json.Unmarshal`` into ``any`` would give it back: every number a float64."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        return value
    if isinstance(value, dict):
        return {str(key): go_json_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [go_json_numbers(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime):
        return _go_time(value)
    return value


def go_json_decode(text: str, function: str) -> Any:
    """Decode JSON text as Go's ``json.Unmarshal`` into ``any`` (numbers become floats); raise a CEL error."""
    try:
        return json.loads(text, parse_int=float, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise CelFunctionError(f"{function}: invalid JSON: {exc}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character {name!r}")


def go_zero_time() -> datetime:
    """Go's zero ``time.Time`` (January 1, year 1, 00:00:00 UTC)."""
    return _GO_ZERO_TIME
