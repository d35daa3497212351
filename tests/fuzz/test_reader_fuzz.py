"""Fuzzing the YAML/JSON reader: no input crashes it or escapes as anything but LoadError; values round-trip through
json and yaml dumps; positions point at what they name."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from pykyverno.engine.documents import expand_lists, parse_documents
from pykyverno.engine.errors import LoadError
from pykyverno.engine.reader import load_json, load_yaml, load_yaml_all

from .strategies import fuzz_settings, json_texts, json_values, yaml_texts


def read_everything(text: str) -> None:
    """Every reader entry point on ``text``: each returns or raises LoadError, nothing else."""
    for read in (
        lambda: [d.position(("metadata", "name")) for d in expand_lists(parse_documents(text, "f.yaml"))],
        lambda: load_yaml_all(text),
        lambda: load_yaml(text, first_only=True),
        lambda: load_json(text),
    ):
        try:
            read()
        except LoadError as exc:
            assert str(exc) and (exc.line is None or exc.line >= 1)
    errors: list[LoadError] = []
    try:
        documents = parse_documents(text, "f.yaml", errors=errors)
    except LoadError:
        raise AssertionError("with an errors list, problems of documents are collected, not raised") from None
    assert all(d.line >= 1 for d in documents)


@fuzz_settings(300)
@given(yaml_texts)
def test_yaml_like_text_never_crashes_the_reader(text: str) -> None:
    read_everything(text)


@fuzz_settings(300)
@given(json_texts)
def test_json_like_text_never_crashes_the_reader(text: str) -> None:
    read_everything(text)


def _standard_json(text: str) -> Any:
    """What the standard library reads, with duplicate keys and NaN/Infinity refused; ``_MISSING`` when refused."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({key for key, _ in pairs}) != len(pairs):
            raise ValueError("duplicate key")
        return dict(pairs)

    def no_constant(name: str) -> Any:
        raise ValueError(name)

    try:
        value = json.loads(text, object_pairs_hook=unique, parse_constant=no_constant)
    except (ValueError, RecursionError):
        return _MISSING
    return value if _depth(value) <= 200 else _MISSING


_MISSING = object()


def _depth(value: Any) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in children)
    return deepest


@fuzz_settings(300)
@given(json_texts | json_values().map(json.dumps))
def test_load_json_agrees_with_the_standard_library(text: str) -> None:
    expected = _standard_json(text)
    try:
        got = load_json(text)
    except LoadError:
        got = _MISSING
    assert got == expected if expected is not _MISSING else got is _MISSING, text


@fuzz_settings(150)
@given(st.text(max_size=200))
def test_any_text_never_crashes_the_reader(text: str) -> None:
    read_everything(text)


@fuzz_settings(60)
@given(st.integers(1, 6), st.integers(1, 12), st.booleans())
def test_alias_graphs_are_bounded_or_refused(levels: int, fan_out: int, self_reference: bool) -> None:
    lines = ["l0: &l0 [x, y, z]"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * fan_out)
        lines.append(f"l{level}: &l{level} [{refs}" + (f", *l{level}" if self_reference and level == levels else "")
                     + "]")
    try:
        value = load_yaml("\n".join(lines))
    except LoadError as exc:
        assert "aliasing" in str(exc) or "recursive alias" in str(exc)
        return
    assert not self_reference
    assert _nodes(value) <= 500_000


def _nodes(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(1 + _nodes(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_nodes(v) for v in value)
    return 1


@fuzz_settings(200)
@given(json_values())
def test_json_values_round_trip(value: Any) -> None:
    assert load_json(json.dumps(value)) == value
    assert load_json(json.dumps(value, indent=1, ensure_ascii=False)) == value


#: YAML 1.1 reads NEL, LS and PS as line breaks, which PyYAML's dumper writes unescaped: such strings cannot
#: round-trip through any YAML 1.1 reader.
_YAML_LINE_BREAKS = set("\x85\u2028\u2029")


@fuzz_settings(200)
@given(json_values().filter(lambda v: not _YAML_LINE_BREAKS & set(json.dumps(v, ensure_ascii=False))))
def test_yaml_dumps_round_trip(value: Any) -> None:
    assert load_yaml(yaml.safe_dump(value)) == value
    assert load_yaml(yaml.safe_dump(value, default_flow_style=True, allow_unicode=True)) == value


@fuzz_settings(100)
@given(st.dictionaries(st.from_regex(r"[a-z][a-zA-Z0-9]{0,8}", fullmatch=True), json_values(10), min_size=1,
                       max_size=6))
def test_positions_point_at_the_keys_they_name(value: dict[str, Any]) -> None:
    text = yaml.safe_dump({"kind": "Thing", "spec": value}, sort_keys=False)
    [document] = parse_documents(text)
    lines = text.splitlines()
    for path in _paths(value, ("spec",)):
        found = document.position(path)
        assert found is not None, path
        line, column = found
        key = path[-1]
        if isinstance(key, str) and key.isalnum() and key.isascii():
            assert lines[line - 1][column - 1:].startswith((key, f"'{key}", f'"{key}')), (path, found, text)


def _paths(value: Any, prefix: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    out: list[tuple[str | int, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        out.append((*prefix, key))
        out.extend(_paths(item, (*prefix, key)))
    return out
