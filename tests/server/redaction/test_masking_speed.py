"""Text masking is linear and fast on long lines: compact (single-line) JSON of a large scan, a 50 MB line written to
the CLI's stream in small pieces, and inputs built to make pattern matching backtrack or rescan.

Bounds are in CPU seconds and loose (the machine is shared); the figures are printed (``-s``). Regression: masking
one 51 MB single-line JSON string took 243 s (every trigger word looked for its line's start and end again).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable

import pytest

from pykyverno.server.redaction import REDACTED, MaskingWriter, mask_text, remember, secret_scope
from pykyverno.server.redaction.output import STREAM_CHUNK, mask_prefix

SECRETS = ["lkm-remembered-0001-abcdef", "lkm-remembered-0002-abcdef"]


def scan_json(megabytes: float, compact: bool) -> str:
    """Scan-like JSON of about ``megabytes`` MB, with secrets planted in a few messages."""
    results = []
    size = 0
    i = 0
    while size < megabytes * 1e6:
        message = "HostProcess is not allowed: spec.securityContext.windowsOptions.hostProcess must be unset"
        if i % 5000 == 0:
            message = f"reach postgres://app:{SECRETS[0]}@db:5432 with password={SECRETS[1]} {SECRETS[0]}"
        result = {"policy": f"policy-{i % 17}", "result": "fail" if i % 7 == 0 else "pass", "message": message,
                  "resources": [{"kind": "Pod", "namespace": f"team-{i % 30:02d}", "name": f"web-{i}",
                                 "uid": f"00000000-0000-4000-8000-{i:012d}"}], "severity": "high",
                  "properties": {"cel.validationIndex": "0"}}
        results.append(result)
        size += 330 if compact else 560
        i += 1
    document = {"clusters": [{"context": "prod", "results": results}]}
    return json.dumps(document, separators=(",", ":")) if compact else json.dumps(document, indent=2)


def cpu(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.process_time()
    result = fn()
    return time.process_time() - started, result


@pytest.mark.parametrize("compact", [True, False], ids=["single-line", "multi-line"])
def test_masking_is_linear_and_fast_on_large_json(compact: bool) -> None:
    small, large = scan_json(5, compact), scan_json(50, compact)
    with secret_scope():
        for value in SECRETS:
            remember(value)
        small_cpu, _ = cpu(lambda: mask_text(small))
        large_cpu, masked = cpu(lambda: mask_text(large))
    assert isinstance(masked, str)
    parsed = json.loads(masked)
    assert not any(s in masked for s in SECRETS)
    assert parsed["clusters"][0]["results"][0]["message"].startswith(f"reach postgres://{REDACTED}@db:5432")
    per_10mb = large_cpu / (len(large) / 1e7)
    shape = "single-line" if compact else "multi-line"
    print(f"\nmask_text {shape} JSON: {len(small) / 1e6:.0f} MB {small_cpu:.2f} s, {len(large) / 1e6:.0f} MB "
          f"{large_cpu:.2f} s CPU ({per_10mb:.2f} s per 10 MB)")
    assert large_cpu < 25 * max(small_cpu, 0.1), "linear: ten times the text, about ten times the time (not 100)"
    assert per_10mb < 2, "well under a second per 10 MB on an idle machine"


class Sink(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_a_50_mb_line_written_in_pieces_is_masked_in_pieces() -> None:
    """The CLI's stream writer gets compact JSON in 64 KiB pieces (streamed output): it passes the line on in
    pieces as it goes, a secret cut by a piece boundary is still masked, and the JSON still parses."""
    text = scan_json(50, compact=True)
    sink = Sink()
    pending_most = 0
    with secret_scope():
        for value in SECRETS:
            remember(value)
        writer = MaskingWriter(sink)
        started = time.process_time()
        piece = 65536 - 7  # boundaries fall everywhere, inside secrets too
        for at in range(0, len(text), piece):
            writer.write(text[at:at + piece])
            pending_most = max(pending_most, writer._size)
            if at == piece * 100:
                assert sink.tell() > 0, "a long line is passed on before its end"
        writer.write("\n")
        writer.flush()
        spent = time.process_time() - started
    out = sink.getvalue()
    assert not any(s in out for s in SECRETS)
    assert json.loads(out)["clusters"][0]["results"][5000]["message"].startswith("reach postgres://")
    assert pending_most <= STREAM_CHUNK + 65536, "memory stays flat: at most one piece waits"
    print(f"\nMaskingWriter, 50 MB line in 64 KiB pieces: {spent:.2f} s CPU")
    assert spent < 30


@pytest.mark.parametrize("name", ["backslashes", "quotes", "schemes", "assignments", "flags", "pem", "prefixes",
                                  "escaped-values"])
def test_hostile_text_is_masked_in_linear_time(name: str) -> None:
    """Inputs that make a backtracking matcher or a rescanning loop quadratic: each 2 MB is masked in a moment."""
    unit = {
        "backslashes": "\\" * 1000 + '"',
        "quotes": '"password": "' + "\\\"" * 200,
        "schemes": "a://" * 100,
        "assignments": "password=Aa:" * 100,
        "flags": "--token " * 100,
        "pem": "-----BEGIN PRIVATE KEY-----" + "x" * 100,
        "prefixes": "lkm-remembered-0001-abcde" * 10,
        "escaped-values": '\\"token\\": \\"' + "\\\\\\\"" * 100,
    }[name]
    text = unit * (2_000_000 // len(unit))
    with secret_scope():
        for value in SECRETS:
            remember(value)
        spent, masked = cpu(lambda: mask_text(text))
    assert isinstance(masked, str)
    print(f"\n{name}: {len(text) / 1e6:.1f} MB in {spent:.2f} s CPU")
    assert spent < 10


@pytest.mark.parametrize("secret", ["--password hunter22hunter22", '"token": "abcdefgh12345678"',
                                    SECRETS[0], "postgres://app:pw123456@db"])
def test_a_stream_is_never_cut_inside_a_secret_nor_between_a_name_and_its_value(secret: str) -> None:
    with secret_scope():
        remember(SECRETS[0])
        for offset in range(-len(secret) - 3, 4):  # the piece boundary before, inside and after the secret
            text = "x " * 500 + secret + " " + "y" * (100 + offset)
            ready, rest = mask_prefix(text, 100)
            assert len(rest) >= 100 and ready, "the start is passed on, the end waits"
            assert ready + mask_text(rest) == mask_text(text), (offset, ready[-60:], rest[:60])
