"""The last line of defence: values seen during a request are masked in its outputs, however the output cut,
re-wrapped or escaped them; scopes keep requests apart; worker threads report into the request's ledger."""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from pykyverno.server.redaction import (
    REDACTED,
    MaskingWriter,
    SecretLedger,
    in_current_context,
    install_log_masking,
    mask_data,
    mask_text,
    remember,
    secret_scope,
)
from pykyverno.server.redaction.ledger import ANCHOR, MIN_LENGTH

VALUE = "correct-horse-battery-staple-42"


def test_value_prefixes_escapes_and_rewraps_are_masked() -> None:
    ledger = SecretLedger()
    ledger.remember(VALUE)
    ledger.remember("line one is long\nline two is long too")
    assert ledger.mask(f"x {VALUE} y") == f"x {REDACTED} y"
    cut = VALUE[:ANCHOR + 3]
    assert ledger.mask(f"message: {cut}…") == f"message: {REDACTED}…", "a value an output cut short"
    assert ledger.mask(f"|{VALUE[:ANCHOR - 1]}|") == f"|{VALUE[:ANCHOR - 1]}|", "shorter pieces are not masked"
    assert ledger.mask('"line one is long\\nline two is long too"') == f'"{REDACTED}"', "JSON-escaped"
    assert ledger.mask("line one is long line two is long too") == REDACTED, "whitespace collapsed"
    assert ledger.mask("- line two is long too") == f"- {REDACTED}", "one line of a multi-line value"


def test_short_values_and_binary_are_not_remembered() -> None:
    ledger = SecretLedger()
    ledger.remember("a" * (MIN_LENGTH - 1))
    ledger.remember(b"\xff\xfe\x00binary")
    ledger.remember(None)
    assert len(ledger) == 0
    ledger.remember_base64("aHVudGVyMi1odW50ZXIy")  # hunter2-hunter2
    assert ledger.mask("aHVudGVyMi1odW50ZXIy hunter2-hunter2") == f"{REDACTED} {REDACTED}"


def test_ledger_is_bounded() -> None:
    ledger = SecretLedger(max_values=10)
    for i in range(50):
        ledger.remember(f"value-number-{i:04d}")
    assert len(ledger) == 10
    assert ledger.mask("value-number-0049") == REDACTED and ledger.mask("value-number-0000") == "value-number-0000"


def test_scopes_keep_requests_apart_and_nest() -> None:
    with secret_scope() as first:
        remember("first-request-value")
        with secret_scope() as inner:
            assert inner is first, "a nested scope is the same request"
        assert mask_text("first-request-value") == REDACTED
    with secret_scope():
        assert mask_text("first-request-value") == "first-request-value", "forgotten after its request"


def test_worker_threads_remember_into_the_request() -> None:
    def work(i: int) -> None:
        remember(f"thread-value-{i:03d}")

    with secret_scope() as ledger, ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(in_current_context(work), range(8)))
        assert len({v for v in ledger._values if v.startswith("thread-value-")}) == 8
        assert mask_text("thread-value-005") == REDACTED


def test_mask_data_masks_every_string_and_keeps_structure() -> None:
    with secret_scope():
        remember(VALUE)
        data = {"a": [VALUE, 1, None, {"b": f"x {VALUE}", VALUE: True}], "url": "https://u:p@h/"}
        out = mask_data(data)
    assert out == {"a": [REDACTED, 1, None, {"b": f"x {REDACTED}", REDACTED: True}], "url": f"https://{REDACTED}@h/"}
    assert data["a"][0] == VALUE, "the input is not modified"


def test_masking_writer_masks_lines_and_flushes_partial_ones() -> None:
    class Sink:
        def __init__(self) -> None:
            self.parts: list[str] = []

        def write(self, text: str) -> int:
            self.parts.append(text)
            return len(text)

        def flush(self) -> None:
            pass

        def isatty(self) -> bool:
            return False

    sink = Sink()
    with secret_scope():
        remember(VALUE)
        writer = MaskingWriter(sink)  # type: ignore[arg-type]
        writer.write(VALUE[:10])
        assert sink.parts == [], "a partial line waits"
        writer.write(VALUE[10:] + " end\nnext ")
        writer.write(json.dumps({"k": VALUE}) + "\n" + yaml.safe_dump({"k": VALUE}))
        writer.write("\rprogress 1/2")
        writer.flush()
    written = "".join(sink.parts)
    assert VALUE not in written and written.count(REDACTED) == 3 and written.endswith("\rprogress 1/2")


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    install_log_masking()
    log = logging.getLogger("pykyverno.test")
    with caplog.at_level(logging.DEBUG), secret_scope():
        remember(VALUE)
        log.debug("value %s in %r", VALUE, {"k": VALUE})
        log.info("url https://admin:pw@host/?token=abc")
        try:
            raise ValueError(f"bad {VALUE}")
        except ValueError:
            log.exception("failed")
        thread = threading.Thread(target=in_current_context(lambda: log.warning("from a thread: %s", VALUE)))
        thread.start()
        thread.join()
    logged = caplog.text
    assert VALUE not in logged and "pw@" not in logged and "token=abc" not in logged
    assert logged.count(REDACTED) >= 5
