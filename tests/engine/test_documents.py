"""Reading YAML/JSON documents: clear errors naming file, document and line; size limit; List expansion."""

from __future__ import annotations

from pathlib import Path

import pytest

from pykyverno.engine import documents
from pykyverno.engine.documents import expand_lists, iter_files, parse_documents, read_documents
from pykyverno.engine.errors import LoadError


def test_invalid_yaml_names_file_and_line() -> None:
    with pytest.raises(LoadError) as info:
        parse_documents("a: 1\nb: [unclosed\n", "bad.yaml")
    assert str(info.value).startswith("bad.yaml (document 1): invalid YAML at line 3")
    assert (info.value.line, info.value.column) == (3, 1)


def test_non_mapping_document_names_its_index() -> None:
    with pytest.raises(LoadError, match=r"x.yaml \(document 2\): expected a mapping"):
        parse_documents("a: 1\n---\n- just\n- a list\n", "x.yaml")


def test_timestamps_stay_strings_and_empty_documents_are_skipped() -> None:
    [doc] = parse_documents("---\n---\nwhen: 2024-01-01T00:00:00Z\n", "t.yaml")
    assert doc.data == {"when": "2024-01-01T00:00:00Z"} and doc.index == 1 and doc.origin == "t.yaml (document 2)"


def test_lists_are_expanded() -> None:
    docs = parse_documents("kind: List\napiVersion: v1\nitems:\n- {kind: Pod}\n- {kind: Service}\n", "l.yaml")
    assert [d.data["kind"] for d in expand_lists(docs)] == ["Pod", "Service"]


def test_huge_files_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 2000 + "\n")
    monkeypatch.setattr(documents, "MAX_FILE_BYTES", 1000)
    with pytest.raises(LoadError, match=r"big.yaml: file is 2004 bytes, over the 1000 byte limit"):
        read_documents(path)


def test_json_and_missing_files(tmp_path: Path) -> None:
    good = tmp_path / "objs.json"
    good.write_text('[{"kind": "Pod"}, {"kind": "Service"}]')
    assert [d.data["kind"] for d in read_documents(good)] == ["Pod", "Service"]
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(LoadError, match=r"bad.json \(document 1\): invalid JSON at line 1, column 2"):
        read_documents(bad)
    with pytest.raises(LoadError, match=r"nope.yaml: cannot read file"):
        read_documents(tmp_path / "nope.yaml")


def test_iter_files_walks_folders_in_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/2.yaml", "1.yml", "notes.txt", "b/3.json"):
        (tmp_path / name).write_text("{}")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])] == ["1.yml", "b/2.yaml", "b/3.json"]


def test_metadata_must_be_a_mapping() -> None:
    with pytest.raises(LoadError, match=r"w.yaml \(document 1\): metadata must be a mapping, found list"):
        parse_documents("apiVersion: v1\nkind: Pod\nmetadata: [1]\n", "w.yaml")
