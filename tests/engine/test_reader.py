"""The bounded, strict reader (engine/reader): hostile YAML and JSON become clear errors with their line, and
values follow Kubernetes' decoders."""

from __future__ import annotations

import gc
import json
import math
from pathlib import Path

import pytest

from pykyverno.engine.documents import expand_lists, parse_documents, read_documents
from pykyverno.engine.errors import LoadError
from pykyverno.engine.reader import ReadLimits, gc_paused, load_json, load_yaml, load_yaml_all

LAUGHS = "\n".join(
    [f"a: &a [{', '.join(['lol'] * 9)}]"]
    + [f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]" for prev, name in zip("abcdefgh", "bcdefghi", strict=True)]
) + "\n"


def refused(text: str, source: str = "in.yaml") -> LoadError:
    with pytest.raises(LoadError) as info:
        parse_documents(text, source)
    return info.value


# ----------------------------------------------------------------------------- recursion and aliases
def test_recursive_anchor_is_refused_with_its_line() -> None:
    error = refused("apiVersion: v1\nkind: Pod\nmetadata: &m {name: p, self: *m}\n")
    assert str(error).startswith("in.yaml (document 1): recursive alias to the node at line 3, column 11")
    assert (error.document, error.line, error.column) == (0, 3, 11)


def test_recursive_anchors_through_lists_and_merge_keys_are_refused() -> None:
    assert "recursive alias" in str(refused("a: &l [1, *l]\n"))
    assert "recursive alias" in str(refused("a: &m {x: 1, <<: *m}\n"))


def test_billion_laughs_is_refused_before_it_grows() -> None:
    error = refused(LAUGHS)
    assert "excessive aliasing" in str(error) and error.line is not None
    assert len(LAUGHS) < 500


def test_aliases_expand_to_independent_copies() -> None:
    [doc] = parse_documents("base: &b {labels: {a: '1'}}\none: *b\ntwo: *b\n")
    doc.data["one"]["labels"]["a"] = "changed"
    assert doc.data["two"] == {"labels": {"a": "1"}} and doc.data["base"] == {"labels": {"a": "1"}}


def test_moderate_aliasing_is_accepted() -> None:
    defaults = "defaults: &d {" + ", ".join(f"k{i}: v{i}" for i in range(20)) + "}\n"
    uses = "".join(f"item{i}: *d\n" for i in range(150))
    [doc] = parse_documents(defaults + uses)
    assert len(doc.data) == 151 and doc.data["item149"]["k19"] == "v19"


def test_alias_share_follows_kubernetes_thresholds() -> None:
    limits = ReadLimits()
    assert limits.aliasing_allowed(1000, 990) and limits.aliasing_allowed(400_000, 396_000)
    assert not limits.aliasing_allowed(400_000, 396_100)
    assert limits.aliasing_allowed(4_000_000, 400_000) and not limits.aliasing_allowed(4_000_000, 400_001)
    assert limits.aliasing_allowed(2_200_000, 1_196_000) is True, "0.99 - 0.89 / 2 = 54.5% half way"
    assert limits.aliasing_allowed(2_200_000, 1_201_000) is False


def test_merge_keys_merge_and_explicit_keys_win() -> None:
    [doc] = parse_documents("base: &b {x: 1, y: 2}\nmore: &m {z: 3}\nthing: {<<: [*b, *m], y: 9}\n")
    assert doc.data["thing"] == {"y": 9, "x": 1, "z": 3}
    assert "duplicate key '<<'" in str(refused("a: {<<: {x: 1}, <<: {y: 2}}\n"))
    assert "merge key" in str(refused("a: {<<: [1]}\n"))


# ----------------------------------------------------------------------------- size, depth, integers
def test_deep_yaml_is_refused_with_its_line() -> None:
    error = refused("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert error.line == 1 and "nesting" in str(error)
    block = "".join("  " * i + f"k{i}:\n" for i in range(5000)) + "  " * 5000 + "v: 1\n"
    assert "nesting" in str(refused(block))


def test_deep_json_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"kind": "Pod",\n "spec": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(LoadError, match=r"deep.json \(document 1\): nesting deeper than 200 levels at line 2"):
        read_documents(path)
    assert "nesting deeper" in str(refused('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"))
    errors: list[LoadError] = []
    docs = parse_documents('[{"a": ' + "[" * 1000 + '"]"' + "]" * 1000 + '},\n {"kind": "Pod"}]', errors=errors)
    assert [d.data for d in docs] == [{"kind": "Pod"}] and docs[0].line == 2
    assert [(e.document, e.line) for e in errors] == [(0, 1)]


def test_depth_limit_is_exact() -> None:
    assert parse_documents("a: " + "[" * 199 + "]" * 199)[0].data["a"]
    assert "deeper than 200" in str(refused("a: " + "[" * 200 + "]" * 200))
    assert "deeper than 200" in str(refused('{"a": ' + "[" * 200 + "]" * 200 + "}"))


def test_aliases_cannot_nest_beyond_the_depth_limit() -> None:
    deep = "[" * 150 + "1" + "]" * 150
    text = f"a: &x {deep}\nb: {'[' * 60}*x{']' * 60}\n"
    assert "once the alias of the node" in str(refused(text))


def test_long_integers_are_refused_with_their_line() -> None:
    error = refused("kind: Pod\nspec:\n  replicas: " + "9" * 5000 + "\n")
    assert str(error).endswith("an integer of 5000 digits is longer than the 4300 allowed at line 3, column 13")
    assert "4300 allowed at line 1, column 7" in str(refused('{"a": ' + "1" * 5000 + "}"))
    assert parse_documents("a: " + "9" * 4300)[0].data["a"] == int("9" * 4300)


def test_a_bad_file_does_not_stop_the_others_in_a_snapshot_folder(tmp_path: Path) -> None:
    from pykyverno.engine.objects import read_manifests

    (tmp_path / "a-big.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {n: "
                                         + "1" * 5000 + "}\n")
    (tmp_path / "b-good.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "y"}}')
    problems: list[str] = []
    objects = read_manifests([tmp_path], problems)
    assert [o["metadata"]["name"] for o in objects] == ["y"]
    assert len(problems) == 1 and "a-big.yaml (document 1): an integer of 5000 digits" in problems[0]


def test_text_size_is_bounded() -> None:
    with pytest.raises(LoadError, match="over the 10 limit"):
        load_yaml("a: 12345678901", limits=ReadLimits(max_bytes=10))
    with pytest.raises(LoadError, match="over the 10 limit"):
        load_json('{"a": 12345678}', limits=ReadLimits(max_bytes=10))


# ----------------------------------------------------------------------------- duplicate keys
def test_duplicate_keys_are_refused_naming_file_document_and_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("kind: ConfigMap\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nkind: Secret\n")
    with pytest.raises(LoadError) as info:
        read_documents(path)
    assert str(info.value) == f"{path} (document 2): duplicate key 'kind' at line 6, column 1"
    assert "duplicate key '1'" in str(refused("data: {1: a, '1': b}\n"))
    assert "duplicate key 'kind' at line 2, column 2" in str(refused('{"kind": "Pod",\n "kind": "Secret"}'))


def test_duplicate_keys_can_be_kept_last_as_go_decoders_do() -> None:
    assert load_yaml("a: 1\na: 2\n", unique_keys=False) == {"a": 2}
    assert load_json('{"a": 1, "a": 2}', unique_keys=False) == {"a": 2}


# ----------------------------------------------------------------------------- value semantics
def test_values_follow_kubernetes_yaml() -> None:
    [doc] = parse_documents(
        "when: 2024-01-01T00:00:00Z\nflag: yes\noctal: 017\nhex: 0x1F\nbig: 1_000\nf: 1.5\nnull_key: ~\n"
        "1: one\ntrue: t\n~: n\nquoted: '017'\ninf: .inf\nempty:\nset: !!str 12\n"
    )
    assert doc.data == {"when": "2024-01-01T00:00:00Z", "flag": True, "octal": 15, "hex": 31, "big": 1000, "f": 1.5,
                        "null_key": None, "1": "one", "true": "t", "null": "n", "quoted": "017", "inf": math.inf,
                        "empty": None, "set": "12"}


def test_unsupported_tags_and_complex_keys_are_refused() -> None:
    assert "unsupported tag !!binary at line 1, column 4" in str(refused("a: !!binary aGVsbG8=\n"))
    assert "unsupported tag !!set" in str(refused("a: !!set {x, y}\n"))
    assert "unsupported tag !Ref" in str(refused("a: !Ref x\n"))
    assert "mapping key must be a string" in str(refused("? [a, b]\n: c\n"))
    assert "is not a valid !!int" in str(refused("a: !!int twelve\n"))


def test_json_text_is_read_as_json() -> None:
    [doc] = parse_documents('{"kind": "Pod", "n": 1e5, "s": "\\ud83d\\ude00", "k": ' + '"' + "x" * 2000 + '"}')
    assert doc.data["n"] == 100000.0 and doc.data["s"] == "\U0001f600" and len(doc.data["k"]) == 2000
    flow_yaml = parse_documents("{kind: Pod, metadata: {name: p}}")
    assert flow_yaml[0].data == {"kind": "Pod", "metadata": {"name": "p"}}
    assert parse_documents('{"a": NaN}')[0].data == {"a": "NaN"}, "not JSON, so read as YAML"


def test_json_files_are_strict_json(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"a": NaN}')
    with pytest.raises(LoadError, match=r"x.json \(document 1\): expected a value at line 1, column 7"):
        read_documents(path)


def test_json_arrays_give_one_document_per_item_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "objs.json"
    path.write_text('[\n  {"kind": "Pod"},\n  {"kind": "A", "kind": "B"},\n  {"kind": "Service"},\n  3\n]\n')
    errors: list[LoadError] = []
    docs = read_documents(path, errors=errors)
    assert [(d.data["kind"], d.index, d.line) for d in docs] == [("Pod", 0, 2), ("Service", 2, 4)]
    assert [str(e).removeprefix(f"{path} ") for e in errors] == [
        "(document 2): duplicate key 'kind' at line 3, column 17",
        "(document 4): expected a mapping (a Kubernetes object), found int at line 5",
    ]


def test_characters_yaml_refuses_are_named_with_their_line() -> None:
    assert str(refused("a: 1\nb: x\x00y\n")).endswith("invalid YAML at line 2, column 5: control characters are not "
                                                    "allowed")


def test_unterminated_json_arrays_are_syntax_errors(tmp_path: Path) -> None:
    for text, where in (("[", "line 1, column 2"), ('[{"a": 1},', "line 1, column 11"), ("[{}\n", "line 2, column 1")):
        path = tmp_path / "x.json"
        path.write_text(text)
        with pytest.raises(LoadError, match=f"invalid JSON at {where}: expected"):
            read_documents(path)


def test_errors_list_keeps_reading_after_a_bad_document() -> None:
    errors: list[LoadError] = []
    text = "kind: A\n---\nkind: B\nkind: C\n---\nx: " + "1" * 5000 + "\n---\nkind: D\n---\n- a list\n"
    docs = parse_documents(text, "s.yaml", errors=errors)
    assert [d.data["kind"] for d in docs] == ["A", "D"]
    assert [(e.document, e.line) for e in errors] == [(1, 4), (2, 6), (4, 10)]


def test_a_syntax_error_keeps_earlier_documents_with_errors_list() -> None:
    errors: list[LoadError] = []
    docs = parse_documents("kind: A\n---\nkind: [B\n", "s.yaml", errors=errors)
    assert [d.data["kind"] for d in docs] == ["A"]
    assert len(errors) == 1 and "invalid YAML" in str(errors[0]) and errors[0].document == 1


# ----------------------------------------------------------------------------- positions
POLICY = """# a comment
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: p
spec:
  validations:
  - expression: "true"
  - message: m
    expression: >-
      object.x
---
kind: Second
"""


def test_document_lines_and_field_positions() -> None:
    first, second = parse_documents(POLICY, "p.yaml")
    assert (first.line, second.line) == (2, 13)
    assert first.position(()) == (2, 1)
    assert first.position(("metadata", "name")) == (5, 3)
    assert first.position(("spec", "validations", 1)) == (9, 5)
    assert first.position(("spec", "validations", 1, "expression")) == (10, 5)
    assert first.position(("spec", "validations", 2)) is None
    assert first.position(("spec", "nope")) is None and first.position(("kind", "x")) is None
    assert second.position(("kind",)) == (13, 1)


def test_positions_follow_aliases_and_merge_keys() -> None:
    [doc] = parse_documents("base: &b\n  x: 1\nthing:\n  <<: *b\n  y: 2\nother: *b\n")
    assert doc.position(("thing", "y")) == (5, 3)
    assert doc.position(("thing", "x")) == (2, 3), "a merged key is where the merged mapping writes it"
    assert doc.position(("other", "x")) == (2, 3)


def test_positions_can_be_skipped() -> None:
    [doc] = parse_documents(POLICY.split("---")[0], positions=False)
    assert doc.line == 2 and doc.position(("kind",)) is None


def test_json_positions_are_found_lazily(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{\n  "kind": "Pod",\n  "spec": {"containers": [\n    {"name": "a"},\n    {"name": "b"}]}\n}\n')
    [doc] = read_documents(path)
    assert doc.line == 1 and doc.position(("spec", "containers", 1, "name")) == (5, 6)
    assert doc.position(("kind",)) == (2, 3)


def test_list_items_get_their_own_lines_and_positions() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n- kind: Service\n  spec: {}\n"
    pod, service = expand_lists(parse_documents(text))
    assert (pod.line, service.line) == (4, 6)
    assert pod.position(("metadata", "name")) == (5, 14) and service.position(("spec",)) == (7, 3)
    pod, service = expand_lists(parse_documents(text, positions=False))
    assert (pod.line, service.line) == (1, 1) and pod.position(("kind",)) is None
    with pytest.raises(LoadError, match=r"items\[1\] must be a mapping .* found str at line 5"):
        list(expand_lists(parse_documents("kind: List\nitems:\n- kind: Pod\n  x: 1\n- oops\n")))


def test_json_list_items_find_positions_on_demand(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text('{"kind": "List",\n "items": [\n  {"kind": "Pod"},\n  {"kind": "Service"}]}\n')
    pod, service = expand_lists(read_documents(path))
    assert (pod.line, service.line) == (1, 1), "JSON is not scanned for positions until one is asked for"
    assert pod.position(()) == (3, 3) and service.position(("kind",)) == (4, 4)


def test_metadata_error_names_its_line() -> None:
    error = refused("apiVersion: v1\nkind: Pod\nmetadata: [1]\n")
    assert str(error) == "in.yaml (document 1): metadata must be a mapping, found list at line 3, column 1"


# ----------------------------------------------------------------------------- helpers for other readers
def test_load_helpers() -> None:
    assert load_yaml("") is None and load_yaml("a: 1\n") == {"a": 1}
    with pytest.raises(LoadError, match="expected one YAML document, found 2"):
        load_yaml("a: 1\n---\nb: 2\n")
    assert load_yaml("a: 1\n---\nb: [\n", first_only=True) == {"a": 1}
    assert load_yaml_all("a: 1\n---\n---\n- 2\n") == [{"a": 1}, None, [2]]
    assert load_json(" [1, {\"a\": null}] ") == [1, {"a": None}]
    with pytest.raises(LoadError, match="expected one JSON value, found 2"):
        load_json("1 2")
    with pytest.raises(LoadError, match="invalid JSON at line 1, column 7"):
        load_json('{"a": }')
    with pytest.raises(LoadError, match="recursive alias"):
        load_yaml("a: &a [*a]", first_only=True)


def test_gc_pause_nests_and_restores() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_round_trip_of_plain_values() -> None:
    value = {"a": [1, 2.5, "x", None, True, {"b": "017", "c": "yes", "d": ""}], "e": "multi\nline"}
    assert load_json(json.dumps(value)) == value
    import yaml

    assert load_yaml(yaml.safe_dump(value)) == value


def test_limits_can_be_changed_from_the_environment() -> None:
    from pykyverno.engine.reader.limits import MAX_NESTING_CEILING, limits_from_environment

    limits = limits_from_environment({"PYKYVERNO_MAX_DOCUMENT_BYTES": "1000", "PYKYVERNO_MAX_NESTING": "50"})
    assert (limits.max_bytes, limits.max_depth) == (1000, 50)
    assert limits_from_environment({"PYKYVERNO_MAX_NESTING": "100000"}).max_depth == MAX_NESTING_CEILING
    assert limits_from_environment({"PYKYVERNO_MAX_NESTING": "-3", "PYKYVERNO_MAX_DOCUMENT_BYTES": "x"}) == ReadLimits()
    with pytest.raises(LoadError, match="nesting deeper than 50 levels"):
        load_yaml("a: " + "[" * 50 + "]" * 50, limits=limits)


def test_a_long_pause_leaves_what_it_made_in_the_oldest_generation() -> None:
    """Objects read in one long pause are not walked again by young collections (they would be, once per
    generation, each a pass over the whole snapshot); a short pause changes nothing."""
    gc.collect()
    with gc_paused():
        kept = [[index] for index in range(150_000)]
    assert gc.get_count()[0] < 1000, "the young generation does not hold what the pause made"
    assert gc.get_freeze_count() == 0
    young = {id(obj) for obj in gc.get_objects(generation=0)}
    assert not any(id(item) in young for item in kept[:100])
    gc.collect()
    with gc_paused():
        few = [[index] for index in range(100)]
    assert any(id(item) in {id(obj) for obj in gc.get_objects(generation=0)} for item in few)


def test_a_long_pause_during_a_scan_keeps_what_it_made_frozen() -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with gc_paused():
            kept = [[index] for index in range(150_000)]
        assert gc.get_freeze_count() >= before + len(kept)
    finally:
        gc.unfreeze()
