"""Masking keeps the syntax of what it masks: quotes, escapes, line breaks, separators, YAML indicators, bare JSON
scalars and markup stay; what is found in between is replaced (see :mod:`pykyverno.server.redaction.spans`)."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest
import yaml

from pykyverno.server.redaction import REDACTED, mask_text, remember, secret_scope
from pykyverno.server.redaction.spans import REDACTED_MARKUP, is_markup, mask_spans

R = REDACTED


def test_an_assignment_inside_a_json_string_in_printed_json_stays_json() -> None:
    """Regression (the leak test's seeded cluster, ``scan -o json``): a ConfigMap marshalled by CEL into a message
    showed ``\\"DB_PASS=…\\n…\\"``; the value pattern swallowed the escape of the closing quote and the output failed
    to parse at line 104, column 87."""
    message = json.dumps({"data": {".env": "DB_PASS=lkm-cm-env-1234\nLOG_LEVEL=info\n", "DB_PASSWORD": "<redacted>"}},
                         separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")
    printed = json.dumps({"results": [{"message": message, "result": "fail"}]}, indent=2)
    masked = mask_text(printed)
    parsed = json.loads(masked)
    inner = json.loads(parsed["results"][0]["message"])
    assert "lkm-cm-env-1234" not in masked and inner["data"]["DB_PASSWORD"] == "<redacted>"
    assert inner["data"][".env"].startswith("DB_PASS=<redacted>")


@pytest.mark.parametrize(("text", "expected"), [
    # quoted values are masked to their closing quote, escaped quotes and all
    ('{"password": "a \\"quoted\\" pass phrase", "user": "bob"}', f'{{"password": "{R}", "user": "bob"}}'),
    ("password: 'it''s a secret'\nuser: bob", f"password: '{R}''{R}'\nuser: bob"),  # every quote stays
    # JSON inside a JSON string
    ('"{\\"password\\": \\"hunter2 x\\", \\"user\\": \\"bob\\"}"',
     f'"{{\\"password\\": \\"{R}\\", \\"user\\": \\"bob\\"}}"'),
    ('"{\\"token\\":\\"abc\\\\\\"def\\"}"', f'"{{\\"token\\":\\"{R}\\"}}"'),
    # an unquoted value ends at an escaped line break or quote; escapes of other characters are part of it
    ('"DB_PASS=s3cr3t\\nLOG=info"', f'"DB_PASS={R}\\nLOG=info"'),
    ('"DB_PASS=s3\\u00e9cr3t\\\\x y"', f'"DB_PASS={R} y"'),
    # masked already, also as JSON (Go-style) or HTML shows it
    ('"DB_PASS=\\u003credacted\\u003e\\nX=1"', '"DB_PASS=\\u003credacted\\u003e\\nX=1"'),
    ("password=&lt;redacted&gt;", "password=&lt;redacted&gt;"),
])
def test_values_of_assignments_end_where_their_string_does(text: str, expected: str) -> None:
    assert mask_text(text) == expected
    assert mask_text(expected) == expected


def test_remembered_values_are_cut_at_delimiters_and_aligned_to_escapes() -> None:
    with secret_scope():
        remember('ab"cd:ef, gh[ij]')
        remember("multi-line value\nsecond line")
        remember("caf\u00e9-secret-value-1234567890")
        assert mask_text('x ab"cd:ef, gh[ij] y') == f'x {R}"{R}, {R}[{R}] y', "delimiters stay"
        printed = json.dumps({"k": 'ab"cd:ef, gh[ij]'})
        assert mask_text(printed) == f'{{"k": "{R}, {R}[{R}]"}}', "an escaped quote is no cut, separators are"
        assert mask_text(yaml.safe_dump({"k": "multi-line value\nsecond line"})) == f"k: '{R}\n\n  {R}'\n"
        escaped = json.dumps("caf\u00e9-secret-value-1234567890")[1:-1]
        cut = escaped[:19]  # a prefix the output cut inside "\u00e9"
        assert cut.endswith("\\u00e9-secret-value"[:19 - 3]) or "\\u" in cut
        assert mask_text(f'"{cut}"') == f'"{R}"', "a cut-off value is masked up to its end"
        assert mask_text(json.dumps("caf\u00e9-secret-value-1234567890")) == f'"{R}"', "ASCII-escaped form"


def test_the_start_and_end_of_a_span_never_split_an_escape() -> None:
    text = '"x\\u003cab\\"cd"'
    assert mask_spans(text, [(6, 10)]) == f'"x{R}\\"cd"', "widened back over \\u003c"
    assert mask_spans(text, [(3, 11)]) == f'"x{R}cd"', "widened forward over \\\""
    assert mask_spans('"ab\\\ncd"', [(1, 4)]) == f'"{R}\\\ncd"', "an escaped line break stays"
    assert mask_spans('"\\ud83d\\ude00 xyz"', [(8, 17)]) == f'"{R}"', "a surrogate pair is one escape"


@pytest.mark.parametrize(("text", "span", "expected"), [
    ("items:\n- secret-value\n", "- secret-value", f"items:\n- {R}\n"),
    ("key: &anchor secret-value", "&anchor secret-value", f"key: &anchor {R}"),
    ("? complex-key\n: value", "? complex-key", f"? {R}\n: value"),
    ("a: 1\nsecret-key: 2\n", "secret-key: 2", f"a: 1\n{R}: 2\n"),
    ("a: x # secret-comment\n", "x # secret-comment", f"a: {R} # {R}\n"),
    ("  indented: secret-value\n", "  indented: secret-value", f"  {R}: {R}\n"),
])
def test_yaml_indicators_and_indentation_stay(text: str, span: str, expected: str) -> None:
    start = text.index(span)
    masked = mask_spans(text, [(start, start + len(span))])
    assert masked == expected
    yaml.safe_load(masked)


def test_bare_numbers_booleans_and_nulls_stay_strings_do_not() -> None:
    with secret_scope():
        remember("123456")
        remember("falsetto")
        text = json.dumps({"count": 123456, "list": [123456, True, None], "pin": "pin 123456", "n": "123456",
                           "word": "falsetto"}, indent=2)
        masked = json.loads(mask_text(text))
    assert masked == {"count": 123456, "list": [123456, True, None], "pin": f"pin {R}", "n": R, "word": R}
    assert mask_text("- 123456\n- -1.5e+20\n- .inf") == "- 123456\n- -1.5e+20\n- .inf"


def test_markup_is_masked_as_markup() -> None:
    report = ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="token=abcdef123 x">'
              '<failure message="Authorization: Bearer abcdefghijklmnop">password=hunter2hunter2</failure>'
              "</testsuite></testsuites>")
    assert is_markup(report) and is_markup("<!DOCTYPE html><html>") and not is_markup("<redacted>: x")
    masked = mask_text(report)
    assert masked.count(REDACTED_MARKUP) == 3 and "hunter2" not in masked and "abcdefghijklmnop" not in masked
    suite = ElementTree.fromstring(masked.encode()).find("testsuite")
    assert suite is not None and suite.get("name") == "token=<redacted> x"
    with secret_scope():
        remember("testsuite name=")  # a remembered value that is markup's own syntax
        remember('version="1.0"')
        assert mask_text(report).startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name=')


def test_a_text_without_secrets_is_returned_as_is() -> None:
    text = json.dumps({"results": [{"policy": "disallow-privileged", "message": "pass: 3, key: app"}]})
    assert mask_text(text) is text
