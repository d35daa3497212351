"""Kyverno's functions on structured data: parsing, lookups, reshaping, certificates, images and URLs.

Decoded JSON/YAML follows Go (``encoding/json`` into ``any``): every number is a float, map keys are strings, YAML
timestamps stay strings. Decoding stops at :data:`MAX_DECODED_NODES` values, so that YAML aliases ("billion
laughs") cannot blow up memory.
"""

from __future__ import annotations

import ipaddress
import math
import warnings
from typing import Any
from urllib.parse import urlsplit

from ..cel.decl import CelFunctionError
from ..cel.libs import kyverno_x509
from ..cel.libs.kyverno_common import yaml_key_text
from ..errors import LoadError
from ..reader import load_json, load_yaml
from .errors import FunctionError, argument_type_error, function_error
from .gotext import go_float32_text, is_number
from .images import ImageReferenceError, image_info
from .providers import current_jmespath_providers

__all__ = ["MAX_DECODED_NODES", "to_go_value"]

MAX_DECODED_NODES = 1_000_000


def _yaml_key(key: Any) -> str:
    if isinstance(key, float) and key == int(key):
        return str(int(key))
    return yaml_key_text(key)


def to_go_value(value: Any, function: str, budget: list[int] | None = None) -> Any:
    """A decoded value as Go's JSON sees it (floats, string keys), counting nodes against a budget."""
    budget = budget if budget is not None else [MAX_DECODED_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise function_error(function, f"document has more than {MAX_DECODED_NODES} values")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        number = float(value)
        if math.isinf(number) or math.isnan(number):
            raise function_error(function, f"unsupported value: {value}")
        return number
    if isinstance(value, dict):
        return {_yaml_key(key): to_go_value(item, function, budget) for key, item in value.items()}
    if isinstance(value, list):
        return [to_go_value(item, function, budget) for item in value]
    return str(value)


def parse_json(text: str) -> Any:
    """``parse_json(s)``."""
    try:
        decoded = load_json(text, "parse_json", unique_keys=False)
    except LoadError as exc:
        raise FunctionError(str(exc)) from None
    return to_go_value(decoded, "parse_json")


def parse_yaml(text: str) -> Any:
    """``parse_yaml(s)``: the first YAML document."""
    try:
        decoded = load_yaml(text, "parse_yaml", unique_keys=False, first_only=True)
    except LoadError as exc:
        raise FunctionError(f"error converting YAML to JSON: {exc}") from None
    return to_go_value(decoded, "parse_yaml")


def lookup(collection: Any, key: Any) -> Any:
    """``lookup(object|array, key|index)``: the value, or null when absent / out of range."""
    if isinstance(collection, dict):
        if not isinstance(key, str):
            raise argument_type_error("lookup", 2, "String")
        return collection.get(key)
    if isinstance(collection, list):
        if not is_number(key):
            raise argument_type_error("lookup", 2, "Number")
        if not math.isfinite(key) or key != int(key):
            raise function_error("lookup", f"expected an integer index, got {key}")
        index = int(key)
        return collection[index] if 0 <= index < len(collection) else None
    raise argument_type_error("lookup", 1, "Object or Array")


def items(collection: Any, key_name: Any, value_name: Any) -> list[Any]:
    """``items(object|array, keyName, valName)``: entries sorted by key, or (index, value) pairs."""
    if not isinstance(key_name, str):
        raise argument_type_error("items", 2, "String")
    if not isinstance(value_name, str):
        raise argument_type_error("items", 3, "String")
    if isinstance(collection, dict):
        return [{key_name: key, value_name: collection[key]} for key in sorted(collection)]
    if isinstance(collection, list):
        return [{key_name: float(index), value_name: value} for index, value in enumerate(collection)]
    raise argument_type_error("items", 1, "Object or Array")


def object_from_lists(keys: Any, values: Any) -> dict[str, Any]:
    """``object_from_lists(keys, values)``: keys paired with values (null when values run out)."""
    if not isinstance(keys, list):
        raise argument_type_error("object_from_lists", 1, "Array")
    if not isinstance(values, list):
        raise argument_type_error("object_from_lists", 2, "Array")
    result: dict[str, Any] = {}
    for index, key in enumerate(keys):
        if isinstance(key, str):
            text = key
        elif is_number(key):
            text = go_float32_text(float(key))
        elif isinstance(key, bool):
            text = "true" if key else "false"
        else:
            raise argument_type_error("object_from_lists", index + 1, "String or Real")
        result[text] = values[index] if index < len(values) else None
    return result


def _scalar_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return bool(left == right)


def label_match(selector: Any, labels: Any) -> bool:
    """``label_match(selector, labels)``: every selector entry is present and equal in ``labels``."""
    if not isinstance(selector, dict):
        raise argument_type_error("label_match", 1, "Object")
    if not isinstance(labels, dict):
        raise argument_type_error("label_match", 2, "Object")
    return all(key in labels and _scalar_equal(labels[key], value) for key, value in selector.items())


def x509_decode(pem: str) -> Any:
    """``x509_decode(pem)``: the certificate or certificate request as an object (RSA keys only)."""
    try:
        with warnings.catch_warnings():
            # Go decodes certificates with a non-positive serial number (RFC 5280 forbids them); so do we, quietly
            warnings.simplefilter("ignore", UserWarning)
            decoded = kyverno_x509.decode(pem)
    except CelFunctionError as exc:
        message = str(exc).removeprefix("x509.decode: ")
        raise FunctionError(message or "invalid certificate") from None
    if isinstance(decoded, dict) and decoded.get("PublicKeyAlgorithm") not in (1, 1.0):
        raise FunctionError("certificate should use rsa algorithm")
    return decoded


def image_normalize(image: str) -> str:
    """``image_normalize(ref)``: the reference with registry and tag made explicit."""
    try:
        return image_info(image).reference()
    except ImageReferenceError as exc:
        raise function_error("image_normalize", str(exc)) from None


def _is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified or ip.is_multicast


def is_external_url(url: str) -> bool:
    """``is_external_url(url)``: false for URLs whose host is (or resolves to) a loopback or private address."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if not host:
        return False
    try:
        return not _is_internal(host)
    except ValueError:
        pass
    resolver = current_jmespath_providers().resolve_host
    if resolver is None:
        raise function_error("is_external_url", f"cannot resolve host {host!r}: no resolver is available offline")
    try:
        addresses = resolver(host)
    except LookupError:
        return False
    return bool(addresses) and not any(_is_internal(address) for address in addresses)
