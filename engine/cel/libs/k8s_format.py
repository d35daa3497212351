"""Kubernetes' CEL format library (k8s.io/apiserver/pkg/cel/library/format.go).

``format.named(name)``, ``format.dns1123Label()``, ``format.dns1123Subdomain()``, ``format.dns1035Label()``,
``format.qualifiedName()``, ``format.dns1123LabelPrefix()``, ``format.dns1123SubdomainPrefix()``,
``format.dns1035LabelPrefix()``, ``format.labelValue()``, ``format.uri()``, ``format.uuid()``, ``format.byte()``,
``format.date()``, ``format.datetime()``, and ``<Format>.validate(string)``. The messages are apimachinery's.

Optionals cannot be produced from Python, so the optional results are *optional-like* values:
* ``validate(s)`` returns the list of error messages (``[]`` where Kubernetes returns ``optional.none()``);
* ``format.named(name)`` returns the Format (``{"@type": "kubernetes.NamedFormat", "name": ...}``), or ``{}``
  where Kubernetes returns ``optional.none()``.
To keep the Kubernetes spelling working, this library declares ``hasValue()`` and ``value()`` on lists and maps:
``hasValue()`` is "non-empty" and ``value()`` returns the receiver (an error when empty, like dereferencing
``optional.none()``). So ``!format.dns1123Label().validate(name).hasValue()`` and
``format.named('uuid').value().validate(s)`` read and behave as in Kubernetes. Not supported: comparing with
``optional.none()`` and ``orValue`` on these results (use ``validate(s) == []``).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from collections.abc import Callable
from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from ._k8s_types import FORMAT, expect, tagged
from .k8s_urls import request_uri_error

KINDS = ("*",)

_LABEL_MAX = 63
_SUBDOMAIN_MAX = 253
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"
# Linear-time forms of the patterns above (same languages, possessive runs): the patterns as written backtrack
# quadratically in Python's ``re`` on long non-matching input. The _FMT texts stay for the messages.
_DNS1123_LABEL = re.compile(r"[a-z0-9]++(?:-++[a-z0-9]++)*+")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]++(?:-++[a-z0-9]++)*+(?:\.[a-z0-9]++(?:-++[a-z0-9]++)*+)*+")
_DNS1035_LABEL = re.compile(r"[a-z][a-z0-9]*+(?:-++[a-z0-9]++)*+")
_QUALIFIED_NAME = re.compile(r"[A-Za-z0-9]++(?:[-_.]++[A-Za-z0-9]++)*+")
_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9]++(?:[-_.]++[A-Za-z0-9]++)*+)?+")
_UUID = re.compile(r"(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(z|[+-][0-9]{2}:[0-9]{2})")

_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_DNS1035_LABEL_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
    "start with an alphabetic character, and end with an alphanumeric character"
)
_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)


def _regex_error(message: str, regex: str, *examples: str) -> str:
    """apimachinery's ``RegexError`` text (including its double space before ``or``)."""
    if not examples:
        return f"{message} (regex used for validation is '{regex}')"
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{regex}')"


def _max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def _byte_len(text: str) -> int:
    return len(text.encode())


def is_dns1123_label(value: str) -> list[str]:
    """apimachinery ``IsDNS1123Label``."""
    errors = [_max_len_error(_LABEL_MAX)] if _byte_len(value) > _LABEL_MAX else []
    if not _DNS1123_LABEL.fullmatch(value):
        if _DNS1123_SUBDOMAIN.fullmatch(value):
            errors.append("must not contain dots")
        else:
            errors.append(_regex_error(_DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errors


def is_dns1123_subdomain(value: str) -> list[str]:
    """apimachinery ``IsDNS1123Subdomain``."""
    errors = [_max_len_error(_SUBDOMAIN_MAX)] if _byte_len(value) > _SUBDOMAIN_MAX else []
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        errors.append(_regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errors


def is_dns1035_label(value: str) -> list[str]:
    """apimachinery ``IsDNS1035Label``."""
    errors = [_max_len_error(_LABEL_MAX)] if _byte_len(value) > _LABEL_MAX else []
    if not _DNS1035_LABEL.fullmatch(value):
        errors.append(_regex_error(_DNS1035_LABEL_MSG, _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errors


def is_qualified_name(value: str) -> list[str]:
    """apimachinery ``IsQualifiedName``: ``[prefix/]name`` with a DNS subdomain prefix."""
    name_error = _regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
    parts = value.split("/")
    errors: list[str] = []
    if len(parts) > 2:
        return [
            f"a qualified name {name_error} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend(f"prefix part {message}" for message in is_dns1123_subdomain(prefix))
    if not name:
        errors.append("name part must be non-empty")
    elif _byte_len(name) > _LABEL_MAX:
        errors.append(f"name part {_max_len_error(_LABEL_MAX)}")
    if not _QUALIFIED_NAME.fullmatch(name):
        errors.append(f"name part {name_error}")
    return errors


def is_label_value(value: str) -> list[str]:
    """apimachinery ``IsValidLabelValue``."""
    errors = [_max_len_error(_LABEL_MAX)] if _byte_len(value) > _LABEL_MAX else []
    if not _LABEL_VALUE.fullmatch(value):
        errors.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def _mask_trailing_dash(value: str) -> str:
    """apimachinery's ``maskTrailingDash`` (it replaces the last *two* characters with ``a``)."""
    return value[:-2] + "a" if len(value) > 1 and value.endswith("-") else value


def _prefix(validator: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    return lambda value: validator(_mask_trailing_dash(value))


def is_uri(value: str) -> list[str]:
    """Go ``url.ParseRequestURI`` succeeds."""
    problem = request_uri_error(value)
    return [problem] if problem else []


def is_uuid(value: str) -> list[str]:
    """kube-openapi strfmt ``uuid``."""
    return [] if _UUID.fullmatch(value) else ["does not match the UUID format"]


def is_byte(value: str) -> list[str]:
    """Standard (padded) base64, ignoring line breaks as Go's decoder does."""
    try:
        base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return ["invalid base64"]
    return []


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_date(value: str) -> list[str]:
    """RFC 3339 full-date (``2006-01-02``)."""
    return [] if _is_date(value) else ["invalid date"]


def is_datetime(value: str) -> list[str]:
    """kube-openapi strfmt ``IsDateTime`` (RFC 3339 date-time)."""
    parts = value.lower().split("t")
    ok = len(value) >= 4 and len(parts) >= 2 and _is_date(parts[0])
    match = _TIME.fullmatch(parts[1]) if ok else None
    if match is None or not (match[1] <= "23" and match[2] <= "59" and match[3] <= "59"):
        return ["invalid datetime"]
    return []


VALIDATORS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": is_dns1123_label,
    "dns1123Subdomain": is_dns1123_subdomain,
    "dns1035Label": is_dns1035_label,
    "qualifiedName": is_qualified_name,
    "dns1123LabelPrefix": _prefix(is_dns1123_label),
    "dns1123SubdomainPrefix": _prefix(is_dns1123_subdomain),
    "dns1035LabelPrefix": _prefix(is_dns1035_label),
    "labelValue": is_label_value,
    "uri": is_uri,
    "uuid": is_uuid,
    "byte": is_byte,
    "date": is_date,
    "datetime": is_datetime,
}


def named(name: str) -> dict[str, Any]:
    """``format.named(name)``: the Format, or ``{}`` (Kubernetes: ``optional.none()``) for an unknown name."""
    return tagged(FORMAT, name=name) if name in VALIDATORS else {}


def validate(format_value: dict[str, Any], value: str) -> list[str]:
    """``<Format>.validate(string)``: error messages, ``[]`` when valid (Kubernetes: ``optional.none()``)."""
    name = str(expect(format_value, FORMAT, "validate")["name"])
    validator = VALIDATORS.get(name)
    if validator is None:
        raise CelFunctionError(f"unknown format {name!r}")
    return validator(value)


def has_value(container: Any) -> bool:
    """Optional-like ``hasValue()`` on a list or map: non-empty."""
    return len(container) > 0


def optional_value(container: Any) -> Any:
    """Optional-like ``value()`` on a list or map: the receiver, or an error when empty."""
    if not container:
        raise CelFunctionError("optional.none() dereference")
    return container


def _constant(name: str) -> Any:
    return function(f"format.{name}", overload(f"k8s_format_{name}", (), "map", lambda: tagged(FORMAT, name=name)))


LIBRARY = Library(
    "k8s_format",
    (
        function("format.named", overload("k8s_format_named", ("string",), "map", named)),
        *(_constant(name) for name in VALIDATORS),
        function("validate", overload("k8s_format_validate", ("map", "string"), "list", validate, member=True)),
        function(
            "hasValue",
            overload("k8s_optional_like_list_hasValue", ("list",), "bool", has_value, member=True),
            overload("k8s_optional_like_map_hasValue", ("map",), "bool", has_value, member=True),
        ),
        function(
            "value",
            overload("k8s_optional_like_list_value", ("list",), "list", optional_value, member=True),
            overload("k8s_optional_like_map_value", ("map",), "map", optional_value, member=True),
        ),
    ),
)
