"""Library functions cannot build huge values from tiny expressions: each refuses with a CEL error naming the limit,
quickly, instead of filling memory (anchor bombs, gzip in gzip, huge ranges and random strings)."""

from __future__ import annotations

import base64
import gzip
import time
import zlib
from typing import Any

import pytest

from pykyverno.engine.cel import CelCompileError, CelEvalError, environment_for
from pykyverno.engine.cel.libs._limits import MAX_LIST_LENGTH, MAX_VALUE_BYTES

#: 306 bytes that expand to 490 million nodes through aliases.
ANCHOR_BOMB = "".join(
    f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]\n" if previous else f"{name}: &{name} [x,x,x,x,x,x,x,x,x]\n"
    for previous, name in zip([None, *"abcdefgh"], "abcdefghi", strict=True)
)


def _evaluate(expression: str, data: dict[str, Any] | None = None) -> Any:
    return environment_for("vpol").compile(expression).evaluate({"object": {}, **(data or {})})


def _fails_fast(expression: str, message: str, data: dict[str, Any] | None = None) -> None:
    started = time.perf_counter()
    with pytest.raises(CelEvalError, match=message):
        _evaluate(expression, data)
    assert time.perf_counter() - started < 2.0


def _bytes_literal(data: bytes) -> str:
    return "b'" + "".join(f"\\x{byte:02x}" for byte in data) + "'"


def _gzip_of_zeros(size: int) -> bytes:
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1024 * 1024)
    parts = [squeezer.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join([*parts, squeezer.flush()])


def test_yaml_anchor_bomb_is_refused() -> None:
    assert len(ANCHOR_BOMB) < 330
    _fails_fast("yaml.parse(object.text) != null", "excessive aliasing", {"object": {"text": ANCHOR_BOMB}})


def test_yaml_recursive_anchor_is_refused() -> None:
    _fails_fast("yaml.parse(object.text) != null", "anchor value contains itself",
                {"object": {"text": "metadata: &m {name: p, self: *m}"}})


def test_yaml_ordinary_aliases_still_work() -> None:
    text = "base: &b {cpu: 1}\nfirst: *b\nsecond: *b\n"
    assert _evaluate("yaml.parse(object.text).second.cpu", {"object": {"text": text}}) == 1.0


def test_documents_over_the_size_limit_are_refused() -> None:
    big = "a: " + "x" * MAX_VALUE_BYTES
    _fails_fast("yaml.parse(object.text) != null", "exceeds the limit of 3145728 bytes", {"object": {"text": big}})
    _fails_fast("json.unmarshal(object.text) != null", "exceeds the limit of 3145728 bytes",
                {"object": {"text": '"' + "x" * MAX_VALUE_BYTES + '"'}})


def test_gzip_inside_gzip_stops_at_the_limit() -> None:
    """100 MB of zeros, gzipped, base64-encoded and gzipped again, is a 1 KB literal in the expression."""
    nested = gzip.compress(base64.b64encode(_gzip_of_zeros(100 * 1024 * 1024)), mtime=0)
    assert len(nested) < 2048
    expression = f"size(gzip.decompress(base64.decode(gzip.decompress({_bytes_literal(nested)})))) > 0"
    _fails_fast(expression, "gzip.decompress: the decompressed data exceeds the limit of 3145728 bytes")


def test_gzip_round_trip_and_multiple_members() -> None:
    assert _evaluate("gzip.decompress(gzip.compress('hello'))") == "hello"
    two = gzip.compress(b"ab", mtime=0) + gzip.compress(b"cd", mtime=0)
    assert _evaluate(f"gzip.decompress({_bytes_literal(two)})") == "abcd"
    _fails_fast(f"gzip.decompress({_bytes_literal(gzip.compress(b'abc')[:-3])}) == ''", "gzip.decompress")


def test_random_refuses_what_go_regexp_refuses_and_long_outputs() -> None:
    _fails_fast("random('a{50000000}') != ''", r"invalid repeat count: `\{50000000\}`")
    _fails_fast("random('((a{40}){30})') != ''", "invalid repeat count")
    pattern = "[a-z]{1000}" * 70
    _fails_fast(f"random('{pattern}') != ''", "longest string the pattern generates .* exceeds the limit of 65536")
    assert len(_evaluate("random('[a-z]{1000}')")) == 1000


def test_lists_range_is_capped() -> None:
    _fails_fast("size(lists.range(int('100000000'))) > 0",
                f"lists.range: the length \\(100000000 elements\\) exceeds the limit of {MAX_LIST_LENGTH} elements")
    assert _evaluate("size(lists.range(int('1000')))") == 1000
    assert _evaluate("lists.range(3)") == [0, 1, 2]
    with pytest.raises(CelCompileError, match="costs at least 100000004 on any input"):  # costed statically
        environment_for("vpol").compile("size(lists.range(100000000)) > 0")
