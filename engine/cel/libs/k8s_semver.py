"""Kubernetes' CEL semver library, version 1 (k8s.io/apiserver/pkg/cel/library/semverlib.go).

``semver(s)``, ``semver(s, normalize)``, ``isSemver(s)``, ``isSemver(s, normalize)``, ``major()``, ``minor()``,
``patch()``; ``compareTo``/``isGreaterThan``/``isLessThan`` live in ``k8s_values`` (shared with quantity).

Strict parsing follows blang/semver v4 (``MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]``, no leading zeros in numbers
or numeric pre-release identifiers). With ``normalize`` true, a leading ``v`` is dropped, missing minor/patch
become ``0`` and leading zeros are removed before parsing. Build metadata does not take part in comparison or
equality (blang's ``Equals``), so a Semver is ``{"@type": "kubernetes.Semver", "version": "<version without
build>"}``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from ._k8s_types import INT64_MAX, SEMVER, expect, tagged

_NUMBER = re.compile(r"0|[1-9][0-9]*")
_IDENTIFIER = re.compile(r"[0-9A-Za-z-]+")

Version = tuple[int, int, int, tuple[str, ...]]


def _number(text: str, part: str, raw: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise CelFunctionError(f"could not parse {raw!r} as semver: invalid {part} number {text!r}")
    return int(text)


@lru_cache(maxsize=1024)
def parse_version(raw: str) -> Version:
    """Strictly parse a semantic version (blang/semver ``Parse``); the build metadata is validated and dropped."""
    if not raw:
        raise CelFunctionError("could not parse '' as semver: version string empty")
    parts = raw.split(".", 2)
    if len(parts) != 3:
        raise CelFunctionError(f"could not parse {raw!r} as semver: no Major.Minor.Patch elements found")
    major, minor = _number(parts[0], "major", raw), _number(parts[1], "minor", raw)
    rest, plus, build = parts[2].partition("+")
    patch_text, dash, pre_text = rest.partition("-")
    patch = _number(patch_text, "patch", raw)
    prerelease = tuple(pre_text.split(".")) if dash else ()
    for identifier in prerelease:
        numeric = identifier.isascii() and identifier.isdigit()
        if not _IDENTIFIER.fullmatch(identifier) or (numeric and not _NUMBER.fullmatch(identifier)):
            raise CelFunctionError(f"could not parse {raw!r} as semver: invalid prerelease {identifier!r}")
    if plus and not all(_IDENTIFIER.fullmatch(item) for item in build.split(".")):
        raise CelFunctionError(f"could not parse {raw!r} as semver: invalid build metadata {build!r}")
    return major, minor, patch, prerelease


def normalize(raw: str) -> str:
    """Kubernetes' normalization: drop a leading ``v``, pad minor/patch with ``0``, strip leading zeros."""
    text = raw[1:] if raw.startswith("v") else raw
    cut = min((i for i in (text.find("-"), text.find("+")) if i >= 0), default=len(text))
    core, extra = text[:cut], text[cut:]
    numbers = core.split(".")
    if len(numbers) > 3:
        return text
    numbers += ["0"] * (3 - len(numbers))
    numbers = [(n.lstrip("0") or "0") if n.isascii() and n.isdigit() else n for n in numbers]
    return ".".join(numbers) + extra


def _version_text(version: Version) -> str:
    major, minor, patch, prerelease = version
    text = f"{major}.{minor}.{patch}"
    return f"{text}-{'.'.join(prerelease)}" if prerelease else text


def semver(raw: str, normalized: bool = False) -> dict[str, Any]:
    """``semver(string[, normalize])``: a Semver value, or an error."""
    return tagged(SEMVER, version=_version_text(parse_version(normalize(raw) if normalized else raw)))


def is_semver(raw: str, normalized: bool = False) -> bool:
    """``isSemver(string[, normalize])``: whether ``semver`` would succeed."""
    try:
        parse_version(normalize(raw) if normalized else raw)
    except CelFunctionError:
        return False
    return True


def version_of(value: Any, function_name: str) -> Version:
    """The parsed version held by a Semver tagged map."""
    return parse_version(str(expect(value, SEMVER, function_name)["version"]))


def _as_int(number: int) -> int:
    if number > INT64_MAX:
        raise CelFunctionError("semver component overflows int")
    return number


def major(value: dict[str, Any]) -> int:
    """``<Semver>.major()``."""
    return _as_int(version_of(value, "major")[0])


def minor(value: dict[str, Any]) -> int:
    """``<Semver>.minor()``."""
    return _as_int(version_of(value, "minor")[1])


def patch(value: dict[str, Any]) -> int:
    """``<Semver>.patch()``."""
    return _as_int(version_of(value, "patch")[2])


def _compare_identifiers(left: str, right: str) -> int:
    left_numeric, right_numeric = left.isdigit(), right.isdigit()
    if left_numeric and right_numeric:
        a, b = int(left), int(right)
        return (a > b) - (a < b)
    if left_numeric != right_numeric:
        return -1 if left_numeric else 1
    return (left > right) - (left < right)


def compare(left: Any, right: Any) -> int:
    """-1, 0 or 1 comparing two Semver tagged maps by semver 2.0 precedence."""
    a, b = version_of(left, "compareTo"), version_of(right, "compareTo")
    if a[:3] != b[:3]:
        return -1 if a[:3] < b[:3] else 1
    pre_a, pre_b = a[3], b[3]
    if not pre_a or not pre_b:
        return (not pre_a) - (not pre_b)
    for x, y in zip(pre_a, pre_b, strict=False):
        result = _compare_identifiers(x, y)
        if result:
            return result
    return (len(pre_a) > len(pre_b)) - (len(pre_a) < len(pre_b))


LIBRARY = Library(
    "k8s_semver",
    (
        function(
            "semver",
            overload("k8s_string_to_semver", ("string",), "map", semver),
            overload("k8s_string_to_semver_normalize", ("string", "bool"), "map", semver),
        ),
        function(
            "isSemver",
            overload("k8s_is_semver", ("string",), "bool", is_semver),
            overload("k8s_is_semver_normalize", ("string", "bool"), "bool", is_semver),
        ),
        function("major", overload("k8s_semver_major", ("map",), "int", major, member=True)),
        function("minor", overload("k8s_semver_minor", ("map",), "int", minor, member=True)),
        function("patch", overload("k8s_semver_patch", ("map",), "int", patch, member=True)),
    ),
)
