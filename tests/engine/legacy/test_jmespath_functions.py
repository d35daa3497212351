"""Kyverno's JMESPath functions, one table row per documented behaviour (spec section 5.2, Kyverno docs)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from pykyverno.engine.jmespath import (
    FunctionError,
    JMESPathError,
    JMESPathProviders,
    search,
    using_jmespath_providers,
)
from pykyverno.engine.jmespath.gotime import GoTime, parse_time

STRING_CASES = [
    ("compare('a', 'b')", -1.0),
    ("compare('b', 'a')", 1.0),
    ("compare('a', 'a')", 0.0),
    ("equal_fold('Go', 'GO')", True),
    ("equal_fold('Straße', 'STRASSE')", False),
    ("replace('aaaa', 'a', 'b', `2`)", "bbaa"),
    ("replace('aaaa', 'a', 'b', `-1`)", "bbbb"),
    ("replace_all('a.b.c', '.', '/')", "a/b/c"),
    ("to_upper('abc')", "ABC"),
    ("to_lower('ÀB')", "àb"),
    ("trim('  xx  ', ' ')", "xx"),
    ("trim('abcxba', 'ab')", "cx"),
    ("trim_prefix('kyverno-policy', 'kyverno-')", "policy"),
    ("trim_prefix('policy', 'kyverno-')", "policy"),
    ("split('a,b,,c', ',')", ["a", "b", "", "c"]),
    ("split('', ',')", [""]),
    ("split('ab', '')", ["a", "b"]),
    ("truncate('kyverno', `3`)", "kyv"),
    ("truncate('kyverno', `30`)", "kyverno"),
    ("truncate('kyverno', `-1`)", ""),
    ("base64_encode('hello')", "aGVsbG8="),
    ("base64_decode('aGVsbG8=')", "hello"),
    ("path_canonicalize('/var//lib/../run/./x')", "/var/run/x"),
    ("path_canonicalize('//etc')", "/etc"),
    ("path_canonicalize('')", ""),
    ("to_boolean('TRUE')", True),
    ("to_boolean('false')", False),
    ("sha256('abc')", hashlib.sha256(b"abc").hexdigest()),
    ("sha1('abc')", hashlib.sha1(b"abc").hexdigest()),
    ("md5('abc')", hashlib.md5(b"abc").hexdigest()),
]

REGEX_CASES = [
    ("regex_match('^[a-z]+$', 'kyverno')", True),
    ("regex_match('^[0-9]+$', `123`)", True),
    ("regex_match('^[0-9]+$', `1.5`)", False),
    ("regex_match('verno', 'kyverno')", True),  # unanchored
    (r"regex_match('^\d{3}$', '123')", True),
    ("regex_replace_all('^[^/]+', 'docker.io/nginx', 'my.registry')", "my.registry/nginx"),
    (r"regex_replace_all('(\w+)@(\w+)', 'joe@example', '$2:$1')", "example:joe"),
    (r"regex_replace_all('(?P<user>\w+)@', 'joe@x', '${user}-')", "joe-x"),
    ("regex_replace_all('a', 'aa', '$$')", "$$"),
    ("regex_replace_all('(a)', 'a', '$1x')", ""),  # Go reads $1x as the group named "1x"
    ("regex_replace_all('a*', 'baaac', 'X')", "XbXcX"),  # Go's empty-match rule
    ("regex_replace_all('[0-9]', `2024`, 'x')", "xxxx"),
    ("regex_replace_all_literal('a', 'banana', '$1')", "b$1n$1n$1"),
    ("pattern_match('prefix-*', 'prefix-abc')", True),
    ("pattern_match('prefix-?', 'prefix-ab')", False),
    ("pattern_match('[a]*', 'a')", False),  # no character classes in wildcards
    ("pattern_match('8*', `80`)", True),
]

DATA_CASES = [
    ("parse_json('{\"a\": [1, 2]}')", {"a": [1.0, 2.0]}),
    ("parse_json('\"s\"')", "s"),
    (r'parse_yaml(`"a: 1\nb: [x, y]\nc: 2024-01-01"`)', {"a": 1.0, "b": ["x", "y"], "c": "2024-01-01"}),
    ("parse_yaml('1: true')", {"1": True}),
    ("lookup(`{\"a\": 1}`, 'a')", 1),
    ("lookup(`{\"a\": 1}`, 'b')", None),
    ("lookup(`[10, 20]`, `1`)", 20),
    ("lookup(`[10, 20]`, `5`)", None),
    ("items(`{\"b\": 2, \"a\": 1}`, 'key', 'value')", [{"key": "a", "value": 1}, {"key": "b", "value": 2}]),
    ("items(`[\"x\", \"y\"]`, 'i', 'v')", [{"i": 0.0, "v": "x"}, {"i": 1.0, "v": "y"}]),
    ("object_from_lists(`[\"a\", \"b\"]`, `[1]`)", {"a": 1, "b": None}),
    ("object_from_lists(`[1, true]`, `[\"x\", \"y\"]`)", {"1": "x", "true": "y"}),
    ("label_match(`{\"app\": \"web\"}`, `{\"app\": \"web\", \"tier\": \"fe\"}`)", True),
    ("label_match(`{\"app\": \"web\"}`, `{\"app\": \"db\"}`)", False),
    ("label_match(`{}`, `{}`)", True),
    ("semver_compare('1.2.3', '>=1.0.0 <2.0.0')", True),
    ("semver_compare('2.1.0', '>=1.0.0 <2.0.0 || >=2.1.0')", True),
    ("semver_compare('1.3.0', '1.2.x')", False),
    ("semver_compare('1.0.0-rc.1', '<1.0.0')", True),
    ("semver_compare('not-a-version', '0.0.0')", True),  # unparsable versions read as 0.0.0
    ("image_normalize('nginx')", "docker.io/nginx:latest"),
    ("image_normalize('ghcr.io/kyverno/kyverno:v1.12')", "ghcr.io/kyverno/kyverno:v1.12"),
    ("image_normalize('library/busybox@sha256:" + "a" * 64 + "')", "docker.io/library/busybox@sha256:" + "a" * 64),
    ("is_external_url('https://10.0.0.1/x')", False),
    ("is_external_url('http://127.0.0.1:8080')", False),
    ("is_external_url('https://8.8.8.8')", True),
    ("is_external_url('not a url')", False),
]


@pytest.mark.parametrize(("expression", "expected"), STRING_CASES + REGEX_CASES + DATA_CASES)
def test_function(expression: str, expected: Any) -> None:
    assert search(expression, {}) == expected


ERROR_CASES = [
    ("to_boolean('yes')", "lowercase argument must be 'true' or 'false' (provided: 'yes')"),
    ("base64_decode('not base64!')", "illegal base64 data"),
    ("parse_json('{')", ""),
    ("parse_yaml('a: [')", "error converting YAML to JSON"),
    ("lookup(`[1]`, 'a')", "2 argument is expected of Number type"),
    ("lookup(`[1]`, `0.5`)", "integer index"),
    ("regex_match('(', 'x')", "error parsing regexp"),
    ("semver_compare('1.0.0', '>>1')", ""),
    ("image_normalize('Bad Image')", "invalid reference format"),
    ("is_external_url('https://internal.example')", "no resolver"),
    ("random('')", "no pattern provided"),
    ("random('a{100000}')", "may produce more than"),
    ("sum(`[]`)", "at least one element in the array is required"),
    ("x509_decode('not a certificate')", ""),
    ("regex_match('x', `true`)", ""),
]


@pytest.mark.parametrize(("expression", "fragment"), ERROR_CASES)
def test_function_errors(expression: str, fragment: str) -> None:
    with pytest.raises(JMESPathError, match=None) as info:
        search(expression, {})
    assert fragment in str(info.value)


def test_random_matches_its_pattern() -> None:
    for _ in range(20):
        value = search("random('[a-z0-9]{6}-x')", {})
        assert len(value) == 8 and value.endswith("-x") and value[:6].isalnum()


def test_is_external_url_uses_the_injected_resolver() -> None:
    answers = {"internal.example": ["10.1.2.3"], "public.example": ["93.184.216.34"]}

    def resolve(host: str) -> list[str]:
        if host not in answers:
            raise LookupError(host)
        return answers[host]

    with using_jmespath_providers(JMESPathProviders(resolve_host=resolve)):
        assert search("is_external_url('https://internal.example/a')", {}) is False
        assert search("is_external_url('https://public.example/a')", {}) is True
        assert search("is_external_url('https://unknown.example/a')", {}) is False


TIME_CASES = [
    ("time_add('2023-01-01T00:00:00Z', '1h30m')", "2023-01-01T01:30:00Z"),
    ("time_add('2023-01-01T00:00:00+02:00', '30m')", "2023-01-01T00:30:00+02:00"),
    ("time_diff('2023-01-01T00:00:00Z', '2023-01-01T01:30:00Z')", "1h30m0s"),
    ("time_diff('2023-01-01T01:00:00Z', '2023-01-01T00:00:00Z')", "-1h0m0s"),
    ("time_since('', '2023-01-01T00:00:00Z', '2023-01-01T00:00:01.5Z')", "1.5s"),
    ("time_since('2006-01-02', '2023-01-01', '2023-01-03')", "48h0m0s"),
    ("time_parse('2006-01-02', '2023-04-05')", "2023-04-05T00:00:00Z"),
    ("time_parse('Mon Jan _2 15:04:05 MST 2006', 'Wed Apr  5 10:11:12 UTC 2023')", "2023-04-05T10:11:12Z"),
    ("time_parse('1136239445', '1672531200')", "2023-01-01T00:00:00Z"),
    ("time_to_cron('2023-04-05T10:11:12Z')", "11 10 5 4 3"),
    ("time_to_cron('2023-04-05T01:11:12+02:00')", "11 23 4 4 2"),
    ("time_utc('2023-04-05T10:11:12+02:00')", "2023-04-05T08:11:12Z"),
    ("time_before('2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z')", True),
    ("time_after('2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z')", False),
    ("time_between('2023-01-02T00:00:00Z', '2023-01-01T00:00:00Z', '2023-01-03T00:00:00Z')", True),
    ("time_between('2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z', '2023-01-03T00:00:00Z')", False),
    ("time_truncate('2023-04-05T10:11:12Z', '1h')", "2023-04-05T10:00:00Z"),
    ("time_truncate('2023-04-05T10:11:12Z', '24h')", "2023-04-05T00:00:00Z"),
]


@pytest.mark.parametrize(("expression", "expected"), TIME_CASES)
def test_time_function(expression: str, expected: Any) -> None:
    assert search(expression, {}) == expected


def test_time_functions_use_the_injected_clock() -> None:
    frozen = parse_time("2006-01-02T15:04:05Z07:00", "2024-02-29T12:00:00Z")
    with using_jmespath_providers(JMESPathProviders(clock=lambda: frozen)):
        assert search("time_now_utc()", {}) == "2024-02-29T12:00:00Z"
        assert search("time_now()", {}) == "2024-02-29T12:00:00Z"
        assert search("time_since('', '2024-02-29T11:00:00Z', '')", {}) == "1h0m0s"


def test_time_now_is_current() -> None:
    text = search("time_now_utc()", {})
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert abs((parsed - dt.datetime.now(dt.UTC)).total_seconds()) < 5
    assert isinstance(GoTime(0).rfc3339(), str)


def test_time_errors_quote_go() -> None:
    with pytest.raises(FunctionError, match='cannot parse "/01-01" as "-"'):
        search("time_add('2023/01-01', '1h')", {})
    with pytest.raises(FunctionError, match='unknown unit "x"'):
        search("time_add('2023-01-01T00:00:00Z', '1x')", {})


def _certificate(key: Any) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kyverno.test")])
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_x509_decode_reads_rsa_certificates_only() -> None:
    rsa_pem = _certificate(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    decoded = search("x509_decode(@)", rsa_pem)
    assert decoded["Subject"]["CommonName"] == "kyverno.test"
    assert decoded["PublicKey"]["E"] == 65537
    nested = search("x509_decode(base64_decode(@)).Subject.CommonName", base64.b64encode(rsa_pem.encode()).decode())
    assert nested == "kyverno.test"
    ec_pem = _certificate(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(FunctionError, match="rsa"):
        search("x509_decode(@)", ec_pem)


def test_x509_decode_reads_certificate_requests() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csr.test")]))
        .sign(key, hashes.SHA256())
    )
    pem = csr.public_bytes(serialization.Encoding.PEM).decode()
    assert search("x509_decode(@).Subject.CommonName", pem) == "csr.test"
