"""Properties of masking (Hypothesis): for random JSON documents with planted secrets (remembered values placed in
strings and keys, values under credential-like keys), masked output always parses and never holds a planted value.

- The text pass alone (what the CLI's output stream and the log masking do) on JSON, pretty, compact or ASCII-only:
  the output parses, every planted remembered value is gone from every string of it, and so is every value under a
  credential key; numbers, booleans and nulls and the structure are unchanged.
- The text pass alone on YAML: the output still parses, with the same structure.
- The writers' way (masked as data, serialised, then masked as text): JSON and YAML parse, nothing planted is left.

- Remembered values that are any piece of the printed JSON, YAML or XML itself (structure included, the worst
  coincidence): the output keeps its structure, numbers, booleans and nulls.

CI runs a few hundred examples per property (about 15 seconds in all). For a longer local run set the number of
examples (4,000 per property: about 3 minutes)::

    PYKYVERNO_FUZZ_EXAMPLES=4000 python -m pytest -q -p no:cacheprovider \
        tests/server/redaction/test_masking_properties.py
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykyverno.server.redaction import mask_data, mask_text, remember, secret_scope

EXAMPLES = int(os.environ.get("PYKYVERNO_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Characters that delimit, escape or indent in JSON, YAML, markup and tables, and some beyond ASCII.
NASTY = " \t\n\"'\\/:,#-[]{}|<>&=@?!*%`~;.\x00\x1f\u00e9\u2028\U0001F600"
#: Keys that name credentials (values under them are masked) and keys that do not.
CREDENTIAL_KEYS = ["password", "DB_PASS", "apiKey", "api_key", "clientSecret", "token", "PGPASSWORD", "DATABASE_URL",
                   "auth_token", "privateKey"]
PLAIN_KEYS = ["name", "kind", "message", "key", "auth", "value", "count", "url", "items", "data", "pass", "enabled"]

#: The distinctive part of a planted value: letters (never a number, a boolean or null), so that it can always be
#: told apart from the structure around it.
_core = st.text(alphabet="abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ", min_size=6, max_size=12).map(
    lambda s: f"Q{s}")
#: A planted secret: the core with delimiters, escapes, blanks and non-ASCII characters around and inside it.
secrets = st.tuples(st.text(alphabet=NASTY, max_size=4), _core, st.text(alphabet=NASTY, max_size=4),
                    st.text(alphabet=NASTY + "xyz0123456789", max_size=6)).map(lambda t: t[0] + t[1] + t[2] + t[3])
_plain_text = st.text(alphabet=NASTY + "abcdefghij 0123456789", max_size=16)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                     st.floats(allow_nan=False, allow_infinity=False), _plain_text)


#: Places for planted values in generated documents (private-use characters no other text holds).
SLOTS = [f"\ue000{i}\ue000" for i in range(3)]
_holders = st.one_of(st.sampled_from(SLOTS),
                     st.tuples(_plain_text, st.sampled_from(SLOTS), _plain_text).map(lambda t: "".join(t)))
_keys = st.one_of(st.sampled_from(PLAIN_KEYS), _plain_text, _holders)
_trees = st.recursive(st.one_of(_scalars, _holders),
                      lambda children: st.one_of(st.lists(children, max_size=4),
                                                 st.dictionaries(_keys, children, max_size=4)),
                      max_leaves=24)
_bodies = st.dictionaries(_keys, _trees, max_size=5)


def _planted(value: Any, planted: list[str]) -> Any:
    """``value`` with each slot replaced by its planted value."""
    if isinstance(value, str):
        for slot, secret in zip(SLOTS, planted, strict=True):
            value = value.replace(slot, secret)
        return value
    if isinstance(value, dict):
        return {_planted(k, planted): _planted(v, planted) for k, v in value.items()}
    if isinstance(value, list):
        return [_planted(v, planted) for v in value]
    return value


@st.composite
def documents(draw: st.DrawFn) -> tuple[Any, list[str], list[str]]:
    """(a JSON document, the remembered values planted in it, the values planted under credential keys)."""
    planted = draw(st.lists(secrets, min_size=len(SLOTS), max_size=len(SLOTS), unique=True))
    credential_values = draw(st.lists(secrets, max_size=2, unique=True))
    body = _planted(draw(_bodies), planted)
    for i, value in enumerate(credential_values):  # a credential key, at the top or nested
        key = draw(st.sampled_from(CREDENTIAL_KEYS))
        if draw(st.booleans()):
            body[key] = value
        else:
            body[f"nested{i}"] = {key: value, "kind": "Example"}
    return body, planted, credential_values


def strings(value: Any) -> Iterator[str]:
    """Every string of a parsed document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def scalars(value: Any) -> Iterator[Any]:
    """Every number, boolean and null of a document, in order."""
    if isinstance(value, dict):
        for item in value.values():
            yield from scalars(item)
    elif isinstance(value, list):
        for item in value:
            yield from scalars(item)
    elif not isinstance(value, str):
        yield value


def json_shape(text: str) -> Any:
    """The structure of a JSON text: containers (mappings as their pairs, duplicate keys kept) and non-string
    scalars; every string is one placeholder."""

    def shape(value: Any) -> Any:
        if isinstance(value, list):
            return [shape(v) for v in value]
        if isinstance(value, tuple):  # a key-value pair
            return ("pair", shape(value[1]))
        return "str" if isinstance(value, str) else value

    return shape(json.loads(text, object_pairs_hook=lambda pairs: [("pair", v) for _, v in pairs]))


def yaml_shape(text: str) -> Any:
    """The structure of a YAML text: its node graph, scalars as their resolved tags (strings as one placeholder)."""

    def shape(node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            return [("pair", shape(k), shape(v)) for k, v in node.value]
        if isinstance(node, yaml.SequenceNode):
            return [shape(v) for v in node.value]
        return "str" if node.tag.endswith(":str") else (node.tag, node.value)

    node = yaml.compose(text)
    return shape(node) if node is not None else None


def credential_values_under_keys(value: Any) -> Iterator[Any]:
    """The values under credential keys of a parsed document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in CREDENTIAL_KEYS:
                yield item
            yield from credential_values_under_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from credential_values_under_keys(item)


def assert_nothing_planted(parsed: Any, planted: list[str], credential_values: list[str], text: str) -> None:
    found = [(secret, s) for s in strings(parsed) for secret in planted if secret in s]
    assert not found, f"remembered values left: {found}\n{text}"
    left = [v for v in credential_values_under_keys(parsed) if v in credential_values]
    assert not left, f"values under credential keys left: {left}\n{text}"


@FUZZ
@given(documents(), st.sampled_from([{"indent": 2}, {"separators": (",", ":")}, {"ensure_ascii": False},
                                     {"indent": 1, "ensure_ascii": False}]))
def test_text_masking_of_json_keeps_it_json_and_removes_every_planted_value(
        case: tuple[Any, list[str], list[str]], options: dict[str, Any]) -> None:
    document, planted, credential_values = case
    text = json.dumps(document, **options)
    with secret_scope():
        for value in planted:
            remember(value)
        masked = mask_text(text)
    parsed = json.loads(masked)
    assert_nothing_planted(parsed, planted, credential_values, masked)
    assert json_shape(masked) == json_shape(text), "the structure, numbers, booleans and nulls are kept"


@FUZZ
@given(documents())
def test_text_masking_of_yaml_keeps_it_yaml(case: tuple[Any, list[str], list[str]]) -> None:
    document, planted, _credential_values = case
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    with secret_scope():
        for value in planted:
            remember(value)
        masked = mask_text(text)
    assert yaml_shape(masked) == yaml_shape(text), masked


@FUZZ
@given(documents(), st.sampled_from(["json", "compact", "yaml"]))
def test_masked_as_data_then_as_text_parses_and_holds_nothing_planted(
        case: tuple[Any, list[str], list[str]], fmt: str) -> None:
    document, planted, credential_values = case
    with secret_scope():
        for value in planted:
            remember(value)
        data = mask_data(document)
        if fmt == "yaml":
            masked = mask_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
            parsed = yaml.safe_load(masked)
        else:
            masked = mask_text(json.dumps(data, indent=2 if fmt == "json" else None))
            parsed = json.loads(masked)
    assert_nothing_planted(parsed, planted, credential_values, masked)
    assert list(scalars(parsed)) == list(scalars(document))


def _slices(text: str, cuts: list[tuple[int, int]]) -> list[str]:
    """Pieces of ``text`` at the drawn places (start, length), each at least as long as values remembered."""
    return [text[start % len(text):start % len(text) + length] for start, length in cuts]


_cuts = st.lists(st.tuples(st.integers(0, 10**6), st.integers(6, 48)), min_size=1, max_size=6)


@FUZZ
@given(documents(), _cuts, st.sampled_from([{"indent": 2}, {"separators": (",", ":")}, {"ensure_ascii": False}]))
def test_remembered_pieces_of_the_json_itself_never_break_it(
        case: tuple[Any, list[str], list[str]], cuts: list[tuple[int, int]], options: dict[str, Any]) -> None:
    """Remembered values that are any piece of the printed JSON (structure included): masking keeps it JSON, with
    the same structure, numbers, booleans and nulls."""
    text = json.dumps(case[0], **options)
    with secret_scope():
        for piece in _slices(text, cuts):
            remember(piece)
        masked = mask_text(text)
    assert json_shape(masked) == json_shape(text), masked


@FUZZ
@given(documents(), _cuts)
def test_remembered_pieces_of_the_yaml_itself_never_break_it(
        case: tuple[Any, list[str], list[str]], cuts: list[tuple[int, int]]) -> None:
    text = yaml.safe_dump(case[0], allow_unicode=True, sort_keys=False)
    with secret_scope():
        for piece in _slices(text, cuts):
            remember(piece)
        masked = mask_text(text)
    assert yaml_shape(masked) == yaml_shape(text), masked


def _xml(document: Any) -> str:
    """A JUnit-like XML report whose names, attributes and text come from ``document``'s strings."""
    root = ElementTree.Element("testsuites")
    for i, text in enumerate(strings(document)):
        suite = ElementTree.SubElement(root, "testsuite", name=_xml_safe(text), tests=str(i))
        case = ElementTree.SubElement(suite, "testcase", name=f"case {i}", classname=_xml_safe(text[::-1]))
        ElementTree.SubElement(case, "failure", message=_xml_safe(text)).text = _xml_safe(f"{text} at {i}")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode")


def _xml_safe(text: str) -> str:
    return "".join(c for c in text if c in "\t\n" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd"
                   or c >= "\U00010000")


def _xml_shape(text: str) -> Any:
    def shape(element: ElementTree.Element) -> Any:
        return (element.tag, sorted(element.attrib), [shape(child) for child in element])

    return shape(ElementTree.fromstring(text.encode()))


@FUZZ
@given(documents(), _cuts)
def test_masked_xml_stays_xml(case: tuple[Any, list[str], list[str]], cuts: list[tuple[int, int]]) -> None:
    """A JUnit report printed by the CLI: planted values and any remembered piece of the XML itself are masked
    without breaking it (``&lt;redacted&gt;`` in markup); no planted value is left in any text or attribute."""
    document, planted, _credential_values = case
    text = _xml(document)
    planted = [_xml_safe(p) for p in planted]  # what the report can hold of them
    with secret_scope():
        for value in [*planted, *_slices(text, cuts)]:
            remember(value)
        masked = mask_text(text)
    assert _xml_shape(masked) == _xml_shape(text), masked
    root = ElementTree.fromstring(masked.encode())
    shown = [t for e in root.iter() for t in [e.text or "", *e.attrib.values()]]
    assert not [(p, t) for t in shown for p in planted if p in t and len(p.strip()) >= 6], masked
