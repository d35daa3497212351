"""Kyverno's CEL libraries, table-driven: expression -> expected value or expected error, per policy kind."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from pykyverno.engine.cel import CelCompileError, CelEvalError, environment_for

DIGEST = "sha256:" + "a" * 64
OTHER_DIGEST = "sha256:" + "0123456789abcdef" * 4


def _certificate_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kyverno Test"),
        x509.NameAttribute(NameOID.COMMON_NAME, "webhook.kyverno.svc"),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(4242)
        .not_valid_before(dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2034, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("a.example.com"), x509.DNSName("b.example.com")]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


PEM = _certificate_pem()

# (id, kind, expression, expected)
VALUE_CASES: list[tuple[str, str, str, Any]] = [
    # --- image references (go-containerregistry normalisation) ---
    ("image/registry-default-docker-hub", "vpol", "image('nginx').registry()", "index.docker.io"),
    ("image/registry-docker-io-rewritten", "vpol", "image('docker.io/nginx').registry()", "index.docker.io"),
    ("image/registry-explicit", "vpol", "image('ghcr.io/kyverno/kyverno:v1.14').registry()", "ghcr.io"),
    ("image/registry-with-port", "vpol", "image('localhost:5000/app:1').registry()", "localhost:5000"),
    ("image/registry-localhost-without-dot-is-repo", "vpol", "image('localhost/app').registry()", "index.docker.io"),
    ("image/repository-library-prefix", "vpol", "image('nginx').repository()", "library/nginx"),
    ("image/repository-docker-io-library", "vpol", "image('docker.io/nginx:1.25').repository()", "library/nginx"),
    ("image/repository-user-repo", "vpol", "image('kyverno/kyverno').repository()", "kyverno/kyverno"),
    ("image/repository-nested", "vpol", "image('gcr.io/a/b/c:1').repository()", "a/b/c"),
    ("image/repository-localhost", "vpol", "image('localhost/app').repository()", "localhost/app"),
    ("image/repository-custom-registry-single", "vpol", "image('quay.io/app').repository()", "app"),
    ("image/tag-default-latest", "vpol", "image('nginx').tag()", "latest"),
    ("image/tag-explicit", "vpol", "image('nginx:1.25.3').tag()", "1.25.3"),
    ("image/tag-with-port-registry", "vpol", "image('reg:5000/app').tag()", "latest"),
    ("image/tag-port-and-tag", "vpol", "image('reg:5000/app:v2').tag()", "v2"),
    ("image/tag-empty-for-digest", "vpol", f"image('nginx@{DIGEST}').tag()", ""),
    ("image/tag-dropped-with-digest", "vpol", f"image('nginx:1.2@{DIGEST}').tag()", ""),
    ("image/digest", "vpol", f"image('nginx@{DIGEST}').digest()", DIGEST),
    ("image/digest-empty-for-tag", "vpol", "image('nginx:1').digest()", ""),
    ("image/digest-with-tag", "vpol", f"image('ghcr.io/a/b:1@{DIGEST}').digest()", DIGEST),
    ("image/identifier-tag", "vpol", "image('nginx:1.2').identifier()", "1.2"),
    ("image/identifier-default", "vpol", "image('nginx').identifier()", "latest"),
    ("image/identifier-digest", "vpol", f"image('nginx@{DIGEST}').identifier()", DIGEST),
    ("image/contains-digest-true", "vpol", f"image('nginx@{DIGEST}').containsDigest()", True),
    ("image/contains-digest-false", "vpol", "image('nginx:1').containsDigest()", False),
    ("image/parseImageReference-alias", "vpol", "parseImageReference('ghcr.io/x/y:z').repository()", "x/y"),
    ("image/digest-registry-kept", "vpol", f"parseImageReference('ghcr.io/x/y@{DIGEST}').registry()", "ghcr.io"),
    ("image/equal-same-string", "vpol", "image('nginx:1') == image('nginx:1')", True),
    ("image/unequal-different", "vpol", "image('nginx:1') == image('nginx:2')", False),
    ("image/isImage-simple", "vpol", "isImage('nginx')", True),
    ("image/isImage-full", "vpol", f"isImage('ghcr.io/kyverno/kyverno:v1@{DIGEST}')", True),
    ("image/isImage-uppercase-repo", "vpol", "isImage('Nginx')", False),
    ("image/isImage-empty", "vpol", "isImage('')", False),
    ("image/isImage-bad-digest", "vpol", "isImage('nginx@sha256:abc')", False),
    ("image/isImage-empty-tag", "vpol", "isImage('nginx:')", False),
    ("image/isImage-too-short-repo", "vpol", "isImage('a')", False),
    ("image/isImage-bad-tag-char", "vpol", "isImage('nginx:a+b')", False),
    ("image/isImage-md5-digest", "vpol", "isImage('nginx@md5:abc')", False),
    ("image/in-ivpol", "ivpol", "image('nginx').registry()", "index.docker.io"),
    ("image/in-gpol", "gpol", "isImage('nginx')", True),
    ("image/mpol-registry-check", "mpol", "image('corp.reg.com/team/app:1').registry() == 'corp.reg.com'", True),
    ("image/or-absorbs-error", "vpol", "image('BAD').registry() == 'x' || true", True),
    # --- json ---
    ("json/unmarshal-object", "vpol", "json.unmarshal('{\"a\": \"b\"}').a", "b"),
    ("json/unmarshal-number-is-double", "vpol", "type(json.unmarshal('{\"a\": 1}').a) == double", True),
    ("json/unmarshal-number-equals-int", "vpol", "json.unmarshal('{\"a\": 1}').a == 1", True),
    ("json/unmarshal-list", "vpol", "json.unmarshal('[1, 2, 3]').size()", 3),
    ("json/unmarshal-null", "vpol", "json.unmarshal('null') == null", True),
    ("json/unmarshal-bool", "vpol", "json.unmarshal('true')", True),
    ("json/unmarshal-nested", "vpol", "json.unmarshal('{\"a\": {\"b\": [\"c\"]}}').a.b[0]", "c"),
    ("json/marshal-sorted-compact", "vpol", "json.marshal({'b': 1, 'a': 'x'})", '{"a":"x","b":1}'),
    ("json/marshal-integral-double", "vpol", "json.marshal(2.0)", "2"),
    ("json/marshal-double", "vpol", "json.marshal(1.5)", "1.5"),
    ("json/marshal-large-double", "vpol", "json.marshal(1e21)", "1e+21"),
    ("json/marshal-small-double", "vpol", "json.marshal(0.0000001)", "1e-7"),
    ("json/marshal-html-escaped", "vpol", "json.marshal('<a&b>')", '"\\u003ca\\u0026b\\u003e"'),
    ("json/marshal-list-null-bool", "vpol", "json.marshal([null, true, 'x'])", '[null,true,"x"]'),
    ("json/marshal-bytes-base64", "vpol", "json.marshal(b'hi')", '"aGk="'),
    ("json/marshal-unicode", "vpol", "json.marshal('é')", '"é"'),
    ("json/roundtrip", "vpol", "json.unmarshal(json.marshal({'k': ['v']})).k[0]", "v"),
    ("json/in-dpol", "dpol", "json.marshal({})", "{}"),
    # --- yaml ---
    ("yaml/parse-map", "vpol", "yaml.parse('a: b').a", "b"),
    ("yaml/parse-number-double", "vpol", "type(yaml.parse('a: 1').a) == double", True),
    ("yaml/parse-list", "vpol", "yaml.parse('- x\\n- y')[1]", "y"),
    ("yaml/parse-nested", "vpol", "yaml.parse('a:\\n  b: true').a.b", True),
    ("yaml/parse-timestamp-stays-string", "vpol", "yaml.parse('d: 2024-01-02').d", "2024-01-02"),
    ("yaml/parse-int-key-stringified", "vpol", "yaml.parse('1: one')['1']", "one"),
    ("yaml/parse-first-document", "vpol", "yaml.parse('a: 1\\n---\\na: 2').a == 1", True),
    ("yaml/parse-flow", "vpol", "yaml.parse('{x: [1, 2]}').x.size()", 2),
    ("yaml/parse-null", "vpol", "yaml.parse('a: null').a == null", True),
    # --- hash ---
    ("hash/sha256-abc", "vpol", "sha256('abc')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("hash/sha1-abc", "vpol", "sha1('abc')", "a9993e364706816aba3e25717850c26c9cd0d89d"),
    ("hash/md5-empty", "vpol", "md5('')", "d41d8cd98f00b204e9800998ecf8427e"),
    ("hash/md5-abc", "vpol", "md5('abc')", "900150983cd24fb0d6963f7d28e17f72"),
    ("hash/prefixed-sha256", "vpol", "hash.sha256('abc') == sha256('abc')", True),
    ("hash/prefixed-sha1", "vpol", "hash.sha1('') ", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("hash/prefixed-md5", "vpol", "hash.md5('abc')", "900150983cd24fb0d6963f7d28e17f72"),
    ("hash/utf8", "vpol", "size(sha256('é'))", 64),
    ("hash/in-ivpol", "ivpol", "md5('a')", "0cc175b9c0f1b6a831c399e269772661"),
    # --- math ---
    ("math/round-two-places", "vpol", "math.round(3.14159, 2)", 3.14),
    ("math/round-half-away", "vpol", "math.round(2.5, 0)", 3.0),
    ("math/round-negative-half-away", "vpol", "math.round(-2.5, 0)", -3.0),
    ("math/round-up", "vpol", "math.round(1.005, 1)", 1.0),
    ("math/round-negative-precision", "vpol", "math.round(1234.5, -2)", 1200.0),
    ("math/round-native-one-arg", "vpol", "math.round(1.5)", 2.0),
    ("math/round-zero-places", "vpol", "math.round(7.49, 0)", 7.0),
    # --- time ---
    ("time/now-is-timestamp", "vpol", "type(time.now()) == google.protobuf.Timestamp", True),
    ("time/now-recent", "vpol", "time.now() > timestamp('2024-01-01T00:00:00Z')", True),
    ("time/toCron", "vpol", "time.toCron(timestamp('2024-03-05T10:20:00Z'))", "20 10 5 3 2"),
    ("time/toCron-sunday", "vpol", "time.toCron(timestamp('2024-03-03T00:00:59Z'))", "0 0 3 3 0"),
    ("time/toCron-utc", "vpol", "time.toCron(timestamp('2024-12-31T23:59:00-01:00'))", "59 0 1 1 3"),
    ("time/truncate-hour", "vpol",
     "time.truncate(timestamp('2024-03-05T10:20:33Z'), duration('1h')) == timestamp('2024-03-05T10:00:00Z')", True),
    ("time/truncate-day", "vpol",
     "time.truncate(timestamp('2024-03-05T10:20:33Z'), duration('24h')) == timestamp('2024-03-05T00:00:00Z')", True),
    ("time/truncate-minutes", "vpol",
     "time.truncate(timestamp('2024-03-05T10:27:33Z'), duration('15m')) == timestamp('2024-03-05T10:15:00Z')", True),
    ("time/truncate-zero-duration", "vpol",
     "time.truncate(timestamp('2024-03-05T10:27:33Z'), duration('0s')) == timestamp('2024-03-05T10:27:33Z')", True),
    ("time/truncate-since-go-zero-time", "vpol",
     "time.truncate(timestamp('1970-01-01T04:00:00Z'), duration('7h')) == timestamp('1969-12-31T22:00:00Z')", True),
    # --- x509 ---
    ("x509/subject-common-name", "vpol", "x509.decode(variables.pem).Subject.CommonName", "webhook.kyverno.svc"),
    ("x509/subject-organization", "vpol", "x509.decode(variables.pem).Subject.Organization", ["Kyverno Test"]),
    ("x509/issuer-country", "vpol", "x509.decode(variables.pem).Issuer.Country[0]", "US"),
    ("x509/is-ca", "vpol", "x509.decode(variables.pem).IsCA", True),
    ("x509/basic-constraints-valid", "vpol", "x509.decode(variables.pem).BasicConstraintsValid", True),
    ("x509/not-after", "vpol", "x509.decode(variables.pem).NotAfter", "2034-01-02T03:04:05Z"),
    ("x509/not-before-as-timestamp", "vpol",
     "timestamp(x509.decode(variables.pem).NotBefore) < timestamp('2025-01-01T00:00:00Z')", True),
    ("x509/dns-names", "vpol", "x509.decode(variables.pem).DNSNames", ["a.example.com", "b.example.com"]),
    ("x509/serial-number-double", "vpol", "x509.decode(variables.pem).SerialNumber == 4242", True),
    ("x509/version", "vpol", "x509.decode(variables.pem).Version == 3", True),
    ("x509/public-key-exponent", "vpol", "x509.decode(variables.pem).PublicKey.E == 65537", True),
    ("x509/public-key-algorithm-rsa", "vpol", "x509.decode(variables.pem).PublicKeyAlgorithm == 1", True),
    ("x509/signature-algorithm-sha256-rsa", "vpol", "x509.decode(variables.pem).SignatureAlgorithm == 4", True),
    ("x509/email-null", "vpol", "x509.decode(variables.pem).EmailAddresses == null", True),
    # --- transform ---
    ("transform/listObjToMap", "vpol",
     "listObjToMap([{'name': 'a'}, {'name': 'b'}], [{'v': 1}, {'v': 2}], 'name', 'v')", {"a": 1, "b": 2}),
    ("transform/prefixed-alias", "vpol", "transform.listObjToMap([{'k': 'x'}], [{'val': 'y'}], 'k', 'val')",
     {"x": "y"}),
    ("transform/empty-lists", "vpol", "listObjToMap([], [], 'k', 'v')", {}),
    ("transform/last-wins", "vpol", "listObjToMap([{'k': 'x'}, {'k': 'x'}], [{'v': 1}, {'v': 2}], 'k', 'v')",
     {"x": 2}),
    # --- user ---
    ("user/namespace", "vpol", "parseServiceAccount('system:serviceaccount:team-a:builder').Namespace", "team-a"),
    ("user/name", "vpol", "parseServiceAccount('system:serviceaccount:team-a:builder').Name", "builder"),
    ("user/not-a-service-account", "vpol", "parseServiceAccount('alice').Name", ""),
    ("user/too-many-parts", "vpol", "parseServiceAccount('system:serviceaccount:a:b:c').Namespace", ""),
    ("user/prefixed-alias", "mpol", "user.parseServiceAccount('system:serviceaccount:ns:sa').Namespace", "ns"),
    ("user/in-ivpol", "ivpol", "parseServiceAccount('system:serviceaccount:ns:sa').Name", "sa"),
    # --- gzip and base64 ---
    ("gzip/roundtrip", "vpol", "gzip.decompress(gzip.compress('hello world'))", "hello world"),
    ("gzip/compress-bytes", "vpol", "gzip.decompress(gzip.compress(b'abc'))", "abc"),
    ("gzip/header-magic", "vpol", "base64.encode(gzip.compress('x')).startsWith('H4sI')", True),
    ("gzip/type-bytes", "vpol", "type(gzip.compress('x')) == bytes", True),
    ("base64/native-encode", "vpol", "base64.encode(b'hello')", "aGVsbG8="),
    ("base64/native-decode", "vpol", "string(base64.decode('aGVsbG8='))", "hello"),
    # --- random ---
    ("random/default-length", "vpol", "size(random())", 8),
    ("random/default-alphabet", "vpol", "random().matches('^[0-9a-z]{8}$')", True),
    ("random/pattern-class-count", "vpol", "random('[a-c]{5}').matches('^[a-c]{5}$')", True),
    ("random/pattern-literal-and-digits", "vpol", "random('id-\\\\d{3}').matches('^id-[0-9]{3}$')", True),
    ("random/pattern-alternation", "vpol", "random('(foo|bar)').matches('^(foo|bar)$')", True),
    ("random/pattern-range", "vpol", "random('x{2,4}').matches('^x{2,4}$')", True),
    ("random/pattern-optional", "vpol", "random('ab?c').matches('^ab?c$')", True),
    ("random/pattern-negated-class", "vpol", "random('[^a-z]{6}').matches('^[^a-z]{6}$')", True),
    ("random/pattern-plus", "vpol", "random('[0-9]+').matches('^[0-9]+$')", True),
    ("random/prefixed-alias", "vpol", "size(random.random())", 8),
    ("random/prefixed-alias-pattern", "vpol", "random.random('[A-Z]{4}').matches('^[A-Z]{4}$')", True),
    # --- GVR ---
    ("resource/toGVR", "vpol", "resource.ToGVR('apps/v1', 'deployments').resource", "deployments"),
    ("resource/toGVR-group", "vpol", "resource.toGVR('apps/v1', 'deployments').group", "apps"),
    ("resource/toGVR-core-group", "vpol", "resource.ToGVR('v1', 'pods').group", ""),
    ("resource/toGVR-version", "dpol", "resource.ToGVR('batch/v1', 'jobs').version", "v1"),
]

# (id, kind, expression, error message pattern)
ERROR_CASES: list[tuple[str, str, str, str]] = [
    ("image/parse-invalid", "vpol", "image('UPPER/Case').registry()", "could not parse reference: UPPER/Case"),
    ("image/parse-empty-tag", "vpol", "parseImageReference('nginx:')", "could not parse reference: nginx:"),
    ("image/parse-bad-digest", "vpol", "parseImageReference('nginx@sha256:xyz')", "could not parse reference"),
    ("image/method-on-plain-map", "vpol", "{'a': 1}.registry()", "no such overload"),
    ("json/unmarshal-invalid", "vpol", "json.unmarshal('{nope')", "invalid JSON"),
    ("json/unmarshal-trailing", "vpol", "json.unmarshal('1 2')", "invalid JSON"),
    ("yaml/parse-invalid", "vpol", "yaml.parse('a: [b')", "yaml.parse"),
    ("transform/length-mismatch", "vpol", "listObjToMap([{'k': 'a'}], [], 'k', 'v')", "same length"),
    ("transform/missing-key-field", "vpol", "listObjToMap([{'x': 'a'}], [{'v': 1}], 'k', 'v')", "no field"),
    ("gzip/decompress-garbage", "vpol", "gzip.decompress(b'not gzip')", "gzip.decompress"),
    ("x509/decode-garbage", "vpol", "x509.decode('not a pem')", "failed to decode PEM"),
    ("random/bad-pattern", "vpol", "random('(abc')", "error parsing regexp: missing closing \\): `\\(abc`"),
    ("resource/get-without-provider", "vpol", "resource.Get('v1', 'configmaps', 'default', 'x')",
     "no resource provider"),
    ("http/get-without-provider", "vpol", "http.Get('https://example.com')", "no http provider"),
    ("globalContext/get-without-provider", "vpol", "globalContext.Get('entry', '')", "no global context provider"),
    ("imagedata/without-provider", "vpol", "image.GetMetadata('nginx')", "no image data provider"),
    ("generator/without-sink", "gpol", "generator.Apply('ns', [{'kind': 'ConfigMap'}])", "no generator sink"),
    ("generator/not-objects", "gpol", "generator.Apply('ns', [1])", "not an object"),
    ("resource/gvr-from-plain-map", "vpol", "resource.Get({'a': 1}, 'ns', 'name')", "no such overload"),
]

# (id, kind, expression): must not compile in that kind's environment.
UNDECLARED_CASES: list[tuple[str, str, str]] = [
    ("user/not-in-gpol", "gpol", "parseServiceAccount('x').Name"),
    ("user/not-in-dpol", "dpol", "user.parseServiceAccount('x').Name"),
    ("x509/not-in-ivpol", "ivpol", "x509.decode('x')"),
    ("generator/not-in-vpol", "vpol", "generator.Apply('ns', [])"),
    ("generator/not-in-mpol", "mpol", "generator.apply('ns', [])"),
    ("kyverno/no-json-in-vap", "vap", "json.marshal({})"),
    ("kyverno/no-image-in-map", "map", "image('nginx').registry()"),
    ("kyverno/no-resource-in-cpol", "cpol", "resource.Get('v1', 'pods', 'ns', 'n')"),
    ("kyverno/no-hash-in-vap", "vap", "sha256('a')"),
    ("math/round-wrong-types", "vpol", "math.round('a', 1)"),
]

# (id, kind, expression): declared names compile in the kind's environment (no evaluation).
DECLARED_CASES: list[tuple[str, str, str]] = [
    ("resource/get-pascal", "vpol", "resource.Get('v1', 'pods', 'ns', 'n')"),
    ("resource/get-camel", "vpol", "resource.get('v1', 'pods', 'ns', 'n')"),
    ("resource/get-gvr", "vpol", "resource.Get(resource.ToGVR('v1', 'pods'), 'ns', 'n')"),
    ("resource/get-namespaced-policy", "vpol", "resource.Get('v1', 'pods', 'n')"),
    ("resource/list-labels", "vpol", "resource.List('v1', 'pods', 'ns', {'app': 'x'})"),
    ("resource/list-camel", "gpol", "resource.list('v1', 'secrets', 'default')"),
    ("resource/list-gvr", "mpol", "resource.List(resource.toGVR('v1', 'pods'), 'ns')"),
    ("resource/post", "mpol", "resource.Post('v1', 'configmaps', 'ns', {'kind': 'ConfigMap'})"),
    ("resource/post-camel-3", "mpol", "resource.post('v1', 'configmaps', {'kind': 'ConfigMap'})"),
    ("resource/get-in-dpol-with-resource-variable", "dpol", "resource.get('v1', 'configmaps', 'ns', 'n')"),
    ("http/get", "vpol", "http.Get('https://x')"),
    ("http/get-headers", "vpol", "http.get('https://x', {'Authorization': 'Bearer t'})"),
    ("http/post", "vpol", "http.Post('https://x', {'a': 1})"),
    ("http/post-headers", "vpol", "http.post('https://x', {'a': 1}, {'h': 'v'})"),
    ("http/client", "vpol", "http.Client('ca').Get('https://x')"),
    ("http/client-camel", "vpol", "http.client('ca').post('https://x', 'body')"),
    ("globalContext/get", "vpol", "globalContext.Get('e')"),
    ("globalContext/get-projection", "ivpol", "globalContext.get('e', 'p')"),
    ("imagedata/get-metadata", "ivpol", "image.GetMetadata('nginx').config"),
    ("imagedata/get-metadata-camel", "vpol", "image.getMetadata('nginx')"),
    ("generator/apply", "gpol", "generator.Apply('ns', [])"),
    ("generator/apply-camel", "gpol", "generator.apply('ns', [{'kind': 'ConfigMap'}])"),
    ("time/now-in-dpol", "dpol", "time.now()"),
]


def _evaluate(kind: str, expression: str) -> Any:
    program = environment_for(kind).compile(expression)
    return program.evaluate({"variables": {"pem": PEM}})


@pytest.mark.parametrize(("kind", "expression", "expected"), [c[1:] for c in VALUE_CASES],
                         ids=[c[0] for c in VALUE_CASES])
def test_value(kind: str, expression: str, expected: Any) -> None:
    result = _evaluate(kind, expression)
    if isinstance(expected, float):
        assert result == pytest.approx(expected)
        assert isinstance(result, float)
    else:
        assert result == expected


@pytest.mark.parametrize(("kind", "expression", "message"), [c[1:] for c in ERROR_CASES],
                         ids=[c[0] for c in ERROR_CASES])
def test_error(kind: str, expression: str, message: str) -> None:
    with pytest.raises(CelEvalError) as caught:
        _evaluate(kind, expression)
    assert re.search(message, str(caught.value)), str(caught.value)


@pytest.mark.parametrize(("kind", "expression"), [c[1:] for c in UNDECLARED_CASES],
                         ids=[c[0] for c in UNDECLARED_CASES])
def test_not_declared(kind: str, expression: str) -> None:
    with pytest.raises(CelCompileError):
        environment_for(kind).compile(expression)


@pytest.mark.parametrize(("kind", "expression"), [c[1:] for c in DECLARED_CASES], ids=[c[0] for c in DECLARED_CASES])
def test_declared(kind: str, expression: str) -> None:
    environment_for(kind).compile(expression)


def test_random_values_differ() -> None:
    program = environment_for("vpol").compile("random()")
    assert len({program.evaluate({}) for _ in range(5)}) > 1


def test_gzip_bytes_survive_nul() -> None:
    program = environment_for("vpol").compile("size(gzip.compress('x')) > 18")
    assert program.evaluate({}) is True
