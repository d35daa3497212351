"""Names that go into request paths, checked as Kubernetes checks them, before any request is sent.

An HTTP stack normalises dot segments: ``…/secrets/.`` becomes ``…/secrets/`` (a GET becomes a LIST), and
``…/pods/..`` climbs a level. Kubernetes itself never accepts such names, so neither does the client:

- object names: the path-segment rule every resource applies (``.`` and ``..`` are never names; no ``/``, no
  ``%``), no control characters, at most 253 characters (the DNS-subdomain bound most kinds also enforce);
- namespaces: DNS labels (RFC 1123: ``[a-z0-9]([-a-z0-9]*[a-z0-9])?``, at most 63 characters);
- resource names (plurals): DNS labels; API groups: DNS subdomains; versions: DNS labels.
"""

from __future__ import annotations

import re

from .errors import InvalidName

MAX_NAME = 253
MAX_LABEL = 63
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:79] + "…")


def check_object_name(name: str) -> str:
    """``name`` when it can name an object; :class:`InvalidName` otherwise."""
    problem = ""
    if not isinstance(name, str) or not name:
        problem = "it is empty"
    elif name in (".", ".."):
        problem = f"{name!r} is never a name (it would change the request path)"
    elif "/" in name or "%" in name:
        problem = "it may not contain '/' or '%'"
    elif _CONTROL.search(name):
        problem = "it may not contain control characters"
    elif len(name) > MAX_NAME:
        problem = f"it is longer than {MAX_NAME} characters"
    if problem:
        raise InvalidName(f"invalid object name {_shown(str(name))}: {problem}", field="name", value=str(name))
    return name


def _dns(value: str, what: str, field: str, pattern: re.Pattern[str], limit: int, shape: str) -> str:
    if not isinstance(value, str) or not value or len(value) > limit or not pattern.fullmatch(value):
        raise InvalidName(f"invalid {what} {_shown(str(value))}: it must be {shape} of at most {limit} characters",
                          field=field, value=str(value))
    return value


def check_namespace(namespace: str) -> str:
    """``namespace`` when it is a valid namespace name (a DNS label); :class:`InvalidName` otherwise."""
    return _dns(namespace, "namespace", "namespace", _DNS_LABEL, MAX_LABEL,
                "lower-case letters, digits and '-' (a DNS label)")


def check_resource(resource: str) -> str:
    """``resource`` when it is a valid resource (plural) name; :class:`InvalidName` otherwise."""
    return _dns(resource, "resource name", "resource", _DNS_LABEL, MAX_LABEL,
                "a lower-case plural such as 'pods' (a DNS label)")


def check_group(group: str) -> str:
    """``group`` when it is empty (the core group) or a DNS subdomain; :class:`InvalidName` otherwise."""
    if group == "":
        return group
    return _dns(group, "API group", "group", _DNS_SUBDOMAIN, MAX_NAME, "a DNS subdomain such as 'apps'")


def check_version(version: str) -> str:
    """``version`` when it is a valid API version (``v1``, ``v1beta2``); :class:`InvalidName` otherwise."""
    return _dns(version, "API version", "version", _DNS_LABEL, MAX_LABEL, "a DNS label such as 'v1'")


__all__ = ["check_group", "check_namespace", "check_object_name", "check_resource", "check_version"]
