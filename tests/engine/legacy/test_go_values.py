"""Go and Kubernetes value semantics under Kyverno's JMESPath: arithmetic, quantities, durations, semver, images,
number printing (spec sections 5.2, 5.3)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from pykyverno.engine.jmespath import FunctionError, search, wildcard_match
from pykyverno.engine.jmespath.duration import DurationError, format_duration, parse_duration
from pykyverno.engine.jmespath.gotext import go_float32_text, go_sprint
from pykyverno.engine.jmespath.images import ImageReferenceError, image_info
from pykyverno.engine.jmespath.quantity import BINARY_SI, DECIMAL_SI, QuantityError, parse_quantity
from pykyverno.engine.jmespath.semver import SemverError, parse_range, parse_version

ARITHMETIC = [
    # scalars
    ("add(`1`, `2`)", 3.0),
    ("subtract(`1`, `2.5`)", -1.5),
    ("multiply(`3`, `4`)", 12.0),
    ("divide(`10`, `4`)", 2.5),
    ("modulo(`7`, `3`)", 1.0),
    ("modulo(`-7`, `3`)", -1.0),  # Go's % keeps the dividend's sign
    ("round(`3.14159`, `2`)", 3.14),
    ("round(`2.5`, `0`)", 3.0),
    ("round(`-2.5`, `0`)", -3.0),
    # quantities: '10' and '1m' are quantities, printed in the left operand's format
    ("add('1Gi', '512Mi')", "1536Mi"),
    ("add('10', '1m')", "10001m"),
    ("subtract('1', '1500m')", "-500m"),
    ("add('0', '1Ki')", "1Ki"),
    ("add('1k', '500')", "1500"),
    ("add('1e3', '1e3')", "2e3"),
    ("multiply('100Mi', `2`)", "200Mi"),
    ("multiply(`3`, '1.5')", "4500m"),
    ("divide('1Gi', '1Mi')", 1024.0),
    ("divide('100m', `3`)", "33m"),
    ("divide('1Gi', `3`)", "357913941"),
    ("modulo('10', '3')", "1"),
    ("sum(['1Gi', '1Gi', '512Mi'])", "2560Mi"),
    # durations: '1h' and '30s' are durations, results in Go's canonical form
    ("add('1h', '30s')", "1h0m30s"),
    ("subtract('1h', '90s')", "58m30s"),
    ("multiply('1h', `1.5`)", "1h30m0s"),
    ("multiply(`2`, '30s')", "1m0s"),
    ("divide('1h', '30s')", 120.0),
    ("divide('1h', `4`)", "15m0s"),
    ("modulo('1h', '25s')", "0s"),
    ("modulo('100s', '30s')", "10s"),
    ("sum([`1`, `2`, `3.5`])", 6.5),
]


@pytest.mark.parametrize(("expression", "expected"), ARITHMETIC)
def test_arithmetic(expression: str, expected: Any) -> None:
    result = search(expression, {})
    assert result == expected and type(result) is type(expected)


ARITHMETIC_ERRORS = [
    ("add('1Gi', `1`)", "types mismatch"),
    ("add('1h', '30m')", "types mismatch"),  # '30m' is 30 milli (a quantity), not a duration
    ("add(`1`, '1h')", "types mismatch"),
    ("multiply('1Gi', '2Gi')", "types mismatch"),
    ("multiply('1h', '1h')", "types mismatch"),
    ("add('abc', `1`)", "invalid operands"),
    ("add(`true`, `1`)", "invalid operands"),
    ("divide(`1`, `0`)", "Zero divisor passed"),
    ("divide('1Gi', '0')", "Zero divisor passed"),
    ("divide('1h', '0s')", "Zero divisor passed"),
    ("modulo(`1.5`, `1`)", "Non-integer argument(s) passed for modulo"),
    ("modulo(`3`, `0`)", "Zero divisor passed"),
    ("modulo('1Gi', `2`)", "types mismatch"),
    ("round(`1`, `0.5`)", "Non-integer argument(s) passed for round off"),
    ("round(`1`, `-1`)", "out of bounds"),
    ("divide(`1`, '1Gi')", "types mismatch"),
]


@pytest.mark.parametrize(("expression", "message"), ARITHMETIC_ERRORS)
def test_arithmetic_errors(expression: str, message: str) -> None:
    with pytest.raises(FunctionError) as info:
        search(expression, {})
    assert message in str(info.value)
    assert str(info.value).startswith("JMESPath function '")


@pytest.mark.parametrize(
    ("text", "value", "form", "canonical"),
    [
        ("1Gi", Fraction(2**30), BINARY_SI, "1Gi"),
        ("1024Mi", Fraction(2**30), BINARY_SI, "1Gi"),
        ("1536Mi", Fraction(1536 * 2**20), BINARY_SI, "1536Mi"),
        ("1.5Gi", Fraction(1536 * 2**20), BINARY_SI, "1536Mi"),
        ("100m", Fraction(1, 10), DECIMAL_SI, "100m"),
        ("1.5", Fraction(3, 2), DECIMAL_SI, "1500m"),
        ("2000", Fraction(2000), DECIMAL_SI, "2k"),
        ("0.5Ki", Fraction(512), BINARY_SI, "512"),
        ("1e3", Fraction(1000), "DecimalExponent", "1e3"),
        ("-100m", Fraction(-1, 10), DECIMAL_SI, "-100m"),
        ("0", Fraction(0), DECIMAL_SI, "0"),
        ("1n", Fraction(1, 10**9), DECIMAL_SI, "1n"),
        ("0.0000000001", Fraction(1, 10**9), DECIMAL_SI, "1n"),  # rounded up to 1n, as Kubernetes does
    ],
)
def test_quantity_parsing_and_printing(text: str, value: Fraction, form: str, canonical: str) -> None:
    quantity = parse_quantity(text)
    assert (quantity.value, quantity.format, quantity.canonical()) == (value, form, canonical)


@pytest.mark.parametrize("text", ["", "abc", "1x", "1Gb", "--1", "1.2.3"])
def test_not_quantities(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("text", "nanoseconds", "canonical"),
    [
        ("1h30m", 5400 * 10**9, "1h30m0s"),
        ("1.5h", 5400 * 10**9, "1h30m0s"),
        ("300ms", 300 * 10**6, "300ms"),
        ("1µs", 1000, "1µs"),
        ("1us", 1000, "1µs"),
        ("1500ns", 1500, "1.5µs"),
        ("-2m", -120 * 10**9, "-2m0s"),
        ("0", 0, "0s"),
        ("2h45m30.5s", 9930500 * 10**6, "2h45m30.5s"),
        (".5s", 5 * 10**8, "500ms"),
    ],
)
def test_go_durations(text: str, nanoseconds: int, canonical: str) -> None:
    assert parse_duration(text) == nanoseconds
    assert format_duration(nanoseconds) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [("1", 'missing unit in duration "1"'), ("1d", 'unknown unit "d"'), ("", "invalid duration"),
     ("h", "invalid duration"), ("9999999999h", "invalid duration")],
)
def test_go_duration_errors(text: str, message: str) -> None:
    with pytest.raises(DurationError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(
    ("version", "constraint", "expected"),
    [
        ("1.2.3", ">=1.0.0 <2.0.0", True),
        ("2.0.0", ">=1.0.0 <2.0.0", False),
        ("3.1.0", "<1.0.0 || >=3.0.0", True),
        ("1.2.9", "1.2.x", True),
        ("1.3.0", "1.2.x", False),
        ("1.9.0", "<=1.2.x", False),
        ("1.2.5", ">1.2.x", False),
        ("1.3.0", ">1.2.x", True),
        ("1.2.3", "!1.2.3", False),
        ("1.2.3", "= 1.2.3", True),
        ("1.0.0-alpha", "<1.0.0-alpha.1", True),
        ("1.0.0-alpha.beta", ">1.0.0-alpha.1", True),
        ("1.0.0+build.5", "1.0.0", True),
    ],
)
def test_semver_ranges(version: str, constraint: str, expected: bool) -> None:
    assert parse_range(constraint)(parse_version(version)) is expected


@pytest.mark.parametrize("text", ["v1.2.3", "1.2", "01.2.3", "1.2.3-", "1.2.3-01", "1.2.3+"])
def test_strict_semver(text: str) -> None:
    with pytest.raises(SemverError):
        parse_version(text)


@pytest.mark.parametrize("constraint", ["|| 1.0.0", "1.0.0 ||", ">>1.0.0", "abc"])
def test_bad_semver_ranges(constraint: str) -> None:
    with pytest.raises(SemverError):
        parse_range(constraint)


@pytest.mark.parametrize(
    ("image", "registry", "path", "name", "tag", "digest"),
    [
        ("nginx", "docker.io", "nginx", "nginx", "latest", ""),
        ("nginx:1.25", "docker.io", "nginx", "nginx", "1.25", ""),
        ("library/nginx", "docker.io", "library/nginx", "nginx", "latest", ""),
        ("ghcr.io/kyverno/kyverno:v1.12", "ghcr.io", "kyverno/kyverno", "kyverno", "v1.12", ""),
        ("localhost/app", "localhost", "app", "app", "latest", ""),
        ("my.registry:5000/team/app@sha256:" + "b" * 64, "my.registry:5000", "team/app", "app", "",
         "sha256:" + "b" * 64),
    ],
)
def test_image_info(image: str, registry: str, path: str, name: str, tag: str, digest: str) -> None:
    info = image_info(image)
    assert (info.registry, info.path, info.name, info.tag, info.digest) == (registry, path, name, tag, digest)


@pytest.mark.parametrize("image", ["Nginx", "nginx:", "bad image", "nginx@sha256:abc", ""])
def test_bad_images(image: str) -> None:
    with pytest.raises(ImageReferenceError, match="bad image"):
        image_info(image)


@pytest.mark.parametrize(
    ("value", "sprint", "float32"),
    [(8080.0, "8080", "8080"), (1e6, "1e+06", "1000000"), (123456.0, "123456", "123456"), (0.5, "0.5", "0.5"),
     (1e-5, "1e-05", "0.00001"), (16777217.0, "1.6777217e+07", "16777216"), (0.1, "0.1", "0.1")],
)
def test_go_number_printing(value: float, sprint: str, float32: str) -> None:
    assert go_sprint(value) == sprint
    assert go_float32_text(value) == float32


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [("*", "", True), ("", "", True), ("", "a", False), ("a*", "abc", True), ("*c", "abc", True),
     ("a?c", "abc", True), ("a?c", "ac", False), ("[ab]", "a", False), ("[ab]", "[ab]", True),
     ("*.example.com", "x.example.com", True), ("a*b*c", "aXbYc", True), ("a*b*c", "aXbY", False),
     ("*a*a*a*a*a*a*b", "a" * 200, False)],
)
def test_wildcards(pattern: str, text: str, expected: bool) -> None:
    assert wildcard_match(pattern, text) is expected
