"""The C-speed reading of a whole JSON text (engine/reader/whole_json.py): it gives exactly the careful reader's value,
or leaves the text to the careful reader, whose errors name file, document and line as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import workload
from pykyverno.engine.documents import expand_lists, read_documents
from pykyverno.engine.errors import LoadError
from pykyverno.engine.reader import DEFAULT_LIMITS, ParsedDocument, ReadLimits, json_documents, load_json
from pykyverno.engine.reader.whole_json import read_whole


def typed(value: Any) -> Any:
    """The value with every scalar's type kept visible (1 and 1.0 and True differ)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


def careful(text: str, limits: ReadLimits = DEFAULT_LIMITS, unique_keys: bool = True) -> list[Any]:
    return list(json_documents(text, limits, positions=False, unique_keys=unique_keys, split_lists=False,
                               whole=False))


def assert_same_as_careful(text: str, limits: ReadLimits = DEFAULT_LIMITS, unique_keys: bool = True) -> bool:
    """The fast reading (when it answers) equals the careful one; whether it answered."""
    fast = read_whole(text, limits, unique_keys=unique_keys)
    slow = careful(text, limits, unique_keys)
    if fast is None:
        return False
    assert len(slow) == 1 and isinstance(slow[0], ParsedDocument), slow
    assert typed(fast[0]) == typed(slow[0].data)
    assert list(json.dumps(fast[0])) == list(json.dumps(slow[0].data))  # key order too
    return True


def nested(height: int, *, dicts: bool) -> Any:
    value: Any = 1
    for level in range(height):
        value = {"k": value} if dicts and level % 2 else [value]
    return value


def test_a_generated_snapshot_is_read_fast_and_equals_the_careful_reading(tmp_path: Path) -> None:
    path = workload.write_snapshot(workload.generate_pods(300), tmp_path / "snap.json")
    text = path.read_text()
    assert assert_same_as_careful(text)
    docs = list(expand_lists(read_documents(path, positions=False)))
    assert len(docs) == 300 and docs[0].data == json.loads(text)["items"][0]


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 2}',
    '{"x": {"a": "1:2", "b": 0, "a": "3"}}',
    '{"a": 1, "\\u0061": 2}',                     # the same key written two ways
    '{"a": {"b": ":"}, "x": [{"k": 1, "k": 1}]}',
    '{"a": 1, "a": 2, "c": "\\u003a"}',           # an escaped colon must not hide the lost key
    '{"items": [{"m": {"a": 1}}, {"m": {"a": 1, "a": 1}}]}',
])
def test_duplicate_keys_are_never_read_fast(text: str) -> None:
    assert read_whole(text, DEFAULT_LIMITS, unique_keys=True) is None
    with pytest.raises(LoadError, match="duplicate key"):
        load_json(text)
    # Without strictness both readers keep the last value, in the first key's place.
    if "\\u003a" not in text:
        assert assert_same_as_careful(text, unique_keys=False)


@pytest.mark.parametrize("wrap", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("dicts", [False, True])
def test_nesting_up_to_the_limit_exactly(wrap: int, dicts: bool) -> None:
    """Deep values at every chunk depth: the limit itself is read (fast), one level more is refused (careful)."""
    limit = DEFAULT_LIMITS.max_depth
    for height, accepted in ((limit, True), (limit + 1, False)):
        value = nested(height - wrap, dicts=dicts)
        for _ in range(wrap):
            value = {"w": value}
        text = json.dumps(value)
        if accepted:
            assert assert_same_as_careful(text)
        else:
            assert read_whole(text, DEFAULT_LIMITS, unique_keys=True) is None
            with pytest.raises(LoadError, match=f"nesting deeper than {limit} levels"):
                load_json(text)


def test_a_lower_nesting_limit_is_kept() -> None:
    limits = ReadLimits(max_depth=10)
    assert read_whole(json.dumps({"a": [nested(8, dicts=True)]}), limits, unique_keys=True) is not None
    assert read_whole(json.dumps({"a": [nested(9, dicts=True)]}), limits, unique_keys=True) is None


def test_escapes_of_other_characters_do_not_slow_reading() -> None:
    """kubectl's JSON escapes ``<``, ``>`` and ``&`` (``\\u003c``, ``\\u003e``, ``\\u0026``): still read fast."""
    text = '{"metadata": {"annotations": {"cmd": "a \\u003e b \\u0026\\u0026 c \\u003c d: e"}}}'
    assert assert_same_as_careful(text)
    assert load_json(text)["metadata"]["annotations"]["cmd"] == "a > b && c < d: e"


@pytest.mark.parametrize("escape", ["\\u003a", "\\u003A"])
def test_an_escaped_colon_is_left_to_the_careful_reader(escape: str) -> None:
    assert read_whole('{"a": "' + escape + '"}', DEFAULT_LIMITS, unique_keys=True) is None
    assert load_json('{"a": "' + escape + '"}') == {"a": ":"}


@pytest.mark.parametrize("number", ["9223372036854775808", "-9223372036854775808", "18446744073709551615",
                                    "18446744073709551616", "-9223372036854775809", "123456789012345678901234567890",
                                    "9" * 5000])
def test_long_integers_are_read_exactly_or_left_to_the_careful_reader(number: str) -> None:
    text = '{"a": [1, ' + number + "]}"
    fast = read_whole(text, DEFAULT_LIMITS, unique_keys=True)
    assert fast is None or typed(fast[0]) == typed({"a": [1, int(number)]})
    if len(number) > DEFAULT_LIMITS.max_int_digits:
        with pytest.raises(LoadError):
            load_json(text)
    else:
        assert load_json(text)["a"][1] == int(number)


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": -Infinity}', '{"a": 1} {"b": 2}', '\ufeff{"a": 1}',
                                  '{"a": 1,}', "", '{"a": {"b": [1, 123456789012345678901234567890]}}',
                                  '{"a": {"b": ["\\ud800"]}}'])
def test_what_cannot_be_proven_goes_to_the_careful_reader(text: str) -> None:
    assert read_whole(text, DEFAULT_LIMITS, unique_keys=True) is None


@pytest.mark.parametrize("text", ['{"a": "\\ud800"}', '{"a": [1, 123456789012345678901234567890]}'])
def test_values_near_the_root_are_read_as_the_careful_reader_reads_them(text: str) -> None:
    assert assert_same_as_careful(text)


def test_numbers_and_strings_read_as_the_careful_reader_reads_them() -> None:
    text = ('{"f": [1.0, -0, -0.0, 1E2, 0.1, 1e-400, 2.5e-320, 1e400, 18446744073709551615, -9223372036854775808],'
            ' "s": ["\\u00e9\\n\\t\\"\\\\", "caf\u00e9", "\\u2028", "\\ud83d\\ude00", ":", "{[", "\\u0000"]}')
    assert assert_same_as_careful(text)


def test_a_snapshot_file_with_a_duplicate_key_names_file_document_and_line(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text('{"apiVersion": "v1", "kind": "List",\n "items": [\n  {"kind": "Pod", "kind": "Pod"}]}\n')
    with pytest.raises(LoadError) as info:
        read_documents(path, positions=False)
    assert str(info.value).startswith(f"{path} (document 1): duplicate key 'kind' at line 3, column 19")


def test_a_file_that_is_not_utf8_is_refused_as_before(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_bytes(b'{"a": "\xed\xa0\x80"}')  # an encoded surrogate: not UTF-8
    with pytest.raises(LoadError, match="cannot read file: 'utf-8' codec can't decode"):
        read_documents(path)


def test_positions_of_a_fast_read_file_are_found_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "pod.json"
    path.write_bytes(b'\r\n\n{"apiVersion": "v1",\r\n "kind": "Pod", "metadata": {"name": "caf\xc3\xa9"},\n'
                     b' "spec": {"containers": []}}')
    [doc] = read_documents(path)
    assert doc.line == 3 and doc.data["metadata"]["name"] == "caf\u00e9"
    assert doc.position(("spec", "containers")) == (5, 11)
